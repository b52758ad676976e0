"""Pages of the 责任清单 module (mounted under /lists/)."""

from django.urls import path

from . import views

app_name = "duties"

urlpatterns = [
    path("", views.list_index, name="list_index"),
    path("import/", views.list_import, name="list_import"),
    path("template/<str:kind>.xlsx", views.template_download, name="template_download"),
    path("route/", views.route_preview, name="route_preview"),
    path("<int:pk>/", views.list_detail, name="list_detail"),
    path("<int:pk>/withdraw/", views.list_withdraw, name="list_withdraw"),
    path("p/<str:unit_code>/", views.public_index, name="public_index"),
    path("p/<str:unit_code>/<int:pk>/", views.public_detail, name="public_detail"),
]
