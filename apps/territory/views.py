"""Territory pages: the unit tree, unit and grid pages with their maps, grid forms, point lookup.

Views parse input with forms.py, read through selectors (which pass the access chokepoint) and
write only through services. A refusal from a service is shown inline in the form it came from;
any other ApplicationError escapes to ApplicationErrorMiddleware (the Chinese error page, or an
error fragment for htmx). A form posted by htmx gets its own fragment back; without JavaScript the
same URLs answer with full pages and redirects.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from apps.accounts import access
from apps.accounts.models import User
from apps.accounts.permissions import Perm
from apps.core.errors import ApplicationError, NotFound, ValidationFailed

from . import forms, selectors, services
from .choices import Level
from .models import Grid, Unit
from .paths import subtree_q

PAGE_SIZE = 30
# Children shown in one tree node or table; a township has a few dozen villages, a village a few
# dozen groups, so more than this means the list belongs on a paginated page instead.
CHILD_LIMIT = 300
# Polygons sent to one map. Real boundaries carry hundreds of vertices each; beyond this the page
# gets heavy on a phone, and the grid list is the place to go through them all.
MAP_GRID_LIMIT = 300
# Units offered in the "所属单位" select of the grid form (a county has ~400 townships + villages).
UNIT_CHOICE_LIMIT = 600
GRID_UNIT_LEVELS = (Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE)


# --- helpers --------------------------------------------------------------------------------------


def _actor(request: HttpRequest) -> User:
    """The signed-in user (every view here is login_required), typed for the services."""
    user = request.user
    assert isinstance(user, User)
    return user


def _page(request: HttpRequest, items: Any, per_page: int = PAGE_SIZE) -> Page:
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def _htmx_target(request: HttpRequest) -> str:
    htmx = getattr(request, "htmx", None)
    return (htmx.target or "") if htmx else ""


def _done(request: HttpRequest, url: str, message: str) -> HttpResponse:
    """After a successful POST: the message for the next page, then a redirect (client-side for htmx)."""
    messages.success(request, message)
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _status(error: ApplicationError | None) -> int:
    return error.http_status if error is not None else 200


def _form_error(form: Any) -> ValidationFailed:
    return ValidationFailed(forms.first_error(form) or "输入有误，请检查后重试。", code="invalid")


def _feature(grid: Grid, role: str) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": grid.boundary,
        "properties": {
            "code": grid.code,
            "name": grid.name,
            "level": grid.level,
            "role": role,
            "url": reverse("territory:grid_detail", args=[grid.code]),
        },
    }


def _collection(features: list[dict[str, Any]]) -> dict[str, Any] | None:
    return {"type": "FeatureCollection", "features": features} if features else None


def _map_config() -> dict[str, str]:
    return {"tile_url": settings.MAP_TILE_URL}


def _with_child_counts(user: Any, units: list[Unit]) -> list[Unit]:
    """Annotate root units (which come as a list) with the count of their visible children."""
    counts = dict(
        selectors.units_visible(user).filter(parent__in=units).values_list("parent").annotate(n=Count("id"))
    )
    for unit in units:
        unit.child_count = counts.get(unit.pk, 0)  # type: ignore[attr-defined]
    return units


def _unit_choices(user: Any, under: Unit | None, selected: str = "") -> list[dict[str, Any]]:
    """Units where `user` may create grids (county to village), optionally only under one unit."""
    qs = access.restrict(
        Unit.objects.filter(level__in=GRID_UNIT_LEVELS, is_active=True), user, Perm.GRID_MANAGE
    )
    if under is not None:
        qs = qs.filter(under.subtree_q())
    units = list(qs.order_by("code")[:UNIT_CHOICE_LIMIT])
    if selected and all(u.code != selected for u in units):
        # A villager group (or a unit past the limit) chosen by link: keep it selectable.
        extra = access.restrict(Unit.objects.filter(code=selected), user, Perm.GRID_MANAGE).first()
        if extra is not None:
            units.append(extra)
    depth0 = min((u.level for u in units), default=0)
    return [
        {"code": u.code, "label": "　" * (u.level - depth0) + f"{u.display_name}（{u.code}）"} for u in units
    ]


def _staff_in_scope(actor: Any, grid: Grid, username: str) -> User:
    user = selectors.gridder_candidates(actor, grid).filter(username=username.strip()).first()
    if user is None:
        raise NotFound(
            f"找不到用户名为“{username.strip()}”的工作人员，或该人员不在您的管辖范围及本网格所在乡镇内。",
            code="user_not_in_scope",
        )
    return user


def _staff_candidates(actor: Any, grid: Grid, limit: int = 200) -> QuerySet[User]:
    return selectors.gridder_candidates(actor, grid).order_by("username")[:limit]


# --- unit tree ------------------------------------------------------------------------------------


@login_required
@require_GET
def browser(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.require(user, Perm.TERRITORY_VIEW)
    q = request.GET.get("q", "").strip()
    roots = _with_child_counts(user, selectors.root_units(user))
    if len(roots) == 1 and roots[0].child_count:  # type: ignore[attr-defined]
        # One root (the usual case): open it at once instead of making the user click it.
        roots[0].preloaded = list(selectors.unit_children(user, roots[0])[:CHILD_LIMIT])  # type: ignore[attr-defined]
    context = {
        "roots": roots,
        "q": q,
        "results": _search_results(user, q) if q else None,
        "nav_active": "territory",
    }
    return render(request, "territory/browser.html", context)


@login_required
@require_GET
def unit_children(request: HttpRequest, code: str) -> HttpResponse:
    unit = selectors.unit_get(request.user, code)
    children = list(selectors.unit_children(request.user, unit)[: CHILD_LIMIT + 1])
    context = {"parent": unit, "children": children[:CHILD_LIMIT], "more": len(children) > CHILD_LIMIT}
    return render(request, "territory/browser.html#children", context)


def _search_results(user: Any, q: str) -> list[Unit]:
    units = list(selectors.unit_search(user, q))
    parents = Unit.objects.in_bulk({u.parent_id for u in units if u.parent_id})
    for unit in units:
        unit.parent_name = parents[unit.parent_id].display_name if unit.parent_id in parents else ""  # type: ignore[attr-defined]
    return units


@login_required
@require_GET
def unit_search(request: HttpRequest) -> HttpResponse:
    access.require(request.user, Perm.TERRITORY_VIEW)
    q = request.GET.get("q", "").strip()
    if not getattr(request, "htmx", False):
        return redirect(
            f"{reverse('territory:browser')}?{urlencode({'q': q})}" if q else reverse("territory:browser")
        )
    results = _search_results(request.user, q) if q else None
    return render(request, "territory/browser.html#search-results", {"q": q, "results": results})


# --- unit page ------------------------------------------------------------------------------------


def _unit_perms(user: Any, unit: Unit) -> dict[str, bool]:
    return {
        "can_add_group": unit.level == Level.VILLAGE
        and access.has_perm(user, Perm.TERRITORY_MANAGE, unit.code),
        "can_add_grid": unit.level >= Level.COUNTY and access.has_perm(user, Perm.GRID_MANAGE, unit.code),
        "can_history": access.has_perm(user, Perm.HISTORY_VIEW, unit.code),
    }


def _unit_context(request: HttpRequest, unit: Unit, **extra: Any) -> dict[str, Any]:
    user = request.user
    ancestors = selectors.unit_ancestors(unit)
    breadcrumb = [
        {"unit": a, "linked": access.has_perm(user, Perm.TERRITORY_VIEW, a.code)} for a in ancestors
    ]
    children = list(selectors.unit_children(user, unit)[:CHILD_LIMIT])
    serving = [a.code for a in ancestors] + [unit.code]
    organisations = selectors.organisations_visible(user).filter(service_area__code__in=serving)
    mapped = (
        selectors.grids_visible(user)
        .filter(subtree_q(unit.code, "unit__code"), is_active=True, boundary__isnull=False)
        .order_by("level", "code")[: MAP_GRID_LIMIT + 1]
    )
    features = [_feature(g, "self" if g.unit_id == unit.pk else "child") for g in mapped]
    context = {
        "unit": unit,
        "breadcrumb": breadcrumb,
        "counts": selectors.unit_counts(unit),
        "children": children,
        "grids": _page(request, selectors.grid_list(user, unit=unit).defer("boundary")),
        "organisations": organisations,
        "map_geojson": _collection(features[:MAP_GRID_LIMIT]),
        "map_truncated": len(features) > MAP_GRID_LIMIT,
        "map_config": _map_config(),
        "group_form": forms.GroupCreateForm(),
        "group_error": None,
        "nav_active": "territory",
        **_unit_perms(user, unit),
    }
    context.update(extra)
    return context


@login_required
@require_GET
def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    unit = selectors.unit_get(request.user, code)
    if _htmx_target(request) == "unit-grids":
        context = {
            "unit": unit,
            "grids": _page(request, selectors.grid_list(request.user, unit=unit).defer("boundary")),
        }
        return render(request, "territory/unit_detail.html#unit-grids", context)
    return render(request, "territory/unit_detail.html", _unit_context(request, unit))


@login_required
@require_POST
def unit_add_group(request: HttpRequest, code: str) -> HttpResponse:
    village = selectors.unit_get(request.user, code)
    form = forms.GroupCreateForm(request.POST)
    error: ApplicationError | None = None
    try:
        if not form.is_valid():
            raise _form_error(form)
        group = services.unit_create_group(
            actor=_actor(request),
            village=village,
            name=form.cleaned_data["name"],
            number=form.cleaned_data["number"],
        )
    except ApplicationError as exc:
        error = exc
    else:
        url = reverse("territory:unit_detail", args=[village.code])
        return _done(request, url, f"已添加村民小组“{group.name}”（编码 {group.code}）。")
    extra = {"group_form": form, "group_error": error}
    if getattr(request, "htmx", False):
        context = {"unit": village, **_unit_perms(request.user, village), **extra}
        return render(request, "territory/unit_detail.html#group-form", context, status=_status(error))
    return render(
        request, "territory/unit_detail.html", _unit_context(request, village, **extra), status=_status(error)
    )


# --- grid list ------------------------------------------------------------------------------------


@login_required
@require_GET
def grid_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.require(user, Perm.TERRITORY_VIEW)
    form = forms.GridFilterForm(request.GET)
    error = ""
    unit: Unit | None = None
    grids: Any = Grid.objects.none()
    if form.is_valid():
        data = form.cleaned_data
        try:
            unit = selectors.unit_get(user, data["unit"].strip()) if data["unit"].strip() else None
        except ApplicationError as exc:
            error = exc.message
        else:
            grids = selectors.grid_list(user, unit=unit, level=data["level"], q=data["q"].strip()).defer(
                "boundary"
            )
    else:
        error = forms.first_error(form)
    context = {
        "form": form,
        "filter_unit": unit,
        "error": error,
        "grids": _page(request, grids),
        "can_create": access.has_perm(user, Perm.GRID_MANAGE),
        "nav_active": "grids",
    }
    if _htmx_target(request) == "grid-results":
        return render(request, "territory/grid_list.html#grid-results", context)
    return render(request, "territory/grid_list.html", context)


# --- grid page ------------------------------------------------------------------------------------


def _grid_perms(user: Any, grid: Grid) -> dict[str, bool]:
    code = grid.unit.code
    return {
        "can_manage": access.has_perm(user, Perm.GRID_MANAGE, code),
        "can_assign": access.has_perm(user, Perm.GRID_ASSIGN, code),
        "can_history": access.has_perm(user, Perm.HISTORY_VIEW, code),
    }


def _gridders_context(request: HttpRequest, grid: Grid, **extra: Any) -> dict[str, Any]:
    perms = _grid_perms(request.user, grid)
    context = {
        "grid": grid,
        "gridders": selectors.grid_gridders(grid),
        "candidates": _staff_candidates(request.user, grid) if perms["can_assign"] else [],
        "gridder_form": forms.GridderForm(),
        "gridder_error": None,
        "gridder_notice": "",
        **perms,
    }
    context.update(extra)
    return context


def _child_grid_form_context(user: Any, grid: Grid, **extra: Any) -> dict[str, Any]:
    initial = {
        "unit": grid.unit.code,
        "parent": grid.code,
        "level": min(grid.level + 1, services.MAX_GRID_LEVEL),
    }
    form = extra.pop("form", None) or forms.GridCreateForm(initial=initial)
    selected = str(form.data.get("unit", "")) if form.is_bound else str(initial["unit"])
    return {
        "form": form,
        "form_error": extra.pop("form_error", None),
        "unit_choices": _unit_choices(user, grid.unit, selected),
        "selected_unit": selected,
        "fixed_parent": grid,
        **extra,
    }


def _grid_context(request: HttpRequest, grid: Grid, **extra: Any) -> dict[str, Any]:
    user = request.user
    parent = grid.parent
    parent_visible = parent is not None and access.has_perm(user, Perm.TERRITORY_VIEW, parent.unit.code)
    children = list(selectors.grid_list(user).filter(parent=grid)[:CHILD_LIMIT])
    # Drawn in this order, so a child polygon lies above the grid and answers clicks on its area.
    features = []
    if parent_visible and parent is not None and parent.boundary:
        features.append(_feature(parent, "parent"))
    if grid.boundary:
        features.append(_feature(grid, "self"))
    features += [_feature(c, "child") for c in children if c.boundary and c.is_active]
    context = {
        "grid": grid,
        "breadcrumb": [
            {"unit": a, "linked": access.has_perm(user, Perm.TERRITORY_VIEW, a.code)}
            for a in [*selectors.unit_ancestors(grid.unit), grid.unit]
        ],
        "parent_visible": parent_visible,
        "children": children,
        "map_geojson": _collection(features),
        "map_config": _map_config(),
        "boundary_form": forms.GridBoundaryForm(),
        "boundary_error": None,
        "nav_active": "grids",
        **_gridders_context(request, grid, **{k: v for k, v in extra.items() if k.startswith("gridder")}),
        **_child_grid_form_context(user, grid, **{k: v for k, v in extra.items() if k.startswith("form")}),
    }
    context.update({k: v for k, v in extra.items() if k.startswith("boundary")})
    return context


@login_required
@require_GET
def grid_detail(request: HttpRequest, code: str) -> HttpResponse:
    grid = selectors.grid_get(request.user, code)
    return render(request, "territory/grid_detail.html", _grid_context(request, grid))


@login_required
def grid_create(request: HttpRequest) -> HttpResponse:
    """The grid form: its own page (from a unit page or the grid list), or embedded on a grid page
    to add a child grid. Posting it here either way."""
    user = request.user
    access.require(user, Perm.GRID_MANAGE)
    error: ApplicationError | None = None
    parent: Grid | None = None
    if request.method == "POST":
        form = forms.GridCreateForm(request.POST)
        try:
            if not form.is_valid():
                raise _form_error(form)
            data = form.cleaned_data
            unit = selectors.unit_get(user, data["unit"].strip())
            parent = selectors.grid_get(user, data["parent"].strip()) if data["parent"].strip() else None
            grid = services.grid_create(
                actor=_actor(request),
                unit=unit,
                code=data["code"],
                name=data["name"],
                level=data["level"],
                parent=parent,
                households_hint=data["households_hint"] or 0,
            )
        except ApplicationError as exc:
            error = exc
        else:
            url = reverse("territory:grid_detail", args=[grid.code])
            return _done(request, url, f"已创建网格“{grid.name}”（{grid.code}）。")
        selected = form.data.get("unit", "")
        parent_code = form.data.get("parent", "").strip()
    else:
        selected = request.GET.get("unit", "").strip()
        parent_code = request.GET.get("parent", "").strip()
        initial: dict[str, Any] = {"unit": selected, "parent": parent_code, "level": 1}
        if parent_code:
            parent = selectors.grid_get(user, parent_code)
            initial["level"] = min(parent.level + 1, services.MAX_GRID_LEVEL)
            initial["unit"] = selected or parent.unit.code
            selected = initial["unit"]
        form = forms.GridCreateForm(initial=initial)
    if parent is None and parent_code:
        try:
            parent = selectors.grid_get(user, parent_code)
        except ApplicationError:  # the error above already says what is wrong with it
            parent = None
    under = parent.unit if parent is not None else None
    context = {
        "form": form,
        "form_error": error,
        "unit_choices": _unit_choices(user, under, selected),
        "selected_unit": selected,
        "fixed_parent": parent if request.POST.get("embedded") else None,
        "parent_grid": parent,
        "nav_active": "grids",
    }
    if getattr(request, "htmx", False) and request.method == "POST":
        return render(request, "territory/grid_form.html#grid-form", context, status=_status(error))
    return render(request, "territory/grid_form.html", context, status=_status(error))


@login_required
@require_POST
def grid_boundary(request: HttpRequest, code: str) -> HttpResponse:
    grid = selectors.grid_get(request.user, code)
    form = forms.GridBoundaryForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise _form_error(form)
        services.grid_set_boundary(actor=_actor(request), grid=grid, boundary=form.cleaned_data["boundary"])
    except ApplicationError as exc:
        extra = {"boundary_form": form, "boundary_error": exc}
        if getattr(request, "htmx", False):
            context = {"grid": grid, **_grid_perms(request.user, grid), **extra}
            return render(
                request, "territory/grid_detail.html#boundary-form", context, status=exc.http_status
            )
        return render(
            request,
            "territory/grid_detail.html",
            _grid_context(request, grid, **extra),
            status=exc.http_status,
        )
    url = reverse("territory:grid_detail", args=[grid.code])
    return _done(request, url, f"网格“{grid.name}”的边界已更新。")


def _gridder_response(
    request: HttpRequest, grid: Grid, error: ApplicationError | None, notice: str, form: Any = None
) -> HttpResponse:
    url = reverse("territory:grid_detail", args=[grid.code])
    if not getattr(request, "htmx", False):
        if error is None:
            messages.success(request, notice)
            return redirect(url)
        context = _grid_context(request, grid, gridder_error=error, gridder_form=form or forms.GridderForm())
        return render(request, "territory/grid_detail.html", context, status=error.http_status)
    extra: dict[str, Any] = {"gridder_error": error, "gridder_notice": notice}
    if error is not None and form is not None:
        extra["gridder_form"] = form
    context = _gridders_context(request, grid, **extra)
    return render(request, "territory/grid_detail.html#gridders", context, status=_status(error))


@login_required
@require_POST
def grid_gridder_add(request: HttpRequest, code: str) -> HttpResponse:
    grid = selectors.grid_get(request.user, code)
    form = forms.GridderForm(request.POST)
    try:
        access.require(request.user, Perm.GRID_ASSIGN, grid.unit.code)
        if not form.is_valid():
            raise _form_error(form)
        gridder = _staff_in_scope(request.user, grid, form.cleaned_data["username"])
        services.grid_assign_gridder(actor=_actor(request), grid=grid, user=gridder)
    except ApplicationError as exc:
        return _gridder_response(request, grid, exc, "", form)
    return _gridder_response(request, grid, None, f"已将“{gridder}”指派为本网格的网格员。")


@login_required
@require_POST
def grid_gridder_remove(request: HttpRequest, code: str) -> HttpResponse:
    grid = selectors.grid_get(request.user, code)
    username = request.POST.get("username", "").strip()
    try:
        access.require(request.user, Perm.GRID_ASSIGN, grid.unit.code)
        gridder = next((u for u in selectors.grid_gridders(grid) if u.username == username), None)
        if gridder is None:
            raise NotFound(f"“{username}”不是网格“{grid.name}”的网格员。", code="not_assigned")
        services.grid_remove_gridder(actor=_actor(request), grid=grid, user=gridder)
    except ApplicationError as exc:
        return _gridder_response(request, grid, exc, "")
    return _gridder_response(request, grid, None, f"已撤销“{gridder}”在本网格的网格员身份。")


# --- point lookup ---------------------------------------------------------------------------------


@login_required
@require_GET
def grid_locate(request: HttpRequest) -> HttpResponse:
    access.require(request.user, Perm.TERRITORY_VIEW)
    asked = "lat" in request.GET or "lng" in request.GET
    form = forms.LocateForm(request.GET if asked else None)
    results: list[Grid] | None = None
    error = ""
    point: dict[str, float] | None = None
    if asked:
        if form.is_valid():
            point = {"lat": form.cleaned_data["lat"], "lng": form.cleaned_data["lng"]}
            results = selectors.grid_locate(request.user, longitude=point["lng"], latitude=point["lat"])
        else:
            error = forms.first_error(form)
    # The finest grid is the answer; coarser grids containing it are drawn as outlines around it.
    features = [
        _feature(g, "self" if i == 0 else "parent") for i, g in enumerate(results or []) if g.boundary
    ]
    context = {
        "form": form,
        "results": results,
        "error": error,
        "point": point,
        "map_geojson": _collection(features),
        "map_config": _map_config(),
        "nav_active": "grids",
    }
    if _htmx_target(request) == "locate-results":
        return render(request, "territory/grid_locate.html#locate-results", context)
    return render(request, "territory/grid_locate.html", context)
