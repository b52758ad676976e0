"""Audit pages: the log search (changes and business events, scoped like everything else) and
one object's history (its changes and events interleaved, newest first)."""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.accounts import access
from apps.accounts.permissions import Perm

from . import events, selectors
from .resolve import HISTORY_MODELS, history_links, history_object, history_url, object_page_url

PAGE_SIZE = 50
# Apps whose object types are offered in the "对象类型" suggestions.
PLATFORM_APPS = ("accounts", "territory", "core", "audit")
OBJECT_TYPE_RE = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")
# A value longer than this (a whole boundary polygon) is cut in the history table.
VALUE_PREVIEW_CHARS = 300
# Chinese labels for the keys business events commonly carry in `data`.
DATA_LABELS = {
    "user": "人员",
    "user_id": "用户编号",
    "code": "编码",
    "name": "名称",
    "unit": "单位",
    "level": "层级",
    "bounds": "范围（经纬度）",
    "from": "原值",
    "to": "新值",
    "role": "角色",
    "count": "数量",
}
TABS = {"changes": "变更记录", "events": "业务事件"}


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label="操作人用户名", required=False, max_length=64)
    object_type = forms.CharField(label="对象类型", required=False, max_length=100)
    object_id = forms.CharField(label="对象编号", required=False, max_length=64)
    date_from = forms.DateField(label="起始日期", required=False)
    date_to = forms.DateField(label="截止日期", required=False)
    request_id = forms.CharField(label="请求 ID", required=False, max_length=64)
    event_type = forms.ChoiceField(label="事件类型", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        event_type: Any = self.fields["event_type"]
        event_type.choices = [("", "全部事件"), *events.all_types().items()]

    def clean_object_type(self) -> str:
        value = self.cleaned_data["object_type"].strip().lower()
        if value and not OBJECT_TYPE_RE.match(value):
            raise forms.ValidationError("对象类型的格式为“应用.模型”，例如 territory.grid。")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError("起始日期不能晚于截止日期。")
        return data


def _first_error(form: forms.Form) -> str:
    for name, errors in form.errors.items():
        if name == "__all__":
            return str(errors[0])
        return f"{form.fields[name].label}：{errors[0]}"
    return ""


def _object_types() -> list[dict[str, str]]:
    types = ContentType.objects.filter(app_label__in=PLATFORM_APPS).order_by("app_label", "model")
    result = []
    for ct in types:
        model_cls = ct.model_class()
        label = str(model_cls._meta.verbose_name) if model_cls is not None else ct.model
        result.append({"value": f"{ct.app_label}.{ct.model}", "label": label})
    return result


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.require(user, Perm.AUDIT_VIEW)
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else "changes"
    form = AuditFilterForm(request.GET)
    error = ""
    rows: Any = []
    if form.is_valid():
        data = form.cleaned_data
        actor_id = None
        if data["actor"].strip():
            actor = get_user_model().objects.filter(username=data["actor"].strip()).first()
            if actor is None:
                error = f"找不到用户名为“{data['actor'].strip()}”的用户。"
            actor_id = getattr(actor, "pk", None)
        if not error:
            if tab == "events":
                rows = selectors.event_search(
                    user=user,
                    event_type=data["event_type"] or None,
                    actor_id=actor_id,
                    date_from=data["date_from"],
                    date_to=data["date_to"],
                )
                # The event selector filters what events share with changes; the rest narrows
                # the already scoped queryset here.
                if data["object_type"]:
                    app_label, _, model = data["object_type"].partition(".")
                    rows = rows.filter(content_type__app_label=app_label, content_type__model=model)
                if data["object_id"].strip():
                    rows = rows.filter(object_id=data["object_id"].strip())
                if data["request_id"].strip():
                    rows = rows.filter(request_id=data["request_id"].strip())
            else:
                rows = selectors.audit_search(
                    user=user,
                    actor_id=actor_id,
                    content_type=data["object_type"] or None,
                    object_id=data["object_id"].strip() or None,
                    date_from=data["date_from"],
                    date_to=data["date_to"],
                    request_id=data["request_id"].strip() or None,
                )
    else:
        error = _first_error(form)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    links = history_links(page.object_list)
    for row in page.object_list:
        row.history_url = links.get((row.content_type_id, row.object_id), "")
        if tab == "events":
            row.data_display = _event_data(row.data)
    context = {
        "form": form,
        "tab": tab,
        "tabs": TABS,
        "page": page,
        "error": error,
        "object_types": _object_types(),
        "nav_active": "audit",
    }
    if request.htmx and request.htmx.target == "audit-results":  # type: ignore[attr-defined]
        return render(request, "audit/search.html#audit-results", context)
    return render(request, "audit/search.html", context)


# --- history --------------------------------------------------------------------------------------


def _display(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if value is True:
        return "是"
    if value is False:
        return "否"
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
    return text if len(text) <= VALUE_PREVIEW_CHARS else text[:VALUE_PREVIEW_CHARS] + "…"


class _Fields:
    """Labels and readable values for one model's snapshot fields: in the model's field order,
    foreign keys by the related object's name, choices by their label."""

    def __init__(self, model_cls: type[models.Model]) -> None:
        self.model_cls = model_cls
        self.fields: dict[str, Any] = {f.attname: f for f in model_cls._meta.concrete_fields}
        self.position = {name: i for i, name in enumerate(self.fields)}
        self._names: dict[tuple[Any, Any], str] = {}

    def ordered(self, names: Any) -> list[str]:
        return sorted((n for n in names if n != "id"), key=lambda n: (self.position.get(n, 999), n))

    def label(self, attname: str) -> str:
        field = self.fields.get(attname)
        if field is not None:
            return str(field.verbose_name)
        # Values a model adds to its snapshot (audit_extra) name their labels in audit_labels.
        return str(getattr(self.model_cls, "audit_labels", {}).get(attname, attname))

    def value(self, attname: str, raw: Any) -> str:
        # A model may render its own structured values (typed facts, tag lists) for people.
        custom = getattr(self.model_cls, "audit_display", None)
        if custom is not None and raw not in (None, ""):
            shown = custom(attname, raw)
            if shown is not None:
                return str(shown)
        field = self.fields.get(attname)
        if field is None or raw is None or raw == "":
            return _display(raw)
        if field.is_relation and field.related_model is not None:
            key = (field.related_model, raw)
            if key not in self._names:
                related = field.related_model._default_manager.filter(pk=raw).first()
                self._names[key] = str(related) if related is not None else f"#{raw}"
            return self._names[key]
        if field.choices:
            return str(dict(field.flatchoices).get(raw, raw))
        return _display(raw)


def _change_rows(fields: _Fields, record: Any) -> list[dict[str, str]]:
    before = record.before or {}
    after = record.after or {}
    return [
        {
            "label": fields.label(name),
            "before": fields.value(name, before.get(name)) if record.before is not None else "",
            "after": fields.value(name, after.get(name)) if record.after is not None else "",
        }
        for name in fields.ordered(record.changed_fields or {*before, *after})
    ]


def _event_data(data: dict[str, Any] | None) -> list[dict[str, str]]:
    return [{"label": DATA_LABELS.get(k, k), "value": _display(v)} for k, v in (data or {}).items()]


@login_required
@require_GET
def history(request: HttpRequest, app_label: str, model: str, object_id: str) -> HttpResponse:
    obj = history_object(request.user, app_label, model, object_id)
    entries = selectors.object_history(user=request.user, obj=obj)
    model_cls = type(obj)
    fields = _Fields(model_cls)
    items = []
    for entry in entries:
        item: dict[str, Any] = {"at": entry.at, "kind": entry.kind, "row": entry.item}
        if entry.kind == "change":
            item["changes"] = _change_rows(fields, entry.item)
        else:
            item["data"] = _event_data(getattr(entry.item, "data", None))
        items.append(item)
    ct_key = f"{app_label}.{model}"
    context = {
        "obj": obj,
        "type_label": model_cls._meta.verbose_name,
        "entries": items,
        "object_url": object_page_url(obj),
        "self_url": history_url(obj),
        "lookup_value": getattr(obj, HISTORY_MODELS[ct_key].lookup),
        "search_url_query": f"object_type={ct_key}&object_id={obj.pk}",
        "can_search": access.has_perm(request.user, Perm.AUDIT_VIEW),
        "nav_active": "audit" if access.has_perm(request.user, Perm.AUDIT_VIEW) else "",
    }
    return render(request, "audit/history.html", context)
