"""Pages of the 积分制 module."""

from django.urls import path  # noqa: F401

app_name = "points"

urlpatterns: list = []
