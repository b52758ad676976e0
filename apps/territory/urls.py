"""Territory pages. Fixed words come before `<code>` segments; grid codes are free text, so the
create and locate pages live outside `grids/`."""

from django.urls import path

from . import views

app_name = "territory"

urlpatterns = [
    path("", views.browser, name="browser"),
    path("search/", views.unit_search, name="unit_search"),
    path("units/<str:code>/", views.unit_detail, name="unit_detail"),
    path("units/<str:code>/children/", views.unit_children, name="unit_children"),
    path("units/<str:code>/groups/", views.unit_add_group, name="unit_add_group"),
    path("grids/", views.grid_list, name="grid_list"),
    path("new-grid/", views.grid_create, name="grid_create"),
    path("locate/", views.grid_locate, name="grid_locate"),
    path("grids/<str:code>/", views.grid_detail, name="grid_detail"),
    path("grids/<str:code>/boundary/", views.grid_boundary, name="grid_boundary"),
    path("grids/<str:code>/gridders/", views.grid_gridder_add, name="grid_gridder_add"),
    path("grids/<str:code>/gridders/remove/", views.grid_gridder_remove, name="grid_gridder_remove"),
]
