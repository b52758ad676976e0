from django.urls import path

from . import views

app_name = "territory"

urlpatterns = [
    path("", views.browser, name="browser"),
    path("units/<str:code>/", views.unit_detail, name="unit_detail"),
    path("grids/", views.grid_list, name="grid_list"),
    path("grids/<str:code>/", views.grid_detail, name="grid_detail"),
]
