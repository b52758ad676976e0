"""Pages of the case module (诉求办理)."""

from django.urls import path

from . import dashboard, views

app_name = "cases"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("bulk-dispatch/", views.bulk_dispatch, name="bulk_dispatch"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/act/<str:action>/", views.case_action, name="action"),
    path("whistles/<int:pk>/<str:step>/", views.whistle_action, name="whistle_action"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("new/", views.intake, name="intake"),
    path("intake-records/", views.intake_records, name="intake_records"),
    path("report/", views.report, name="report"),
    path("t/", views.track_lookup, name="track_lookup"),
    path("t/<str:code>/", views.track, name="track"),
    path("t/<str:code>/rate/", views.rate, name="rate"),
    path("mine/", views.my_cases, name="my_cases"),
    path("owned/", views.owned, name="owned"),
    path("notices/", views.notices, name="notices"),
    path("categories/", views.categories, name="categories"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/data.json", dashboard.dashboard_data, name="dashboard_data"),
]
