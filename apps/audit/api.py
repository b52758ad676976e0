"""Audit API: search the change log and the business events within the caller's scope, and read
one object's history.

The log and the events need `audit.view` (403 without it) and are narrowed to the caller's
subtree by the chokepoint; an object's history needs `history.view` over that object. Rows are
append-only, so the API only reads.
"""

import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from apps.accounts import access
from apps.accounts.models import User
from apps.accounts.permissions import Perm
from apps.core.errors import ValidationFailed
from apps.core.pagination import PagePagination
from apps.core.schemas import error_responses

from . import selectors
from .models import AuditRecord, Event
from .resolve import history_object

router = Router(tags=["审计"])

OBJECT_TYPE_PATTERN = r"^[a-z_]+\.[a-z_]+$"


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _username(obj: AuditRecord | Event) -> str | None:
    return obj.actor.username if obj.actor_id and obj.actor else None


def _object_type(obj: AuditRecord | Event) -> str | None:
    ct = obj.content_type
    return f"{ct.app_label}.{ct.model}" if ct is not None else None


class _Entry(Schema):
    id: int
    at: datetime.datetime
    actor: str | None = Field(description="操作人用户名；系统操作为空")
    actor_label: str
    object_type: str | None = Field(description="对象类型，如 territory.grid")
    object_id: str
    object_repr: str
    scope_code: str = Field(description="写入时对象所属单位的区划代码")
    request_id: str
    source: str = Field(description="来源：web、api、command、task")

    @staticmethod
    def resolve_actor(obj: Any) -> str | None:
        return _username(obj)

    @staticmethod
    def resolve_object_type(obj: Any) -> str | None:
        return _object_type(obj)


class AuditRecordOut(_Entry):
    action: str
    action_label: str
    changed_fields: list[str]
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    message: str
    ip: str

    @staticmethod
    def resolve_action_label(obj: AuditRecord) -> str:
        return str(obj.get_action_display())


class EventOut(_Entry):
    event_type: str
    label: str
    data: dict[str, Any]


class HistoryEntryOut(Schema):
    at: datetime.datetime
    kind: str = Field(description="change（字段变更）或 event（业务事件）")
    actor: str | None
    actor_label: str
    title: str = Field(description="动作或事件名称")
    action: str | None = None
    event_type: str | None = None
    changed_fields: list[str] = []
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    message: str = ""
    request_id: str


class HistoryOut(Schema):
    object_type: str
    object_id: str
    object_repr: str
    entries: list[HistoryEntryOut]


class _PeriodFilter(Schema):
    actor: str | None = Field(None, description="操作人用户名")
    date_from: datetime.date | None = Field(None, description="起始日期（含，北京时间）")
    date_to: datetime.date | None = Field(None, description="截止日期（含，北京时间）")


class RecordFilterIn(_PeriodFilter):
    object_type: str | None = Field(
        None, pattern=OBJECT_TYPE_PATTERN, description="对象类型，如 territory.grid"
    )
    object_id: str | None = Field(None, max_length=64, description="对象 id（与 object_type 一起用）")
    request_id: str | None = Field(None, max_length=64, description="请求编号（响应头 X-Request-ID）")


class EventFilterIn(_PeriodFilter):
    event_type: str | None = Field(None, max_length=64, description="事件类型，如 territory.grid_created")


def _check_dates(date_from: datetime.date | None, date_to: datetime.date | None) -> None:
    if date_from and date_to and date_from > date_to:
        raise ValidationFailed("起始日期不能晚于截止日期。", code="date_range_invalid")


def _actor_id(username: str | None) -> int | None:
    """The id behind an `actor=` filter; 0 (matching nobody) for an unknown username."""
    if not username:
        return None
    return User.objects.filter(username=username).values_list("pk", flat=True).first() or 0


@router.get(
    "/records",
    response={200: list[AuditRecordOut], **error_responses(400, 403)},
    summary="变更记录查询（审计）",
)
@paginate(PagePagination)
def record_list(request: HttpRequest, filters: Query[RecordFilterIn]) -> QuerySet[AuditRecord]:
    user = _actor(request)
    access.require(user, Perm.AUDIT_VIEW)
    _check_dates(filters.date_from, filters.date_to)
    actor_id = _actor_id(filters.actor)
    qs = selectors.audit_search(
        user=user,
        actor_id=actor_id,
        content_type=filters.object_type,
        object_id=filters.object_id,
        date_from=filters.date_from,
        date_to=filters.date_to,
        request_id=filters.request_id,
    )
    return qs.none() if actor_id == 0 else qs


@router.get(
    "/events", response={200: list[EventOut], **error_responses(400, 403)}, summary="业务事件查询（审计）"
)
@paginate(PagePagination)
def event_list(request: HttpRequest, filters: Query[EventFilterIn]) -> QuerySet[Event]:
    user = _actor(request)
    access.require(user, Perm.AUDIT_VIEW)
    _check_dates(filters.date_from, filters.date_to)
    actor_id = _actor_id(filters.actor)
    qs = selectors.event_search(
        user=user,
        event_type=filters.event_type,
        actor_id=actor_id,
        date_from=filters.date_from,
        date_to=filters.date_to,
    )
    return qs.none() if actor_id == 0 else qs


@router.get(
    "/history/{app_label}/{model}/{object_id}",
    response={200: HistoryOut, **error_responses(403, 404)},
    summary="对象的变更与事件历史（最新在前）",
)
def object_history(request: HttpRequest, app_label: str, model: str, object_id: str) -> dict[str, Any]:
    user = _actor(request)
    obj = history_object(user, app_label, model, object_id)
    entries = []
    for entry in selectors.object_history(user=user, obj=obj):
        item: Any = entry.item
        row: dict[str, Any] = {
            "at": entry.at,
            "kind": entry.kind,
            "actor": _username(item),
            "actor_label": item.actor_label,
            "request_id": item.request_id,
        }
        if entry.kind == "change":
            row.update(
                title=item.get_action_display(),
                action=item.action,
                changed_fields=item.changed_fields,
                before=item.before,
                after=item.after,
                message=item.message,
            )
        else:
            row.update(title=item.label, event_type=item.event_type, data=item.data)
        entries.append(row)
    return {
        "object_type": f"{app_label}.{model}",
        "object_id": object_id,
        "object_repr": str(obj),
        "entries": entries,
    }
