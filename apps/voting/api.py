"""JSON API of the 阳光票决 module (mounted under /api/voting/): motions (list, detail with steps),
the live tally, and casting ballots — online by a resident (identity checked by name and ID
tail, as on the phone page) or entered by a teller. Reads go through selectors (VOTE_VIEW),
writes through services, refusals leave as `{"message", "code", "extra"}`."""

import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from apps.accounts import access
from apps.accounts.permissions import Perm
from apps.core.errors import NotFound
from apps.core.pagination import PagePagination
from apps.core.schemas import error_responses
from apps.people.models import Resident

from . import selectors, services
from .choices import Channel, Choice
from .models import Motion

router = Router(tags=["阳光票决"])


class MotionOut(Schema):
    id: int
    number: str
    village_code: str = Field(alias="village.code")
    village_name: str = Field(alias="village.name")
    kind: str
    title: str
    status: str
    status_label: str = Field(alias="get_status_display")
    outcome: str
    bypassed: bool
    created_at: datetime.datetime
    result_published_at: datetime.datetime | None


class StepOut(Schema):
    kind: int
    label: str = Field(alias="get_kind_display")
    held_on: datetime.date
    participants: str
    minutes: str
    signatures: list[str]
    decision: str
    completed: bool
    recorded_at: datetime.datetime


class WarningOut(Schema):
    kind: str
    label: str = Field(alias="get_kind_display")
    detail: str
    raised_at: datetime.datetime
    resolved_at: datetime.datetime | None


class MotionDetailOut(MotionOut):
    description: str
    steps: list[StepOut]
    warnings: list[WarningOut]


class TallyOut(Schema):
    meeting_kind: str
    secret: bool
    opens_at: datetime.datetime
    closes_at: datetime.datetime
    closed: bool
    electorate: int
    attended: int
    attended_hall: int
    attended_online: int
    votes_for: int
    votes_against: int
    votes_abstain: int
    quorum_met: bool
    majority_met: bool
    outcome: str | None = Field(description="passed / rejected / invalid；计票结束前为 null")
    chain_head: str
    chain_ok: bool


class MotionFilter(Schema):
    status: str = ""
    kind: str = ""
    unit: str = Field("", description="区划代码（含下级）")
    warning: str = Field("", description="预警类型，或 any")
    q: str = ""


class OnlineBallotIn(Schema):
    choice: Choice
    name: str = Field(description="本人姓名")
    id_tail: str = Field(description="身份证号后四位")


class TellerBallotIn(Schema):
    choice: Choice
    channel: Channel = Channel.PAPER


class BallotOut(Schema):
    receipt: str
    choice: str
    channel: str
    cast_at: datetime.datetime


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


@router.get("/motions", response={200: list[MotionOut], **error_responses(403)}, summary="票决事项列表")
@paginate(PagePagination)
def motion_list(request: HttpRequest, filters: Query[MotionFilter]) -> Any:
    user = _actor(request)
    access.require(user, Perm.VOTE_VIEW)
    return selectors.motion_list(user, **filters.dict(exclude={"unit"}), unit_code=filters.unit)


@router.get(
    "/motions/{motion_id}",
    response={200: MotionDetailOut, **error_responses(403, 404)},
    summary="票决事项详情",
)
def motion_detail(request: HttpRequest, motion_id: int) -> Any:
    # steps and warnings are the motion's related rows, read in full (ninja calls .all()).
    return selectors.motion_get(_actor(request), motion_id)


@router.get(
    "/motions/{motion_id}/tally",
    response={200: TallyOut, **error_responses(403, 404)},
    summary="计票（实时）",
)
def motion_tally(request: HttpRequest, motion_id: int) -> Any:
    from . import box

    motion = selectors.motion_get(_actor(request), motion_id)
    tally = selectors.live_tally(motion)
    if tally is None:
        raise NotFound("该事项尚未召开票决会议。", code="no_meeting")
    r, m = tally.result, tally.meeting
    return {
        "meeting_kind": m.kind,
        "secret": m.secret,
        "opens_at": m.opens_at,
        "closes_at": m.closes_at,
        "closed": tally.closed,
        "electorate": r.electorate,
        "attended": r.attended,
        "attended_hall": tally.hall,
        "attended_online": tally.online,
        "votes_for": r.votes_for,
        "votes_against": r.votes_against,
        "votes_abstain": r.votes_abstain,
        "quorum_met": r.quorum_met,
        "majority_met": r.majority_met,
        "outcome": r.outcome if tally.closed else None,
        "chain_head": m.head_hash,
        "chain_ok": box.verify(motion).ok,
    }


def _motion(motion_id: int) -> Motion:
    motion = Motion.objects.select_related("village").filter(pk=motion_id).first()
    if motion is None:
        raise NotFound("票决事项不存在。", code="not_found")
    return motion


@router.post(
    "/motions/{motion_id}/ballots",
    response={201: BallotOut, **error_responses(400, 403, 404, 409, 429)},
    summary="云票决：居民本人投票",
)
def ballot_cast(request: HttpRequest, motion_id: int, data: OnlineBallotIn) -> Status:
    """The resident's own vote, inside the voting window, identity confirmed by name and the last
    four characters of the ID number. 409 `already_voted` if they voted in the hall or before."""
    ballot = services.ballot_cast_online(
        actor=_actor(request),
        motion=_motion(motion_id),
        choice=data.choice,
        name=data.name,
        id_tail=data.id_tail,
    )
    return Status(201, ballot)


@router.post(
    "/motions/{motion_id}/voters/{resident_id}/ballot",
    response={201: BallotOut, **error_responses(400, 403, 404, 409)},
    summary="监票员录入现场选票",
)
def ballot_enter(request: HttpRequest, motion_id: int, resident_id: int, data: TellerBallotIn) -> Any:
    """A teller enters one person's paper ballot or show of hands (the person is in the path)."""
    user = _actor(request)
    motion = selectors.motion_get(user, motion_id)
    voter = Resident.objects.filter(pk=resident_id).first()
    if voter is None:
        raise NotFound("居民不存在。", code="not_found")
    ballot = services.ballot_enter(
        actor=user, motion=motion, voter=voter, choice=data.choice, channel=data.channel
    )
    return Status(201, ballot)
