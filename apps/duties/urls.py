"""Pages of the 责任清单 module."""

from django.urls import path  # noqa: F401

app_name = "duties"

urlpatterns: list = []
