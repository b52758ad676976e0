"""Business event types of the 诉求办理 module."""

from apps.audit.events import register  # noqa: F401
