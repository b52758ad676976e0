"""Data of the 阳光票决 module."""

from django.db import models  # noqa: F401
