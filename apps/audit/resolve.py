"""Which objects have a history page, how to find one within the user's view, and how to link an
audit row to it. The single registry: a module whose objects should have a history page adds its
scoped model to HISTORY_MODELS.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models
from django.urls import reverse

from apps.accounts import access
from apps.accounts.permissions import Perm
from apps.core.errors import NotFound


@dataclass(frozen=True)
class HistoryModel:
    lookup: str  # the field whose value appears in the history URL (stable and readable: a code)
    page: str = ""  # URL name of the object's own page, taking that value; "" when it has none
    # Seeing the object at all (access.get_for, which also applies the model's restricted rows).
    view_perm: Perm = Perm.TERRITORY_VIEW
    # Reading its history: any one of these over the object's unit. Record keepers (who edit
    # resident records without HISTORY_VIEW) read the trail of the records they keep.
    history_perms: tuple[Perm, ...] = (Perm.HISTORY_VIEW,)


_RECORD_KEEPERS = (Perm.HISTORY_VIEW, Perm.PEOPLE_EDIT)

# app_label.model → how its history page is addressed. Only scoped models are listed.
HISTORY_MODELS: dict[str, HistoryModel] = {
    "territory.unit": HistoryModel("code", "territory:unit_detail"),
    "territory.grid": HistoryModel("code", "territory:grid_detail"),
    "territory.organisation": HistoryModel("code"),
    "people.household": HistoryModel("pk", "people:household_detail", Perm.PEOPLE_VIEW, _RECORD_KEEPERS),
    "people.resident": HistoryModel("pk", "people:resident_detail", Perm.PEOPLE_VIEW, _RECORD_KEEPERS),
}


def history_object(user: Any, app_label: str, model: str, object_id: str) -> models.Model:
    key = f"{app_label}.{model}"
    entry = HISTORY_MODELS.get(key)
    if entry is None:
        raise NotFound("该类对象没有变更记录页面。", code="not_found")
    model_cls = apps.get_model(app_label, model)
    if entry.lookup == "pk" and not object_id.isdigit():
        raise NotFound(f"{model_cls._meta.verbose_name}不存在。", code="not_found")
    return access.get_for(user, entry.view_perm, model_cls.objects.all(), **{entry.lookup: object_id})


def _key(obj: models.Model) -> str:
    return f"{obj._meta.app_label}.{obj._meta.model_name}"


def _history_perms(obj: models.Model) -> tuple[Perm, ...]:
    entry = HISTORY_MODELS.get(_key(obj))
    return entry.history_perms if entry is not None else (Perm.HISTORY_VIEW,)


def can_view_history(user: Any, obj: Any) -> bool:
    """Whether `user` may read the history of `obj` (which they can already see)."""
    return any(access.has_perm(user, perm, obj.scope_value) for perm in _history_perms(obj))


def require_history(user: Any, obj: Any) -> None:
    """PermissionDenied (with the first permission's reason) unless `user` may read the history."""
    if not can_view_history(user, obj):
        access.require_obj(user, _history_perms(obj)[0], obj)


def history_url(obj: models.Model) -> str:
    """The history page of `obj`, or "" when its type has none."""
    entry = HISTORY_MODELS.get(_key(obj))
    if entry is None:
        return ""
    return reverse(
        "audit:history", args=[obj._meta.app_label, obj._meta.model_name, getattr(obj, entry.lookup)]
    )


def object_page_url(obj: models.Model) -> str:
    """The object's own page (unit page, grid page…), or "" when it has none."""
    entry = HISTORY_MODELS.get(_key(obj))
    if entry is None or not entry.page:
        return ""
    return reverse(entry.page, args=[getattr(obj, entry.lookup)])


def history_links(rows: Iterable[Any]) -> dict[tuple[int, str], str]:
    """History URLs for audit rows (AuditRecord or Event with content_type loaded), keyed by
    (content_type_id, object_id): one query per object type on the page. Whether the reader may
    open a page is decided there; a link to an object since removed is simply left out."""
    wanted: dict[int, set[str]] = defaultdict(set)
    types: dict[int, Any] = {}
    for row in rows:
        if row.content_type_id and row.object_id:
            ct = row.content_type
            if f"{ct.app_label}.{ct.model}" in HISTORY_MODELS:
                wanted[row.content_type_id].add(row.object_id)
                types[row.content_type_id] = ct
    links: dict[tuple[int, str], str] = {}
    for ct_id, ids in wanted.items():
        ct = types[ct_id]
        entry = HISTORY_MODELS[f"{ct.app_label}.{ct.model}"]
        model_cls = ct.model_class()
        if model_cls is None:
            continue
        pks = [i for i in ids if i.isdigit()]
        for pk, value in model_cls.objects.filter(pk__in=pks).values_list("pk", entry.lookup):
            links[(ct_id, str(pk))] = reverse("audit:history", args=[ct.app_label, ct.model, value])
    return links
