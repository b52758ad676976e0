"""Audit log search and an object's history page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.accounts import access
from apps.accounts.permissions import Perm

from . import selectors


@login_required
def search(request: HttpRequest) -> HttpResponse:
    access.require(request.user, Perm.AUDIT_VIEW)
    records = selectors.audit_search(user=request.user)[:100]
    return render(request, "audit/search.html", {"records": records, "nav_active": "audit"})


@login_required
def history(request: HttpRequest, app_label: str, model: str, object_id: str) -> HttpResponse:
    from .resolve import history_object

    obj = history_object(request.user, app_label, model, object_id)
    entries = selectors.object_history(user=request.user, obj=obj)
    return render(request, "audit/history.html", {"obj": obj, "entries": entries})
