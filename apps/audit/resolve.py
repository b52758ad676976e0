"""Which objects have a history page, and how to find one within the user's view."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import models

from apps.accounts import access
from apps.accounts.permissions import Perm
from apps.core.errors import NotFound

# app_label.model → lookup field in the URL. Only scoped models are listed.
HISTORY_MODELS: dict[str, str] = {
    "territory.unit": "code",
    "territory.grid": "code",
    "territory.organisation": "code",
}


def history_object(user: Any, app_label: str, model: str, object_id: str) -> models.Model:
    key = f"{app_label}.{model}"
    field = HISTORY_MODELS.get(key)
    if field is None:
        raise NotFound("该类对象没有变更记录页面。", code="not_found")
    model_cls = apps.get_model(app_label, model)
    return access.get_for(user, Perm.TERRITORY_VIEW, model_cls.objects.all(), **{field: object_id})
