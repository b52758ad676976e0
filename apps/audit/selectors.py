"""Reading the audit trail, always through the access chokepoint."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet

from apps.accounts import access
from apps.accounts.permissions import Perm

from .models import AuditRecord, Event


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime.datetime
    kind: str  # "change" | "event"
    item: AuditRecord | Event


def object_history(*, user: Any, obj: models.Model, limit: int = 200) -> list[HistoryEntry]:
    """Changes and events of one object, newest first. The caller has checked the object itself;
    which permission reads its history is the object type's (resolve.HISTORY_MODELS)."""
    from .resolve import require_history

    require_history(user, obj)
    ct = ContentType.objects.get_for_model(obj)
    changes = AuditRecord.objects.filter(content_type=ct, object_id=str(obj.pk)).select_related("actor")[
        :limit
    ]
    evts = Event.objects.filter(content_type=ct, object_id=str(obj.pk)).select_related("actor")[:limit]
    entries = [HistoryEntry(r.at, "change", r) for r in changes] + [
        HistoryEntry(e.at, "event", e) for e in evts
    ]
    return sorted(entries, key=lambda e: (e.at, e.item.pk), reverse=True)[:limit]


def audit_search(
    *,
    user: Any,
    actor_id: int | None = None,
    content_type: str | None = None,
    object_id: str | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    request_id: str | None = None,
) -> QuerySet[AuditRecord]:
    qs = access.restrict(AuditRecord.objects.select_related("actor", "content_type"), user, Perm.AUDIT_VIEW)
    return _filter(qs, actor_id, content_type, object_id, date_from, date_to, request_id)


def event_search(
    *,
    user: Any,
    event_type: str | None = None,
    actor_id: int | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[Event]:
    qs = access.restrict(Event.objects.select_related("actor", "content_type"), user, Perm.AUDIT_VIEW)
    if event_type:
        qs = qs.filter(event_type=event_type)
    return _filter(qs, actor_id, None, None, date_from, date_to, None)


def _filter(
    qs: Any, actor_id: Any, content_type: Any, object_id: Any, date_from: Any, date_to: Any, request_id: Any
) -> Any:
    if actor_id:
        qs = qs.filter(actor_id=actor_id)
    if content_type:
        app_label, _, model = content_type.partition(".")
        qs = qs.filter(content_type__app_label=app_label, content_type__model=model)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if date_from:
        qs = qs.filter(at__date__gte=date_from)
    if date_to:
        qs = qs.filter(at__date__lte=date_to)
    if request_id:
        qs = qs.filter(request_id=request_id)
    return qs
