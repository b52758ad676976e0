"""Pages of the 诉求办理 module."""

from django.urls import path  # noqa: F401

app_name = "cases"

urlpatterns: list = []
