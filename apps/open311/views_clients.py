"""The page where county admins issue and stop Open311 API keys (/open311/clients/).

A new key is rendered into the response that created it and nowhere else (not stored, not put in
a message cookie). With htmx the clients panel alone is swapped; without, the whole page renders.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from apps.accounts import access
from apps.accounts.models import User
from apps.accounts.permissions import Perm
from apps.core.errors import ApplicationError, ValidationFailed

from . import selectors, services


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _render(request: HttpRequest, status: int = 200, **extra: Any) -> HttpResponse:
    user = _actor(request)
    counties = selectors.jurisdictions_for(user)
    context = {
        "clients": list(selectors.clients_visible(user)[:200]),
        "counties": counties,
        "selected_county": extra.pop("selected_county", counties[0].code if counties else ""),
        "name": extra.pop("name", ""),
        "discovery_url": request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": "json"})),
        "rate_limit": services.rate_per_minute(),
        "nav_active": "open311",
        **extra,
    }
    template = "open311/client_list.html#clients" if request.htmx else "open311/client_list.html"  # type: ignore[attr-defined]
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@login_required
@require_GET
def client_list(request: HttpRequest) -> HttpResponse:
    access.require(_actor(request), Perm.CASE_CONFIGURE)
    return _render(request)


@login_required
@require_POST
def client_create(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    access.require(user, Perm.CASE_CONFIGURE)
    name = (request.POST.get("name") or "").strip()
    code = (request.POST.get("jurisdiction") or "").strip()
    county = next((c for c in selectors.jurisdictions_for(user) if c.code == code), None)
    try:
        if county is None:
            raise ValidationFailed("请选择管辖的县（区）。", code="jurisdiction_required")
        client, plaintext = services.open311_client_create(actor=user, name=name, jurisdiction=county)
    except ApplicationError as exc:
        # htmx swaps only 2xx answers: the refusal is in the fragment, the status for plain forms.
        status = 200 if request.htmx else exc.http_status  # type: ignore[attr-defined]
        return _render(request, status=status, error=exc.message, name=name, selected_county=code)
    return _render(request, new_client=client, plaintext=plaintext)


@login_required
@require_POST
def client_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    client = selectors.client_get(user, pk)
    try:
        services.open311_client_deactivate(actor=user, client=client)
    except ApplicationError as exc:
        return _render(request, error=exc.message)
    return _render(request, notice=f"客户端“{client.name}”已停用，其 api_key 不再可用。")
