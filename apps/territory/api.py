"""Territory API: units, villager groups, grids and their gridders, point lookup, organisations.

Reads start from the scoped querysets and getters of `selectors` (so the access chokepoint narrows
every list and refuses every out-of-scope object with 403); writes go through `services`, which
check their own permission. Objects are addressed by their codes, never by database ids.
"""

from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from apps.accounts import access
from apps.accounts.models import User
from apps.accounts.permissions import Perm
from apps.core.errors import NotFound, ValidationFailed
from apps.core.pagination import PagePagination
from apps.core.schemas import error_responses

from . import geo, selectors, services
from .models import Grid, Organisation, Unit
from .paths import subtree_q
from .schemas import (
    BoundaryIn,
    GridCreateIn,
    GridderAssignIn,
    GridderOut,
    GridDetailOut,
    GridFilterIn,
    GridListOut,
    GridOut,
    GridUpdateIn,
    GroupCreateIn,
    LocateIn,
    OrganisationFilterIn,
    OrganisationOut,
    UnitChildOut,
    UnitCountsOut,
    UnitFilterIn,
    UnitOut,
)

router = Router(tags=["区划网格"])


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _viewer(request: HttpRequest) -> Any:
    """The caller of a list endpoint: refused outright without any territory role, rather than
    answered with an empty list (the same rule as the pages)."""
    user = _actor(request)
    access.require(user, Perm.TERRITORY_VIEW)
    return user


# --- Units ---------------------------------------------------------------------------------------


@router.get(
    "/units", response={200: list[UnitOut], **error_responses(400, 403)}, summary="行政单位列表（管辖范围内）"
)
@paginate(PagePagination)
def unit_list(request: HttpRequest, filters: Query[UnitFilterIn]) -> QuerySet[Unit]:
    qs = selectors.units_visible(_viewer(request)).select_related("parent")
    if filters.level is not None:
        qs = qs.filter(level=filters.level)
    if filters.parent:
        qs = qs.filter(parent__code=filters.parent)
    q = filters.q.strip()
    if q.isdigit():
        qs = qs.filter(code__startswith=q)
    elif q:
        qs = qs.filter(Q(name__contains=q) | Q(short_name__contains=q))
    return qs.order_by("code")


@router.get("/units/{code}", response={200: UnitOut, **error_responses(403, 404)}, summary="行政单位详情")
def unit_detail(request: HttpRequest, code: str) -> Unit:
    return selectors.unit_get(_actor(request), code)


@router.get(
    "/units/{code}/children",
    response={200: list[UnitChildOut], **error_responses(403, 404)},
    summary="直接下级单位",
)
def unit_children(request: HttpRequest, code: str) -> QuerySet[Unit]:
    user = _actor(request)
    unit = selectors.unit_get(user, code)
    return selectors.unit_children(user, unit).select_related("parent")


@router.get(
    "/units/{code}/counts",
    response={200: UnitCountsOut, **error_responses(403, 404)},
    summary="单位下属统计（乡镇、村、网格、人员）",
)
def unit_counts(request: HttpRequest, code: str) -> dict[str, int]:
    return selectors.unit_counts(selectors.unit_get(_actor(request), code))


@router.post(
    "/units/{code}/groups",
    response={201: UnitOut, **error_responses(400, 403, 404, 409)},
    summary="在村（社区）下新建村民小组",
)
def unit_create_group(request: HttpRequest, code: str, payload: GroupCreateIn) -> Status:
    user = _actor(request)
    village = selectors.unit_get(user, code)
    group = services.unit_create_group(actor=user, village=village, name=payload.name, number=payload.number)
    return Status(201, group)


# --- Grids ---------------------------------------------------------------------------------------


@router.get(
    "/grids",
    response={200: list[GridListOut], **error_responses(400, 403, 404)},
    summary="网格列表（管辖范围内）",
)
@paginate(PagePagination)
def grid_list(request: HttpRequest, filters: Query[GridFilterIn]) -> QuerySet[Grid]:
    user = _viewer(request)
    unit = selectors.unit_get(user, filters.unit) if filters.unit else None
    return selectors.grid_list(user, unit=unit, level=filters.level, q=filters.q.strip())


@router.get(
    "/grids/{code}",
    response={200: GridDetailOut, **error_responses(403, 404)},
    summary="网格详情（含边界与网格员）",
)
def grid_detail(request: HttpRequest, code: str) -> Grid:
    return selectors.grid_get(_actor(request), code)


@router.post(
    "/grids", response={201: GridDetailOut, **error_responses(400, 403, 404, 409)}, summary="新建网格"
)
def grid_create(request: HttpRequest, payload: GridCreateIn) -> Status:
    user = _actor(request)
    unit = selectors.unit_get(user, payload.unit_code)
    parent = selectors.grid_get(user, payload.parent_code) if payload.parent_code else None
    grid = services.grid_create(
        actor=user,
        unit=unit,
        code=payload.code,
        name=payload.name,
        level=payload.level,
        parent=parent,
        boundary=payload.boundary,
        households_hint=payload.households_hint,
    )
    return Status(201, selectors.grid_get(user, grid.code))


@router.patch(
    "/grids/{code}",
    response={200: GridDetailOut, **error_responses(400, 403, 404)},
    summary="修改网格（只改传入的字段）",
)
def grid_update(request: HttpRequest, code: str, payload: GridUpdateIn) -> Grid:
    user = _actor(request)
    grid = selectors.grid_get(user, code)
    changes: dict[str, Any] = {}
    if "parent_code" in payload.model_fields_set:
        changes["parent"] = selectors.grid_get(user, payload.parent_code) if payload.parent_code else None
    services.grid_update(
        actor=user,
        grid=grid,
        name=payload.name,
        level=payload.level,
        households_hint=payload.households_hint,
        is_active=payload.is_active,
        **changes,
    )
    return selectors.grid_get(user, code)


@router.put(
    "/grids/{code}/boundary",
    response={200: GridDetailOut, **error_responses(400, 403, 404)},
    summary="设定或清除网格边界（GeoJSON）",
)
def grid_set_boundary(request: HttpRequest, code: str, payload: BoundaryIn) -> Grid:
    user = _actor(request)
    grid = selectors.grid_get(user, code)
    services.grid_set_boundary(actor=user, grid=grid, boundary=payload.boundary)
    return selectors.grid_get(user, code)


@router.post(
    "/grids/{code}/gridders",
    response={201: GridderOut, **error_responses(400, 403, 404, 409)},
    summary="指派网格员",
)
def grid_assign_gridder(request: HttpRequest, code: str, payload: GridderAssignIn) -> Status:
    user = _actor(request)
    grid = selectors.grid_get(user, code)
    # Refuse before looking the person up, so that the 404 below tells usernames only to those
    # who may assign here.
    access.require(user, Perm.GRID_ASSIGN, grid.unit.code)
    gridder = _user_by_username(payload.username)
    services.grid_assign_gridder(actor=user, grid=grid, user=gridder)
    return Status(201, gridder)


@router.delete(
    "/grids/{code}/gridders/{username}",
    response={204: None, **error_responses(403, 404)},
    summary="撤销网格员",
)
def grid_remove_gridder(request: HttpRequest, code: str, username: str) -> Status:
    user = _actor(request)
    grid = selectors.grid_get(user, code)
    access.require(user, Perm.GRID_ASSIGN, grid.unit.code)
    services.grid_remove_gridder(actor=user, grid=grid, user=_user_by_username(username))
    return Status(204, None)


def _user_by_username(username: str) -> User:
    person = User.objects.filter(username=username.strip()).first()
    if person is None:
        raise NotFound(f"用户“{username}”不存在。", code="user_not_found")
    return person


@router.get(
    "/locate",
    response={200: list[GridOut], **error_responses(400, 403)},
    summary="按坐标查找所在网格（最细一级在前）",
)
def grid_locate(request: HttpRequest, point: Query[LocateIn]) -> list[Grid]:
    user = _viewer(request)
    lat, lng = point.lat, point.lng
    if not (geo.LNG_RANGE[0] <= lng <= geo.LNG_RANGE[1] and geo.LAT_RANGE[0] <= lat <= geo.LAT_RANGE[1]):
        raise ValidationFailed(
            "坐标超出中国范围，请检查经纬度是否写反。",
            code="point_out_of_range",
            extra={"lat": lat, "lng": lng},
        )
    return selectors.grid_locate(user, longitude=lng, latitude=lat)


# --- Organisations -------------------------------------------------------------------------------


@router.get(
    "/organisations",
    response={200: list[OrganisationOut], **error_responses(400, 403, 404)},
    summary="机构列表（管辖范围内）",
)
@paginate(PagePagination)
def organisation_list(request: HttpRequest, filters: Query[OrganisationFilterIn]) -> QuerySet[Organisation]:
    user = _viewer(request)
    qs = selectors.organisations_visible(user)
    if filters.unit:
        qs = qs.filter(subtree_q(selectors.unit_get(user, filters.unit).code, "service_area__code"))
    return qs.order_by("service_area__code", "name", "code")
