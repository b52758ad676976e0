"""Business event types of the 责任清单 module."""

from apps.audit.events import register  # noqa: F401
