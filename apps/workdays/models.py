"""Data of the 工作日历 module."""

from django.db import models  # noqa: F401
