"""Case API (诉求办理): inboxes, a case with its timeline, staff intake, and one endpoint per
transition. An illegal transition or a stale `expected_version` is 409 and changes nothing; the
error's `extra` carries the current status. Citizens' apps use Open311 (/open311/v2/) instead.
"""

import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status as HttpStatus

from apps.accounts import access
from apps.accounts.permissions import Perm
from apps.core.errors import NotFound, ValidationFailed
from apps.core.pagination import PagePagination
from apps.core.schemas import error_responses
from apps.territory.models import Organisation, Unit

from . import selectors, services
from .choices import STAFF_CHANNELS
from .models import Case, Category, Extension, Whistle

router = Router(tags=["诉求办理"])


class CategoryOut(Schema):
    code: str
    name: str
    parent: str | None = Field(None, alias="parent.code")
    kind: str
    default_triage: str
    accept_days: int
    sign_days: int
    reply_days: int
    return_days: int
    follow_up_days: int


class CaseListOut(Schema):
    id: int
    tracking_code: str
    title: str
    status: str
    status_label: str = Field(alias="get_status_display")
    channel: str
    category: str = Field(alias="category.code")
    kind: str
    unit: str = Field(alias="unit.code")
    holder: str = Field(alias="holder_name")
    sla_state: str
    due_at: datetime.datetime | None
    urge_count: int
    submitted_at: datetime.datetime
    version: int


class StepOut(Schema):
    action: str
    label: str = Field(alias="get_action_display")
    body: str
    actor: str = Field(alias="actor_name")
    from_status: str
    to_status: str
    note: str
    at: datetime.datetime


class WhistleOut(Schema):
    id: int
    organisation: str = Field(alias="organisation.name")
    status: str
    sign_due: datetime.datetime
    signed_at: datetime.datetime | None
    result: str


class CaseDetailOut(CaseListOut):
    description: str
    address: str
    latitude: float | None
    longitude: float | None
    triage: str
    reply: str
    rating: str
    reopen_count: int
    return_count: int
    escalation_count: int
    reply_due: datetime.datetime | None
    sign_due: datetime.datetime | None
    closed_at: datetime.datetime | None
    resolved_level: str
    on_time: bool | None
    allowed_actions: list[str]
    steps: list[StepOut] = Field(alias="steps_list")
    whistles: list[WhistleOut] = Field(alias="whistles_list")


class CaseFilterIn(Schema):
    box: str = Field(
        "all", description="收件箱：" + "、".join(f"{k}={v}" for k, v in selectors.INBOXES.items())
    )
    q: str = ""
    category: str = ""
    channel: str = ""
    unit: str = ""
    since: datetime.date | None = None
    until: datetime.date | None = None


class CaseIn(Schema):
    channel: str = Field(description="登记渠道：" + "、".join(f"{c.value}={c.label}" for c in STAFF_CHANNELS))
    category: str = Field(description="类别代码")
    title: str
    description: str
    unit: str = Field("", description="发生地区划代码（或提供经纬度）")
    latitude: float | None = None
    longitude: float | None = None
    address: str = ""
    submitter_name: str = ""
    submitter_phone: str = ""
    is_anonymous: bool = False
    external_id: str = ""


class ActionIn(Schema):
    expected_version: int | None = Field(None, description="乐观锁：与当前版本不符时 409")
    note: str = Field("", description="说明/理由/答复/督办意见，视动作而定")
    triage: str = Field("", description="triage：major / minor / private")
    unit: str = Field("", description="dispatch：承办单位区划代码")
    organisation: str = Field("", description="dispatch：承办部门机构代码")
    supporting: list[str] = Field(default_factory=list, description="dispatch：配合部门机构代码")
    organisations: list[str] = Field(default_factory=list, description="whistle/split：部门机构代码")
    rating: str = Field("", description="follow_up：satisfied / basic / unsatisfied")
    days: int | None = Field(None, description="extension_request：延期工作日；whistle：报到时限")
    deadline: datetime.date | None = Field(None, description="own：承诺办结日期")
    original: str = Field("", description="merge：原诉求查询码")
    category: str = Field("", description="accept：改正类别代码")


class DecisionIn(Schema):
    approve: bool
    note: str = ""


class WhistleStepIn(Schema):
    result: str = ""


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _category(code: str) -> Category:
    category = Category.objects.filter(code=code).first()
    if category is None:
        raise ValidationFailed(f"没有代码为 {code} 的类别。", code="unknown_category")
    return category


def _org(code: str) -> Organisation:
    org = Organisation.objects.filter(code=code).first()
    if org is None:
        raise ValidationFailed(f"没有机构代码为 {code} 的部门。", code="unknown_organisation")
    return org


def _detail(user: Any, pk: int) -> Case:
    case = selectors.case_get(user, pk)
    case.allowed_actions = sorted(services.allowed_actions(user, case))  # type: ignore[attr-defined]
    case.steps_list = list(selectors.timeline(case))  # type: ignore[attr-defined]
    case.whistles_list = list(selectors.whistles_of(case))  # type: ignore[attr-defined]
    return case


@router.get("/categories", response={200: list[CategoryOut], **error_responses()}, summary="诉求类别与时限")
def category_list(request: HttpRequest) -> QuerySet[Category]:
    return selectors.categories()


@router.get(
    "/cases",
    response={200: list[CaseListOut], **error_responses(400, 403, 404)},
    summary="诉求列表（按收件箱，管辖范围内）",
)
@paginate(PagePagination)
def case_list(request: HttpRequest, filters: Query[CaseFilterIn]) -> QuerySet[Case]:
    user = _actor(request)
    access.require(user, Perm.CASE_VIEW)
    if filters.box not in selectors.INBOXES:
        raise ValidationFailed(f"没有收件箱 {filters.box}。", code="unknown_inbox")
    f = selectors.CaseFilters(
        q=filters.q.strip(),
        category=filters.category,
        channel=filters.channel,
        unit=filters.unit,
        since=filters.since,
        until=filters.until,
    )
    return selectors.with_list_columns(selectors.apply_filters(selectors.inbox(user, filters.box), f))


@router.get(
    "/cases/{case_id}",
    response={200: CaseDetailOut, **error_responses(403, 404)},
    summary="诉求详情（含办理过程和当前可做的动作）",
)
def case_detail(request: HttpRequest, case_id: int) -> Case:
    return _detail(_actor(request), case_id)


@router.post(
    "/cases",
    response={201: CaseDetailOut, **error_responses(400, 403, 409)},
    summary="登记诉求（工作人员渠道：热线、接访、议事、巡查）",
)
def case_create(request: HttpRequest, payload: CaseIn) -> HttpStatus:
    user = _actor(request)
    if payload.channel not in STAFF_CHANNELS:
        raise ValidationFailed(
            "接口登记只接受工作人员渠道；群众请走 Open311 或随手拍。", code="channel_not_staff"
        )
    unit = Unit.objects.filter(code=payload.unit).first() if payload.unit else None
    if payload.unit and unit is None:
        raise ValidationFailed(f"没有区划代码 {payload.unit}。", code="unknown_unit")
    case = services.case_submit(
        actor=user,
        channel=payload.channel,
        category=_category(payload.category),
        title=payload.title,
        description=payload.description,
        unit=unit,
        latitude=payload.latitude,
        longitude=payload.longitude,
        address=payload.address,
        submitter_name=payload.submitter_name,
        submitter_phone=payload.submitter_phone,
        is_anonymous=payload.is_anonymous,
        external_id=payload.external_id,
    )
    return HttpStatus(201, _detail(user, case.pk))


ACTIONS = (
    "accept", "reject", "triage", "dispatch", "sign", "return", "escalate", "progress", "reply",
    "extension_request", "urge", "follow_up", "close", "merge", "split", "whistle", "own",
)  # fmt: skip


@router.post(
    "/cases/{case_id}/{action}",
    response={200: CaseDetailOut, **error_responses(400, 403, 404, 409)},
    summary="办理动作：" + "、".join(ACTIONS) + "（非法流转 409）",
)
def case_act(request: HttpRequest, case_id: int, action: str, payload: ActionIn) -> Case:
    user = _actor(request)
    case = selectors.case_get(user, case_id)
    v, note = payload.expected_version, payload.note
    if action == "accept":
        category = _category(payload.category) if payload.category else None
        services.case_accept(actor=user, case=case, category=category, note=note, expected_version=v)
    elif action == "reject":
        services.case_reject(actor=user, case=case, reason=note, expected_version=v)
    elif action == "triage":
        services.case_triage(actor=user, case=case, triage=payload.triage, note=note, expected_version=v)
    elif action == "dispatch":
        unit = Unit.objects.filter(code=payload.unit).first() if payload.unit else None
        if payload.unit and unit is None:
            raise ValidationFailed(f"没有区划代码 {payload.unit}。", code="unknown_unit")
        services.case_dispatch(
            actor=user,
            case=case,
            unit=unit,
            organisation=_org(payload.organisation) if payload.organisation else None,
            supporting=[_org(c) for c in payload.supporting],
            note=note,
            expected_version=v,
        )
    elif action == "sign":
        services.case_sign(actor=user, case=case, expected_version=v)
    elif action == "return":
        services.case_return(actor=user, case=case, reason=note, expected_version=v)
    elif action == "escalate":
        services.case_escalate(actor=user, case=case, reason=note, expected_version=v)
    elif action == "progress":
        services.case_progress(actor=user, case=case, note=note, expected_version=v)
    elif action == "reply":
        services.case_reply(actor=user, case=case, reply=note, expected_version=v)
    elif action == "extension_request":
        services.extension_request(
            actor=user, case=case, days=payload.days or 0, reason=note, expected_version=v
        )
    elif action == "urge":
        services.case_urge(actor=user, case=case, note=note, expected_version=v)
    elif action == "follow_up":
        services.case_follow_up(actor=user, case=case, rating=payload.rating, note=note, expected_version=v)
    elif action == "close":
        services.case_close(actor=user, case=case, note=note, expected_version=v)
    elif action == "merge":
        original = Case.objects.filter(tracking_code=payload.original.strip().upper()).first()
        if original is None:
            raise ValidationFailed("请提供原诉求的查询码。", code="original_required")
        services.case_merge(actor=user, case=case, original=original, note=note, expected_version=v)
    elif action == "split":
        parts = [services.SplitPart(organisation=_org(c)) for c in payload.organisations]
        services.case_split(actor=user, case=case, parts=parts, note=note, expected_version=v)
    elif action == "whistle":
        services.case_whistle(
            actor=user,
            case=case,
            organisations=[_org(c) for c in payload.organisations],
            reason=note,
            sign_days=1 if payload.days is None else payload.days,
            expected_version=v,
        )
    elif action == "own":
        if payload.deadline is None:
            raise ValidationFailed("请提供承诺办结日期 deadline。", code="deadline_required")
        services.case_own(actor=user, case=case, deadline=payload.deadline, note=note, expected_version=v)
    else:
        raise NotFound(f"没有动作 {action}。", code="unknown_action")
    return _detail(user, case_id)


@router.post(
    "/extensions/{extension_id}/decide",
    response={200: CaseDetailOut, **error_responses(400, 403, 404, 409)},
    summary="审批延期申请",
)
def extension_decide(request: HttpRequest, extension_id: int, payload: DecisionIn) -> Case:
    user = _actor(request)
    extension = Extension.objects.select_related("case").filter(pk=extension_id).first()
    if extension is None:
        raise NotFound("延期申请不存在。", code="not_found")
    selectors.case_get(user, extension.case_id)
    services.extension_decide(actor=user, extension=extension, approve=payload.approve, note=payload.note)
    return _detail(user, extension.case_id)


@router.post(
    "/whistles/{whistle_id}/{step}",
    response={200: CaseDetailOut, **error_responses(400, 403, 404, 409)},
    summary="部门报到（sign）或反馈办理情况（done）",
)
def whistle_step(request: HttpRequest, whistle_id: int, step: str, payload: WhistleStepIn) -> Case:
    user = _actor(request)
    whistle = Whistle.objects.filter(pk=whistle_id).first()
    if whistle is None:
        raise NotFound("吹哨记录不存在。", code="not_found")
    selectors.case_get(user, whistle.case_id)
    if step == "sign":
        services.whistle_sign(actor=user, whistle=whistle)
    elif step == "done":
        services.whistle_done(actor=user, whistle=whistle, result=payload.result)
    else:
        raise NotFound(f"没有步骤 {step}。", code="unknown_step")
    return _detail(user, whistle.case_id)
