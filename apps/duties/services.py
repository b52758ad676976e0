"""Writes of the 责任清单 module: publishing a list (from rows or an uploaded .xlsx) and
withdrawing one. Each checks Perm.LISTS_MANAGE over the publishing unit (a county or a township),
validates, writes the audit record and a business event, in one transaction.

A published list is never edited: an import publishes a new version and the previous current
version is kept, read-only, with `is_current` cleared. The list's own audit record stands for its
items (they are written once with it and never change), so an import of 178 rows writes two audit
rows, not 180.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from apps.accounts import access
from apps.accounts.models import User
from apps.accounts.permissions import Perm
from apps.audit.services import audit_create, audit_update, record_event, snapshot
from apps.core.errors import Conflict, ValidationFailed
from apps.territory.models import Unit

from . import events, importer
from .choices import ListKind
from .models import ListItem, ResponsibilityList
from .routing import PUBLISHER_LEVELS

MAX_TITLE = 120
MAX_REASON = 200


def _check_publisher(actor: User, kind: str, unit: Unit) -> None:
    access.require(actor, Perm.LISTS_MANAGE, unit.code)
    if kind not in ListKind.values:
        raise ValidationFailed(f"未知的清单类型“{kind}”。", code="list_kind_unknown")
    if unit.level not in PUBLISHER_LEVELS:
        raise ValidationFailed(
            f"责任清单由县（区）或乡镇（街道）发布，“{unit.name}”不能发布清单。", code="list_unit_level"
        )


@transaction.atomic
def responsibility_list_publish(
    *,
    actor: User,
    kind: str,
    unit: Unit,
    title: str,
    rows: Iterable[Mapping[str, Any]],
    source_filename: str = "",
) -> ResponsibilityList:
    """Publish a new version of the `kind` list of `unit` from rows keyed by field (see importer).
    All or nothing: any row error refuses the whole list with every error in `extra["errors"]`."""
    _check_publisher(actor, kind, unit)
    title = (title or "").strip() or f"{unit.name}{ListKind(kind).label}"
    if len(title) > MAX_TITLE:
        raise ValidationFailed(f"标题不能超过 {MAX_TITLE} 个字。", code="list_title_too_long")
    items, errors = importer.clean_rows(kind, unit, rows)
    if errors:
        raise ValidationFailed(
            f"清单有 {len(errors)} 处错误，未发布。请按提示修改后重新导入。",
            code="list_rows_invalid",
            extra={"errors": [e.as_dict() for e in errors]},
        )
    if not items:
        raise ValidationFailed("清单中没有任何事项，未发布。", code="list_empty")

    # Publishers of the same unit queue on its row, so that two imports at once become two
    # versions one after the other (the later one current) instead of a lost race; the
    # constraints stay as the backstop.
    Unit.objects.select_for_update().filter(pk=unit.pk).first()
    previous = ResponsibilityList.objects.filter(kind=kind, unit=unit, is_current=True).first()
    last = ResponsibilityList.objects.filter(kind=kind, unit=unit).aggregate(v=Max("version"))["v"] or 0
    now = timezone.now()
    try:
        with transaction.atomic():
            if previous is not None:
                before = snapshot(previous)
                previous.is_current = False
                previous.save(update_fields=["is_current"])
                audit_update(actor=actor, obj=previous, before=before, message=f"被第{last + 1}版取代")
            lst = ResponsibilityList.objects.create(
                kind=kind,
                unit=unit,
                title=title,
                version=last + 1,
                is_current=True,
                published_at=now,
                published_by=actor,
                source_filename=(source_filename or "")[:200],
                item_count=len(items),
            )
    except IntegrityError as exc:
        raise Conflict("另一人正在发布同一清单，请刷新后查看最新版本。", code="list_publish_race") from exc
    _write_items(lst, items)
    audit_create(actor=actor, obj=lst, message=f"发布第{lst.version}版，共{len(items)}项")
    record_event(
        actor=actor,
        event_type=events.LIST_PUBLISHED,
        obj=lst,
        data={
            "kind": kind,
            "version": lst.version,
            "items": len(items),
            "replaced": previous.pk if previous is not None else None,
            "source_filename": lst.source_filename,
        },
    )
    return lst


def _write_items(lst: ResponsibilityList, items: list[importer.ItemData]) -> None:
    rows = ListItem.objects.bulk_create(
        [
            ListItem(
                responsibility_list=lst,
                number=i.number,
                domain=i.domain,
                matter=i.matter,
                primary_org=i.primary_org,
                primary_level=i.primary_level,
                primary_label=i.primary_label,
                supporting_levels=sorted(i.supporting_levels),
                supporting_label=i.supporting_label,
                post=i.post,
                person=i.person,
                basis=i.basis,
            )
            for i in items
        ]
    )
    if any(row.pk is None for row in rows):  # backends without RETURNING ids; not SQLite ≥3.35 or PG
        by_number = dict(ListItem.objects.filter(responsibility_list=lst).values_list("number", "pk"))
        for row in rows:
            row.pk = by_number[row.number]
    category_links = ListItem.categories.through
    org_links = ListItem.supporting_orgs.through
    category_links.objects.bulk_create(
        [
            category_links(listitem_id=row.pk, category_id=c.pk)
            for row, i in zip(rows, items, strict=True)
            for c in i.categories
        ]
    )
    org_links.objects.bulk_create(
        [
            org_links(listitem_id=row.pk, organisation_id=o.pk)
            for row, i in zip(rows, items, strict=True)
            for o in i.supporting_orgs
        ]
    )


@transaction.atomic
def responsibility_list_import(
    *, actor: User, kind: str, unit: Unit, title: str, upload: IO[bytes], filename: str
) -> ResponsibilityList:
    """Publish a list from an uploaded .xlsx (the template's columns, see importer.COLUMNS)."""
    _check_publisher(actor, kind, unit)
    if not (filename or "").lower().endswith(".xlsx"):
        raise ValidationFailed("请上传 .xlsx 文件（可先下载模板）。", code="file_not_xlsx")
    rows = importer.read_xlsx(upload, kind)
    return responsibility_list_publish(
        actor=actor, kind=kind, unit=unit, title=title, rows=rows, source_filename=filename
    )


@transaction.atomic
def responsibility_list_withdraw(
    *, actor: User, responsibility_list: ResponsibilityList, reason: str
) -> ResponsibilityList:
    """Stop a current list without a replacement (routing falls back to the county's list, or to
    none). The list stays readable as a past version."""
    lst = ResponsibilityList.objects.select_for_update().select_related("unit").get(pk=responsibility_list.pk)
    access.require_obj(actor, Perm.LISTS_MANAGE, lst)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请填写停用原因。", code="reason_required")
    if len(reason) > MAX_REASON:
        raise ValidationFailed(f"停用原因不能超过 {MAX_REASON} 个字。", code="reason_too_long")
    if not lst.is_current:
        raise Conflict("该清单已不是现行版本。", code="list_not_current")
    before = snapshot(lst)
    lst.is_current = False
    lst.withdrawn_at = timezone.now()
    lst.save(update_fields=["is_current", "withdrawn_at"])
    audit_update(actor=actor, obj=lst, before=before, message=reason)
    record_event(
        actor=actor,
        event_type=events.LIST_WITHDRAWN,
        obj=lst,
        data={"version": lst.version, "reason": reason},
    )
    return lst
