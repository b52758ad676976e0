"""Business event types of the 阳光票决 module."""

from apps.audit.events import register  # noqa: F401
