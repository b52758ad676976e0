"""Working-day deadlines on cases and the yellow/red sweep."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from apps.cases import services
from apps.cases.choices import Action, SlaState, Triage
from apps.cases.models import Case, Notice
from apps.cases.sweeps import sweep_sla
from apps.core.sms import MemorySMSBackend

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def dispatched(p: dict[str, Any], submit: Any) -> Case:
    case = services.case_accept(actor=p["cadre"], case=submit())
    case = services.case_triage(actor=p["cadre"], case=case, triage=Triage.MINOR)
    return services.case_dispatch(actor=p["cadre"], case=case, unit=p["v11"])


def test_deadlines_follow_the_working_calendar(people: dict[str, Any], submit: Any) -> None:
    # Friday 2026-10-30 (after the National Day week): 3 working days → Wednesday 4 November.
    at = datetime.datetime(2026, 10, 30, 10, 0, tzinfo=SHANGHAI)
    case = submit(submitted_at=at)
    assert timezone.localtime(case.due_at).date() == datetime.date(2026, 11, 2)  # accept in 1 working day
    # One working day to accept: the warning starts on the deadline's own day, not at once.
    assert timezone.localtime(case.warn_at) == datetime.datetime(2026, 11, 2, 0, 0, tzinfo=SHANGHAI)


def test_sweep_turns_yellow_then_red_once_and_notifies(
    people: dict[str, Any], submit: Any, settings: Any
) -> None:
    settings.SMS_BACKEND = "apps.core.sms.MemorySMSBackend"
    MemorySMSBackend.outbox.clear()
    p = people
    p["cadre"].phone = "13600000001"
    p["cadre"].save()
    case = dispatched(p, submit)
    now = timezone.now()
    Case.objects.filter(pk=case.pk).update(
        warn_at=now - datetime.timedelta(hours=1), due_at=now + datetime.timedelta(hours=3)
    )
    assert sweep_sla(now) == {"red": 0, "yellow": 1}
    case.refresh_from_db()
    assert case.sla_state == SlaState.YELLOW
    assert Notice.objects.filter(recipient=p["cadre"], case=case, kind="yellow").count() == 1
    assert sweep_sla(now) == {"red": 0, "yellow": 0}  # idempotent

    later = now + datetime.timedelta(hours=4)

    counts = sweep_sla(later)
    assert counts == {"red": 1, "yellow": 0}
    case.refresh_from_db()
    assert case.sla_state == SlaState.RED and case.was_overdue
    assert case.steps.filter(action=Action.WARN).count() == 2
    assert Notice.objects.filter(recipient=p["cadre"], case=case, kind="red").count() == 1
    assert sweep_sla(later) == {"red": 0, "yellow": 0}


def test_next_step_resets_the_colour(people: dict[str, Any], submit: Any) -> None:
    p = people
    case = dispatched(p, submit)
    Case.objects.filter(pk=case.pk).update(due_at=timezone.now() - datetime.timedelta(minutes=5))
    sweep_sla()
    case.refresh_from_db()
    assert case.sla_state == SlaState.RED
    case = services.case_sign(actor=p["cadre"], case=case)
    assert case.sla_state == SlaState.NORMAL and case.was_overdue  # the history stays


def test_closed_cases_are_left_alone(people: dict[str, Any], submit: Any) -> None:
    p = people
    case = services.case_reject(actor=p["cadre"], case=submit(), reason="不属于受理范围")
    Case.objects.filter(pk=case.pk).update(due_at=timezone.now() - datetime.timedelta(days=1))
    assert sweep_sla() == {"red": 0, "yellow": 0}
