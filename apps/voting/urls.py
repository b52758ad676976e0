"""Pages of the 阳光票决 module."""

from django.urls import path  # noqa: F401

app_name = "voting"

urlpatterns: list = []
