"""URLs of resident records. Pages in views.py; import/export in views_io.py."""

from django.urls import path

from . import views, views_io

app_name = "people"

urlpatterns = [
    # records (views.py)
    path("", views.household_list, name="household_list"),
    path("households/new/", views.household_create, name="household_create"),
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
    path("households/<int:pk>/edit/", views.household_edit, name="household_edit"),
    path("households/<int:pk>/members/new/", views.resident_create, name="resident_create"),
    path("residents/", views.resident_list, name="resident_list"),
    path("residents/<int:pk>/", views.resident_detail, name="resident_detail"),
    path("residents/<int:pk>/edit/", views.resident_edit, name="resident_edit"),
    path("residents/<int:pk>/reveal/", views.resident_reveal, name="resident_reveal"),
    path("my-grid/", views.my_grid, name="my_grid"),
    path("patrols/", views.patrol_list, name="patrol_list"),
    path("patrols/new/", views.patrol_create, name="patrol_create"),
    path("patrols/<int:pk>/photo/", views.patrol_photo, name="patrol_photo"),
    path("settings/", views.config, name="config"),
    # import and export (views_io.py)
    path("import/", views_io.import_start, name="import_start"),
    path("import/<int:pk>/", views_io.import_detail, name="import_detail"),
    path("import/<int:pk>/progress/", views_io.import_progress, name="import_progress"),
    path("import/<int:pk>/report.xlsx", views_io.import_report, name="import_report"),
    path("import/template.xlsx", views_io.import_template, name="import_template"),
    path("export/residents.xlsx", views_io.export_residents, name="export_residents"),
    path("export/households.xlsx", views_io.export_households, name="export_households"),
]
