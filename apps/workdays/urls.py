"""Pages of the 工作日历 module."""

from django.urls import path  # noqa: F401

app_name = "workdays"

urlpatterns: list = []
