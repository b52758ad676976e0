"""Resident-record pages (民情档案): household and resident lists, details and forms, the reveal of
a full ID number or phone, the gridder's phone pages (my grid, patrol visits) and the
configuration of facts and special groups.

Views parse input with forms.py, read through selectors (the access chokepoint, which also hides
minors and sensitive groups) and write only through services. A service's refusal is shown in the
form it came from, next to the field it names; any other ApplicationError escapes to
ApplicationErrorMiddleware (the Chinese error page, or an error fragment for htmx). Pages are kept
small for gridders on weak phone connections: 20–25 rows a page, htmx fragments for searches.
"""

from __future__ import annotations

import datetime
import json
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import Prefetch
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.accounts import access
from apps.accounts.models import User
from apps.accounts.permissions import Perm
from apps.audit.resolve import can_view_history
from apps.core.errors import ApplicationError, Conflict, NotFound, ValidationFailed
from apps.territory import selectors as territory_selectors
from apps.territory.models import Grid

from . import forms, selectors, services
from .choices import ColorGrade, Relation, ResidentStatus
from .models import FactDefinition, Household, PatrolVisit, Resident, SpecialGroup

PAGE_SIZE = 25
PATROL_PAGE_SIZE = 20
RECENT_PATROLS = 5
RELATION_ORDER = {value: i for i, value in enumerate(Relation.values)}
STATUS_ORDER = {value: i for i, value in enumerate(ResidentStatus.values)}
REVEAL_FIELDS = {"id_number": "身份证号", "phone": "手机号"}
# The service says "refresh and edit again"; here the form has already been brought up to date.
STALE_MESSAGE = "该记录已被他人修改：在您打开编辑页之后，有人保存过这条记录。"
PATROL_TABS = {"mine": "我登记的", "grid": "我的网格", "all": "全部"}


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


def _status(error: ApplicationError | None) -> int:
    return error.http_status if error is not None else 200


def _form_error(form: Any) -> ValidationFailed:
    return ValidationFailed(forms.first_error(form) or "输入有误，请检查后重试。", code="invalid")


def _form_message(form: Any, error: ApplicationError) -> str:
    """The message above a form. A service's refusal also goes next to the field it names."""
    if not form.errors and forms.attach_error(form, error):
        return f"请更正标出的项目后再保存：{error.message}"
    return error.message


def _query(**params: Any) -> str:
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return f"?{urlencode(kept)}" if kept else ""


def _grid_choices(grids: Any) -> list[tuple[str, str]]:
    return [(g.code, f"{g.name}（{g.code}）") for g in grids]


def _grid_by_code(user: Any, code: str, perm: Perm) -> Grid | None:
    """A grid typed or chosen in a form, inside the user's scope for `perm`; None for no grid."""
    code = (code or "").strip()
    if not code:
        return None
    grid = selectors.grids_for(user, perm).filter(code=code).first()
    if grid is None:
        raise ValidationFailed(f"网格“{code}”不存在或不在您的管辖范围内。", code="household_grid_outside")
    return grid


def _visible_groups(resident_groups: Any, user: Any) -> list[SpecialGroup]:
    allowed = {g.pk for g in selectors.special_groups_for(user)}
    return [g for g in resident_groups if g.pk in allowed]


def _grade_badges() -> dict[str, str]:
    return {ColorGrade.RED: "grade-red", ColorGrade.ORANGE: "grade-orange", ColorGrade.YELLOW: "grade-yellow"}


def _attach_heads(user: Any, households: list[Household]) -> None:
    """The head's name only where the user may see the head (a minor or sensitive head is hidden)."""
    visible = selectors.residents_visible_ids(user, [h.head_id for h in households if h.head_id])
    for household in households:
        head = household.head if household.head_id in visible else None
        household.head_name = head.name if head is not None else ""  # type: ignore[attr-defined]


# --- households -----------------------------------------------------------------------------------


@login_required
@require_GET
def household_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.require(user, Perm.PEOPLE_VIEW)
    form = forms.HouseholdFilterForm(request.GET)
    error = ""
    households: Any = Household.objects.none()
    filters: dict[str, str] = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "unit": data["unit"].strip(),
            "grid": data["grid"].strip(),
            "color_grade": data["color_grade"],
            "q": data["q"].strip(),
        }
        households = selectors.household_list(
            user,
            unit_code=filters["unit"],
            grid_code=filters["grid"],
            q=filters["q"],
            color_grade=filters["color_grade"],
        )
    else:
        error = forms.first_error(form)
    page = _page(request, households)
    _attach_heads(user, list(page.object_list))
    context = {
        "form": form,
        "error": error,
        "page": page,
        "grades": _grade_badges(),
        "filters_open": bool(filters.get("unit") or filters.get("grid") or filters.get("color_grade")),
        "can_create": access.has_perm(user, Perm.PEOPLE_EDIT),
        "can_import": access.has_perm(user, Perm.PEOPLE_IMPORT),
        "can_configure": access.has_perm(user, Perm.PEOPLE_CONFIGURE),
        "export_url": reverse("people:export_households") + _query(**filters)
        if access.has_perm(user, Perm.PEOPLE_EXPORT)
        else "",
        "nav_active": "records",
    }
    if _htmx_target(request) == "household-results":
        return render(request, "people/household_list.html#household-results", context)
    return render(request, "people/household_list.html", context)


def _fact_sections(household: Household) -> list[dict[str, Any]]:
    """Filled facts grouped by section, in the configured order; a value whose definition was
    removed is still shown, under its key."""
    definitions = selectors.fact_definitions(active_only=False)
    known = {d.key for d in definitions}
    sections: dict[str, list[dict[str, str]]] = {}
    for definition in definitions:
        value = household.facts.get(definition.key)
        if value is None or value == "" or value == []:
            continue
        sections.setdefault(definition.section, []).append(
            {"label": definition.label, "value": forms.fact_display(definition, value)}
        )
    for key, value in household.facts.items():
        if key not in known:
            sections.setdefault("其他", []).append({"label": key, "value": forms.fact_display(None, value)})
    return [{"name": name, "items": items} for name, items in sections.items()]


def _sorted_members(members: Any) -> list[Resident]:
    return sorted(
        members,
        key=lambda r: (
            STATUS_ORDER.get(r.status, 9),
            RELATION_ORDER.get(r.relation, 99),
            r.birth_date or datetime.date.max,
            r.pk,
        ),
    )


@login_required
@require_GET
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    household = selectors.household_get(user, pk)
    members = _sorted_members(selectors.household_members(user, household))
    allowed_groups = {g.pk for g in selectors.special_groups_for(user)}
    for member in members:
        member.visible_groups = [g for g in member.special_groups.all() if g.pk in allowed_groups]  # type: ignore[attr-defined]
    code = household.unit.code
    head_visible = household.head_id in {m.pk for m in members}
    patrols = selectors.patrol_list(user).filter(household=household).order_by("-visited_at")[:RECENT_PATROLS]
    context = {
        "household": household,
        "head": household.head if head_visible else None,
        "members": members,
        "fact_sections": _fact_sections(household),
        "patrols": patrols,
        "grades": _grade_badges(),
        "can_edit": access.has_perm(user, Perm.PEOPLE_EDIT, code),
        "can_history": can_view_history(user, household),
        "can_patrol": household.grid_id is not None and access.has_perm(user, Perm.PATROL_RECORD, code),
        "nav_active": "records",
    }
    return render(request, "people/household_detail.html", context)


def _unit_choices(user: Any) -> list[tuple[str, str]]:
    units = selectors.units_for_households(user)[: selectors.CHOICE_LIMIT]
    return [(u.code, f"{u.display_name}（{u.code}）") for u in units]


def _household_grid_choices(user: Any, household: Household | None = None) -> list[tuple[str, str]]:
    """Grids a household may be put in (those of its village when it exists), and always its
    current grid, so that saving never drops it silently."""
    qs = (
        selectors.grids_for_unit(user, household.unit, Perm.PEOPLE_EDIT)
        if household is not None
        else selectors.grids_for(user, Perm.PEOPLE_EDIT)
    )
    grids = list(qs[: selectors.CHOICE_LIMIT])
    if household is not None and household.grid is not None and household.grid not in grids:
        grids.append(household.grid)
    return _grid_choices(grids)


@login_required
def household_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.require(user, Perm.PEOPLE_EDIT)
    definitions = selectors.fact_definitions()
    unit_choices, grid_choices = _unit_choices(user), _household_grid_choices(user)
    top_error = ""
    status = 200
    if request.method == "POST":
        form = forms.HouseholdForm(
            request.POST, definitions=definitions, unit_choices=unit_choices, grid_choices=grid_choices
        )
        try:
            if not form.is_valid():
                raise _form_error(form)
            values = form.fixed_values()
            unit = territory_selectors.unit_get(user, form.cleaned_data["unit"].strip())
            values["grid"] = _grid_by_code(user, values["grid"], Perm.PEOPLE_EDIT)
            household = services.household_create(
                actor=_actor(request),
                unit=unit,
                facts=form.fact_values(only_changed=False),
                **values,
            )
        except ApplicationError as exc:
            top_error = _form_message(form, exc)
            status = exc.http_status
        else:
            messages.success(request, f"已新建户“{household.number}”。")
            return redirect("people:household_detail", pk=household.pk)
    else:
        initial = _create_initial(user, request.GET.get("unit", ""), request.GET.get("grid", ""))
        form = forms.HouseholdForm(
            initial=initial, definitions=definitions, unit_choices=unit_choices, grid_choices=grid_choices
        )
    forms.mark_invalid(form)
    context = {"form": form, "top_error": top_error, "household": None, "nav_active": "records"}
    return render(request, "people/household_form.html", context, status=status)


def _create_initial(user: Any, unit: str, grid: str) -> dict[str, Any]:
    """A new household starts in the grid it was added from, or the gridder's own grid."""
    initial: dict[str, Any] = {"hukou_type": "agricultural", "migrant_workers": "0"}
    if not grid and not unit:
        mine = selectors.gridder_grids(user)
        if mine:
            grid = mine[0].code
    chosen = selectors.grids_for(user, Perm.PEOPLE_EDIT).filter(code=grid).first() if grid else None
    if chosen is not None:
        initial["grid"] = chosen.code
        unit = unit or chosen.unit.code
    initial["unit"] = unit
    return initial


def _carry_notes(source: Any, target: Any) -> None:
    for name, field in source.fields.items():
        note = getattr(field, "current_note", "")
        if note and name in target.fields:
            target.fields[name].current_note = note


def _rebase(stale: Any, fresh: Any, version: int) -> tuple[Any, list[str]]:
    """After a stale edit, the user's input rebased onto the record as it is now (`fresh`: the
    form opened on the newest record). Inputs the user did not change take the newest value;
    inputs only the user changed keep theirs; inputs both changed keep the user's value and show
    the newest one beside it. Returns the new data and the labels of the inputs both changed."""
    try:
        original = json.loads(stale.data.get("original") or "{}")
    except ValueError:
        original = {}
    if not isinstance(original, dict):
        original = {}
    newest = forms.comparable(fresh)
    data = stale.data.copy()
    both: list[str] = []
    for name, now in newest.items():
        mine = forms.posted(stale, name) if name in stale.fields else now
        if mine == now:
            continue
        base = original.get(name)
        if base is not None and mine == base:
            forms.put(data, fresh, name, now)  # untouched here: take what the other person saved
        elif base is None or base != now:
            field = fresh.fields[name]
            field.current_note = f"最新值：{forms.shown(field, now)}"
            both.append(str(field.label).rstrip(" *"))
    data["expected_version"] = str(version)
    data["original"] = json.dumps(newest, ensure_ascii=False)
    return data, both


@login_required
def household_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    household = selectors.household_get(user, pk)
    access.require(user, Perm.PEOPLE_EDIT, household.unit.code)
    definitions = selectors.fact_definitions()
    grid_choices = _household_grid_choices(user, household)
    top_error = ""
    conflict: list[str] | None = None
    status = 200
    if request.method == "POST":
        form = forms.HouseholdForm(
            request.POST, definitions=definitions, household=household, grid_choices=grid_choices
        )
        try:
            if not form.is_valid():
                raise _form_error(form)
            values = form.fixed_values()
            values["grid"] = _grid_by_code(user, values["grid"], Perm.PEOPLE_EDIT)
            household = services.household_update(
                actor=_actor(request),
                household=household,
                expected_version=form.cleaned_data["expected_version"],
                facts=form.fact_values(only_changed=True),
                **values,
            )
        except Conflict as exc:
            status = exc.http_status
            if exc.code != "stale_version":
                top_error = _form_message(form, exc)
            else:
                # Keep what the user typed; show what changed meanwhile; the next save is theirs.
                fresh = selectors.household_get(user, pk)
                opened = forms.HouseholdForm(
                    definitions=definitions, household=fresh, grid_choices=grid_choices
                )
                data, conflict = _rebase(form, opened, fresh.version)
                form = forms.HouseholdForm(
                    data, definitions=definitions, household=fresh, grid_choices=grid_choices
                )
                _carry_notes(opened, form)
                form.is_valid()
                top_error = STALE_MESSAGE
        except ApplicationError as exc:
            top_error = _form_message(form, exc)
            status = exc.http_status
        else:
            messages.success(request, f"户“{household.number}”的信息已保存。")
            return redirect("people:household_detail", pk=household.pk)
    else:
        form = forms.HouseholdForm(definitions=definitions, household=household, grid_choices=grid_choices)
    forms.mark_invalid(form)
    context = {
        "form": form,
        "top_error": top_error,
        "conflict": conflict,
        "household": household,
        "nav_active": "records",
    }
    return render(request, "people/household_form.html", context, status=status)


# --- residents ------------------------------------------------------------------------------------


def _group_choices(user: Any) -> list[tuple[str, str]]:
    return [
        (g.code, g.name + ("（敏感）" if g.sensitive else "")) for g in selectors.special_groups_for(user)
    ]


@login_required
def resident_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    household = selectors.household_get(user, pk)
    access.require(user, Perm.PEOPLE_EDIT, household.unit.code)
    group_choices = _group_choices(user)
    top_error = ""
    status = 200
    if request.method == "POST":
        form = forms.ResidentForm(request.POST, group_choices=group_choices)
        try:
            if not form.is_valid():
                raise _form_error(form)
            values = form.service_values()
            resident = services.resident_create(
                actor=_actor(request),
                household=household,
                special_groups=form.cleaned_data["special_groups"],
                **values,
            )
        except ApplicationError as exc:
            top_error = _form_message(form, exc)
            status = exc.http_status
        else:
            messages.success(request, f"已添加成员“{resident.name}”。")
            if request.POST.get("another"):
                return redirect("people:resident_create", pk=household.pk)
            return redirect("people:household_detail", pk=household.pk)
    else:
        relation = Relation.OTHER if household.head_id else Relation.HEAD
        form = forms.ResidentForm(
            initial={"relation": relation, "political_status": "masses"}, group_choices=group_choices
        )
    forms.mark_invalid(form)
    context = {
        "form": form,
        "top_error": top_error,
        "household": household,
        "resident": None,
        "nav_active": "records",
    }
    return render(request, "people/resident_form.html", context, status=status)


def _resident_context(request: HttpRequest, resident: Resident) -> dict[str, Any]:
    user = request.user
    code = resident.household.unit.code
    return {
        "resident": resident,
        "household": resident.household,
        "groups": _visible_groups(resident.special_groups.order_by("order"), user),
        "can_edit": access.has_perm(user, Perm.PEOPLE_EDIT, code),
        "can_reveal": selectors.can_reveal(user, resident),
        "can_history": can_view_history(user, resident),
        "nav_active": "records",
    }


@login_required
@require_GET
def resident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    resident = selectors.resident_get(request.user, pk)
    return render(request, "people/resident_detail.html", _resident_context(request, resident))


@login_required
def resident_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    resident = selectors.resident_get(user, pk)
    access.require(user, Perm.PEOPLE_EDIT, resident.household.unit.code)
    group_choices = _group_choices(user)
    top_error = ""
    conflict: list[str] | None = None
    status = 200
    if request.method == "POST":
        form = forms.ResidentForm(request.POST, resident=resident, group_choices=group_choices)
        try:
            if not form.is_valid():
                raise _form_error(form)
            offered = {code for code, _ in group_choices}
            # Groups the editor is not shown stay as they are.
            kept = [g.code for g in resident.special_groups.all() if g.code not in offered]
            resident = services.resident_update(
                actor=_actor(request),
                resident=resident,
                expected_version=form.cleaned_data["expected_version"],
                special_groups=[*form.cleaned_data["special_groups"], *kept],
                **form.service_values(),
            )
        except ApplicationError as exc:
            status = exc.http_status
            if isinstance(exc, Conflict) and exc.code == "stale_version":
                fresh = selectors.resident_get(user, pk)
                opened = forms.ResidentForm(resident=fresh, group_choices=group_choices)
                data, conflict = _rebase(form, opened, fresh.version)
                form = forms.ResidentForm(data, resident=fresh, group_choices=group_choices)
                _carry_notes(opened, form)
                form.is_valid()
                top_error = STALE_MESSAGE
            else:
                top_error = _form_message(form, exc)
        else:
            messages.success(request, f"居民“{resident.name}”的信息已保存。")
            return redirect("people:resident_detail", pk=resident.pk)
    else:
        form = forms.ResidentForm(resident=resident, group_choices=group_choices)
    forms.mark_invalid(form)
    context = {
        "form": form,
        "top_error": top_error,
        "conflict": conflict,
        "household": resident.household,
        "resident": resident,
        "nav_active": "records",
    }
    return render(request, "people/resident_form.html", context, status=status)


@never_cache
@login_required
def resident_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """The full ID number or phone, in place of the masked one, after the user gives a reason.
    Never cached; each reveal is an event with its reason (services.resident_reveal)."""
    user = request.user
    resident = selectors.resident_get(user, pk)
    access.require(user, Perm.PII_REVEAL, resident.household.unit.code)
    field = request.POST.get("field") or request.GET.get("field") or ""
    if field not in REVEAL_FIELDS:
        raise ValidationFailed("只能查看身份证号或手机号。", code="reveal_field_unknown")
    context: dict[str, Any] = {
        "resident": resident,
        "field": field,
        "field_label": REVEAL_FIELDS[field],
        "masked": resident.id_number_masked if field == "id_number" else resident.phone_masked,
        "value": "",
        "error": "",
        "reason": "",
        "state": "form",
        "can_reveal": True,
    }
    status = 200
    if request.method == "POST":
        context["reason"] = request.POST.get("reason", "").strip()
        try:
            context["value"] = services.resident_reveal(
                actor=_actor(request), resident=resident, field=field, reason=context["reason"]
            )
            context["state"] = "value"
        except ValidationFailed as exc:
            context["error"] = exc.message
            status = exc.http_status
    elif request.GET.get("hide"):
        context["state"] = "masked"
    if getattr(request, "htmx", False):
        return render(request, "people/resident_reveal.html#reveal", context, status=status)
    return render(request, "people/resident_reveal.html", context, status=status)


@login_required
@require_GET
def resident_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.require(user, Perm.PEOPLE_VIEW)
    groups = selectors.special_groups_for(user)
    form = forms.ResidentFilterForm(request.GET, group_choices=[(g.code, g.name) for g in groups])
    error = ""
    residents: Any = Resident.objects.none()
    filters: dict[str, str] = {}
    if form.is_valid():
        data = form.cleaned_data
        minors = {"1": True, "0": False}.get(data["minors"])
        filters = {k: str(v).strip() for k, v in data.items()}
        residents = selectors.resident_list(
            user,
            unit_code=filters["unit"],
            grid_code=filters["grid"],
            q=filters["q"],
            group=filters["group"],
            minors=minors,
            status=data["status"] if "status" in request.GET else "active",
        ).prefetch_related(Prefetch("special_groups", queryset=SpecialGroup.objects.order_by("order")))
    else:
        error = forms.first_error(form)
    page = _page(request, residents)
    allowed = {g.pk for g in groups}
    for resident in page.object_list:
        resident.visible_groups = [g for g in resident.special_groups.all() if g.pk in allowed]
    context = {
        "form": form,
        "error": error,
        "page": page,
        "filters_open": any(filters.get(k) for k in ("unit", "grid", "group", "minors"))
        or request.GET.get("status", "active") != "active",
        # The export takes the same filters; "all statuses" is spelled status=all there.
        "export_url": reverse("people:export_residents")
        + _query(**{**filters, "status": filters.get("status") or ("all" if "status" in request.GET else "")})
        if access.has_perm(user, Perm.PEOPLE_EXPORT)
        else "",
        "nav_active": "records",
    }
    if _htmx_target(request) == "resident-results":
        return render(request, "people/resident_list.html#resident-results", context)
    return render(request, "people/resident_list.html", context)


# --- gridder pages --------------------------------------------------------------------------------


@login_required
@require_GET
def my_grid(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.require(user, Perm.PEOPLE_VIEW)
    grids = selectors.gridder_grids(user)
    wanted = request.GET.get("grid", "").strip()
    grid = next((g for g in grids if g.code == wanted), grids[0] if grids else None)
    q = request.GET.get("q", "").strip()[:40]
    households: Any = Household.objects.none()
    if grid is not None:
        households = selectors.household_list(user, grid_code=grid.code, q=q)
    page = _page(request, households)
    _attach_heads(user, list(page.object_list))
    context = {
        "grids": grids,
        "grid": grid,
        "q": q,
        "page": page,
        "grades": _grade_badges(),
        "can_edit": grid is not None and access.has_perm(user, Perm.PEOPLE_EDIT, grid.unit.code),
        "can_patrol": grid is not None and access.has_perm(user, Perm.PATROL_RECORD, grid.unit.code),
        "patrols_this_month": selectors.patrol_list(user, gridder_id=user.pk)
        .filter(
            visited_at__gte=timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        )
        .count()
        if grid is not None
        else 0,
        "nav_active": "my_grid",
    }
    if _htmx_target(request) == "grid-households":
        return render(request, "people/my_grid.html#grid-households", context)
    return render(request, "people/my_grid.html", context)


def _patrol_grids(user: Any) -> list[Grid]:
    """A gridder records visits in their own grids; others (a village cadre) in any grid in scope."""
    mine = [
        g for g in selectors.gridder_grids(user) if access.has_perm(user, Perm.PATROL_RECORD, g.unit.code)
    ]
    if mine:
        return mine
    return list(selectors.grids_for(user, Perm.PATROL_RECORD)[: selectors.CHOICE_LIMIT])


def _household_options(user: Any, grid: Grid | None) -> list[tuple[str, str]]:
    if grid is None:
        return []
    households = (
        selectors.households_visible(user)
        .filter(grid=grid, is_active=True)
        .order_by("number")[: selectors.CHOICE_LIMIT]
    )
    return [(str(h.pk), f"{h.number} {h.address}") for h in households]


@login_required
def patrol_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.require(user, Perm.PATROL_RECORD)
    grids = _patrol_grids(user)
    by_code = {g.code: g for g in grids}
    source = request.POST if request.method == "POST" else request.GET
    grid = by_code.get(source.get("grid", "").strip()) or (grids[0] if grids else None)
    household_choices = _household_options(user, grid)
    if _htmx_target(request) == "patrol-household":
        form = forms.PatrolForm(grid_choices=_grid_choices(grids), household_choices=household_choices)
        return render(request, "people/patrol_form.html#household-select", {"form": form})
    top_error = ""
    status = 200
    if request.method == "POST":
        form = forms.PatrolForm(
            request.POST,
            request.FILES,
            grid_choices=_grid_choices(grids),
            household_choices=household_choices,
        )
        try:
            if not form.is_valid():
                raise _form_error(form)
            data = form.cleaned_data
            household = None
            if data["household"]:
                household = (
                    selectors.households_visible(user).filter(pk=data["household"], grid=grid).first()
                    if data["household"].isdigit()
                    else None
                )
                if household is None:
                    raise ValidationFailed("所选的户不在该网格内。", code="patrol_household_outside")
            assert grid is not None  # the grid field has a choice, or the form was not valid
            visit = services.patrol_record(
                actor=_actor(request),
                grid=grid,
                household=household,
                place=data["place"],
                note=data["note"],
                visited_at=data["visited_at"],
                latitude=data["latitude"],
                longitude=data["longitude"],
                photo=data["photo"],
            )
        except ApplicationError as exc:
            status = exc.http_status
            top_error = _form_message(form, exc)
            if request.FILES.get("photo"):
                top_error += "（照片需要重新选择。）"
        else:
            messages.success(request, f"已登记走访：{visit.place}。")
            if visit.household_id:
                return redirect("people:household_detail", pk=visit.household_id)
            return redirect(reverse("people:patrol_list") + "?tab=mine")
    else:
        initial: dict[str, Any] = {
            "grid": grid.code if grid else "",
            "visited_at": timezone.localtime().replace(second=0, microsecond=0),
        }
        wanted = request.GET.get("household", "")
        if wanted and any(value == wanted for value, _ in household_choices):
            household = selectors.households_visible(user).filter(pk=wanted).first()
            initial["household"] = wanted
            initial["place"] = household.address if household is not None else ""
        form = forms.PatrolForm(
            initial=initial, grid_choices=_grid_choices(grids), household_choices=household_choices
        )
    forms.mark_invalid(form)
    context = {
        "form": form,
        "top_error": top_error,
        "has_grids": bool(grids),
        "nav_active": _patrol_nav(user),
    }
    return render(request, "people/patrol_form.html", context, status=status)


def _patrol_nav(user: Any) -> str:
    return "my_grid" if selectors.gridder_grids(user) else "records"


@login_required
@require_GET
def patrol_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.require(user, Perm.PEOPLE_VIEW)
    can_record = access.has_perm(user, Perm.PATROL_RECORD)
    mine = selectors.gridder_grids(user)
    tabs = {k: v for k, v in PATROL_TABS.items() if (k != "grid" or mine) and (k != "mine" or can_record)}
    tab = request.GET.get("tab", "")
    if tab not in tabs:
        tab = "mine" if can_record else "all"
    visits = selectors.patrol_list(user, gridder_id=user.pk if tab == "mine" else None)
    if tab == "grid":
        visits = visits.filter(grid__in=mine)
    context = {
        "tabs": tabs,
        "tab": tab,
        "page": _page(request, visits.order_by("-visited_at", "-pk"), PATROL_PAGE_SIZE),
        "can_record": can_record,
        "nav_active": "my_grid" if mine else "records",
    }
    if _htmx_target(request) == "patrol-results":
        return render(request, "people/patrol_list.html#patrol-results", context)
    return render(request, "people/patrol_list.html", context)


@login_required
@require_GET
def patrol_photo(request: HttpRequest, pk: int) -> FileResponse:
    """A patrol photo, only to those who may see the visit (media files are not public)."""
    visit = access.get_for(
        request.user, Perm.PEOPLE_VIEW, PatrolVisit.objects.select_related("grid__unit"), pk=pk
    )
    if not visit.photo:
        raise NotFound("该走访记录没有照片。", code="not_found")
    handle = visit.photo.open("rb")
    head = handle.read(12)
    handle.seek(0)
    kind = next((t for magic, t in services.PHOTO_TYPES.items() if head.startswith(magic)), "jpeg")
    response = FileResponse(handle, content_type=f"image/{kind}")
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- configuration --------------------------------------------------------------------------------


@login_required
def config(request: HttpRequest) -> HttpResponse:
    user = request.user
    access.require(user, Perm.PEOPLE_CONFIGURE)
    fact_form = forms.FactDefinitionForm(initial={"order": 100, "is_active": True, "section": "基本情况"})
    group_form = forms.SpecialGroupForm(initial={"order": 100, "color": "secondary"})
    editing_fact = editing_group = ""
    fact_error = group_error = ""
    status = 200
    if request.method == "POST":
        which = request.POST.get("which")
        try:
            if which == "fact":
                fact_form = forms.FactDefinitionForm(request.POST)
                editing_fact = request.POST.get("editing", "")
                if not fact_form.is_valid():
                    raise _form_error(fact_form)
                values = fact_form.service_values()
                if editing_fact and values["key"] != editing_fact:
                    raise ValidationFailed("字段键创建后不能修改。", code="fact_key")
                definition = services.fact_definition_save(actor=_actor(request), **values)
                messages.success(request, f"已保存档案字段“{definition.label}”。")
            elif which == "group":
                group_form = forms.SpecialGroupForm(request.POST)
                editing_group = request.POST.get("editing", "")
                if not group_form.is_valid():
                    raise _form_error(group_form)
                data = group_form.cleaned_data
                if editing_group and data["code"].strip() != editing_group:
                    raise ValidationFailed("群体代码创建后不能修改。", code="group_code")
                group = services.special_group_save(
                    actor=_actor(request),
                    code=data["code"].strip(),
                    name=data["name"],
                    sensitive=data["sensitive"],
                    order=data["order"],
                    color=data["color"],
                )
                messages.success(request, f"已保存特殊群体“{group.name}”。")
            else:
                raise ValidationFailed("未知的配置项。", code="invalid")
        except ApplicationError as exc:
            status = exc.http_status
            form: Any = fact_form if which == "fact" else group_form
            message = _form_message(form, exc)
            if which == "fact":
                fact_error = message
            else:
                group_error = message
        else:
            return redirect("people:config")
    else:
        key = request.GET.get("fact", "")
        code = request.GET.get("group", "")
        if key:
            chosen = next((d for d in selectors.fact_definitions(active_only=False) if d.key == key), None)
            if chosen is None:
                raise NotFound("档案字段不存在。", code="not_found")
            fact_form = forms.FactDefinitionForm(initial=forms.fact_definition_initial(chosen))
            editing_fact = key
        if code:
            tag = selectors.special_groups_all().filter(code=code).first()
            if tag is None:
                raise NotFound("特殊群体不存在。", code="not_found")
            group_form = forms.SpecialGroupForm(
                initial={
                    "code": tag.code,
                    "name": tag.name,
                    "color": tag.color,
                    "order": tag.order,
                    "sensitive": tag.sensitive,
                }
            )
            editing_group = code
    forms.mark_invalid(fact_form)
    forms.mark_invalid(group_form)
    definitions = selectors.fact_definitions(active_only=False)
    sections: dict[str, list[FactDefinition]] = {}
    for definition in definitions:
        sections.setdefault(definition.section, []).append(definition)
    context = {
        "sections": sections,
        "groups": selectors.special_groups_all(),
        "fact_form": fact_form,
        "group_form": group_form,
        "editing_fact": editing_fact,
        "editing_group": editing_group,
        "fact_error": fact_error,
        "group_error": group_error,
        "nav_active": "records",
    }
    return render(request, "people/config.html", context, status=status)
