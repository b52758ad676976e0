"""Data of the 责任清单 module."""

from django.db import models  # noqa: F401
