"""The API client management page under /open311/clients/ (county admins)."""

from django.urls import path

from . import views_clients

app_name = "open311_clients"

urlpatterns = [
    path("", views_clients.client_list, name="list"),
    path("new/", views_clients.client_create, name="create"),
    path("<int:pk>/deactivate/", views_clients.client_deactivate, name="deactivate"),
]
