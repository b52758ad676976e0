"""Audit API: search the change log and events within the caller's scope."""

from ninja import Router

router = Router(tags=["审计"])
