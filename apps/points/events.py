"""Business event types of the 积分制 module."""

from apps.audit.events import register  # noqa: F401
