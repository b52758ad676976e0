"""Data of the 诉求办理 module."""

from django.db import models  # noqa: F401
