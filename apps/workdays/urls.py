"""Pages of the working calendar (工作日历), under /calendar/."""

from django.urls import path

from . import views

app_name = "workdays"

urlpatterns = [
    path("", views.year_page, name="index"),
    path("trial/", views.trial, name="trial"),
    path("<int:year>/", views.year_page, name="year"),
    path("<int:year>/edit/", views.year_edit, name="edit"),
    path("<int:year>/confirm/", views.year_confirm, name="confirm"),
]
