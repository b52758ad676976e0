"""The cast path's budget and its guarantees after the speed-up: the statements one ballot runs,
the roll fixed when the box opens (and the rules for a meeting opened before it was kept), a
ballot that also signs its voter in, and a ballot racing the close refused under the lock."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.audit.models import AuditRecord, Event
from apps.core.errors import Conflict, PermissionDenied, ValidationFailed
from apps.voting import box, castpath, selectors, services
from apps.voting.choices import BodyKind, Choice
from apps.voting.models import Attendance, Ballot, BoxEvent, Elector, Meeting

from .conftest import resident_login, walk_to

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today


def _work(captured: list[dict[str, Any]]) -> list[str]:
    """The statements that did something: the savepoint of the test's own transaction aside."""
    return [q["sql"] for q in captured if "SAVEPOINT" not in q["sql"]]


def test_an_online_ballot_runs_six_statements(village: dict[str, Any]) -> None:
    """Box and voter in one read, attendance, ballot, audit record, the lock, the chain append
    (one statement on PostgreSQL, two on SQLite). It was fifteen, four of them savepoints."""
    v = village
    motion = walk_to(v, "voting")
    logins = [resident_login(r, f"1390000006{i}") for i, r in enumerate(v["reps"][:3])]
    services.ballot_cast_online(  # the first one fills the content-type cache
        actor=logins[0],
        motion=motion,
        choice=Choice.FOR,
        name=v["reps"][0].name,
        id_tail=v["reps"][0].id_tail,
    )
    expected = 6 if connection.vendor == "postgresql" else 7
    rep = v["reps"][1]  # not yet present: the ballot is also the sign-in
    with CaptureQueriesContext(connection) as ctx:
        services.ballot_cast_online(
            actor=logins[1], motion=motion, choice=Choice.AGAINST, name=rep.name, id_tail=rep.id_tail
        )
    assert len(_work(ctx.captured_queries)) == expected, _work(ctx.captured_queries)
    rep = v["reps"][2]  # verified first, as the phone page does: the same budget for the ballot
    services.voter_verify(actor=logins[2], motion=motion, name=rep.name, id_tail=rep.id_tail)
    with CaptureQueriesContext(connection) as ctx:
        services.ballot_cast_online(
            actor=logins[2], motion=motion, choice=Choice.FOR, name=rep.name, id_tail=rep.id_tail
        )
    assert len(_work(ctx.captured_queries)) == expected, _work(ctx.captured_queries)
    assert box.verify(motion).ok


def test_each_ballot_is_audited_once_and_chained_once(village: dict[str, Any]) -> None:
    v = village
    motion = walk_to(v, "voting")
    rep = v["reps"][0]
    login = resident_login(rep, "13900000070")
    events_before = Event.objects.count()
    ballot = services.ballot_cast_online(
        actor=login, motion=motion, choice=Choice.FOR, name=rep.name, id_tail=rep.id_tail
    )
    record = AuditRecord.objects.get(content_type__model="ballot", object_id=str(ballot.pk))
    assert record.actor_id == login.pk and record.scope_code == v["v11"].code
    assert record.after["receipt"] == ballot.receipt and "choice" not in record.after
    # The chained ballot event is the ballot's business event; no third record of it.
    assert Event.objects.count() == events_before
    event = BoxEvent.objects.get(motion=motion, type="ballot")
    assert event.payload["receipt"] == ballot.receipt and "household_token" in event.payload
    assert Ballot.objects.get(pk=ballot.pk).receipt == ballot.receipt


def test_a_ballot_signs_in_a_voter_not_yet_present_in_the_same_event(village: dict[str, Any]) -> None:
    v = village
    motion = walk_to(v, "voting")
    first, second = v["reps"][0], v["reps"][1]
    login = resident_login(second, "13900000071")
    services.ballot_enter(actor=v["cadre"], motion=motion, voter=first, choice=Choice.FOR)
    services.voter_verify(actor=login, motion=motion, name=second.name, id_tail=second.id_tail)
    services.ballot_cast_online(
        actor=login, motion=motion, choice=Choice.AGAINST, name=second.name, id_tail=second.id_tail
    )
    chain = list(BoxEvent.objects.filter(motion=motion).order_by("seq"))
    assert [e.type for e in chain] == ["open", "ballot", "attend", "ballot"]
    assert "household_token" in chain[1].payload  # signed in by their paper ballot
    assert "household_token" not in chain[3].payload  # already present (verified online)
    assert Attendance.objects.filter(motion=motion).count() == 2
    check = box.verify(motion)
    assert check.ok and check.recomputed["attended"] == 2

    # Dropping the sign-in from a ballot event is an edit of the chain, and is caught.
    payload = {k: val for k, val in chain[1].payload.items() if k != "household_token"}
    BoxEvent.objects.filter(pk=chain[1].pk).update(payload=payload)
    assert not box.verify(motion).ok


def test_the_roll_is_fixed_when_the_box_opens(village: dict[str, Any]) -> None:
    v = village
    motion = walk_to(v, "voting")
    meeting = Meeting.objects.get(motion=motion)
    assert meeting.electorate_fixed
    assert set(Elector.objects.filter(motion=motion).values_list("resident_id", flat=True)) == {
        r.pk for r in v["reps"]
    }
    # Seated after the box opened: not on this meeting's roll, online or in the hall.
    newcomer = v["villager"]
    services.body_member_add(
        actor=v["cadre"],
        village=v["v11"],
        kind=BodyKind.REPRESENTATIVES,
        resident=newcomer,
        starts_on=TODAY(),
    )
    login = resident_login(newcomer, "13900000072")
    with pytest.raises(PermissionDenied) as err:
        services.ballot_cast_online(
            actor=login, motion=motion, choice=Choice.FOR, name=newcomer.name, id_tail=newcomer.id_tail
        )
    assert err.value.code == "not_member"
    with pytest.raises(ValidationFailed) as err2:
        services.ballot_enter(actor=v["cadre"], motion=motion, voter=newcomer, choice=Choice.FOR)
    assert err2.value.code == "not_member"
    # A seat ended after the box opened keeps its holder on the roll counted as 应到.
    leaving = v["reps"][4]
    services.body_member_end(actor=v["cadre"], membership=leaving.voting_seats.get(), ends_on=TODAY())
    services.ballot_enter(actor=v["cadre"], motion=motion, voter=leaving, choice=Choice.AGAINST)
    roster = selectors.hall_roster(motion, meeting)
    assert {row.resident.pk for row in roster} == {r.pk for r in v["reps"]}
    assert newcomer.pk not in {m.motion_id for m, _ in selectors.my_voting(login)["open"]}


def test_a_meeting_opened_before_the_roll_was_kept_asks_the_rules(village: dict[str, Any]) -> None:
    v = village
    motion = walk_to(v, "voting")
    Elector.objects.filter(motion=motion).delete()
    Meeting.objects.filter(motion=motion).update(electorate_fixed=False)
    rep, outsider = v["reps"][0], v["villager"]
    login = resident_login(rep, "13900000073")
    services.ballot_cast_online(
        actor=login, motion=motion, choice=Choice.FOR, name=rep.name, id_tail=rep.id_tail
    )
    with pytest.raises(ValidationFailed) as err:
        services.ballot_enter(actor=v["cadre"], motion=motion, voter=outsider, choice=Choice.FOR)
    assert err.value.code == "not_member"
    assert box.verify(motion).ok


def test_a_ballot_racing_the_close_is_refused_under_the_lock(
    village: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The box is read open, then the window ends before the ballot reaches the lock: the check
    under the lock refuses it and nothing of it stays (sign-in, ballot, audit, event)."""
    v = village
    motion = walk_to(v, "voting")
    rep = v["reps"][0]
    login = resident_login(rep, "13900000074")
    lock_head = castpath.lock_head

    def window_ends_first(meeting_id: int, now: datetime.datetime) -> castpath.Head:
        Meeting.objects.filter(pk=meeting_id).update(closes_at=timezone.now() - datetime.timedelta(seconds=1))
        return lock_head(meeting_id, now)

    monkeypatch.setattr(castpath, "lock_head", window_ends_first)
    counts = (Ballot.objects.count(), Attendance.objects.count(), BoxEvent.objects.count())
    audits = AuditRecord.objects.count()
    with pytest.raises(Conflict) as err:
        services.ballot_cast_online(
            actor=login, motion=motion, choice=Choice.FOR, name=rep.name, id_tail=rep.id_tail
        )
    assert err.value.code == "window_closed" and "截止" in err.value.message
    assert (Ballot.objects.count(), Attendance.objects.count(), BoxEvent.objects.count()) == counts
    assert AuditRecord.objects.count() == audits
