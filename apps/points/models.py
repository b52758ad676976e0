"""Data of the 积分制 module."""

from django.db import models  # noqa: F401
