"""Pages of the 12345 hotline import (/hotline/)."""

from django.urls import path

from . import views

app_name = "hotline"

urlpatterns = [
    path("", views.import_start, name="import_start"),
    path("template/", views.import_template, name="import_template"),
    path("jobs/<int:pk>/", views.import_detail, name="import_detail"),
    path("jobs/<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("jobs/<int:pk>/report/", views.import_report, name="import_report"),
]
