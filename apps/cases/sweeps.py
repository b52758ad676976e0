"""The SLA sweep: yellow before the deadline, red when overdue (run by `manage.py sweep` on a timer).

Deadlines are computed from the working calendar when a step starts and stored on the case
(`due_at`, `warn_at`), so the sweep is two indexed range scans over open cases however many there
are; only the cases whose colour changes are touched. Each change gets a timeline line and one
in-app notice per person of the holding body (unique per deadline, so a second run adds nothing);
people with a phone get one SMS digest per run for the cases that turned red.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts.choices import ORG_BOUND_ROLES
from apps.accounts.models import RoleAssignment, User
from apps.accounts.permissions import ROLE_PERMS, Perm
from apps.audit.services import record_event
from apps.core import sms
from apps.core.sweeps import register

from . import events
from .choices import OPEN_STATUSES, Action, SlaState
from .models import Case, CaseStep, Notice

BATCH = 5000


@dataclass(slots=True)
class _Row:
    """A coloured case as the PostgreSQL UPDATE … RETURNING gives it back: plain attributes, no
    model instance (building 15,000 of those cost more than the statements)."""

    pk: int
    title: str
    tracking_code: str
    due_at: datetime.datetime | None
    holder_unit_id: int | None
    holder_org_id: int | None
    dispatcher_unit_id: int | None
    unit_id: int


def _recipients(cases: Sequence[Case | _Row]) -> dict[int, list[int]]:
    """case id -> user ids acting for its holding body (or its dispatcher when not yet held)."""
    handle_roles = [r for r, perms in ROLE_PERMS.items() if Perm.CASE_HANDLE in perms]
    dispatch_roles = [r for r, perms in ROLE_PERMS.items() if Perm.CASE_DISPATCH in perms]
    unit_ids = {c.holder_unit_id for c in cases if c.holder_unit_id}
    org_ids = {c.holder_org_id for c in cases if c.holder_org_id}
    dispatcher_ids = {
        c.dispatcher_unit_id or c.unit_id for c in cases if not c.holder_unit_id and not c.holder_org_id
    }
    by_unit: dict[int, list[int]] = defaultdict(list)
    by_org: dict[int, list[int]] = defaultdict(list)
    by_dispatcher: dict[int, list[int]] = defaultdict(list)
    active = RoleAssignment.objects.filter(is_active=True, user__is_active=True)
    for unit_id, user_id in (
        active.filter(unit_id__in=unit_ids, role__in=handle_roles)
        .exclude(role__in=ORG_BOUND_ROLES)
        .values_list("unit_id", "user_id")
    ):
        by_unit[unit_id].append(user_id)
    for org_id, user_id in active.filter(organisation_id__in=org_ids, role__in=handle_roles).values_list(
        "organisation_id", "user_id"
    ):
        by_org[org_id].append(user_id)
    for unit_id, user_id in active.filter(unit_id__in=dispatcher_ids, role__in=dispatch_roles).values_list(
        "unit_id", "user_id"
    ):
        by_dispatcher[unit_id].append(user_id)
    out: dict[int, list[int]] = {}
    for c in cases:
        if c.holder_org_id:
            out[c.pk] = by_org[c.holder_org_id]
        elif c.holder_unit_id:
            out[c.pk] = by_unit[c.holder_unit_id]
        else:
            out[c.pk] = by_dispatcher[c.dispatcher_unit_id or c.unit_id]
    return out


def _still_due_q(state: str, now: datetime.datetime) -> Q:
    """The colour's condition again, checked by the UPDATE itself: a case signed or replied since
    the id query got a new deadline and is left alone."""
    if state == SlaState.RED:
        return Q(status__in=OPEN_STATUSES, due_at__lt=now) & ~Q(sla_state=SlaState.RED)
    return Q(status__in=OPEN_STATUSES, sla_state=SlaState.NORMAL, warn_at__lte=now, due_at__gte=now)


def _label(state: str) -> str:
    return "已超期" if state == SlaState.RED else "即将超期"


def _note(label: str, due_at: datetime.datetime | None) -> str:
    return f"{label}（时限 {timezone.localtime(due_at):%m-%d %H:%M}）" if due_at else label


def _mark(ids: list[int], state: str, now: datetime.datetime) -> dict[int, list[int]]:
    """Colour these cases and record the change: a timeline line each and a notice per person of
    the holding body. Returns case id -> recipients (for the SMS digest)."""
    if connection.vendor == "postgresql":
        return _mark_postgresql(ids, state, now)
    label = _label(state)
    matching = Case.objects.filter(_still_due_q(state, now), pk__in=ids)
    cases = list(
        matching.only(
            "id",
            "title",
            "tracking_code",
            "due_at",
            "holder_unit_id",
            "holder_org_id",
            "dispatcher_unit_id",
            "unit_id",
        )
    )
    changes: dict[str, Any] = {"sla_state": state}
    if state == SlaState.RED:
        changes["was_overdue"] = True
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(**changes)
    CaseStep.objects.bulk_create(
        [
            CaseStep(
                case_id=c.pk, action=Action.WARN, note=_note(label, c.due_at), data={"state": state}, at=now
            )
            for c in cases
        ],
        batch_size=BATCH,
    )
    recipients = _recipients(cases)
    Notice.objects.bulk_create(
        [
            Notice(
                recipient_id=user_id,
                case_id=c.pk,
                kind=state,
                text=f"{label}：{c.title}（{c.tracking_code}）"[:200],
                due_at=c.due_at,
                created_at=now,
            )
            for c in cases
            for user_id in recipients.get(c.pk, [])
        ],
        batch_size=BATCH,
        ignore_conflicts=True,
    )
    return recipients


def _mark_postgresql(ids: list[int], state: str, now: datetime.datetime) -> dict[int, list[int]]:
    """The same rows as `_mark`, written the way PostgreSQL does fastest (bench/cases_sla_sweep.py):
    one UPDATE … RETURNING re-checking the condition, and the timeline lines and notices as one
    INSERT … SELECT FROM unnest(…) each, without building model instances."""
    label = _label(state)
    extra = ", was_overdue = true" if state == SlaState.RED else ""
    if state == SlaState.RED:
        condition = "sla_state <> 'red' AND due_at < %s"
        params: list[Any] = [now]
    else:
        condition = "sla_state = 'normal' AND warn_at <= %s AND due_at >= %s"
        params = [now, now]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE cases_case SET sla_state = %s{extra} WHERE id = ANY(%s) AND status = ANY(%s) "  # noqa: S608
            f"AND {condition} RETURNING id, title, tracking_code, due_at, holder_unit_id, holder_org_id, "
            "dispatcher_unit_id, unit_id",
            [state, ids, list(OPEN_STATUSES), *params],
        )
        cases = [_Row(*r) for r in cursor.fetchall()]
        cursor.execute(
            "INSERT INTO cases_casestep (case_id, action, actor_name, body, from_status, to_status, "
            "note, data, at) SELECT id, %s, '', '', '', '', note, %s::jsonb, %s "
            "FROM unnest(%s::bigint[], %s::text[]) AS t(id, note)",
            [
                Action.WARN.value,
                json.dumps({"state": state}),
                now,
                [c.pk for c in cases],
                [_note(label, c.due_at) for c in cases],
            ],
        )
        recipients = _recipients(cases)
        pairs = [(user_id, c) for c in cases for user_id in recipients.get(c.pk, [])]
        cursor.execute(
            "INSERT INTO cases_notice (recipient_id, case_id, kind, text, due_at, created_at) "
            "SELECT r, c, %s, t, d, %s "
            "FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::timestamptz[]) AS x(r, c, t, d) "
            "ON CONFLICT DO NOTHING",
            [
                state,
                now,
                [u for u, _ in pairs],
                [c.pk for _, c in pairs],
                [f"{label}：{c.title}（{c.tracking_code}）"[:200] for _, c in pairs],
                [c.due_at for _, c in pairs],
            ],
        )
    return recipients


def _digest(red_by_user: dict[int, int]) -> None:
    phones = dict(
        User.objects.filter(pk__in=list(red_by_user), phone__isnull=False).values_list("pk", "phone")
    )
    for user_id, count in red_by_user.items():
        phone = phones.get(user_id)
        if phone:
            text = f"【基层治理】您有 {count} 件诉求已超期，请尽快办理。"
            transaction.on_commit(partial(sms.send_sms, phone, text))


def _batches(ids: Iterable[int]) -> Iterable[list[int]]:
    batch: list[int] = []
    for pk in ids:
        batch.append(pk)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def sweep_sla(now: datetime.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    open_cases = Case.objects.filter(status__in=OPEN_STATUSES)
    red_ids = list(
        open_cases.filter(due_at__lt=now).exclude(sla_state=SlaState.RED).values_list("pk", flat=True)
    )
    yellow_ids = list(
        open_cases.filter(sla_state=SlaState.NORMAL, warn_at__lte=now, due_at__gte=now).values_list(
            "pk", flat=True
        )
    )
    red_by_user: dict[int, int] = defaultdict(int)
    for batch in _batches(red_ids):
        with transaction.atomic():
            for users in _mark(batch, SlaState.RED, now).values():
                for user_id in users:
                    red_by_user[user_id] += 1
    for batch in _batches(yellow_ids):
        with transaction.atomic():
            _mark(batch, SlaState.YELLOW, now)
    with transaction.atomic():
        _digest(red_by_user)
        if red_ids or yellow_ids:
            record_event(
                actor=None,
                event_type=events.SLA_SWEPT,
                obj=None,
                data={"red": len(red_ids), "yellow": len(yellow_ids)},
            )
    return {"red": len(red_ids), "yellow": len(yellow_ids)}


@register("cases_sla", "诉求时限预警（黄牌/红牌）")
def run() -> str:
    counts = sweep_sla()
    return f"新增超期 {counts['red']} 件，新增即将超期 {counts['yellow']} 件"
