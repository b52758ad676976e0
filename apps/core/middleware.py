"""Per-request context (id, address) for the audit trail, echoed as the X-Request-ID header."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .context import RequestContext, context_scope, new_request_id


def client_ip(request: HttpRequest) -> str:
    # Behind the reverse proxy described in docs/deployment.md the first forwarded address is the
    # client; the proxy overwrites the header, so it cannot be forged from outside.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        return forwarded.split(",")[0].strip()
    return str(request.META.get("REMOTE_ADDR", ""))


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if incoming.isalnum() and len(incoming) <= 64 else new_request_id()
        ctx = RequestContext(
            request_id=request_id,
            ip=client_ip(request),
            user_agent=str(request.META.get("HTTP_USER_AGENT", ""))[:200],
            path=request.path[:200],
            source="api" if request.path.startswith("/api/") else "web",
        )
        request.request_id = request_id  # type: ignore[attr-defined]
        with context_scope(ctx):
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response
