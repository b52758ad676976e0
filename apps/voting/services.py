"""Writes of sunshine voting (阳光票决): body members, suggestions, the six steps of a motion, the
meeting and its ballots (hall and online), the result and implementation reports, the warnings.

Every step goes through `machine.advance`, checks its permission over the motion's village
(VOTE_MANAGE for the village's own steps, VOTE_REVIEW for the township, VOTE_TELLER for hall
ballots, VOTE_SUPERVISE for the supervision committee), and writes the audit record and a typed
event. Ballots are appended to the box's hash chain under the meeting's row lock (one appender per
ballot box, so the chain stays a chain), taken last so concurrent voters overlap everything else;
one person, one vote is the database's unique constraint, answered here as a Conflict.
"""

from __future__ import annotations

import datetime
import logging
import secrets
from collections.abc import Iterable, Sequence
from typing import Any, NoReturn

from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from apps.accounts import access
from apps.accounts.choices import UserKind
from apps.accounts.models import User
from apps.accounts.permissions import Perm
from apps.audit.models import ChangeAction
from apps.audit.services import audit_create, audit_update, record_change, record_event, snapshot
from apps.core.errors import Conflict, PermissionDenied, RateLimited, ValidationFailed
from apps.people.choices import ResidentStatus
from apps.people.models import Resident
from apps.people.selectors import resident_of
from apps.territory.choices import Level
from apps.territory.models import Unit

from . import box, castpath, events, machine, rules
from .choices import (
    AttendanceChannel,
    BodyKind,
    BoxEventType,
    Channel,
    Choice,
    MeetingKind,
    MotionKind,
    MotionStatus,
    Outcome,
    ReviewDecision,
    StepKind,
    WarningKind,
)
from .models import (
    Attachment,
    Attendance,
    Ballot,
    Body,
    Elector,
    Meeting,
    Membership,
    Motion,
    MotionWarning,
    Step,
    Suggestion,
    VotingPolicy,
)

logger = logging.getLogger(__name__)

MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_WINDOW = datetime.timedelta(days=7)
VERIFY_MAX_FAILURES = 5
VERIFY_LOCK_SECONDS = 3600
TERMINAL = {MotionStatus.DONE, MotionStatus.CLOSED, MotionStatus.WITHDRAWN}


# --- helpers ---------------------------------------------------------------------------------------


def _text(value: str | None, label: str, *, required: bool = False, limit: int = 2000) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed(f"请填写{label}。", code="required", extra={"fields": {label: ["必填"]}})
    if len(value) > limit:
        raise ValidationFailed(f"{label}不能超过 {limit} 字。", code="too_long")
    return value


def _names(value: str | Sequence[str] | None) -> list[str]:
    """Signers as a list of names; a text field may separate them by commas, 、 or spaces."""
    if value is None:
        return []
    if isinstance(value, str):
        for sep in ("，", "、", ",", ";", "；", "\n"):
            value = value.replace(sep, " ")
        items: Iterable[str] = value.split()
    else:
        items = value
    names = [n.strip() for n in items if n and n.strip()]
    if any(len(n) > 50 for n in names) or len(names) > 200:
        raise ValidationFailed("签字人姓名过长或人数过多。", code="signatures_invalid")
    return names


def _date(value: datetime.date | None, label: str) -> datetime.date:
    if value is None:
        raise ValidationFailed(f"请填写{label}。", code="date_required")
    if value > timezone.localdate() + datetime.timedelta(days=1):
        raise ValidationFailed(f"{label}不能晚于今天：程序记录只登记已经发生的事。", code="date_in_future")
    return value


def _village(unit: Unit) -> None:
    if unit.level != Level.VILLAGE:
        raise ValidationFailed("票决事项只能由村（社区）登记。", code="not_a_village")


def _check_attachments(files: Sequence[UploadedFile]) -> None:
    if len(files) > MAX_ATTACHMENTS:
        raise ValidationFailed(f"每个步骤最多上传 {MAX_ATTACHMENTS} 个附件。", code="too_many_attachments")
    for f in files:
        if (f.size or 0) > MAX_ATTACHMENT_BYTES:
            raise ValidationFailed(f"附件“{f.name}”超过 10 MB。", code="attachment_too_large")


def _locked(motion: Motion) -> Motion:
    return Motion.objects.select_for_update().select_related("village").get(pk=motion.pk)


def _record_step(
    *,
    actor: User,
    motion: Motion,
    kind: int,
    held_on: datetime.date,
    participants: str = "",
    minutes: str = "",
    signatures: str | Sequence[str] | None = None,
    attachments: Sequence[UploadedFile] = (),
    decision: str = "",
    completed: bool = False,
) -> Step:
    _check_attachments(attachments)
    step = Step(
        motion=motion,
        kind=kind,
        held_on=_date(held_on, "日期"),
        participants=_text(participants, "参加人员"),
        minutes=_text(minutes, "会议记录", limit=10000),
        signatures=_names(signatures),
        decision=decision,
        completed=completed,
        recorded_by=actor,
    )
    step.save()
    for f in attachments:
        Attachment.objects.create(step=step, file=f, name=(f.name or "附件")[:200], size=f.size or 0)
    audit_create(actor=actor, obj=step)
    return step


def _move(actor: User | None, motion: Motion, action: str, **changes: Any) -> None:
    before = snapshot(motion)
    motion.status = machine.advance(motion.status, action)
    for name, value in changes.items():
        setattr(motion, name, value)
    motion.save(update_fields=["status", "updated_at", *changes])
    audit_update(actor=actor, obj=motion, before=before)


# --- Rules (policy) --------------------------------------------------------------------------------


def policy_for(unit: Unit) -> dict[str, Any]:
    """The rules and deadlines in force for a unit: the nearest policy up the tree, else the law's."""
    codes = [unit.code[:n] for n in (2, 4, 6, 9, 12, 15) if n <= len(unit.code)]
    policy = (
        VotingPolicy.objects.filter(unit__code__in=codes)
        .select_related("unit")
        .order_by("-unit__code")
        .first()
    )
    if policy is None:
        return {"rules": rules.merged_rules(None), **rules.DEFAULT_DAYS, "unit": None}
    return {
        "rules": rules.merged_rules(policy.rules),
        "filing_days": policy.filing_days,
        "publish_days": policy.publish_days,
        "report_days": policy.report_days,
        "unit": policy.unit,
    }


@transaction.atomic
def policy_save(
    *,
    actor: User,
    unit: Unit,
    rules_override: dict[str, Any],
    filing_days: int,
    publish_days: int,
    report_days: int,
) -> VotingPolicy:
    """Set a county's (or township's) quorum, majority and deadlines."""
    access.require(actor, Perm.VOTE_REVIEW, unit.code)
    if unit.level > Level.TOWNSHIP:
        raise ValidationFailed("票决规则只能由县（区）或乡镇（街道）制定。", code="policy_level")
    cleaned: dict[str, dict[str, list[Any]]] = {}
    for kind, parts in (rules_override or {}).items():
        if kind not in rules.DEFAULT_RULES or not isinstance(parts, dict):
            raise ValidationFailed(f"未知的会议类型“{kind}”。", code="policy_unknown_kind")
        for key, value in parts.items():
            if key not in rules.DEFAULT_RULES[kind]:
                raise ValidationFailed(f"未知的规则“{key}”。", code="policy_unknown_rule")
            try:
                cleaned.setdefault(kind, {})[key] = rules.validate_rule(value)
            except ValueError as exc:
                raise ValidationFailed(str(exc), code="policy_rule_invalid") from exc
    for label, days in (
        ("审议备案时限", filing_days),
        ("结果公开时限", publish_days),
        ("报告周期", report_days),
    ):
        if not 1 <= int(days) <= 365:
            raise ValidationFailed(f"{label}须在 1 到 365 天之间。", code="policy_days")
    policy = VotingPolicy.objects.select_for_update().filter(unit=unit).first()
    before = snapshot(policy) if policy is not None else None
    if policy is None:
        policy = VotingPolicy(unit=unit)
    policy.rules = cleaned
    policy.filing_days, policy.publish_days, policy.report_days = filing_days, publish_days, report_days
    policy.save()
    if before is None:
        audit_create(actor=actor, obj=policy)
    else:
        audit_update(actor=actor, obj=policy, before=before)
    record_event(actor=actor, event_type=events.POLICY_SAVED, obj=policy, data={"rules": cleaned})
    return policy


# --- Bodies ----------------------------------------------------------------------------------------


@transaction.atomic
def body_member_add(
    *,
    actor: User,
    village: Unit,
    kind: str,
    resident: Resident,
    starts_on: datetime.date,
    title: str = "",
) -> Membership:
    """Seat a resident of the village in its representatives' meeting or supervision committee."""
    access.require(actor, Perm.VOTE_MANAGE, village.code)
    _village(village)
    if kind not in BodyKind.values:
        raise ValidationFailed("未知的机构类型。", code="body_kind_unknown")
    resident = Resident.objects.select_related("household__unit").get(pk=resident.pk)
    if not resident.household.unit.code.startswith(village.code):
        raise ValidationFailed(f"{resident.name}不是{village}的村民。", code="member_not_villager")
    if resident.status != ResidentStatus.ACTIVE:
        raise ValidationFailed(f"{resident.name}不在册，不能担任成员。", code="member_not_active")
    if resident.birth_date is None or resident.birth_date > rules.adult_cutoff(starts_on):
        raise ValidationFailed(f"{resident.name}未满 18 周岁（或出生日期未登记）。", code="member_not_adult")
    body, _ = Body.objects.get_or_create(unit=village, kind=kind)
    if Membership.objects.filter(body=body, resident=resident, ends_on__isnull=True).exists():
        raise Conflict(f"{resident.name}已是{body}成员。", code="member_exists")
    seat = Membership(body=body, resident=resident, starts_on=starts_on, title=_text(title, "职务", limit=20))
    try:
        with transaction.atomic():
            seat.save()
    except IntegrityError as exc:
        raise Conflict(f"{resident.name}已是{body}成员。", code="member_exists") from exc
    audit_create(actor=actor, obj=seat)
    record_event(
        actor=actor,
        event_type=events.MEMBER_ADDED,
        obj=seat,
        data={"body": kind, "resident": resident.name, "starts_on": starts_on},
    )
    return seat


@transaction.atomic
def body_member_end(*, actor: User, membership: Membership, ends_on: datetime.date) -> Membership:
    seat = (
        Membership.objects.select_for_update().select_related("body__unit", "resident").get(pk=membership.pk)
    )
    access.require(actor, Perm.VOTE_MANAGE, seat.body.unit.code)
    if seat.ends_on is not None:
        raise Conflict("该成员的任期已经结束。", code="member_already_ended")
    if ends_on < seat.starts_on:
        raise ValidationFailed("任期结束日期不能早于开始日期。", code="member_dates")
    before = snapshot(seat)
    seat.ends_on = ends_on
    seat.save(update_fields=["ends_on"])
    audit_update(actor=actor, obj=seat, before=before)
    record_event(actor=actor, event_type=events.MEMBER_ENDED, obj=seat, data={"resident": seat.resident.name})
    return seat


# --- Step 1: suggestions and the motion ------------------------------------------------------------


def _village_of(resident: Resident) -> Unit:
    unit = resident.household.unit
    return unit.parent if unit.level > Level.VILLAGE and unit.parent is not None else unit


@transaction.atomic
def suggestion_submit(*, actor: User, text: str) -> Suggestion:
    """A villager's suggestion sent from their phone (线上议事箱)."""
    resident = resident_of(actor) if actor.kind == UserKind.RESIDENT else None
    if resident is None:
        raise PermissionDenied("只有已关联居民档案的村民可以在线提交建议。", code="no_resident")
    suggestion = Suggestion.objects.create(
        village=_village_of(resident),
        resident=resident,
        author_label=resident.name,
        source="online",
        text=_text(text, "建议内容", required=True),
    )
    audit_create(actor=actor, obj=suggestion)
    record_event(actor=actor, event_type=events.SUGGESTION_SUBMITTED, obj=suggestion, data={})
    return suggestion


@transaction.atomic
def motion_suggest(
    *,
    actor: User,
    village: Unit,
    kind: str,
    title: str,
    description: str = "",
    held_on: datetime.date,
    participants: str = "",
    minutes: str = "",
    signatures: str | Sequence[str] | None = None,
    attachments: Sequence[UploadedFile] = (),
    suggestion_ids: Sequence[int] = (),
) -> Motion:
    """Step 1: a matter is put forward from party members' and villagers' suggestions."""
    access.require(actor, Perm.VOTE_MANAGE, village.code)
    _village(village)
    if kind not in MotionKind.values:
        raise ValidationFailed("请选择事项类别。", code="kind_unknown")
    title = _text(title, "事项名称", required=True, limit=120)
    # Numbers run per village and year; the village row lock keeps two cadres from taking one.
    Unit.objects.select_for_update().filter(pk=village.pk).first()
    year = timezone.localdate().year
    count = Motion.objects.filter(village=village, number__startswith=f"{year}-").count()
    motion = Motion.objects.create(
        village=village,
        number=f"{year}-{count + 1:03d}",
        kind=kind,
        title=title,
        description=_text(description, "事项内容", limit=5000),
        created_by=actor,
    )
    _record_step(
        actor=actor,
        motion=motion,
        kind=StepKind.SUGGEST,
        held_on=held_on,
        participants=participants,
        minutes=minutes,
        signatures=signatures,
        attachments=attachments,
    )
    if suggestion_ids:
        Suggestion.objects.filter(pk__in=list(suggestion_ids), village=village, motion__isnull=True).update(
            motion=motion
        )
    audit_create(actor=actor, obj=motion)
    record_event(
        actor=actor, event_type=events.MOTION_SUGGESTED, obj=motion, data={"kind": kind, "title": title}
    )
    motion_warnings_refresh(motion=motion)
    return motion


@transaction.atomic
def motion_record_direct(
    *,
    actor: User,
    village: Unit,
    kind: str,
    title: str,
    implemented_on: datetime.date,
    description: str = "",
) -> Motion:
    """Register a matter the village already carried out without the procedure (补录). Allowed,
    because the register must be complete; a mandatory kind raises the `no_vote` warning."""
    access.require(actor, Perm.VOTE_MANAGE, village.code)
    _village(village)
    if kind not in MotionKind.values:
        raise ValidationFailed("请选择事项类别。", code="kind_unknown")
    title = _text(title, "事项名称", required=True, limit=120)
    implemented_on = _date(implemented_on, "实施日期")
    Unit.objects.select_for_update().filter(pk=village.pk).first()
    year = timezone.localdate().year
    count = Motion.objects.filter(village=village, number__startswith=f"{year}-").count()
    motion = Motion.objects.create(
        village=village,
        number=f"{year}-{count + 1:03d}",
        kind=kind,
        title=title,
        description=_text(description, "事项内容", limit=5000),
        status=MotionStatus.DONE,
        bypassed=True,
        done_at=timezone.make_aware(datetime.datetime.combine(implemented_on, datetime.time(12))),
        created_by=actor,
    )
    audit_create(actor=actor, obj=motion, message="登记未经票决的已实施事项")
    record_event(
        actor=actor,
        event_type=events.MOTION_RECORDED_DIRECT,
        obj=motion,
        data={"kind": kind, "mandatory": motion.mandatory},
    )
    motion_warnings_refresh(motion=motion)
    return motion


# --- Steps 2–4 -------------------------------------------------------------------------------------


def _village_step(
    *,
    actor: User,
    motion: Motion,
    action: str,
    kind: int,
    event: str,
    held_on: datetime.date,
    participants: str,
    minutes: str,
    signatures: str | Sequence[str] | None,
    attachments: Sequence[UploadedFile],
) -> Motion:
    motion = _locked(motion)
    access.require(actor, Perm.VOTE_MANAGE, motion.village.code)
    machine.advance(motion.status, action)
    if kind == StepKind.CONSULT:
        _text(minutes, "会议记录", required=True, limit=10000)
    step = _record_step(
        actor=actor,
        motion=motion,
        kind=kind,
        held_on=held_on,
        participants=participants,
        minutes=minutes,
        signatures=signatures,
        attachments=attachments,
    )
    _move(actor, motion, action)
    record_event(actor=actor, event_type=event, obj=motion, data={"step": step.pk, "held_on": held_on})
    motion_warnings_refresh(motion=motion)
    return motion


@transaction.atomic
def motion_propose(
    *,
    actor: User,
    motion: Motion,
    held_on: datetime.date,
    participants: str = "",
    minutes: str = "",
    signatures: str | Sequence[str] | None = None,
    attachments: Sequence[UploadedFile] = (),
) -> Motion:
    """Step 2: the party branch's expanded meeting (representatives attending) proposes it."""
    return _village_step(
        actor=actor,
        motion=motion,
        action="propose",
        kind=StepKind.PROPOSE,
        event=events.MOTION_PROPOSED,
        held_on=held_on,
        participants=participants,
        minutes=minutes,
        signatures=signatures,
        attachments=attachments,
    )


@transaction.atomic
def motion_consult(
    *,
    actor: User,
    motion: Motion,
    held_on: datetime.date,
    participants: str = "",
    minutes: str = "",
    signatures: str | Sequence[str] | None = None,
    attachments: Sequence[UploadedFile] = (),
) -> Motion:
    """Step 3: the joint meeting of the two committees settles the plan; then it waits for the
    township (again after a send-back)."""
    return _village_step(
        actor=actor,
        motion=motion,
        action="consult",
        kind=StepKind.CONSULT,
        event=events.MOTION_CONSULTED,
        held_on=held_on,
        participants=participants,
        minutes=minutes,
        signatures=signatures,
        attachments=attachments,
    )


@transaction.atomic
def motion_review(
    *,
    actor: User,
    motion: Motion,
    approve: bool,
    held_on: datetime.date,
    opinion: str = "",
    participants: str = "",
    signatures: str | Sequence[str] | None = None,
    attachments: Sequence[UploadedFile] = (),
) -> Motion:
    """Step 4: the township party committee reviews and files it, or sends it back with reasons."""
    motion = _locked(motion)
    access.require(actor, Perm.VOTE_REVIEW, motion.village.code)
    action = "approve" if approve else "return"
    machine.advance(motion.status, action)
    if not approve:
        _text(opinion, "退回理由", required=True)
    step = _record_step(
        actor=actor,
        motion=motion,
        kind=StepKind.REVIEW,
        held_on=held_on,
        participants=participants,
        minutes=opinion,
        signatures=signatures,
        attachments=attachments,
        decision=ReviewDecision.APPROVE if approve else ReviewDecision.RETURN,
    )
    _move(actor, motion, action)
    record_event(
        actor=actor,
        event_type=events.MOTION_APPROVED if approve else events.MOTION_RETURNED,
        obj=motion,
        data={"step": step.pk, "opinion": opinion[:200]},
    )
    motion_warnings_refresh(motion=motion)
    return motion


@transaction.atomic
def motion_withdraw(*, actor: User, motion: Motion, reason: str) -> Motion:
    motion = _locked(motion)
    access.require(actor, Perm.VOTE_MANAGE, motion.village.code)
    machine.advance(motion.status, "withdraw")
    reason = _text(reason, "撤回理由", required=True, limit=200)
    _move(actor, motion, "withdraw")
    record_event(actor=actor, event_type=events.MOTION_WITHDRAWN, obj=motion, data={"reason": reason})
    motion_warnings_refresh(motion=motion)
    return motion


# --- Step 5: the meeting, attendance, ballots -------------------------------------------------------


def _now_iso() -> str:
    return timezone.now().isoformat()


@transaction.atomic
def vote_open(
    *,
    actor: User,
    motion: Motion,
    kind: str = MeetingKind.REPRESENTATIVES,
    held_on: datetime.date,
    opens_at: datetime.datetime,
    closes_at: datetime.datetime,
    secret: bool = False,
    place: str = "",
    participants: str = "",
) -> Motion:
    """Step 5 begins: the meeting is convened and the ballot box opens for its voting window
    (hall and online alike). The electorate and the rules are fixed at this moment."""
    motion = _locked(motion)
    access.require(actor, Perm.VOTE_MANAGE, motion.village.code)
    machine.advance(motion.status, "open_vote")
    if kind not in MeetingKind.values:
        raise ValidationFailed("请选择会议类型。", code="meeting_kind_unknown")
    if closes_at <= opens_at:
        raise ValidationFailed("投票截止时间须晚于开始时间。", code="window_invalid")
    if closes_at - opens_at > MAX_WINDOW:
        raise ValidationFailed("投票时间窗口不能超过 7 天。", code="window_too_long")
    if closes_at <= timezone.now():
        raise ValidationFailed("投票截止时间已过，请重新设定。", code="window_past")
    roll = list(rules.electorate(kind, motion.village, held_on).values_list("pk", flat=True))
    voters = len(roll)
    if voters == 0:
        raise ValidationFailed(
            f"{motion.village}在 {held_on} 没有{MeetingKind(kind).label}的表决人员：请先维护村民代表名单。",
            code="electorate_empty",
        )
    policy = policy_for(motion.village)
    meeting = Meeting(
        motion=motion,
        kind=kind,
        held_on=held_on,
        place=_text(place, "地点", limit=100),
        opens_at=opens_at,
        closes_at=closes_at,
        secret=secret,
        rules=policy["rules"],
        electorate=voters,
        households=rules.household_count(motion.village),
        electorate_fixed=True,
    )
    meeting.save()
    # The roll is kept: the people counted as 应到 now are the ones who may vote until it closes
    # (a seat ending or a resident moving mid-vote changes neither), and a ballot checks it with
    # one index probe instead of the electorate's joins.
    Elector.objects.bulk_create([Elector(motion=motion, resident_id=pk) for pk in roll], batch_size=1000)
    box.append(
        meeting,
        BoxEventType.OPEN,
        _now_iso(),
        {
            "meeting_kind": kind,
            "electorate": meeting.electorate,
            "households": meeting.households,
            "rules": meeting.rules,
            "secret": secret,
            "opens_at": opens_at.isoformat(),
            "closes_at": closes_at.isoformat(),
        },
    )
    meeting.save(update_fields=["event_count", "head_hash"])
    audit_create(actor=actor, obj=meeting)
    local = timezone.localtime
    _record_step(
        actor=actor,
        motion=motion,
        kind=StepKind.VOTE,
        held_on=held_on,
        participants=participants,
        minutes=(
            f"召开{meeting.get_kind_display()}，应到 {voters} 人；"
            f"{'无记名' if secret else '记名'}投票，投票时间 {local(opens_at):%Y-%m-%d %H:%M} 至 "
            f"{local(closes_at):%Y-%m-%d %H:%M}（现场与云票决同步）。"
        ),
    )
    _move(actor, motion, "open_vote")
    record_event(
        actor=actor,
        event_type=events.VOTE_OPENED,
        obj=motion,
        data={"kind": kind, "electorate": voters, "secret": secret},
    )
    return motion


# The cast path (hall and online). Per ballot: the box read without a lock, the voter (their
# login's resident and their place on the stored roll in one statement), the attendance and the
# ballot rows (each insert answered by its unique constraint), the audit record, and only then
# the meeting's row lock for the chain append. Everything before the lock runs side by side for
# concurrent voters; the lock is held for three one-row statements and the commit. The box's
# state is checked again under the lock, so a ballot racing the close is refused and rolled back.
# The statements are castpath's (plain SQL); see its docstring for why.


def _refuse_closed(meeting_id: int) -> NoReturn:
    closes = timezone.localtime(Meeting.objects.values_list("closes_at", flat=True).get(pk=meeting_id))
    raise Conflict(f"投票已于 {closes:%Y-%m-%d %H:%M} 截止。", code="window_closed")


def _box(motion: Motion, login: User | None = None) -> castpath.Box:
    """The motion's ballot box if it takes ballots now; otherwise the specific refusal. With a
    login, the same statement finds the resident linked to it (see `_verified_voter`)."""
    state = castpath.box_state(motion.pk, timezone.now(), getattr(login, "pk", None))
    if state is None or state.status != MotionStatus.VOTING:
        raise Conflict("该事项当前不在票决阶段，不能投票。", code="not_voting")
    if state.not_yet_open:
        opens_at = Meeting.objects.values_list("opens_at", flat=True).get(pk=state.meeting_id)
        opens = timezone.localtime(opens_at)
        raise Conflict(f"投票尚未开始：开始时间为 {opens:%Y-%m-%d %H:%M}。", code="window_not_open")
    if state.closed:
        _refuse_closed(state.meeting_id)
    return state


def _on_roll(box_: castpath.Box, voter: castpath.Voter) -> bool:
    if box_.electorate_fixed:
        if voter.elector is not None:
            return voter.elector
        return castpath.is_elector(box_.motion_id, voter.pk)
    # A meeting opened before the roll was stored: the rules on its date, as it was then.
    meeting = Meeting(motion_id=box_.motion_id, kind=box_.kind, held_on=box_.held_on, electorate_fixed=False)
    return rules.on_roll(meeting, Unit.objects.get(pk=box_.village_id), voter.pk)


def _as_voter(resident: Resident) -> castpath.Voter:
    return castpath.Voter(
        pk=resident.pk, name=resident.name, id_tail=resident.id_tail or "", household_id=resident.household_id
    )


def _chain(box_: castpath.Box, event_type: str, at: str, data: dict[str, Any]) -> None:
    """Append one event to the box's hash chain under the meeting's row lock, after checking the
    box is still open (it may have closed since `_box` read it; then nothing of this call stays)."""
    head = castpath.lock_head(box_.meeting_id, timezone.now())
    if head.closed:
        _refuse_closed(box_.meeting_id)
    seq, prev, payload, digest = box.chained(box_.motion_id, head.count, head.hash, event_type, at, data)
    castpath.append(
        meeting_id=box_.meeting_id,
        motion_id=box_.motion_id,
        seq=seq,
        type=event_type,
        payload=payload,
        prev=prev,
        digest=digest,
    )


def _sign_in(actor: User, box_: castpath.Box, voter: castpath.Voter, channel: str) -> Attendance:
    """Present at the meeting without a ballot yet (a teller's sign-in, or the online identity
    step): the attendance row and an `attend` event; nothing new if already present."""
    now = timezone.now()
    attendance = Attendance(
        motion_id=box_.motion_id,
        resident_id=voter.pk,
        household_id_at=voter.household_id,
        channel=channel,
        at=now,
        recorded_by=actor,
    )
    attendance.pk = castpath.attend(
        motion_id=box_.motion_id, voter=voter, channel=channel, recorded_by=actor.pk, at=now
    )
    if attendance.pk is None:
        return Attendance.objects.get(motion_id=box_.motion_id, resident_id=voter.pk)
    _chain(
        box_,
        BoxEventType.ATTEND,
        now.isoformat(),
        {
            "voter_token": box.pseudonym(box_.motion_id, "voter", voter.pk),
            "household_token": box.pseudonym(box_.motion_id, "household", voter.household_id),
            "channel": channel,
        },
    )
    return attendance


def _cast(
    actor: User, motion: Motion, box_: castpath.Box, voter: castpath.Voter, choice: str, channel: str
) -> Ballot:
    if choice not in Choice.values:
        raise ValidationFailed("请选择同意、反对或弃权。", code="choice_invalid")
    now = timezone.now()
    present = AttendanceChannel.ONLINE if channel == Channel.ONLINE else AttendanceChannel.HALL
    signed_in = castpath.attend(
        motion_id=box_.motion_id, voter=voter, channel=present, recorded_by=actor.pk, at=now
    )
    token = box.pseudonym(box_.motion_id, "voter", voter.pk)
    nonce = secrets.token_hex(16)
    ballot = Ballot(
        motion=motion,
        voter_id=voter.pk,
        choice=choice,
        channel=channel,
        voter_token=token,
        nonce=nonce,
        receipt=box.receipt_of(box_.motion_id, token, choice, nonce),
        cast_at=now,
        entered_by=actor,
    )
    ballot.pk = castpath.insert_ballot(
        motion_id=box_.motion_id,
        voter_id=voter.pk,
        choice=choice,
        channel=channel,
        voter_token=token,
        nonce=nonce,
        receipt=ballot.receipt,
        cast_at=now,
        entered_by=actor.pk,
    )
    if ballot.pk is None:
        # The unique (motion, voter) constraint refused it; the transaction is intact, so the
        # first ballot's channel can be named. The caller's atomic block undoes the sign-in above.
        previous = Ballot.objects.filter(motion_id=box_.motion_id, voter_id=voter.pk).only("channel").first()
        how = f"（{previous.get_channel_display()}）" if previous is not None else ""
        raise Conflict(f"{voter.name}已经投过票{how}，每人只能投一票。", code="already_voted")
    ballot._state.adding, ballot._state.db = False, "default"
    # The audit record is the ballot's accountability trail (who entered it, from which request
    # and address); the choice stays out of it (Ballot.audit_exclude): on a secret ballot the audit
    # log must not tie a name to a vote. The chained `ballot` event below is the ballot's business
    # event (typed, published, verifiable), so no separate `voting.ballot_cast` Event row is
    # written: it held only the channel and a receipt prefix, which both records already hold.
    record_change(
        actor=actor, obj=ballot, action=ChangeAction.CREATE, before=None, scope_code=box_.village_code
    )
    data = {
        "voter_token": token,
        "choice": choice,
        "channel": channel,
        "nonce": nonce,
        "receipt": ballot.receipt,
    }
    if signed_in is not None:  # not yet present: this ballot is also their sign-in (one event, not two)
        data["household_token"] = box.pseudonym(box_.motion_id, "household", voter.household_id)
    _chain(box_, BoxEventType.BALLOT, now.isoformat(), data)
    return ballot


@transaction.atomic
def attendance_record(*, actor: User, motion: Motion, voter: Resident) -> Attendance:
    """A teller signs a person in at the hall (present without having voted yet)."""
    access.require(actor, Perm.VOTE_TELLER, motion.village.code)
    box_ = _box(motion)
    person = _as_voter(voter)
    if not _on_roll(box_, person):
        raise ValidationFailed(f"{voter.name}不是本次会议的表决人员。", code="not_member")
    attendance = _sign_in(actor, box_, person, AttendanceChannel.HALL)
    record_event(actor=actor, event_type=events.ATTENDANCE_RECORDED, obj=motion, data={"channel": "hall"})
    return attendance


@transaction.atomic
def ballot_enter(
    *, actor: User, motion: Motion, voter: Resident, choice: str, channel: str = Channel.PAPER
) -> Ballot:
    """A teller enters one person's paper ballot or show of hands in the hall."""
    access.require(actor, Perm.VOTE_TELLER, motion.village.code)
    if channel not in (Channel.PAPER, Channel.HANDS):
        raise ValidationFailed("现场计票只能录入纸质选票或举手表决。", code="channel_invalid")
    box_ = _box(motion)
    person = _as_voter(voter)
    if not _on_roll(box_, person):
        raise ValidationFailed(f"{voter.name}不是本次会议的表决人员。", code="not_member")
    return _cast(actor, motion, box_, person, choice, channel)


def _verify_key(motion_id: int, actor: User) -> str:
    return f"voting:verify:{motion_id}:{actor.pk}"


def _verified_voter(actor: User, box_: castpath.Box, name: str, id_tail: str) -> castpath.Voter:
    """The online voter behind a resident login, checked against name and ID-number tail.

    Wrong answers are counted outside the transaction (the cache), so a caller rolling back
    cannot reset the count; after five the motion is locked for that login for an hour."""
    if actor is None or not actor.is_authenticated or actor.kind != UserKind.RESIDENT:
        raise PermissionDenied("云票决须使用居民账号（手机验证码）登录。", code="not_resident")
    voter = box_.login_voter
    if voter is None:  # not linked by account: the phone-number match of resident_of (rare)
        resident = resident_of(actor)
        if resident is None:
            raise PermissionDenied("您的账号尚未关联居民档案，请联系村干部。", code="no_resident")
        voter = _as_voter(resident)
    key = _verify_key(box_.motion_id, actor)
    failures = int(cache.get(key, 0))
    if failures >= VERIFY_MAX_FAILURES:
        raise RateLimited("身份核验失败次数过多，请一小时后再试或到会场投票。", code="verify_locked")
    if not _on_roll(box_, voter):
        raise PermissionDenied(
            f"您不是本次{MeetingKind(box_.kind).label}的表决人员，不能参加票决。", code="not_member"
        )
    ok_name = (name or "").strip() == voter.name
    ok_tail = (id_tail or "").strip().upper() == voter.id_tail.upper() and bool(voter.id_tail)
    if not (ok_name and ok_tail):
        cache.set(key, failures + 1, VERIFY_LOCK_SECONDS)
        left = VERIFY_MAX_FAILURES - failures - 1
        logger.warning("voting verify failed motion=%s user=%s", box_.motion_id, actor.pk)
        raise ValidationFailed(
            f"身份核验未通过：姓名或身份证号后四位与档案不符（还可尝试 {left} 次）。", code="verify_failed"
        )
    return voter


@transaction.atomic
def voter_verify(*, actor: User, motion: Motion, name: str, id_tail: str) -> Attendance:
    """The online voter confirms name and ID tail; they are then present (online) at the meeting."""
    box_ = _box(motion, actor)
    voter = _verified_voter(actor, box_, name, id_tail)
    return _sign_in(actor, box_, voter, AttendanceChannel.ONLINE)


@transaction.atomic
def ballot_cast_online(*, actor: User, motion: Motion, choice: str, name: str, id_tail: str) -> Ballot:
    """云票决: a representative votes from a phone inside the window, identity checked again."""
    box_ = _box(motion, actor)
    voter = _verified_voter(actor, box_, name, id_tail)
    return _cast(actor, motion, box_, voter, choice, Channel.ONLINE)


def _live_counts(motion: Motion) -> dict[str, int]:
    counts = dict(
        Ballot.objects.filter(motion=motion)
        .values_list("choice")
        .annotate(n=Count("id"))
        .values_list("choice", "n")
    )
    attendance = Attendance.objects.filter(motion=motion)
    return {
        "attended": attendance.count(),
        "households_attended": attendance.values("household_id_at").distinct().count(),
        "for": counts.get(Choice.FOR, 0),
        "against": counts.get(Choice.AGAINST, 0),
        "abstain": counts.get(Choice.ABSTAIN, 0),
    }


@transaction.atomic
def vote_close(*, actor: User, motion: Motion) -> Motion:
    """The chair ends the vote: the box closes, the tally (attendance, quorum, majority, outcome)
    is computed from the ballots and written into the chain and the step-5 record."""
    # The meeting first, then the motion: a ballot takes the meeting's lock last and its foreign
    # keys take their key-share lock on the motion at COMMIT (Django's constraints are deferred
    # on PostgreSQL), so holding the motion while waiting for the meeting would deadlock with it.
    meeting = Meeting.objects.select_for_update().filter(motion=motion).first()
    motion = _locked(motion)
    access.require(actor, Perm.VOTE_MANAGE, motion.village.code)
    machine.advance(motion.status, "close_vote")
    assert meeting is not None  # VOTING implies a meeting (vote_open makes both)
    live = _live_counts(motion)
    result = rules.tally(
        kind=meeting.kind,
        rules=meeting.rules,
        electorate=meeting.electorate,
        households=meeting.households,
        attended=live["attended"],
        households_attended=live["households_attended"],
        votes_for=live["for"],
        votes_against=live["against"],
        votes_abstain=live["abstain"],
    )
    before = snapshot(meeting)
    meeting.closed_at = timezone.now()
    meeting.attended = result.attended
    meeting.households_attended = result.households_attended
    meeting.votes_for, meeting.votes_against, meeting.votes_abstain = (
        result.votes_for,
        result.votes_against,
        result.votes_abstain,
    )
    meeting.quorum_met, meeting.majority_met = result.quorum_met, result.majority_met
    box.append(meeting, BoxEventType.CLOSE, meeting.closed_at.isoformat(), {"tally": result.as_dict()})
    meeting.save()
    audit_update(actor=actor, obj=meeting, before=before)
    step = motion.steps.filter(kind=StepKind.VOTE).order_by("-recorded_at", "-id").first()
    if step is not None:
        step_before = snapshot(step)
        step.minutes = (step.minutes + "\n" + result_text(meeting, str(result.outcome))).strip()
        step.save(update_fields=["minutes"])
        audit_update(actor=actor, obj=step, before=step_before)
    _move(actor, motion, "close_vote", outcome=result.outcome)
    record_event(actor=actor, event_type=events.VOTE_CLOSED, obj=motion, data=result.as_dict())
    motion_warnings_refresh(motion=motion)
    return motion


def result_text(meeting: Any, outcome: str) -> str:
    quorum = "达到" if meeting.quorum_met else "未达到"
    return (
        f"应到 {meeting.electorate} 人，实到 {meeting.attended} 人（{quorum}法定人数）；"
        f"同意 {meeting.votes_for}，反对 {meeting.votes_against}，弃权 {meeting.votes_abstain}；"
        f"表决结果：{Outcome(outcome).label}。"
    )


@transaction.atomic
def motion_publish_result(*, actor: User, motion: Motion) -> Motion:
    """决议公开: the result goes on the public page; a passed motion moves to supervision."""
    motion = _locked(motion)
    access.require(actor, Perm.VOTE_MANAGE, motion.village.code)
    action = "publish_passed" if motion.outcome == Outcome.PASSED else "publish_failed"
    _move(actor, motion, action, result_published_at=timezone.now())
    record_event(
        actor=actor, event_type=events.RESULT_PUBLISHED, obj=motion, data={"outcome": motion.outcome}
    )
    motion_warnings_refresh(motion=motion)
    return motion


# --- Step 6: supervision ---------------------------------------------------------------------------


@transaction.atomic
def motion_report(
    *,
    actor: User,
    motion: Motion,
    held_on: datetime.date,
    minutes: str,
    participants: str = "",
    signatures: str | Sequence[str] | None = None,
    attachments: Sequence[UploadedFile] = (),
    completed: bool = False,
) -> Motion:
    """Step 6: the supervision committee records how implementation goes, until it is done
    (实施结果公开 when `completed`)."""
    motion = _locked(motion)
    access.require(actor, Perm.VOTE_SUPERVISE, motion.village.code)
    action = "complete" if completed else "report"
    machine.advance(motion.status, action)
    minutes = _text(minutes, "实施情况", required=True, limit=10000)
    step = _record_step(
        actor=actor,
        motion=motion,
        kind=StepKind.SUPERVISE,
        held_on=held_on,
        participants=participants,
        minutes=minutes,
        signatures=signatures,
        attachments=attachments,
        completed=completed,
    )
    if completed:
        _move(actor, motion, action, done_at=timezone.now())
    else:
        _move(actor, motion, action)
    record_event(
        actor=actor,
        event_type=events.MOTION_COMPLETED if completed else events.IMPLEMENTATION_REPORTED,
        obj=motion,
        data={"step": step.pk},
    )
    motion_warnings_refresh(motion=motion)
    return motion


# --- Warnings --------------------------------------------------------------------------------------


def _current_warnings(motion: Motion, now: datetime.datetime) -> dict[str, str]:
    found: dict[str, str] = {}
    if motion.bypassed and motion.mandatory:
        found[WarningKind.NO_VOTE] = f"“{motion.kind_short}”属必须票决事项，登记为已实施但未经票决"
    steps = list(motion.steps.order_by("recorded_at", "id").values_list("kind", "held_on"))
    latest: dict[int, datetime.date] = {}
    for kind, held_on in steps:
        earlier = [d for k, d in latest.items() if k < kind]
        if earlier and held_on < max(earlier):
            label = StepKind(kind).label
            found[WarningKind.STEP_ORDER] = f"“{label}”的日期（{held_on}）早于前一步骤（{max(earlier)}）"
        missing = [k for k in range(1, kind) if k not in latest and k != StepKind.SUPERVISE]
        if missing and WarningKind.STEP_ORDER not in found:
            found[WarningKind.STEP_ORDER] = f"“{StepKind(kind).label}”之前缺少“{StepKind(missing[0]).label}”"
        latest[kind] = max(held_on, latest.get(kind, held_on))
    meeting = Meeting.objects.filter(motion=motion).first()
    if meeting is not None and meeting.closed_at is not None and not meeting.quorum_met:
        found[WarningKind.QUORUM] = f"应到 {meeting.electorate} 人，实到 {meeting.attended} 人"
    if motion.status in TERMINAL and not found:
        return found
    policy = policy_for(motion.village)
    if motion.status == MotionStatus.CONSULTED:
        since = (
            motion.steps.filter(kind=StepKind.CONSULT)
            .order_by("-recorded_at")
            .values_list("recorded_at", flat=True)
            .first()
        )
        if since is not None and now - since > datetime.timedelta(days=policy["filing_days"]):
            found[WarningKind.FILING_OVERDUE] = f"报送乡镇审议备案已超过 {policy['filing_days']} 天"
    if (
        motion.status == MotionStatus.DECIDED
        and meeting is not None
        and meeting.closed_at is not None
        and now - meeting.closed_at > datetime.timedelta(days=policy["publish_days"])
    ):
        found[WarningKind.RESULT_UNPUBLISHED] = f"表决后 {policy['publish_days']} 天内未公开结果"
    if motion.status == MotionStatus.SUPERVISING:
        last_report = (
            motion.steps.filter(kind=StepKind.SUPERVISE)
            .order_by("-recorded_at")
            .values_list("recorded_at", flat=True)
            .first()
        )
        since = max(filter(None, [last_report, motion.result_published_at]), default=None)
        if since is not None and now - since > datetime.timedelta(days=policy["report_days"]):
            found[WarningKind.REPORT_OVERDUE] = f"已超过 {policy['report_days']} 天未报告实施情况"
    return found


@transaction.atomic
def motion_warnings_refresh(*, motion: Motion, now: datetime.datetime | None = None) -> tuple[int, int]:
    """Raise the warnings a motion now deserves and resolve those whose cause went away. Run by
    the services after each step and by the `voting_warnings` sweep (deadlines pass on their own).
    System work: no actor, no permission."""
    motion = Motion.objects.select_related("village").get(pk=motion.pk)
    now = now or timezone.now()
    wanted = _current_warnings(motion, now)
    open_ = {
        w.kind: w for w in MotionWarning.objects.select_for_update().filter(motion=motion, resolved_at=None)
    }
    raised = resolved = 0
    for kind, detail in wanted.items():
        if kind in open_:
            continue
        warning = MotionWarning.objects.create(motion=motion, kind=kind, detail=detail[:200], raised_at=now)
        record_event(
            actor=None,
            event_type=events.WARNING_RAISED,
            obj=motion,
            data={"kind": kind, "detail": warning.detail},
        )
        raised += 1
    for kind, warning in open_.items():
        if kind in wanted:
            continue
        warning.resolved_at = now
        warning.save(update_fields=["resolved_at"])
        record_event(actor=None, event_type=events.WARNING_RESOLVED, obj=motion, data={"kind": kind})
        resolved += 1
    return raised, resolved


def warnings_sweep(*, now: datetime.datetime | None = None) -> tuple[int, int, int]:
    """All motions that can still gain or lose a warning: open ones, and any with an open warning."""
    candidates = (
        Motion.objects.filter(
            ~Q(status__in=TERMINAL)
            | Q(warnings__resolved_at__isnull=True, warnings__isnull=False)
            | Q(bypassed=True)
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    checked = raised = resolved = 0
    for pk in list(candidates):
        r, s = motion_warnings_refresh(motion=Motion(pk=pk), now=now)
        checked, raised, resolved = checked + 1, raised + r, resolved + s
    return checked, raised, resolved
