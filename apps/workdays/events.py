"""Business event types of the 工作日历 module."""

from apps.audit.events import register  # noqa: F401
