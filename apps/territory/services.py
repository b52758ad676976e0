"""Writes to the territory: units, grids, gridder assignments, organisations.

Each function checks permission through `access`, validates, writes its audit record and event,
and runs in one transaction.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts import access
from apps.accounts.choices import Role, UserKind
from apps.accounts.models import RoleAssignment, User
from apps.accounts.permissions import Perm
from apps.audit.services import audit_create, audit_update, record_event, snapshot
from apps.core.errors import Conflict, NotFound, ValidationFailed, from_django_validation

from . import events, geo
from .choices import Level, OrgKind, UnitKind
from .models import Grid, Organisation, Unit

GRID_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
MAX_GRID_LEVEL = 5


# --- Units ---------------------------------------------------------------------------------------


@transaction.atomic
def unit_create_group(*, actor: User, village: Unit, name: str, number: int | None = None) -> Unit:
    """Add a villager group (村民小组) under a village; the national table stops at villages."""
    access.require(actor, Perm.TERRITORY_MANAGE, village.code)
    if village.level != Level.VILLAGE:
        raise ValidationFailed("村民小组只能建在村（社区）之下。", code="group_parent_not_village")
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("请填写村民小组名称。", code="name_required")
    village = Unit.objects.select_for_update().get(pk=village.pk)
    if number is None:
        last = Unit.objects.filter(parent=village).order_by("-code").values_list("code", flat=True).first()
        number = int(last[-3:]) + 1 if last else 1
    if not 1 <= number <= 999:
        raise ValidationFailed("小组编号须在 1–999 之间。", code="group_number_range")
    code = f"{village.code}{number:03d}"
    if Unit.objects.filter(code=code).exists():
        raise Conflict(f"编号 {number} 的村民小组已存在。", code="duplicate_unit_code")
    if Unit.objects.filter(parent=village, name=name).exists():
        raise Conflict(f"该村已有名为“{name}”的村民小组。", code="duplicate_unit_name")
    unit = Unit(code=code, name=name, short_name=name, level=Level.GROUP, kind=UnitKind.GROUP, parent=village)
    _full_clean(unit)
    unit.save()
    audit_create(actor=actor, obj=unit)
    record_event(actor=actor, event_type=events.UNIT_CREATED, obj=unit, data={"code": code, "name": name})
    return unit


@transaction.atomic
def unit_update(
    *,
    actor: User,
    unit: Unit,
    name: str | None = None,
    short_name: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
) -> Unit:
    access.require(actor, Perm.TERRITORY_MANAGE, unit.code)
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    before = snapshot(unit)
    if name is not None:
        if not name.strip():
            raise ValidationFailed("名称不能为空。", code="name_required")
        unit.name = name.strip()
    if short_name is not None:
        unit.short_name = short_name.strip()
    if (latitude is None) != (longitude is None):
        raise ValidationFailed("经度和纬度须同时填写。", code="coordinates_incomplete")
    if latitude is not None and longitude is not None:
        _check_point(longitude, latitude)
        unit.latitude, unit.longitude = latitude, longitude
    _full_clean(unit)
    unit.save()
    audit_update(actor=actor, obj=unit, before=before)
    if before["name"] != unit.name:
        record_event(
            actor=actor,
            event_type=events.UNIT_RENAMED,
            obj=unit,
            data={"from": before["name"], "to": unit.name},
        )
    return unit


# --- Grids ---------------------------------------------------------------------------------------


def _check_point(longitude: float, latitude: float) -> None:
    if not (
        geo.LNG_RANGE[0] <= longitude <= geo.LNG_RANGE[1] and geo.LAT_RANGE[0] <= latitude <= geo.LAT_RANGE[1]
    ):
        raise ValidationFailed("坐标超出中国范围，请检查经纬度是否写反。", code="point_out_of_range")


def _apply_boundary(grid: Grid, boundary: Any) -> None:
    if boundary is None:
        grid.boundary = None
        grid.min_lng = grid.min_lat = grid.max_lng = grid.max_lat = None
        return
    geom = geo.parse_boundary(boundary)
    grid.boundary = boundary.get("geometry") if boundary.get("type") == "Feature" else boundary
    grid.min_lng, grid.min_lat, grid.max_lng, grid.max_lat = geom.bounds


def _validate_grid_parent(unit: Unit, parent: Grid | None, level: int) -> None:
    if not 1 <= level <= MAX_GRID_LEVEL:
        raise ValidationFailed(f"网格层级须在 1–{MAX_GRID_LEVEL} 之间。", code="grid_level_range")
    if parent is None:
        return
    if parent.level >= level:
        raise ValidationFailed(
            f"上级网格“{parent.name}”是 {parent.level} 级网格，本网格的层级须大于它。",
            code="grid_parent_level",
        )
    if not unit.code.startswith(parent.unit.code):
        raise ValidationFailed(
            f"网格所属单位“{unit}”不在上级网格“{parent.name}”所属单位“{parent.unit}”之内。",
            code="grid_parent_outside",
        )


@transaction.atomic
def grid_create(
    *,
    actor: User,
    unit: Unit,
    code: str,
    name: str,
    level: int = 1,
    parent: Grid | None = None,
    boundary: dict[str, Any] | None = None,
    households_hint: int = 0,
) -> Grid:
    access.require(actor, Perm.GRID_MANAGE, unit.code)
    code = (code or "").strip()
    name = (name or "").strip()
    if not GRID_CODE_RE.match(code):
        raise ValidationFailed("网格编码只能由字母、数字、“-”和“_”组成，长度 1–32。", code="grid_code_format")
    if not name:
        raise ValidationFailed("请填写网格名称。", code="name_required")
    if unit.level < Level.COUNTY:
        raise ValidationFailed("网格须建在县（区）及以下单位。", code="grid_unit_level")
    _validate_grid_parent(unit, parent, level)
    if Grid.objects.filter(code=code).exists():
        raise Conflict(f"网格编码“{code}”已被使用。", code="duplicate_grid_code")
    grid = Grid(unit=unit, code=code, name=name, level=level, parent=parent, households_hint=households_hint)
    _apply_boundary(grid, boundary)
    _full_clean(grid)
    try:
        # A savepoint, so a lost race on the unique code leaves the outer transaction usable.
        with transaction.atomic():
            grid.save()
    except IntegrityError as exc:
        raise Conflict(f"网格编码“{code}”已被使用。", code="duplicate_grid_code") from exc
    audit_create(actor=actor, obj=grid)
    record_event(
        actor=actor,
        event_type=events.GRID_CREATED,
        obj=grid,
        data={"code": code, "unit": unit.code, "level": level},
    )
    if boundary is not None:
        transaction.on_commit(geo.bump_version)
    return grid


@transaction.atomic
def grid_update(
    *,
    actor: User,
    grid: Grid,
    name: str | None = None,
    parent: Grid | object | None = ...,
    level: int | None = None,
    households_hint: int | None = None,
    is_active: bool | None = None,
) -> Grid:
    grid = Grid.objects.select_for_update().select_related("unit").get(pk=grid.pk)
    access.require(actor, Perm.GRID_MANAGE, grid.unit.code)
    before = snapshot(grid)
    if name is not None:
        if not name.strip():
            raise ValidationFailed("请填写网格名称。", code="name_required")
        grid.name = name.strip()
    new_parent = grid.parent if parent is ... else parent
    new_level = grid.level if level is None else level
    if isinstance(new_parent, Grid) and new_parent.pk == grid.pk:
        raise ValidationFailed("网格不能以自己为上级。", code="grid_parent_self")
    _validate_grid_parent(grid.unit, new_parent if isinstance(new_parent, Grid) else None, new_level)
    grid.parent = new_parent if isinstance(new_parent, Grid) else None
    grid.level = new_level
    if households_hint is not None:
        if households_hint < 0:
            raise ValidationFailed("户数不能为负。", code="households_negative")
        grid.households_hint = households_hint
    if is_active is not None:
        grid.is_active = is_active
    _full_clean(grid)
    grid.save()
    audit_update(actor=actor, obj=grid, before=before)
    record_event(actor=actor, event_type=events.GRID_UPDATED, obj=grid, data={})
    if is_active is not None and is_active != before["is_active"]:
        transaction.on_commit(geo.bump_version)
    return grid


@transaction.atomic
def grid_set_boundary(*, actor: User, grid: Grid, boundary: dict[str, Any] | None) -> Grid:
    grid = Grid.objects.select_for_update().select_related("unit").get(pk=grid.pk)
    access.require(actor, Perm.GRID_MANAGE, grid.unit.code)
    before = snapshot(grid)
    _apply_boundary(grid, boundary)
    grid.save(update_fields=["boundary", "min_lng", "min_lat", "max_lng", "max_lat", "updated_at"])
    audit_update(actor=actor, obj=grid, before=before)
    record_event(
        actor=actor,
        event_type=events.GRID_BOUNDARY_SET,
        obj=grid,
        data={"bounds": [grid.min_lng, grid.min_lat, grid.max_lng, grid.max_lat]},
    )
    transaction.on_commit(geo.bump_version)
    return grid


@transaction.atomic
def grid_assign_gridder(*, actor: User, grid: Grid, user: User) -> RoleAssignment:
    """Make `user` a gridder of `grid` (a gridder role scoped to the grid's unit)."""
    grid = Grid.objects.select_related("unit").get(pk=grid.pk)
    access.require(actor, Perm.GRID_ASSIGN, grid.unit.code)
    if not user.is_active:
        raise ValidationFailed(f"用户“{user}”已停用，不能指派为网格员。", code="user_inactive")
    if user.kind != UserKind.STAFF:
        raise ValidationFailed("居民账号不能指派为网格员。", code="role_for_resident")
    from .selectors import gridder_candidates

    if not gridder_candidates(actor, grid).filter(pk=user.pk).exists():
        raise ValidationFailed(
            f"“{user}”不在您的管辖范围或本网格所在乡镇内，不能指派为本网格的网格员。",
            code="user_not_in_scope",
        )
    if not grid.is_active:
        raise ValidationFailed(f"网格“{grid.name}”已停用。", code="grid_inactive")
    # Lock the user row so two simultaneous assignments of the same person serialise.
    User.objects.select_for_update().get(pk=user.pk)
    if RoleAssignment.objects.filter(user=user, role=Role.GRIDDER, grid=grid, is_active=True).exists():
        raise Conflict(f"“{user}”已是网格“{grid.name}”的网格员。", code="already_assigned")
    assignment = RoleAssignment(user=user, role=Role.GRIDDER, unit=grid.unit, grid=grid, granted_by=actor)
    try:
        with transaction.atomic():
            assignment.save()
    except IntegrityError as exc:
        raise Conflict(f"“{user}”已是网格“{grid.name}”的网格员。", code="already_assigned") from exc
    audit_create(actor=actor, obj=assignment)
    record_event(
        actor=actor,
        event_type=events.GRIDDER_ASSIGNED,
        obj=grid,
        data={"user_id": user.pk, "user": str(user)},
    )
    return assignment


@transaction.atomic
def grid_remove_gridder(*, actor: User, grid: Grid, user: User) -> RoleAssignment:
    grid = Grid.objects.select_related("unit").get(pk=grid.pk)
    access.require(actor, Perm.GRID_ASSIGN, grid.unit.code)
    assignment = (
        RoleAssignment.objects.select_for_update()
        .filter(user=user, role=Role.GRIDDER, grid=grid, is_active=True)
        .first()
    )
    if assignment is None:
        raise NotFound(f"“{user}”不是网格“{grid.name}”的网格员。", code="not_assigned")
    before = snapshot(assignment)
    assignment.is_active = False
    assignment.revoked_at = timezone.now()
    assignment.save(update_fields=["is_active", "revoked_at"])
    audit_update(actor=actor, obj=assignment, before=before)
    record_event(
        actor=actor, event_type=events.GRIDDER_REMOVED, obj=grid, data={"user_id": user.pk, "user": str(user)}
    )
    return assignment


# --- Organisations -------------------------------------------------------------------------------


@transaction.atomic
def organisation_create(
    *, actor: User, service_area: Unit, code: str, name: str, kind: str = OrgKind.DEPARTMENT, phone: str = ""
) -> Organisation:
    access.require(actor, Perm.ORG_MANAGE, service_area.code)
    name = (name or "").strip()
    code = (code or "").strip()
    if not name or not code:
        raise ValidationFailed("请填写机构代码和名称。", code="name_required")
    if kind not in OrgKind.values:
        raise ValidationFailed(f"未知的机构类型“{kind}”。", code="org_kind_unknown")
    if Organisation.objects.filter(code=code).exists():
        raise Conflict(f"机构代码“{code}”已被使用。", code="duplicate_org_code")
    if Organisation.objects.filter(service_area=service_area, name=name).exists():
        raise Conflict(f"“{service_area}”已有名为“{name}”的机构。", code="duplicate_org_name")
    org = Organisation(service_area=service_area, code=code, name=name, kind=kind, phone=phone)
    _full_clean(org)
    org.save()
    audit_create(actor=actor, obj=org)
    record_event(actor=actor, event_type=events.ORG_CREATED, obj=org, data={"code": code})
    return org


def _full_clean(obj: Any) -> None:
    try:
        obj.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise from_django_validation(exc) from exc
