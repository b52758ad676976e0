"""The application's exception hierarchy.

Services raise these; the UI renders `message` (Chinese) and the API renders
`{"message", "code", "extra"}` with `http_status`. Nothing else should be raised for a
business rule, so that both faces of the platform report a refusal the same way.
"""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    http_status = 400
    default_code = "error"

    def __init__(self, message: str, *, code: str | None = None, extra: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.extra = extra or {}

    def as_dict(self) -> dict[str, Any]:
        return {"message": self.message, "code": self.code, "extra": self.extra}


class ValidationFailed(ApplicationError):
    http_status = 400
    default_code = "invalid"


class PermissionDenied(ApplicationError):
    http_status = 403
    default_code = "forbidden"


class NotFound(ApplicationError):
    http_status = 404
    default_code = "not_found"


class Conflict(ApplicationError):
    """The request is valid but the object's current state forbids it (illegal transition,
    duplicate, lost race). HTTP 409."""

    http_status = 409
    default_code = "conflict"


class RateLimited(ApplicationError):
    http_status = 429
    default_code = "rate_limited"


def from_django_validation(exc: Any, *, code: str = "invalid") -> ValidationFailed:
    """Turn a django ValidationError (from full_clean) into our error, keeping field messages."""
    fields: dict[str, list[str]] = {}
    if hasattr(exc, "message_dict"):
        fields = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        first = next(iter(fields.values()))[0] if fields else "输入有误"
    else:
        first = "；".join(str(m) for m in getattr(exc, "messages", [str(exc)]))
    return ValidationFailed(first, code=code, extra={"fields": fields} if fields else {})
