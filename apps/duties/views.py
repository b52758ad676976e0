"""Pages of the 责任清单 module: the staff index of lists binding the user's area, the import page
with per-row errors, a list with its domains, search and versions, withdrawal, the .xlsx
templates, the routing preview a dispatcher uses, and the public read-only pages (no login) that
publish a county's or township's current lists.

Reads go through selectors (the access chokepoint), writes only through services. A service's
refusal on the import page is shown in the form with every row error; anything else escapes to
ApplicationErrorMiddleware (the Chinese error page, or a fragment for htmx).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.accounts import access
from apps.accounts.models import User
from apps.accounts.permissions import Perm
from apps.core.errors import ApplicationError, PermissionDenied, ValidationFailed
from apps.territory.choices import Level
from apps.territory.models import Organisation
from apps.territory.paths import subtree_q

from . import forms, importer, selectors, services
from .choices import BodyLevel, ListKind
from .models import ResponsibilityList

PAGE_SIZE = 30


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _page(request: HttpRequest, items: Any) -> Page:
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


def _htmx_target(request: HttpRequest) -> str:
    htmx = getattr(request, "htmx", None)
    return (htmx.target or "") if htmx else ""


def _grouped(lists: Any) -> list[dict[str, Any]]:
    """Lists grouped by publishing unit, county first."""
    groups: dict[int, dict[str, Any]] = {}
    for lst in lists:
        group = groups.setdefault(lst.unit_id, {"unit": lst.unit, "lists": []})
        group["lists"].append(lst)
    for group in groups.values():
        group["lists"].sort(key=lambda x: selectors.KIND_ORDER[ListKind(x.kind)])
    return sorted(groups.values(), key=lambda g: g["unit"].code)


def _item_context(request: HttpRequest, lst: ResponsibilityList) -> dict[str, Any]:
    q = request.GET.get("q", "")[:40]
    domain = request.GET.get("domain", "")[:60]
    return {
        "list": lst,
        "page": _page(request, selectors.list_items(lst, q=q, domain=domain)),
        "q": q,
        "domain": domain,
        "domains": selectors.domains_of(lst),
        "roles": selectors.township_roles(lst) if lst.kind == ListKind.TERRITORIAL else None,
        "kinds": ListKind,
        "levels": BodyLevel,
    }


# --- staff pages -------------------------------------------------------------------------------------


@login_required
@require_GET
def list_index(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    access.require(user, Perm.TERRITORY_VIEW)
    lists = list(selectors.lists_for(user))
    publishers = {lst.unit.code for lst in lists}
    county_codes = sorted({lst.unit.code[:6] for lst in lists})
    context = {
        "groups": _grouped(lists),
        "can_import": access.has_perm(user, Perm.LISTS_MANAGE),
        "can_route": selectors.can_route(user),
        "public_codes": county_codes or sorted(publishers),
        "kinds": ListKind,
        "nav_active": "lists",
    }
    return render(request, "duties/list_index.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def list_import(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    access.require(user, Perm.LISTS_MANAGE)
    units = list(selectors.publishable_units(user))
    error: ApplicationError | None = None
    if request.method == "POST":
        form = forms.ImportForm(request.POST, request.FILES, units=units)
        if form.is_valid():
            data = form.cleaned_data
            try:
                unit = selectors.publishable_unit(user, data["unit"])
                upload = data["file"]
                lst = services.responsibility_list_import(
                    actor=user,
                    kind=data["kind"],
                    unit=unit,
                    title=data["title"],
                    upload=upload,
                    filename=upload.name,
                )
            except (ValidationFailed, PermissionDenied) as exc:
                error = exc
            else:
                messages.success(request, f"已发布{lst}，共 {lst.item_count} 项。")
                return redirect("duties:list_detail", pk=lst.pk)
        else:
            error = ValidationFailed(forms.first_error(form), code="invalid")
    else:
        form = forms.ImportForm(initial={"kind": request.GET.get("kind", ListKind.TERRITORIAL)}, units=units)
    context = {
        "form": form,
        "error": error,
        "row_errors": (error.extra.get("errors") or []) if error is not None else [],
        "columns": {kind: [importer.label_of(kind, k) for k in importer.COLUMNS[kind]] for kind in ListKind},
        "kinds": ListKind,
        "nav_active": "lists",
    }
    return render(request, "duties/list_import.html", context, status=error.http_status if error else 200)


@login_required
@require_GET
def template_download(request: HttpRequest, kind: str) -> HttpResponse:
    user = _actor(request)
    access.require(user, Perm.LISTS_MANAGE)
    if kind not in ListKind.values:
        raise ValidationFailed(f"未知的清单类型“{kind}”。", code="list_kind_unknown")
    counties = {u.code[:6] for u in selectors.publishable_units(user)}
    condition = None
    for code in counties:
        q = subtree_q(code, "service_area__code")
        condition = q if condition is None else condition | q
    orgs = (
        Organisation.objects.filter(condition, is_active=True).order_by("service_area__code", "name")
        if condition
        else []
    )
    body = importer.template_workbook(kind, orgs)
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    filename = f"{ListKind(kind).label}模板.xlsx"
    from urllib.parse import quote

    response["Content-Disposition"] = (
        f"attachment; filename=\"template.xlsx\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


@login_required
@require_GET
def list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    lst = selectors.list_get(user, pk)
    context = _item_context(request, lst)
    if _htmx_target(request) == "items":
        return render(request, "duties/_items.html#items", {**context, "public": False})
    context.update(
        {
            "versions": selectors.versions_of(lst),
            "can_withdraw": lst.is_current and access.obj_allowed(user, Perm.LISTS_MANAGE, lst),
            "can_import": access.has_perm(user, Perm.LISTS_MANAGE, lst.unit.code),
            "withdraw_form": forms.WithdrawForm(),
            "public": False,
            "nav_active": "lists",
        }
    )
    return render(request, "duties/list_detail.html", context)


@login_required
@require_POST
def list_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    user = _actor(request)
    lst = selectors.list_for_manage(user, pk)
    form = forms.WithdrawForm(request.POST)
    if not form.is_valid():
        raise ValidationFailed(forms.first_error(form), code="reason_required")
    services.responsibility_list_withdraw(
        actor=user, responsibility_list=lst, reason=form.cleaned_data["reason"]
    )
    messages.success(request, f"已停用{lst}。")
    return redirect("duties:list_detail", pk=lst.pk)


@login_required
@require_GET
def route_preview(request: HttpRequest) -> HttpResponse:
    """What the lists advise for a category at a place: suggest() and admission_check()."""
    user = _actor(request)
    if not selectors.can_route(user):
        raise PermissionDenied(selectors.ROUTE_DENIED, code="forbidden")
    category_code = request.GET.get("category", "").strip()
    place_code = request.GET.get("unit", "").strip()
    result: dict[str, Any] | None = None
    if category_code and place_code:
        category = selectors.category_by_code(category_code)
        place = selectors.route_place(user, place_code)
        result = selectors.route_advice(category, place)
    places = list(selectors.route_places(user).select_related("parent"))
    townships: dict[int, dict[str, Any]] = {}
    for unit in places:
        if unit.level == Level.TOWNSHIP:
            townships.setdefault(unit.pk, {"unit": unit, "villages": []})
    for unit in places:
        if unit.level == Level.VILLAGE:
            parent = unit.parent
            group = townships.setdefault(unit.parent_id or 0, {"unit": parent, "villages": []})
            group["villages"].append(unit)
    context = {
        "categories": selectors.categories(),
        "townships": sorted(townships.values(), key=lambda g: g["unit"].code if g["unit"] else ""),
        "category_code": category_code,
        "place_code": place_code,
        "result": result,
        "nav_active": "lists",
    }
    if _htmx_target(request) == "route-result":
        return render(request, "duties/route_preview.html#route-result", context)
    return render(request, "duties/route_preview.html", context)


# --- public pages (no login) ---------------------------------------------------------------------------


@require_GET
def public_index(request: HttpRequest, unit_code: str) -> HttpResponse:
    unit = selectors.public_unit(unit_code)
    county = unit if unit.level == Level.COUNTY else unit.parent
    context = {
        "unit": unit,
        "county": county,
        "lists": selectors.published_lists(unit),
        "townships": selectors.townships_publishing(unit) if unit.level == Level.COUNTY else [],
        "kinds": ListKind,
    }
    return render(request, "duties/public_index.html", context)


@require_GET
def public_detail(request: HttpRequest, unit_code: str, pk: int) -> HttpResponse:
    unit = selectors.public_unit(unit_code)
    lst = selectors.published_list(unit, pk)
    context = {**_item_context(request, lst), "unit": unit, "public": True}
    if _htmx_target(request) == "items":
        return render(request, "duties/_items.html#items", context)
    return render(request, "duties/public_detail.html", context)


def public_url(lst: ResponsibilityList) -> str:
    return reverse("duties:public_detail", args=[lst.unit.code, lst.pk])
