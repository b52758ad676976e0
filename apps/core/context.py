"""Request context carried to the audit log without threading `request` through every service.

The middleware sets it per request; management commands and tasks set it with `context_scope`.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    ip: str = ""
    user_agent: str = ""
    path: str = ""
    source: str = "web"  # web | api | command | task


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar("jc_request", default=None)


def current() -> RequestContext:
    ctx = _current.get()
    if ctx is None:
        return RequestContext(request_id="", source="system")
    return ctx


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextmanager
def context_scope(ctx: RequestContext) -> Iterator[RequestContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
