"""Business event types of the 责任清单 module."""

from apps.audit.events import register

LIST_PUBLISHED = register("duties.list_published", "发布责任清单")
LIST_WITHDRAWN = register("duties.list_withdrawn", "停用责任清单")
