"""Choices of the working calendar (工作日历)."""

from django.db import models


class Source(models.TextChoices):
    """Where a calendar entry or a year's schedule came from."""

    CHINESE_CALENDAR = "chinese_calendar", "chinese-calendar（国务院办公厅通知）"
    ADMIN = "admin", "管理员录入"
