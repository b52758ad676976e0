"""Resident-records API (民情档案): households, residents, the logged reveal of personal data,
patrol visits, and the configured special groups and facts.

Reads start from the scoped querysets and getters of `selectors` (the access chokepoint narrows
every list, hides minors and sensitive people from roles without that access, and refuses every
out-of-scope object with 403); writes go through `services`, which check their own permission,
validate (a bad ID number is a 400 with its specific code, a duplicate a 409), and write the audit
trail. ID numbers and phones leave masked; the full value only through POST …/reveal, with a
reason, logged. Households and residents are addressed by id (they have no public code).
"""

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from apps.accounts import access
from apps.accounts.permissions import Perm
from apps.core.errors import ValidationFailed
from apps.core.pagination import PagePagination
from apps.core.schemas import error_responses

from . import selectors, services
from .choices import ResidentStatus
from .models import FactDefinition, Household, PatrolVisit, Resident, SpecialGroup
from .schemas import (
    FactDefinitionOut,
    HouseholdCreateIn,
    HouseholdDetailOut,
    HouseholdFilterIn,
    HouseholdListOut,
    HouseholdUpdateIn,
    PatrolFilterIn,
    PatrolIn,
    PatrolOut,
    ResidentCreateIn,
    ResidentFilterIn,
    ResidentOut,
    ResidentUpdateIn,
    RevealIn,
    RevealOut,
    SpecialGroupOut,
)

router = Router(tags=["民情档案"])

_GROUPS = Prefetch("special_groups", queryset=SpecialGroup.objects.order_by("order", "code"))


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _viewer(request: HttpRequest) -> Any:
    """The caller of a list endpoint: refused outright without any resident-records role, rather
    than answered with an empty list (the same rule as the pages)."""
    user = _actor(request)
    access.require(user, Perm.PEOPLE_VIEW)
    return user


def _household_detail(user: Any, pk: int) -> Household:
    household = selectors.household_get(user, pk)
    members = list(selectors.household_members(user, household))
    household.visible_members = members  # type: ignore[attr-defined]
    household.hidden_member_count = selectors.household_hidden_member_count(user, household)  # type: ignore[attr-defined]
    household.head_visible = household.head_id is not None and (  # type: ignore[attr-defined]
        household.head_id in {m.pk for m in members}
        or bool(selectors.residents_visible_ids(user, [household.head_id]))
    )
    return household


# --- Households ----------------------------------------------------------------------------------


@router.get(
    "/households",
    response={200: list[HouseholdListOut], **error_responses(400, 403, 404)},
    summary="户列表（管辖范围内）",
)
@paginate(PagePagination)
def household_list(request: HttpRequest, filters: Query[HouseholdFilterIn]) -> QuerySet[Household]:
    user = _viewer(request)
    unit_code = selectors.unit_for(user, filters.unit).code if filters.unit else ""
    grid_code = selectors.grid_for(user, filters.grid).code if filters.grid else ""
    qs = selectors.household_list(
        user,
        unit_code=unit_code,
        grid_code=grid_code,
        q=filters.q.strip(),
        color_grade=filters.color_grade or "",
    )
    return selectors.with_head_visibility(qs, user)


@router.get(
    "/households/{household_id}",
    response={200: HouseholdDetailOut, **error_responses(403, 404)},
    summary="户详情（含档案字段与可见成员）",
)
def household_detail(request: HttpRequest, household_id: int) -> Household:
    return _household_detail(_actor(request), household_id)


@router.post(
    "/households",
    response={201: HouseholdDetailOut, **error_responses(400, 403, 404, 409)},
    summary="新建户",
)
def household_create(request: HttpRequest, payload: HouseholdCreateIn) -> Status:
    user = _actor(request)
    unit = selectors.unit_for(user, payload.unit_code, Perm.PEOPLE_EDIT)
    grid = selectors.grid_for(user, payload.grid_code, Perm.PEOPLE_EDIT) if payload.grid_code else None
    fields = payload.dict(
        exclude_unset=True, exclude={"unit_code", "number", "address", "grid_code", "facts"}
    )
    household = services.household_create(
        actor=user,
        unit=unit,
        number=payload.number,
        address=payload.address,
        grid=grid,
        facts=payload.facts,
        **fields,
    )
    return Status(201, _household_detail(user, household.pk))


@router.patch(
    "/households/{household_id}",
    response={200: HouseholdDetailOut, **error_responses(400, 403, 404, 409)},
    summary="修改户信息（只改传入的字段；expected_version 过期时 409）",
)
def household_update(request: HttpRequest, household_id: int, payload: HouseholdUpdateIn) -> Household:
    user = _actor(request)
    household = selectors.household_get(user, household_id)
    sent = payload.model_fields_set
    fields = payload.dict(exclude_unset=True, exclude={"expected_version", "grid_code", "facts"})
    if "grid_code" in sent:
        fields["grid"] = (
            selectors.grid_for(user, payload.grid_code, Perm.PEOPLE_EDIT) if payload.grid_code else None
        )
    services.household_update(
        actor=user,
        household=household,
        expected_version=payload.expected_version,
        facts=payload.facts if "facts" in sent else None,
        **fields,
    )
    return _household_detail(user, household.pk)


# --- Residents -----------------------------------------------------------------------------------


@router.get(
    "/residents",
    response={200: list[ResidentOut], **error_responses(400, 403, 404)},
    summary="居民列表（管辖范围内；身份证号、手机号脱敏）",
)
@paginate(PagePagination)
def resident_list(request: HttpRequest, filters: Query[ResidentFilterIn]) -> QuerySet[Resident]:
    user = _viewer(request)
    if filters.status and filters.status not in ResidentStatus.values:
        raise ValidationFailed(
            f"状态“{filters.status}”不是有效选项。", code="resident_status", extra={"status": filters.status}
        )
    unit_code = selectors.unit_for(user, filters.unit).code if filters.unit else ""
    grid_code = selectors.grid_for(user, filters.grid).code if filters.grid else ""
    qs = selectors.resident_list(
        user,
        unit_code=unit_code,
        grid_code=grid_code,
        q=filters.q.strip(),
        group=filters.group or "",
        minors=filters.minors,
        status=filters.status,
    )
    return qs.select_related("household__grid").prefetch_related(_GROUPS)


@router.get(
    "/residents/{resident_id}",
    response={200: ResidentOut, **error_responses(403, 404)},
    summary="居民详情（身份证号、手机号脱敏）",
)
def resident_detail(request: HttpRequest, resident_id: int) -> Resident:
    return selectors.resident_get(_actor(request), resident_id)


@router.post(
    "/households/{household_id}/residents",
    response={201: ResidentOut, **error_responses(400, 403, 404, 409)},
    summary="在户内新建居民",
)
def resident_create(request: HttpRequest, household_id: int, payload: ResidentCreateIn) -> Status:
    user = _actor(request)
    household = selectors.household_get(user, household_id)
    fields = payload.dict(
        exclude_unset=True, exclude={"name", "id_number", "phone", "special_groups", "make_head"}
    )
    resident = services.resident_create(
        actor=user,
        household=household,
        name=payload.name,
        id_number=payload.id_number,
        phone=payload.phone,
        special_groups=payload.special_groups,
        make_head=payload.make_head,
        **fields,
    )
    # The caller has just written these values: answered from the service's object, not re-read
    # through the chokepoint (a tag the caller set may be one its role cannot list).
    return Status(201, resident)


@router.patch(
    "/residents/{resident_id}",
    response={200: ResidentOut, **error_responses(400, 403, 404, 409)},
    summary="修改居民信息（只改传入的字段；expected_version 过期时 409）",
)
def resident_update(request: HttpRequest, resident_id: int, payload: ResidentUpdateIn) -> Resident:
    user = _actor(request)
    resident = selectors.resident_get(user, resident_id)
    sent = payload.model_fields_set
    fields = payload.dict(
        exclude_unset=True,
        exclude={"expected_version", "id_number", "phone", "special_groups", "household_id"},
    )
    if "household_id" in sent and payload.household_id is not None:
        fields["household"] = selectors.household_get(user, payload.household_id)
    updated = services.resident_update(
        actor=user,
        resident=resident,
        expected_version=payload.expected_version,
        id_number=payload.id_number if "id_number" in sent else None,
        phone=payload.phone if "phone" in sent else None,
        special_groups=payload.special_groups if "special_groups" in sent else None,
        **fields,
    )
    return updated


@router.post(
    "/residents/{resident_id}/reveal",
    response={200: RevealOut, **error_responses(400, 403, 404)},
    summary="查看完整身份证号或手机号（须填写事由，记入日志）",
)
def resident_reveal(request: HttpRequest, resident_id: int, payload: RevealIn) -> dict[str, str]:
    user = _actor(request)
    resident = selectors.resident_get(user, resident_id)
    value = services.resident_reveal(
        actor=user, resident=resident, field=payload.field, reason=payload.reason
    )
    return {"field": payload.field, "value": value}


# --- Patrols -------------------------------------------------------------------------------------


@router.get(
    "/patrols",
    response={200: list[PatrolOut], **error_responses(400, 403, 404)},
    summary="巡查走访记录（管辖范围内，新的在前）",
)
@paginate(PagePagination)
def patrol_list(request: HttpRequest, filters: Query[PatrolFilterIn]) -> QuerySet[PatrolVisit]:
    user = _viewer(request)
    grid_code = selectors.grid_for(user, filters.grid).code if filters.grid else ""
    return selectors.patrol_list(user, grid_code=grid_code, gridder_id=user.pk if filters.mine else None)


@router.post(
    "/patrols",
    response={201: PatrolOut, **error_responses(400, 403, 404)},
    summary="登记巡查走访（照片请在网页端上传）",
)
def patrol_record(request: HttpRequest, payload: PatrolIn) -> Status:
    user = _actor(request)
    grid = selectors.grid_for(user, payload.grid_code, Perm.PATROL_RECORD)
    household = selectors.household_get(user, payload.household_id) if payload.household_id else None
    visit = services.patrol_record(
        actor=user,
        grid=grid,
        place=payload.place,
        note=payload.note,
        household=household,
        visited_at=payload.visited_at,
        latitude=payload.latitude,
        longitude=payload.longitude,
    )
    return Status(201, visit)


# --- Configuration -------------------------------------------------------------------------------


@router.get(
    "/special-groups",
    response={200: list[SpecialGroupOut], **error_responses(403)},
    summary="特殊群体（调用者可见的）",
)
def special_group_list(request: HttpRequest) -> list[SpecialGroup]:
    return selectors.special_groups_for(_viewer(request))


@router.get(
    "/facts",
    response={200: list[FactDefinitionOut], **error_responses(403)},
    summary="档案字段定义（facts 的键、类型、可选项）",
)
def fact_list(request: HttpRequest) -> list[FactDefinition]:
    _viewer(request)
    return selectors.fact_definitions()
