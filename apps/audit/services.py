"""Writing to the audit trail. Services call these inside their own transaction, so an audit row
exists exactly when the change it describes was committed."""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.fields.files import FieldFile

from apps.core.context import current

from . import events
from .models import AuditRecord, ChangeAction, Event


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, FieldFile):
        return value.name or None
    return str(value)


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The object's concrete field values as JSON (foreign keys by id), minus excluded fields, plus
    what the model's `audit_extra()` adds (masked personal data, many-to-many tags)."""
    exclude: frozenset[str] = getattr(obj, "audit_exclude", frozenset())
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if field.name in exclude:
            continue
        data[field.attname] = _json_value(getattr(obj, field.attname))
    extra = getattr(obj, "audit_extra", None)
    if callable(extra):
        data.update({k: _json_value(v) for k, v in extra().items()})
    return data


def _scope_code(obj: models.Model | None) -> str:
    if obj is None:
        return ""
    try:
        return str(getattr(obj, "scope_value", "") or "")
    except Exception:  # an object between states may not reach its unit; the row is still written
        return ""


def _actor_label(actor: Any) -> str:
    if actor is None:
        return "系统"
    return f"{getattr(actor, 'display_name', '')}（{actor.get_username()}）"[:80]


def _base(actor: Any, obj: models.Model | None, scope_code: str | None) -> dict[str, Any]:
    ctx = current()
    return {
        "actor": actor if actor is not None and getattr(actor, "pk", None) else None,
        "actor_label": _actor_label(actor),
        "content_type": ContentType.objects.get_for_model(obj) if obj is not None else None,
        "object_id": str(obj.pk) if obj is not None and obj.pk is not None else "",
        "object_repr": str(obj)[:200] if obj is not None else "",
        "scope_code": scope_code if scope_code is not None else _scope_code(obj),
        "request_id": ctx.request_id,
        "ip": ctx.ip,
        "source": ctx.source,
    }


def record_change(
    *,
    actor: Any,
    obj: models.Model,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None = None,
    message: str = "",
    scope_code: str | None = None,
) -> AuditRecord | None:
    """Record a create/update/delete. For an update that changed nothing, nothing is written."""
    if action != ChangeAction.DELETE and after is None:
        after = snapshot(obj)
    changed: list[str]
    if action == ChangeAction.UPDATE:
        assert before is not None and after is not None
        changed = sorted(k for k in after if before.get(k) != after.get(k))
        if not changed:
            return None
        before = {k: before.get(k) for k in changed}
        after = {k: after.get(k) for k in changed}
    else:
        changed = sorted((after or before or {}).keys())
    record = AuditRecord(
        action=action,
        before=before,
        after=after,
        changed_fields=changed,
        message=message[:200],
        **_base(actor, obj, scope_code),
    )
    record.save()
    return record


def audit_create(*, actor: Any, obj: models.Model, message: str = "") -> AuditRecord | None:
    return record_change(actor=actor, obj=obj, action=ChangeAction.CREATE, before=None, message=message)


def audit_update(
    *, actor: Any, obj: models.Model, before: dict[str, Any], message: str = ""
) -> AuditRecord | None:
    return record_change(actor=actor, obj=obj, action=ChangeAction.UPDATE, before=before, message=message)


def record_event(
    *,
    actor: Any,
    event_type: str,
    obj: models.Model | None = None,
    data: dict[str, Any] | None = None,
    scope_code: str | None = None,
) -> Event:
    if not events.is_registered(event_type):
        raise ValueError(f"unregistered event type {event_type!r}")
    event = Event(
        event_type=event_type,
        data={k: _json_value(v) for k, v in (data or {}).items()},
        **_base(actor, obj, scope_code),
    )
    event.save()
    return event
