"""Writes to cases: intake and one function per transition of the one state machine.

Every transition locks the case row, checks the actor may act (through `access`), checks the
transition is legal from the current state (else Conflict 409, nothing changed), writes the new
state, a timeline step, an audit record and an event, and sets the deadline of the next step from
the working calendar. Two people pressing the same button: the second waits for the lock, then finds
the state moved on and is told so.

    submitted → accept → accepted → triage → triaged → dispatch → dispatched → sign → handling
    → reply → replied → follow-up (satisfied/basic) → followed_up → close → closed
    replied → follow-up (unsatisfied) → handling (不满意重办)      submitted → reject → rejected
    dispatched/handling → return (within the window) / escalate → triaged (back to a dispatcher)
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.accounts import access
from apps.accounts.choices import ORG_BOUND_ROLES
from apps.accounts.models import RoleAssignment, User
from apps.accounts.permissions import ROLE_PERMS, Perm
from apps.audit.services import audit_create, audit_update, record_event, snapshot
from apps.core import crypto, sms
from apps.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from apps.territory import geo
from apps.territory.choices import Level
from apps.territory.models import Grid, Organisation, Unit
from apps.workdays import calendar as workcal

from . import events
from .choices import (
    STAFF_CHANNELS,
    Action,
    CaseKind,
    Channel,
    ExtensionStatus,
    IntakeKind,
    Rating,
    ResolvedLevel,
    SlaState,
    Status,
    Triage,
    WhistleStatus,
)
from .models import Case, CasePhoto, CaseStep, Category, Extension, IntakeRecord, Notice, Whistle

MAX_PHOTOS = 9
MAX_PHOTO_BYTES = 10 * 1024 * 1024
PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"}
TRACKING_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out over the phone

# Which states each transition may start from: the state machine, as data (tests read it too).
ALLOWED_FROM: dict[str, tuple[str, ...]] = {
    Action.ACCEPT: (Status.SUBMITTED,),
    Action.REJECT: (Status.SUBMITTED,),
    Action.TRIAGE: (Status.ACCEPTED, Status.TRIAGED),
    Action.DISPATCH: (Status.TRIAGED,),
    Action.SIGN: (Status.DISPATCHED,),
    Action.RETURN: (Status.DISPATCHED, Status.HANDLING),
    Action.ESCALATE: (Status.DISPATCHED, Status.HANDLING),
    Action.EXTENSION_REQUEST: (Status.HANDLING,),
    Action.EXTENSION_DECIDE: (Status.HANDLING,),
    Action.URGE: (Status.ACCEPTED, Status.TRIAGED, Status.DISPATCHED, Status.HANDLING, Status.REPLIED),
    Action.PROGRESS: (Status.HANDLING,),
    Action.REPLY: (Status.HANDLING,),
    Action.FOLLOW_UP: (Status.REPLIED,),
    Action.CLOSE: (Status.REPLIED, Status.FOLLOWED_UP),
    Action.MERGE: (Status.SUBMITTED, Status.ACCEPTED, Status.TRIAGED),
    Action.SPLIT: (Status.ACCEPTED, Status.TRIAGED, Status.HANDLING),
    Action.WHISTLE: (Status.HANDLING,),
    Action.OWN: (
        Status.ACCEPTED,
        Status.TRIAGED,
        Status.DISPATCHED,
        Status.HANDLING,
        Status.REPLIED,
        Status.FOLLOWED_UP,
    ),
}


# --- helpers -------------------------------------------------------------------------------------


def _now() -> datetime.datetime:
    return timezone.now()


def _text(value: str | None, *, field: str, code: str, minimum: int = 2, maximum: int = 2000) -> str:
    value = (value or "").strip()
    if len(value) < minimum:
        raise ValidationFailed(f"请填写{field}（至少 {minimum} 个字）。", code=code)
    if len(value) > maximum:
        raise ValidationFailed(f"{field}不能超过 {maximum} 个字。", code=f"{code}_too_long")
    return value


def _lock(case: Case) -> Case:
    """Lock the case row (the second of two simultaneous actions waits here, then sees the first's
    result). Permission is checked on the locked row before the state, so an outsider learns nothing."""
    try:
        return (
            Case.objects.select_for_update(of=("self",))
            .select_related("unit", "category", "holder_unit", "holder_org__service_area", "dispatcher_unit")
            .get(pk=case.pk)
        )
    except Case.DoesNotExist as exc:
        raise NotFound("诉求不存在。", code="not_found") from exc


def _check(case: Case, action: str, expected_version: int | None = None) -> None:
    """The transition must be legal from the case's current state (and the caller's view fresh)."""
    if expected_version is not None and case.version != expected_version:
        raise Conflict(
            "该诉求刚被他人处理过，请刷新后再操作。",
            code="stale_version",
            extra={"version": case.version, "status": case.status},
        )
    allowed = ALLOWED_FROM.get(action)
    if allowed is not None and case.status not in allowed:
        raise Conflict(
            f"该诉求当前为「{case.get_status_display()}」，不能{Action(action).label}。",
            code="illegal_transition",
            extra={"status": case.status, "action": str(action)},
        )


def _body_of(actor: User | None) -> str:
    """The acting body's name for the public timeline (never a person's name)."""
    if actor is None:
        return ""
    if actor.kind == "resident":
        return "提交人"
    assignment = (
        RoleAssignment.objects.filter(user=actor, is_active=True)
        .select_related("unit", "organisation")
        .order_by("unit__code")
        .first()
    )
    if assignment is None:
        return ""
    if assignment.organisation_id and assignment.organisation:
        return assignment.organisation.name
    return assignment.unit.display_name


def _step(
    case: Case,
    action: str,
    actor: User | None,
    *,
    from_status: str = "",
    note: str = "",
    data: dict[str, Any] | None = None,
    body: str | None = None,
) -> CaseStep:
    return CaseStep.objects.create(
        case=case,
        action=action,
        actor=actor,
        actor_name=(actor.full_name or actor.username) if actor else "",
        body=_body_of(actor) if body is None else body,
        from_status=from_status,
        to_status=case.status,
        note=note,
        data=data or {},
    )


def _finish(
    case: Case,
    before: dict[str, Any],
    action: str,
    actor: User | None,
    *,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> Case:
    """Save the case with a new version, then the timeline step, audit record and event."""
    case.version = F("version") + 1
    case.save()
    case.refresh_from_db(fields=["version", "updated_at"])
    _step(case, action, actor, from_status=before["status"], note=note, data=data)
    audit_update(actor=actor, obj=case, before=before)
    record_event(
        actor=actor,
        event_type=events.BY_ACTION[action],
        obj=case,
        data={"from": before["status"], "to": case.status, **(data or {})},
    )
    return case


def _set_due(case: Case, due: datetime.datetime | None, start: datetime.datetime | None = None) -> None:
    """The current step's deadline; the warning starts one working day before it — or, for a step
    shorter than that (sign within one working day), on the deadline's own day, so a case does not
    turn yellow the moment it arrives."""
    case.due_at = due
    if due is None:
        case.warn_at = None
    else:
        warn = workcal.warn_at(due, 1)
        case.warn_at = warn if warn > (start or _now()) else workcal.warn_at(due, 0)
    case.sla_state = SlaState.NORMAL
    if due is not None and due < _now():
        case.sla_state = SlaState.RED
        case.was_overdue = True


def _days(case: Case, step_days: int) -> int:
    """Emergencies are due the same day whatever the category says."""
    return 0 if case.kind == CaseKind.EMERGENCY else step_days


def _acting_unit(actor: User, perm: Perm, code: str) -> Unit:
    """The unit the actor acts for over `code`: their closest role unit above it (or the county)."""
    scope = access.split_scope_of(actor, perm)
    prefixes = [p for p in scope.prefixes if code.startswith(p)]
    if scope.everything or not prefixes:
        county_code = code[:6]
        return Unit.objects.get(code=county_code)
    return Unit.objects.get(code=max(prefixes, key=len))


def _require_dispatcher(actor: User, case: Case) -> None:
    """A case waiting for dispatch belongs to its dispatcher's unit (after an escalation, the
    higher one); before that, to whoever may dispatch over its place."""
    code = case.dispatcher_unit.code if case.dispatcher_unit_id and case.dispatcher_unit else case.unit.code
    access.require(actor, Perm.CASE_DISPATCH, code)


def _require_holder(actor: User, case: Case) -> None:
    """Only the body holding the case (its staff, or a holder of the permission above it) acts on it."""
    access.require_obj(actor, Perm.CASE_HANDLE, case)
    if case.holder_org_id and case.holder_org:
        allowed = access.acts_for_org(actor, Perm.CASE_HANDLE, case.holder_org)
    elif case.holder_unit_id and case.holder_unit:
        allowed = access.acts_for_unit(actor, Perm.CASE_HANDLE, case.holder_unit.code)
    else:
        return  # not held by anyone: no holder action is legal now, and _check says so
    if not allowed:
        raise PermissionDenied(
            f"该诉求由「{case.holder_name or '派单单位'}」承办，您不能代为办理。", code="not_the_holder"
        )


def _photos(case: Case, photos: Sequence[UploadedFile], actor: User | None, stage: str) -> None:
    if len(photos) > MAX_PHOTOS:
        raise ValidationFailed(f"照片最多 {MAX_PHOTOS} 张。", code="too_many_photos")
    for photo in photos:
        if photo.size is not None and photo.size > MAX_PHOTO_BYTES:
            raise ValidationFailed("单张照片不能超过 10 MB。", code="photo_too_large")
        if (photo.content_type or "") not in PHOTO_TYPES:
            raise ValidationFailed("照片须为 JPG、PNG、WEBP 或 HEIC 格式。", code="photo_type")
    for photo in photos:
        CasePhoto.objects.create(case=case, image=photo, stage=stage, uploaded_by=actor)


def _new_tracking_code(at: datetime.datetime) -> str:
    local = timezone.localtime(at)
    return f"{local:%y%m%d}" + "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(5))


# --- notices -------------------------------------------------------------------------------------


def staff_of_holder(case: Case, perm: Perm = Perm.CASE_HANDLE) -> list[User]:
    """The people who act for the body holding the case (notified of dispatch, urges, warnings)."""
    roles = [role for role, perms in ROLE_PERMS.items() if perm in perms]
    rows = RoleAssignment.objects.filter(is_active=True, role__in=roles, user__is_active=True)
    if case.holder_org_id:
        rows = rows.filter(organisation_id=case.holder_org_id)
    elif case.holder_unit_id:
        rows = rows.filter(unit_id=case.holder_unit_id).exclude(role__in=ORG_BOUND_ROLES)
    else:
        code = (
            case.dispatcher_unit.code if case.dispatcher_unit_id and case.dispatcher_unit else case.unit.code
        )
        roles = [role for role, perms in ROLE_PERMS.items() if Perm.CASE_DISPATCH in perms]
        rows = RoleAssignment.objects.filter(
            is_active=True, role__in=roles, user__is_active=True, unit__code=code
        )
    return list(User.objects.filter(pk__in=rows.values("user_id")))


def notify(
    case: Case, users: Iterable[User], kind: str, text: str, *, due_at: datetime.datetime | None = None
) -> int:
    """In-app notices plus an SMS for users with a phone; sent after commit."""
    sent = 0
    for user in {u.pk: u for u in users if u is not None}.values():
        Notice.objects.create(recipient=user, case=case, kind=kind, text=text[:200], due_at=due_at)
        sent += 1
        if user.phone:
            transaction.on_commit(partial(sms.send_sms, user.phone, f"【基层治理】{text}"[:70]))
    return sent


def _submitters(case: Case) -> list[User]:
    """The submitter and the submitters of duplicates merged into this case (they follow it)."""
    users = [case.submitter] if case.submitter_id and case.submitter else []
    users += [
        d.submitter
        for d in case.duplicates.select_related("submitter").all()
        if d.submitter_id and d.submitter
    ]
    return users


# --- intake --------------------------------------------------------------------------------------


def _place(
    unit: Unit | None, grid: Grid | None, latitude: float | None, longitude: float | None
) -> tuple[Unit, Grid | None]:
    if (latitude is None) != (longitude is None):
        raise ValidationFailed("经度和纬度须同时提供。", code="coordinates_incomplete")
    if grid is None and latitude is not None and longitude is not None:
        if not (
            geo.LNG_RANGE[0] <= longitude <= geo.LNG_RANGE[1]
            and geo.LAT_RANGE[0] <= latitude <= geo.LAT_RANGE[1]
        ):
            raise ValidationFailed("位置不在中国范围内，请重新定位。", code="point_out_of_range")
        # The finest active grid containing the point (a citizen's report: not scoped to a user).
        ids = geo.candidate_grid_ids(longitude, latitude)
        grid = (
            Grid.objects.select_related("unit").filter(pk__in=ids, is_active=True).order_by("-level").first()
        )
    if unit is None and grid is not None:
        unit = grid.unit
    if unit is None:
        raise ValidationFailed("请选择诉求发生的村（社区）或在地图上标出位置。", code="place_required")
    if unit.level < Level.TOWNSHIP:
        raise ValidationFailed("请选择具体的乡镇或村（社区）。", code="place_too_coarse")
    if (
        grid is not None
        and not unit.code.startswith(grid.unit.code)
        and not grid.unit.code.startswith(unit.code)
    ):
        raise ValidationFailed("所选网格不在该村（社区）。", code="grid_outside_unit")
    return unit, grid


@transaction.atomic
def case_submit(
    *,
    actor: User | None,
    channel: str,
    category: Category,
    title: str,
    description: str,
    unit: Unit | None = None,
    grid: Grid | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    address: str = "",
    submitter_name: str = "",
    submitter_phone: str = "",
    is_anonymous: bool = False,
    photos: Sequence[UploadedFile] = (),
    intake_record: IntakeRecord | None = None,
    external_id: str = "",
    submitted_at: datetime.datetime | None = None,
) -> Case:
    """A case from any channel. Citizens' channels (随手拍, 信箱, API) need no staff role; the staff
    channels (hotline, receptions, meetings, patrol) need CASE_INTAKE over the place."""
    if channel not in Channel.values:
        raise ValidationFailed("未知的渠道。", code="unknown_channel")
    if not category.is_active:
        raise ValidationFailed(f"类别「{category.name}」已停用，请另选。", code="category_inactive")
    title = _text(title, field="标题", code="title_required", maximum=100)
    description = _text(description, field="诉求内容", code="description_required", minimum=5, maximum=4000)
    unit, grid = _place(unit, grid, latitude, longitude)
    if channel in STAFF_CHANNELS:
        if actor is None:
            raise PermissionDenied("该渠道须由工作人员登记。", code="staff_channel")
        access.require(actor, Perm.CASE_INTAKE, unit.code)
    if intake_record is not None and not unit.code.startswith(intake_record.unit.code[:9]):
        raise ValidationFailed("诉求发生地须在该次接访/议事的乡镇内。", code="intake_record_place")
    phone = (submitter_phone or "").strip()
    if phone and not (len(phone) == 11 and phone.isdigit() and phone.startswith("1")):
        raise ValidationFailed("手机号须为 11 位数字。", code="phone_invalid")
    if external_id and Case.objects.filter(channel=channel, external_id=external_id).exists():
        raise Conflict(f"工单号 {external_id} 已登记。", code="duplicate_external_id")
    at = submitted_at or _now()
    submitter = actor if actor is not None and actor.kind == "resident" else None
    case = Case(
        channel=channel,
        category=category,
        kind=category.kind,
        title=title,
        description=description,
        unit=unit,
        grid=grid,
        address=(address or "").strip()[:200],
        latitude=latitude,
        longitude=longitude,
        submitter=submitter,
        submitter_name=(submitter_name or (submitter.full_name if submitter else "")).strip()[:50],
        submitter_phone_enc=crypto.encrypt(phone) if phone else "",
        submitter_phone_hash=crypto.lookup_hash(phone) if phone else "",
        submitter_phone_tail=phone[-4:] if phone else "",
        is_anonymous=is_anonymous,
        entered_by=actor if actor is not None and submitter is None else None,
        intake_record=intake_record,
        external_id=(external_id or "")[:40],
        submitted_at=at,
    )
    _set_due(case, workcal.deadline(at, _days(case, category.accept_days)), start=at)
    for _attempt in range(5):
        case.tracking_code = _new_tracking_code(at)
        try:
            with transaction.atomic():
                case.save()
            break
        except IntegrityError as exc:
            if "external_id" in str(exc):  # the same work order registered at the same moment
                raise Conflict(f"工单号 {external_id} 已登记。", code="duplicate_external_id") from exc
            if "tracking_code" not in str(exc) and "case_tracking" not in str(exc):
                raise
    else:  # pragma: no cover - 32^5 codes a day
        raise Conflict("系统繁忙，请重试。", code="tracking_code_exhausted")
    _photos(case, photos, actor, "submit")
    _step(case, Action.SUBMIT, actor, data={"channel": channel}, body=Channel(channel).label)
    audit_create(actor=actor, obj=case)
    record_event(
        actor=actor,
        event_type=events.BY_ACTION[Action.SUBMIT],
        obj=case,
        data={"channel": channel, "category": category.code, "unit": unit.code},
    )
    return case


@transaction.atomic
def intake_record_create(
    *,
    actor: User,
    kind: str,
    unit: Unit,
    held_on: datetime.date,
    place: str = "",
    host: str = "",
    attendees: int = 0,
    batches: int = 0,
    minutes: str = "",
) -> IntakeRecord:
    """A reception (周一夜访, 来访接待) or a meeting (百姓夜话/村民说事) the cases raised there hang on."""
    access.require(actor, Perm.CASE_INTAKE, unit.code)
    if kind not in IntakeKind.values:
        raise ValidationFailed("未知的记录类型。", code="unknown_intake_kind")
    if held_on > timezone.localdate():
        raise ValidationFailed("日期不能晚于今天。", code="date_in_future")
    if attendees < 0 or batches < 0:
        raise ValidationFailed("人数和批次不能为负数。", code="negative_count")
    record = IntakeRecord.objects.create(
        kind=kind,
        unit=unit,
        held_on=held_on,
        place=place.strip()[:100],
        host=host.strip()[:60],
        attendees=attendees,
        batches=batches,
        minutes=minutes.strip(),
        created_by=actor,
    )
    audit_create(actor=actor, obj=record)
    record_event(actor=actor, event_type=events.INTAKE_RECORDED, obj=record, data={"kind": kind})
    return record


# --- accept / reject / triage / dispatch ----------------------------------------------------------


@transaction.atomic
def case_accept(
    *,
    actor: User,
    case: Case,
    category: Category | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Case:
    case = _lock(case)
    access.require_obj(actor, Perm.CASE_DISPATCH, case)
    _check(case, Action.ACCEPT, expected_version)
    before = snapshot(case)
    if category is not None and category.pk != case.category_id:
        if not category.is_active:
            raise ValidationFailed(f"类别「{category.name}」已停用。", code="category_inactive")
        case.category, case.kind = category, category.kind
    now = _now()
    case.status = Status.ACCEPTED
    case.accepted_at = now
    case.dispatcher_unit = _acting_unit(actor, Perm.CASE_DISPATCH, case.unit.code)
    case.triage = case.category.default_triage or Triage.MINOR
    _set_due(case, workcal.deadline(now, _days(case, 1)))
    _finish(case, before, Action.ACCEPT, actor, note=note.strip())
    notify(case, _submitters(case), "accepted", f"您的诉求（查询码 {case.tracking_code}）已受理。")
    return case


@transaction.atomic
def case_reject(*, actor: User, case: Case, reason: str, expected_version: int | None = None) -> Case:
    case = _lock(case)
    access.require_obj(actor, Perm.CASE_DISPATCH, case)
    _check(case, Action.REJECT, expected_version)
    reason = _text(reason, field="不予受理的理由", code="reason_required", maximum=500)
    before = snapshot(case)
    case.status = Status.REJECTED
    case.closed_at = _now()
    _set_due(case, None)
    _finish(case, before, Action.REJECT, actor, note=reason)
    notify(case, _submitters(case), "rejected", f"您的诉求（查询码 {case.tracking_code}）不予受理：{reason}")
    return case


def natural_holder(case: Case, triage: str) -> Unit:
    """三事分流: major → the township of the place; minor and private → its village."""
    unit = case.unit
    township = unit if unit.level == Level.TOWNSHIP else Unit.objects.get(code=unit.code[:9])
    if triage == Triage.MAJOR or unit.level == Level.TOWNSHIP:
        return township
    return unit if unit.level == Level.VILLAGE else Unit.objects.get(code=unit.code[:12])


@transaction.atomic
def case_triage(
    *, actor: User, case: Case, triage: str, note: str = "", expected_version: int | None = None
) -> Case:
    case = _lock(case)
    _require_dispatcher(actor, case)
    _check(case, Action.TRIAGE, expected_version)
    if triage not in Triage.values:
        raise ValidationFailed("请选择分流：大事、小事或私事。", code="triage_required")
    before = snapshot(case)
    case.triage = triage
    case.status = Status.TRIAGED
    _set_due(case, workcal.deadline(_now(), _days(case, 1)))
    _finish(case, before, Action.TRIAGE, actor, note=note.strip(), data={"triage": triage})
    return case


def _check_target(case: Case, unit: Unit | None, org: Organisation | None) -> None:
    if (unit is None) == (org is None):
        raise ValidationFailed("请选择一个承办单位或部门。", code="target_required")
    if org is not None:
        if not org.is_active:
            raise ValidationFailed(f"「{org.name}」已停用。", code="org_inactive")
        if not case.unit.code.startswith(org.service_area.code):
            raise ValidationFailed(f"「{org.name}」的服务区域不含诉求发生地。", code="org_outside_area")
        return
    assert unit is not None
    if not case.unit.code.startswith(unit.code):
        raise ValidationFailed(f"「{unit.display_name}」不管辖诉求发生地。", code="unit_outside_place")
    if unit.level < Level.TOWNSHIP and not (case.dispatcher_unit and case.dispatcher_unit.pk == unit.pk):
        raise ValidationFailed("县级事项请派给职能部门。", code="unit_too_high")
    dispatcher = case.dispatcher_unit
    if dispatcher is not None and not unit.code.startswith(dispatcher.code):
        raise ValidationFailed("只能派给本级或下级单位。", code="target_above_dispatcher")
    # 村级工作准入清单: a superior may push work down to a village only for admitted matters.
    if unit.level >= Level.VILLAGE and dispatcher is not None and dispatcher.level < Level.VILLAGE:
        from apps.duties import routing

        village = unit if unit.level == Level.VILLAGE else unit.parent
        if village is not None:
            routing.admission_check(case.category, village)


def _dispatch_to(case: Case, unit: Unit | None, org: Organisation | None, now: datetime.datetime) -> None:
    case.holder_unit, case.holder_org = unit, org
    case.handler = None
    case.status = Status.DISPATCHED
    case.dispatched_at = now
    case.sign_due = workcal.deadline(now, _days(case, case.category.sign_days))
    case.reply_due = workcal.deadline(now, _days(case, case.category.reply_days))
    case.return_until = workcal.deadline(now, case.category.return_days)
    _set_due(case, case.sign_due)


@transaction.atomic
def case_dispatch(
    *,
    actor: User,
    case: Case,
    unit: Unit | None = None,
    organisation: Organisation | None = None,
    supporting: Sequence[Organisation] = (),
    note: str = "",
    expected_version: int | None = None,
) -> Case:
    """Send the case to one body; supporting bodies (配合责任) get child cases of their own."""
    case = _lock(case)
    _require_dispatcher(actor, case)
    _check(case, Action.DISPATCH, expected_version)
    _check_target(case, unit, organisation)
    supporting = [o for o in supporting if o != organisation]
    before = snapshot(case)
    now = _now()
    _dispatch_to(case, unit, organisation, now)
    target = organisation.name if organisation else unit.display_name if unit else ""
    _finish(case, before, Action.DISPATCH, actor, note=note.strip(), data={"to": target})
    notify(
        case,
        staff_of_holder(case),
        "dispatched",
        f"新派单：{case.title}（{case.tracking_code}），请及时签收。",
    )
    for org in supporting:
        _child(actor, case, org=org, unit=None, note=f"配合办理：{note}".strip("："), now=now)
    return case


def _child(
    actor: User,
    parent: Case,
    *,
    org: Organisation | None,
    unit: Unit | None,
    note: str,
    now: datetime.datetime,
) -> Case:
    _check_target(parent, unit, org)
    child = Case(
        channel=parent.channel,
        category=parent.category,
        kind=parent.kind,
        title=parent.title,
        description=parent.description,
        unit=parent.unit,
        grid=parent.grid,
        address=parent.address,
        latitude=parent.latitude,
        longitude=parent.longitude,
        parent=parent,
        triage=parent.triage,
        dispatcher_unit=parent.dispatcher_unit,
        accepted_at=now,
        submitted_at=now,
        entered_by=actor,
        tracking_code=_new_tracking_code(now),
    )
    _dispatch_to(child, unit, org, now)
    child.save()
    _step(child, Action.DISPATCH, actor, note=note, data={"parent": parent.tracking_code})
    audit_create(actor=actor, obj=child)
    record_event(
        actor=actor, event_type=events.BY_ACTION[Action.SPLIT], obj=child, data={"parent": parent.pk}
    )
    notify(
        child, staff_of_holder(child), "dispatched", f"新派单（配合）：{child.title}（{child.tracking_code}）"
    )
    return child


@dataclass(frozen=True)
class SplitPart:
    organisation: Organisation | None = None
    unit: Unit | None = None
    note: str = ""


@transaction.atomic
def case_split(
    *,
    actor: User,
    case: Case,
    parts: Sequence[SplitPart],
    note: str = "",
    expected_version: int | None = None,
) -> list[Case]:
    """One case, several bodies: each part becomes a child case dispatched to its body. The parent
    cannot be closed until every child is."""
    case = _lock(case)
    if case.status == Status.HANDLING:
        _require_holder(actor, case)
    else:
        _require_dispatcher(actor, case)
    _check(case, Action.SPLIT, expected_version)
    if len(parts) < 1:
        raise ValidationFailed("请至少选择一个拆分的承办部门。", code="split_parts_required")
    if len(parts) > 10:
        raise ValidationFailed("一次最多拆分为 10 个子件。", code="split_too_many")
    before = snapshot(case)
    now = _now()
    children = [_child(actor, case, org=p.organisation, unit=p.unit, note=p.note, now=now) for p in parts]
    _finish(
        case,
        before,
        Action.SPLIT,
        actor,
        note=note.strip(),
        data={"children": [c.tracking_code for c in children]},
    )
    return children


@transaction.atomic
def case_merge(
    *, actor: User, case: Case, original: Case, note: str = "", expected_version: int | None = None
) -> Case:
    """A duplicate follows its original: updates and the submitter's notices go with the original."""
    if case.pk == original.pk:
        raise ValidationFailed("不能与自身合并。", code="merge_self")
    case = _lock(case)
    access.require_obj(actor, Perm.CASE_DISPATCH, case)
    _check(case, Action.MERGE, expected_version)
    original = Case.objects.select_for_update(of=("self",)).select_related("unit").get(pk=original.pk)
    access.require_obj(actor, Perm.CASE_VIEW, original)
    if original.status in (Status.MERGED, Status.REJECTED):
        raise Conflict("原诉求已合并或不予受理，不能作为合并目标。", code="merge_target_final")
    if original.merged_into_id:
        raise Conflict("原诉求本身已合并到其他诉求。", code="merge_target_merged")
    before = snapshot(case)
    case.status = Status.MERGED
    case.merged_into = original
    case.closed_at = _now()
    _set_due(case, None)
    _finish(case, before, Action.MERGE, actor, note=note.strip(), data={"into": original.tracking_code})
    _step(
        original,
        Action.MERGE,
        actor,
        from_status=original.status,
        note=f"合并重复诉求 {case.tracking_code}",
        data={"duplicate": case.tracking_code},
    )
    notify(
        case,
        _submitters(case),
        "merged",
        f"您的诉求与 {original.tracking_code} 为同一事项，已合并办理，可用原查询码继续查看进度。",
    )
    return case


# --- the receiving body ---------------------------------------------------------------------------


@transaction.atomic
def case_sign(*, actor: User, case: Case, expected_version: int | None = None) -> Case:
    case = _lock(case)
    _require_holder(actor, case)
    _check(case, Action.SIGN, expected_version)
    before = snapshot(case)
    now = _now()
    case.status = Status.HANDLING
    case.signed_at = now
    case.handler = actor
    _set_due(case, case.reply_due)
    return _finish(
        case, before, Action.SIGN, actor, data={"on_time": bool(case.sign_due and now <= case.sign_due)}
    )


@transaction.atomic
def case_return(*, actor: User, case: Case, reason: str, expected_version: int | None = None) -> Case:
    """退单: the receiving body sends it back to the dispatcher, within its window, with a reason."""
    case = _lock(case)
    _require_holder(actor, case)
    _check(case, Action.RETURN, expected_version)
    reason = _text(reason, field="退单理由", code="reason_required", maximum=500)
    now = _now()
    if case.return_until is not None and now > case.return_until:
        until = timezone.localtime(case.return_until)
        raise Conflict(
            f"已超过退单时限（{until:%m月%d日 %H:%M}），请办理或申请上报。", code="return_window_passed"
        )
    before = snapshot(case)
    holder = case.holder_name
    case.status = Status.TRIAGED
    case.holder_unit = case.holder_org = case.handler = None
    case.return_count += 1
    _set_due(case, workcal.deadline(now, _days(case, 1)))
    _finish(case, before, Action.RETURN, actor, note=reason, data={"from": holder})
    notify(
        case,
        staff_of_holder(case, Perm.CASE_DISPATCH),
        "returned",
        f"{holder}退回诉求 {case.tracking_code}：{reason}",
    )
    return case


@transaction.atomic
def case_escalate(*, actor: User, case: Case, reason: str, expected_version: int | None = None) -> Case:
    """上报: a body that cannot settle it hands it one level up, to be dispatched there."""
    case = _lock(case)
    _require_holder(actor, case)
    _check(case, Action.ESCALATE, expected_version)
    reason = _text(reason, field="上报理由", code="reason_required", maximum=500)
    up: Unit | None
    if case.holder_org_id and case.holder_org:
        up = case.holder_org.service_area
    elif case.holder_unit_id and case.holder_unit and case.holder_unit.parent_id:
        up = case.holder_unit.parent
        if up is not None and up.level < Level.COUNTY:
            raise Conflict("县级已是最高层级，不能再上报。", code="escalate_top")
    else:  # pragma: no cover - guarded by the constraint
        raise Conflict("该诉求没有承办单位。", code="no_holder")
    assert up is not None
    before = snapshot(case)
    held_by = case.holder_name
    case.status = Status.TRIAGED
    case.dispatcher_unit = up
    case.holder_unit = case.holder_org = case.handler = None
    case.escalation_count += 1
    if case.triage in (Triage.MINOR, Triage.PRIVATE):
        case.triage = Triage.MAJOR
    _set_due(case, workcal.deadline(_now(), _days(case, 1)))
    _finish(case, before, Action.ESCALATE, actor, note=reason, data={"from": held_by, "to": up.display_name})
    notify(
        case,
        staff_of_holder(case, Perm.CASE_DISPATCH),
        "escalated",
        f"{held_by}上报诉求 {case.tracking_code}：{reason}",
    )
    return case


@transaction.atomic
def case_progress(*, actor: User, case: Case, note: str, expected_version: int | None = None) -> Case:
    case = _lock(case)
    _require_holder(actor, case)
    _check(case, Action.PROGRESS, expected_version)
    note = _text(note, field="办理进展", code="note_required", maximum=2000)
    before = snapshot(case)
    return _finish(case, before, Action.PROGRESS, actor, note=note)


@transaction.atomic
def case_reply(
    *,
    actor: User,
    case: Case,
    reply: str,
    photos: Sequence[UploadedFile] = (),
    expected_version: int | None = None,
) -> Case:
    case = _lock(case)
    _require_holder(actor, case)
    _check(case, Action.REPLY, expected_version)
    reply = _text(reply, field="答复内容", code="reply_required", minimum=5, maximum=4000)
    open_whistles = case.whistles.filter(status=WhistleStatus.PENDING).count()
    if open_whistles:
        raise Conflict(f"还有 {open_whistles} 个部门未报到，请先督促报到。", code="whistles_pending")
    before = snapshot(case)
    now = _now()
    case.status = Status.REPLIED
    case.reply = reply
    case.replied_at = now
    case.on_time = case.reply_due is None or now <= case.reply_due
    _set_due(case, workcal.deadline(now, case.category.follow_up_days))
    _photos(case, photos, actor, "reply")
    _finish(case, before, Action.REPLY, actor, note=reply, data={"on_time": case.on_time})
    notify(case, _submitters(case), "replied", f"您的诉求（{case.tracking_code}）已答复，请查看并评价。")
    return case


@transaction.atomic
def extension_request(
    *, actor: User, case: Case, days: int, reason: str, expected_version: int | None = None
) -> Extension:
    """延期: asked before the deadline, decided by the dispatcher's superior."""
    case = _lock(case)
    _require_holder(actor, case)
    _check(case, Action.EXTENSION_REQUEST, expected_version)
    reason = _text(reason, field="延期理由", code="reason_required", maximum=200)
    if not 1 <= days <= 30:
        raise ValidationFailed("延期天数须在 1–30 个工作日之间。", code="extension_days_range")
    if case.reply_due is not None and _now() > case.reply_due:
        raise Conflict("已超过办理时限，不能再申请延期。", code="extension_after_deadline")
    if case.extensions.filter(status=ExtensionStatus.PENDING).exists():
        raise Conflict("已有一个延期申请在审批中。", code="extension_pending")
    extension = Extension.objects.create(case=case, days=days, reason=reason, requested_by=actor)
    before = snapshot(case)
    _finish(case, before, Action.EXTENSION_REQUEST, actor, note=reason, data={"days": days})
    audit_create(actor=actor, obj=extension)
    approvers = _extension_approvers(case)
    notify(case, approvers, "extension", f"诉求 {case.tracking_code} 申请延期 {days} 个工作日：{reason}")
    return extension


def _superior_code(case: Case) -> str:
    dispatcher = case.dispatcher_unit
    if dispatcher is None:
        return case.unit.code[:6]
    if dispatcher.level <= Level.COUNTY or dispatcher.parent is None:
        return dispatcher.code
    return dispatcher.parent.code


def _extension_approvers(case: Case) -> list[User]:
    code = _superior_code(case)
    roles = [role for role, perms in ROLE_PERMS.items() if Perm.CASE_SUPERVISE in perms]
    rows = RoleAssignment.objects.filter(is_active=True, role__in=roles, unit__code=code)
    return list(User.objects.filter(pk__in=rows.values("user_id")))


@transaction.atomic
def extension_decide(
    *, actor: User, extension: Extension, approve: bool, note: str = "", expected_version: int | None = None
) -> Extension:
    case = _lock(extension.case)
    access.require(actor, Perm.CASE_SUPERVISE, _superior_code(case))
    _check(case, Action.EXTENSION_DECIDE, expected_version)
    extension = Extension.objects.select_for_update().get(pk=extension.pk)
    if extension.status != ExtensionStatus.PENDING:
        raise Conflict("该延期申请已审批过。", code="extension_decided")
    if extension.requested_by_id == actor.pk:
        raise PermissionDenied("不能审批自己提出的延期申请。", code="self_approval")
    if not approve:
        _text(note, field="不予延期的理由", code="reason_required", maximum=200)
    ext_before = snapshot(extension)
    extension.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED
    extension.decided_by = actor
    extension.decided_at = _now()
    extension.decision_note = note.strip()[:200]
    extension.save()
    audit_update(actor=actor, obj=extension, before=ext_before)
    before = snapshot(case)
    if approve and case.reply_due is not None:
        case.reply_due = workcal.deadline(case.reply_due, extension.days)
        case.extension_days += extension.days
        _set_due(case, case.reply_due)
    _finish(
        case,
        before,
        Action.EXTENSION_DECIDE,
        actor,
        note=note.strip(),
        data={"approved": approve, "days": extension.days},
    )
    notify(
        case,
        [extension.requested_by],
        "extension_decided",
        f"诉求 {case.tracking_code} 的延期申请{'已批准' if approve else '未获批准'}。",
    )
    return extension


# --- superiors ------------------------------------------------------------------------------------


@transaction.atomic
def case_urge(*, actor: User, case: Case, note: str, expected_version: int | None = None) -> Case:
    """督办/催办 by any superior over the case's place; an urged case is marked and counted."""
    case = _lock(case)
    access.require_obj(actor, Perm.CASE_SUPERVISE, case)
    _check(case, Action.URGE, expected_version)
    note = _text(note, field="督办意见", code="note_required", maximum=500)
    before = snapshot(case)
    case.urge_count += 1
    _finish(case, before, Action.URGE, actor, note=note, data={"count": case.urge_count})
    notify(case, staff_of_holder(case), "urged", f"督办：{case.title}（{case.tracking_code}）{note}")
    return case


@transaction.atomic
def case_own(
    *, actor: User, case: Case, deadline: datetime.date, note: str = "", expected_version: int | None = None
) -> Case:
    """包案: a leader takes ownership of a case with a promised date."""
    case = _lock(case)
    access.require_obj(actor, Perm.CASE_OWN, case)
    _check(case, Action.OWN, expected_version)
    if case.owner_id and case.owner_id != actor.pk:
        raise Conflict("该诉求已由其他领导包案。", code="already_owned")
    if deadline < timezone.localdate():
        raise ValidationFailed("承诺办结日期不能早于今天。", code="deadline_in_past")
    before = snapshot(case)
    case.owner = actor
    case.owner_deadline = deadline
    return _finish(
        case, before, Action.OWN, actor, note=note.strip(), data={"deadline": deadline.isoformat()}
    )


# --- whistles (吹哨报到) ----------------------------------------------------------------------------


@transaction.atomic
def case_whistle(
    *,
    actor: User,
    case: Case,
    organisations: Sequence[Organisation],
    reason: str,
    sign_days: int = 1,
    expected_version: int | None = None,
) -> list[Whistle]:
    """A township or village holding a case calls departments in; each must report (sign) in time."""
    case = _lock(case)
    _require_holder(actor, case)
    _check(case, Action.WHISTLE, expected_version)
    if case.holder_unit_id is None or case.holder_unit is None:
        raise Conflict("只有乡镇或村（社区）承办的诉求才能吹哨。", code="whistle_by_department")
    reason = _text(reason, field="吹哨事由", code="reason_required", maximum=200)
    if not organisations:
        raise ValidationFailed("请选择要吹哨的部门。", code="organisations_required")
    if not 0 <= sign_days <= 5:
        raise ValidationFailed("报到时限须在 0–5 个工作日之间。", code="whistle_days_range")
    now = _now()
    whistles = []
    for org in {o.pk: o for o in organisations}.values():
        if not case.unit.code.startswith(org.service_area.code):
            raise ValidationFailed(f"「{org.name}」的服务区域不含诉求发生地。", code="org_outside_area")
        if case.whistles.filter(organisation=org).exclude(status=WhistleStatus.DONE).exists():
            raise Conflict(f"已向「{org.name}」吹哨，尚未办结。", code="already_whistled")
        whistle = Whistle.objects.create(
            case=case,
            organisation=org,
            whistler_unit=case.holder_unit,
            whistled_by=actor,
            reason=reason,
            whistled_at=now,
            sign_due=workcal.deadline(now, sign_days),
        )
        audit_create(actor=actor, obj=whistle)
        whistles.append(whistle)
    before = snapshot(case)
    _finish(
        case, before, Action.WHISTLE, actor, note=reason, data={"to": [w.organisation.name for w in whistles]}
    )
    for whistle in whistles:
        handlers = RoleAssignment.objects.filter(organisation=whistle.organisation, is_active=True)
        notify(
            case,
            User.objects.filter(pk__in=handlers.values("user_id")),
            "whistled",
            f"{case.holder_name}吹哨：{case.title}（{case.tracking_code}），请按时报到。",
        )
    return whistles


@transaction.atomic
def whistle_sign(*, actor: User, whistle: Whistle) -> Whistle:
    whistle = (
        Whistle.objects.select_for_update()
        .select_related("organisation__service_area", "case")
        .get(pk=whistle.pk)
    )
    case = _lock(whistle.case)
    _check(case, "whistle_sign")
    if not access.acts_for_org(actor, Perm.CASE_HANDLE, whistle.organisation):
        raise PermissionDenied(
            f"您不是「{whistle.organisation.name}」的办理人员。", code="not_the_department"
        )
    if whistle.status != WhistleStatus.PENDING:
        raise Conflict("该吹哨已报到。", code="whistle_signed")
    if not case.is_open:
        raise Conflict("该诉求已结束。", code="case_final")
    before_w = snapshot(whistle)
    whistle.status = WhistleStatus.SIGNED
    whistle.signed_by = actor
    whistle.signed_at = _now()
    whistle.save()
    audit_update(actor=actor, obj=whistle, before=before_w)
    before = snapshot(case)
    _finish(
        case,
        before,
        Action.WHISTLE_SIGN,
        actor,
        data={"organisation": whistle.organisation.name, "on_time": whistle.signed_on_time},
    )
    return whistle


@transaction.atomic
def whistle_done(*, actor: User, whistle: Whistle, result: str) -> Whistle:
    whistle = (
        Whistle.objects.select_for_update()
        .select_related("organisation__service_area", "case")
        .get(pk=whistle.pk)
    )
    case = _lock(whistle.case)
    _check(case, "whistle_done")
    if not access.acts_for_org(actor, Perm.CASE_HANDLE, whistle.organisation):
        raise PermissionDenied(
            f"您不是「{whistle.organisation.name}」的办理人员。", code="not_the_department"
        )
    if whistle.status != WhistleStatus.SIGNED:
        raise Conflict("请先报到，再反馈办理情况。", code="whistle_not_signed")
    result = _text(result, field="办理情况", code="result_required", maximum=2000)
    before_w = snapshot(whistle)
    whistle.status = WhistleStatus.DONE
    whistle.done_at = _now()
    whistle.result = result
    whistle.save()
    audit_update(actor=actor, obj=whistle, before=before_w)
    before = snapshot(case)
    _finish(
        case,
        before,
        Action.WHISTLE_DONE,
        actor,
        note=result,
        data={"organisation": whistle.organisation.name},
    )
    return whistle


# --- follow-up and close --------------------------------------------------------------------------


@transaction.atomic
def case_follow_up(
    *, actor: User, case: Case, rating: str, note: str = "", expected_version: int | None = None
) -> Case:
    """回访: the dispatcher calls the submitter back, or the submitter rates it themselves. An
    unsatisfied rating reopens the case to the same body (不满意重办)."""
    case = _lock(case)
    is_submitter = case.submitter_id is not None and case.submitter_id == actor.pk
    if not is_submitter:
        _require_dispatcher(actor, case)
    _check(case, Action.FOLLOW_UP, expected_version)
    if rating not in Rating.values:
        raise ValidationFailed("请选择满意、基本满意或不满意。", code="rating_required")
    if rating == Rating.UNSATISFIED:
        _text(note, field="不满意的原因", code="reason_required", maximum=200)
    before = snapshot(case)
    case.rating = rating
    case.rating_note = note.strip()[:200]
    now = _now()
    if rating == Rating.UNSATISFIED:
        case.status = Status.HANDLING
        case.reopen_count += 1
        case.on_time = None
        case.reply_due = workcal.deadline(now, _days(case, case.category.reply_days))
        _set_due(case, case.reply_due)
        _finish(case, before, Action.FOLLOW_UP, actor, note=case.rating_note, data={"rating": rating})
        _step(
            case,
            Action.REOPEN,
            actor,
            from_status=Status.REPLIED,
            note=case.rating_note,
            data={"count": case.reopen_count},
        )
        record_event(
            actor=actor,
            event_type=events.BY_ACTION[Action.REOPEN],
            obj=case,
            data={"count": case.reopen_count},
        )
        notify(
            case,
            staff_of_holder(case),
            "reopened",
            f"不满意重办：{case.title}（{case.tracking_code}）{case.rating_note}",
        )
        return case
    case.status = Status.FOLLOWED_UP
    _set_due(case, workcal.deadline(now, 1))
    return _finish(case, before, Action.FOLLOW_UP, actor, note=case.rating_note, data={"rating": rating})


def _resolved_level(case: Case) -> str:
    if case.holder_org_id:
        return ResolvedLevel.COUNTY
    unit = case.holder_unit
    if unit is None:
        return ""
    if unit.level >= Level.VILLAGE:
        return (
            ResolvedLevel.GRID
            if case.channel == Channel.PATROL and case.triage == Triage.PRIVATE
            else ResolvedLevel.VILLAGE
        )
    if unit.level == Level.TOWNSHIP:
        return ResolvedLevel.TOWNSHIP
    return ResolvedLevel.COUNTY


@transaction.atomic
def case_close(*, actor: User, case: Case, note: str = "", expected_version: int | None = None) -> Case:
    case = _lock(case)
    _require_dispatcher(actor, case)
    _check(case, Action.CLOSE, expected_version)
    if case.status == Status.REPLIED and not note.strip():
        raise ValidationFailed("未回访就办结，请说明原因（如多次联系不上）。", code="reason_required")
    open_children = case.children.exclude(status__in=[Status.CLOSED, Status.REJECTED, Status.MERGED]).count()
    if open_children:
        raise Conflict(f"还有 {open_children} 个拆分/配合子件未办结。", code="children_open")
    before = snapshot(case)
    case.status = Status.CLOSED
    case.closed_at = _now()
    case.resolved_level = _resolved_level(case)
    _set_due(case, None)
    _finish(
        case, before, Action.CLOSE, actor, note=note.strip(), data={"resolved_level": case.resolved_level}
    )
    notify(case, _submitters(case), "closed", f"您的诉求（{case.tracking_code}）已办结，感谢您的参与。")
    return case


# --- bulk -----------------------------------------------------------------------------------------


@dataclass
class BulkOutcome:
    done: list[Case]
    failed: list[tuple[Case, str]]


def cases_bulk_dispatch(
    *, actor: User, cases: Sequence[Case], unit: Unit | None = None, organisation: Organisation | None = None
) -> BulkOutcome:
    """Dispatch several cases to one body; each in its own transaction, failures reported per case."""
    outcome = BulkOutcome(done=[], failed=[])
    for case in cases:
        try:
            if case.status == Status.ACCEPTED:
                case = case_triage(actor=actor, case=case, triage=case.triage or Triage.MINOR)
            outcome.done.append(case_dispatch(actor=actor, case=case, unit=unit, organisation=organisation))
        except (Conflict, ValidationFailed, PermissionDenied) as err:
            outcome.failed.append((case, err.message))
    return outcome


# --- notices --------------------------------------------------------------------------------------


@transaction.atomic
def notices_mark_read(*, actor: User, ids: Sequence[int] | None = None) -> int:
    """Mark the actor's own notices read (all when ids is None). Touches only their own rows."""
    rows = Notice.objects.filter(recipient=actor, read_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    return rows.update(read_at=_now())


# --- categories -----------------------------------------------------------------------------------

CATEGORY_FIELDS = (
    "name",
    "parent",
    "kind",
    "default_triage",
    "description",
    "accept_days",
    "sign_days",
    "reply_days",
    "return_days",
    "follow_up_days",
    "order",
    "is_active",
)


@transaction.atomic
def category_save(
    *, actor: User, category: Category | None = None, code: str = "", **fields: Any
) -> Category:
    """Create or edit a category and its SLA (county admins)."""
    access.require(actor, Perm.CASE_CONFIGURE)
    unknown = set(fields) - set(CATEGORY_FIELDS)
    if unknown:
        raise ValidationFailed(f"未知的字段：{', '.join(sorted(unknown))}", code="unknown_field")
    creating = category is None
    if creating:
        code = (code or "").strip().lower()
        if not code or not all(ch.isalnum() or ch == "-" for ch in code) or len(code) > 40:
            raise ValidationFailed("代码只能用小写字母、数字和连字符，最长 40 位。", code="code_invalid")
        if Category.objects.filter(code=code).exists():
            raise Conflict(f"代码 {code} 已存在。", code="duplicate_code")
        category = Category(code=code)
        before: dict[str, Any] = {}
    else:
        assert category is not None
        category = Category.objects.select_for_update().get(pk=category.pk)
        before = snapshot(category)
    for key, value in fields.items():
        setattr(category, key, value)
    if not (category.name or "").strip():
        raise ValidationFailed("请填写类别名称。", code="name_required")
    if category.kind not in CaseKind.values:
        raise ValidationFailed("请选择诉求性质。", code="kind_invalid")
    for day_field in ("accept_days", "sign_days", "return_days", "follow_up_days"):
        if not 0 <= int(getattr(category, day_field)) <= 30:
            raise ValidationFailed("受理、签收、退单、回访时限须在 0–30 个工作日之间。", code="days_range")
    if not 0 <= int(category.reply_days) <= 365:
        raise ValidationFailed("办理时限须在 0–365 个工作日之间。", code="days_range")
    parent = category.parent
    while parent is not None:
        if parent.pk == category.pk:
            raise ValidationFailed("上级类别不能是自己或自己的下级。", code="parent_cycle")
        parent = parent.parent
    category.save()
    if creating:
        audit_create(actor=actor, obj=category)
    else:
        audit_update(actor=actor, obj=category, before=before)
    record_event(actor=actor, event_type=events.CATEGORY_SAVED, obj=category, data={"code": category.code})
    return category


# --- what the case page offers (checks only, no writes) -------------------------------------------


def _passes(check: Any, *args: Any) -> bool:
    try:
        check(*args)
    except PermissionDenied:
        return False
    return True


def allowed_actions(actor: Any, case: Case) -> set[str]:
    """The transitions `actor` may attempt on `case` now: the same permission checks the services
    run, and the state machine's table. The page shows exactly these buttons."""
    if actor is None or not actor.is_authenticated:
        return set()
    out: set[str] = set()
    status = case.status

    def legal(action: str) -> bool:
        return status in ALLOWED_FROM.get(action, ())

    dispatcher = _passes(_require_dispatcher, actor, case)
    placed = access.obj_allowed(actor, Perm.CASE_DISPATCH, case)
    holder = (case.holder_unit_id or case.holder_org_id) and _passes(_require_holder, actor, case)
    for action in (Action.ACCEPT, Action.REJECT, Action.MERGE):
        if legal(action) and placed:
            out.add(action)
    for action in (Action.TRIAGE, Action.DISPATCH, Action.CLOSE):
        if legal(action) and dispatcher:
            out.add(action)
    if legal(Action.FOLLOW_UP) and (dispatcher or (case.submitter_id and case.submitter_id == actor.pk)):
        out.add(Action.FOLLOW_UP)
    if legal(Action.SPLIT) and (holder if status == Status.HANDLING else dispatcher):
        out.add(Action.SPLIT)
    if holder:
        for action in (
            Action.SIGN,
            Action.RETURN,
            Action.ESCALATE,
            Action.PROGRESS,
            Action.REPLY,
            Action.EXTENSION_REQUEST,
        ):
            if legal(action):
                out.add(action)
        if legal(Action.WHISTLE) and case.holder_unit_id:
            out.add(Action.WHISTLE)
    if legal(Action.URGE) and access.obj_allowed(actor, Perm.CASE_SUPERVISE, case):
        out.add(Action.URGE)
    if (
        legal(Action.OWN)
        and access.obj_allowed(actor, Perm.CASE_OWN, case)
        and case.owner_id in (None, actor.pk)
    ):
        out.add(Action.OWN)
    if legal(Action.EXTENSION_DECIDE) and access.has_perm(actor, Perm.CASE_SUPERVISE, _superior_code(case)):
        out.add(Action.EXTENSION_DECIDE)
    return out
