from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("", views.search, name="search"),
    path("history/<str:app_label>/<str:model>/<str:object_id>/", views.history, name="history"),
]
