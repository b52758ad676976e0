"""Services of sunshine voting: the six steps end to end, quorum and majority, hall and online
ballots with one person one vote, refusals that change nothing, the hash chain and its verifier,
bodies and their effective dates, warnings."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.models import AuditRecord, Event
from apps.core.errors import Conflict, PermissionDenied, RateLimited, ValidationFailed
from apps.voting import box, rules, services
from apps.voting.choices import (
    BodyKind,
    Channel,
    Choice,
    MeetingKind,
    MotionKind,
    MotionStatus,
    Outcome,
    StepKind,
    WarningKind,
)
from apps.voting.models import Attendance, Ballot, BoxEvent, Meeting, Motion, MotionWarning, Step

from .conftest import resident_login, walk_to

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today


def _state(motion: Motion) -> tuple[int, int, int, str]:
    motion.refresh_from_db()
    return (
        Ballot.objects.filter(motion=motion).count(),
        Attendance.objects.filter(motion=motion).count(),
        BoxEvent.objects.filter(motion=motion).count(),
        motion.status,
    )


def test_full_procedure_hall_and_online(village: dict[str, Any]) -> None:
    v = village
    motion = walk_to(v, "voting")
    assert motion.status == MotionStatus.VOTING
    assert [s.kind for s in motion.steps.all()] == [1, 2, 3, 4, 5]
    meeting = Meeting.objects.get(motion=motion)
    assert meeting.electorate == 5

    reps = v["reps"]
    online = resident_login(reps[0], "13900000001")
    ballot = services.ballot_cast_online(
        actor=online, motion=motion, choice=Choice.FOR, name=reps[0].name, id_tail=reps[0].id_tail
    )
    assert len(ballot.receipt) == 64 and ballot.channel == Channel.ONLINE
    services.ballot_enter(actor=v["cadre"], motion=motion, voter=reps[1], choice=Choice.FOR)
    services.ballot_enter(
        actor=v["cadre"], motion=motion, voter=reps[2], choice=Choice.AGAINST, channel=Channel.HANDS
    )
    services.attendance_record(actor=v["cadre"], motion=motion, voter=reps[3])  # present, no ballot

    motion = services.vote_close(actor=v["cadre"], motion=motion)
    meeting.refresh_from_db()
    assert (meeting.attended, meeting.votes_for, meeting.votes_against) == (4, 2, 1)
    assert meeting.quorum_met  # 4 of 5 ≥ 2/3
    assert not meeting.majority_met  # 2 of 4 attending is not more than half
    assert motion.outcome == Outcome.REJECTED and motion.status == MotionStatus.DECIDED

    check = box.verify(motion)
    assert check.ok, check.problems
    # open; three ballots, each also the sign-in of a voter not yet present; one sign-in; close
    assert check.recomputed["outcome"] == Outcome.REJECTED and check.events == 1 + 3 + 1 + 1
    assert check.recomputed["attended"] == 4

    motion = services.motion_publish_result(actor=v["cadre"], motion=motion)
    assert motion.status == MotionStatus.CLOSED and motion.result_published_at is not None


def test_passed_motion_goes_to_supervision_until_done(village: dict[str, Any]) -> None:
    v = village
    motion = walk_to(v, "voting")
    for r in v["reps"][:4]:
        services.ballot_enter(actor=v["cadre"], motion=motion, voter=r, choice=Choice.FOR)
    motion = services.vote_close(actor=v["cadre"], motion=motion)
    assert motion.outcome == Outcome.PASSED
    motion = services.motion_publish_result(actor=v["cadre"], motion=motion)
    assert motion.status == MotionStatus.SUPERVISING
    with pytest.raises(PermissionDenied):
        services.motion_report(actor=v["cadre"], motion=motion, held_on=TODAY(), minutes="进度 50%")
    motion = services.motion_report(actor=v["supervisor"], motion=motion, held_on=TODAY(), minutes="进度 50%")
    assert motion.status == MotionStatus.SUPERVISING
    motion = services.motion_report(
        actor=v["supervisor"], motion=motion, held_on=TODAY(), minutes="已完工验收", completed=True
    )
    assert motion.status == MotionStatus.DONE and motion.done_at is not None
    assert Step.objects.filter(motion=motion, kind=StepKind.SUPERVISE).count() == 2


def test_quorum_not_met_makes_the_meeting_invalid_and_warns(village: dict[str, Any]) -> None:
    v = village
    motion = walk_to(v, "voting")
    for r in v["reps"][:3]:  # 3 of 5 < 2/3
        services.ballot_enter(actor=v["cadre"], motion=motion, voter=r, choice=Choice.FOR)
    motion = services.vote_close(actor=v["cadre"], motion=motion)
    assert motion.outcome == Outcome.INVALID
    assert MotionWarning.objects.filter(motion=motion, kind=WarningKind.QUORUM, resolved_at=None).exists()


def test_one_person_one_vote_across_channels(village: dict[str, Any]) -> None:
    v = village
    motion = walk_to(v, "voting")
    rep = v["reps"][0]
    services.ballot_enter(actor=v["cadre"], motion=motion, voter=rep, choice=Choice.FOR)
    login = resident_login(rep, "13900000002")
    before = _state(motion)
    with pytest.raises(Conflict) as err:
        services.ballot_cast_online(
            actor=login, motion=motion, choice=Choice.AGAINST, name=rep.name, id_tail=rep.id_tail
        )
    assert err.value.code == "already_voted" and "现场纸质选票" in err.value.message
    assert _state(motion) == before


def test_the_database_refuses_a_second_ballot(village: dict[str, Any]) -> None:
    v = village
    motion = walk_to(v, "voting")
    rep = v["reps"][0]
    services.ballot_enter(actor=v["cadre"], motion=motion, voter=rep, choice=Choice.FOR)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ballot.objects.create(
            motion=motion,
            voter=rep,
            choice=Choice.AGAINST,
            channel=Channel.ONLINE,
            voter_token="x",
            nonce="y",
            receipt="z" * 64,
            entered_by=v["cadre"],
        )


@pytest.mark.parametrize(
    "case",
    [
        "not_member",
        "bad_tail",
        "bad_name",
        "not_voting",
        "window_closed",
        "window_not_open",
        "staff",
        "choice",
    ],
)
def test_online_refusals_change_nothing(village: dict[str, Any], case: str) -> None:
    v = village
    motion = walk_to(v, "filed" if case == "not_voting" else "voting")
    person = v["villager"] if case == "not_member" else v["reps"][0]
    login = resident_login(person, "13900000003")
    name, tail, choice = person.name, person.id_tail, Choice.FOR
    if case == "bad_tail":
        tail = "0000" if person.id_tail != "0000" else "1111"
    if case == "bad_name":
        name = "冒名"
    if case == "choice":
        choice = "maybe"
    if case in ("window_closed", "window_not_open"):
        meeting = Meeting.objects.get(motion=motion)
        now = timezone.now()
        if case == "window_closed":
            meeting.opens_at, meeting.closes_at = (
                now - datetime.timedelta(hours=3),
                now - datetime.timedelta(hours=1),
            )
        else:
            meeting.opens_at, meeting.closes_at = (
                now + datetime.timedelta(hours=1),
                now + datetime.timedelta(hours=3),
            )
        meeting.save()
    actor = v["cadre"] if case == "staff" else login
    before = _state(motion)
    audits = AuditRecord.objects.count()
    expected = {
        "not_member": (PermissionDenied, "not_member"),
        "bad_tail": (ValidationFailed, "verify_failed"),
        "bad_name": (ValidationFailed, "verify_failed"),
        "not_voting": (Conflict, "not_voting"),
        "window_closed": (Conflict, "window_closed"),
        "window_not_open": (Conflict, "window_not_open"),
        "staff": (PermissionDenied, "not_resident"),
        "choice": (ValidationFailed, "choice_invalid"),
    }[case]
    with pytest.raises(expected[0]) as err:
        services.ballot_cast_online(actor=actor, motion=motion, choice=choice, name=name, id_tail=tail)
    assert err.value.code == expected[1]
    assert err.value.message  # a specific Chinese sentence
    assert _state(motion) == before
    assert AuditRecord.objects.count() == audits


def test_wrong_identity_five_times_locks_the_online_vote(village: dict[str, Any]) -> None:
    v = village
    motion = walk_to(v, "voting")
    rep = v["reps"][1]
    login = resident_login(rep, "13900000004")
    from django.core.cache import cache

    cache.clear()
    for _ in range(services.VERIFY_MAX_FAILURES):
        with pytest.raises(ValidationFailed):
            services.ballot_cast_online(
                actor=login, motion=motion, choice=Choice.FOR, name=rep.name, id_tail="ZZZZ"
            )
    with pytest.raises(RateLimited):
        services.ballot_cast_online(
            actor=login, motion=motion, choice=Choice.FOR, name=rep.name, id_tail=rep.id_tail
        )
    cache.clear()


def test_teller_cannot_enter_for_a_non_member_or_outside_the_village(village: dict[str, Any]) -> None:
    v = village
    motion = walk_to(v, "voting")
    with pytest.raises(ValidationFailed) as err:
        services.ballot_enter(actor=v["cadre"], motion=motion, voter=v["villager"], choice=Choice.FOR)
    assert err.value.code == "not_member"
    with pytest.raises(PermissionDenied):
        services.ballot_enter(actor=v["outsider"], motion=motion, voter=v["reps"][0], choice=Choice.FOR)
    with pytest.raises(PermissionDenied):
        services.ballot_enter(actor=v["supervisor"], motion=motion, voter=v["reps"][0], choice=Choice.FOR)
    assert Ballot.objects.filter(motion=motion).count() == 0


def test_secret_ballot_keeps_choices_out_of_the_audit_log(village: dict[str, Any]) -> None:
    v = village
    motion = walk_to(v, "voting", secret=True)
    services.ballot_enter(actor=v["cadre"], motion=motion, voter=v["reps"][0], choice=Choice.AGAINST)
    record = AuditRecord.objects.filter(content_type__model="ballot").get()
    assert "choice" not in (record.after or {})
    payloads = [e.payload for e in BoxEvent.objects.filter(motion=motion)]
    assert all(v["reps"][0].name not in str(p) for p in payloads)


def test_tampering_is_detected(village: dict[str, Any]) -> None:
    v = village
    motion = walk_to(v, "voting")
    for r, c in zip(v["reps"][:4], [Choice.FOR, Choice.FOR, Choice.FOR, Choice.AGAINST], strict=True):
        services.ballot_enter(actor=v["cadre"], motion=motion, voter=r, choice=c)
    services.vote_close(actor=v["cadre"], motion=motion)
    assert box.verify(motion).ok

    ballot = Ballot.objects.filter(motion=motion, choice=Choice.AGAINST).get()
    Ballot.objects.filter(pk=ballot.pk).update(choice=Choice.FOR)  # someone edits the table
    problems = box.verify(motion).problems
    assert any("选票被改动" in p for p in problems)
    Ballot.objects.filter(pk=ballot.pk).update(choice=Choice.AGAINST)

    event = BoxEvent.objects.filter(motion=motion, type="ballot").last()
    assert event is not None
    payload = {**event.payload, "choice": Choice.FOR}
    BoxEvent.objects.filter(pk=event.pk).update(payload=payload)
    problems = box.verify(motion).problems
    assert any("记录被改动" in p for p in problems)

    BoxEvent.objects.filter(pk=event.pk).update(payload={**payload, "choice": Choice.AGAINST})
    BoxEvent.objects.filter(motion=motion, seq=event.seq).delete()
    assert not box.verify(motion).ok


def test_membership_dates_decide_the_electorate(village: dict[str, Any]) -> None:
    v = village
    seat = v["reps"][4].voting_seats.get()
    services.body_member_end(actor=v["cadre"], membership=seat, ends_on=TODAY() - datetime.timedelta(days=1))
    assert rules.electorate(MeetingKind.REPRESENTATIVES, v["v11"], TODAY()).count() == 4
    assert (
        rules.electorate(MeetingKind.REPRESENTATIVES, v["v11"], TODAY() - datetime.timedelta(days=2)).count()
        == 5
    )
    services.body_member_add(
        actor=v["cadre"],
        village=v["v11"],
        kind=BodyKind.REPRESENTATIVES,
        resident=v["villager"],
        starts_on=TODAY(),
    )
    with pytest.raises(Conflict):
        services.body_member_add(
            actor=v["cadre"],
            village=v["v11"],
            kind=BodyKind.REPRESENTATIVES,
            resident=v["villager"],
            starts_on=TODAY(),
        )
    with pytest.raises(PermissionDenied):
        services.body_member_add(
            actor=v["outsider"],
            village=v["v11"],
            kind=BodyKind.SUPERVISION,
            resident=v["villager"],
            starts_on=TODAY(),
        )


def test_villagers_meeting_counts_adults_and_households(village: dict[str, Any]) -> None:
    v = village
    assert rules.electorate(MeetingKind.VILLAGERS, v["v11"], TODAY()).count() == 6
    assert rules.household_count(v["v11"]) == 6
    # 3 of 6 adults is not more than half, but 4 of 6 households reach 2/3.
    t = rules.tally(
        kind=MeetingKind.VILLAGERS,
        rules={},
        electorate=6,
        households=6,
        attended=3,
        households_attended=4,
        votes_for=2,
        votes_against=1,
        votes_abstain=0,
    )
    assert t.quorum_met and t.majority_met and t.outcome == Outcome.PASSED
    t = rules.tally(
        kind=MeetingKind.VILLAGERS,
        rules={},
        electorate=6,
        households=6,
        attended=3,
        households_attended=3,
        votes_for=3,
        votes_against=0,
        votes_abstain=0,
    )
    assert not t.quorum_met and t.outcome == Outcome.INVALID


def test_policy_overrides_the_law_defaults(village: dict[str, Any]) -> None:
    v = village
    services.policy_save(
        actor=v["admin"],
        unit=v["county"],
        rules_override={"representatives": {"quorum": [4, 5, False]}},
        filing_days=10,
        publish_days=2,
        report_days=20,
    )
    policy = services.policy_for(v["v11"])
    assert policy["rules"]["representatives"]["quorum"] == [4, 5, False]
    assert policy["rules"]["representatives"]["majority"] == [1, 2, True]
    assert policy["publish_days"] == 2
    with pytest.raises(PermissionDenied):
        services.policy_save(
            actor=v["cadre"], unit=v["t1"], rules_override={}, filing_days=1, publish_days=1, report_days=1
        )
    with pytest.raises(ValidationFailed):
        services.policy_save(
            actor=v["admin"],
            unit=v["county"],
            rules_override={"representatives": {"quorum": [3, 2, False]}},
            filing_days=10,
            publish_days=2,
            report_days=20,
        )


def test_review_is_the_townships_and_return_sends_back_to_consult(village: dict[str, Any]) -> None:
    v = village
    motion = walk_to(v, "consulted")
    with pytest.raises(PermissionDenied):
        services.motion_review(actor=v["cadre"], motion=motion, approve=True, held_on=TODAY())
    with pytest.raises(ValidationFailed):
        services.motion_review(actor=v["officer"], motion=motion, approve=False, held_on=TODAY())
    motion = services.motion_review(
        actor=v["officer"], motion=motion, approve=False, held_on=TODAY(), opinion="补充预算明细"
    )
    assert motion.status == MotionStatus.RETURNED
    motion = services.motion_consult(actor=v["cadre"], motion=motion, held_on=TODAY(), minutes="补充了预算")
    assert motion.status == MotionStatus.CONSULTED


def test_warnings_deadlines_and_direct_records(village: dict[str, Any]) -> None:
    v = village
    direct = services.motion_record_direct(
        actor=v["cadre"],
        village=v["v11"],
        kind=MotionKind.HOMESTEAD,
        title="宅基地调整",
        implemented_on=TODAY(),
    )
    ordinary = services.motion_record_direct(
        actor=v["cadre"], village=v["v11"], kind=MotionKind.ORDINARY, title="更换路灯", implemented_on=TODAY()
    )
    assert MotionWarning.objects.filter(motion=direct, kind=WarningKind.NO_VOTE).exists()
    assert not MotionWarning.objects.filter(motion=ordinary).exists()

    pending = walk_to(v, "consulted")
    later = timezone.now() + datetime.timedelta(days=16)
    services.motion_warnings_refresh(motion=pending, now=later)
    assert MotionWarning.objects.filter(
        motion=pending, kind=WarningKind.FILING_OVERDUE, resolved_at=None
    ).exists()
    services.motion_review(actor=v["officer"], motion=pending, approve=True, held_on=TODAY())
    assert not MotionWarning.objects.filter(motion=pending, resolved_at=None).exists()  # resolved on review
    assert MotionWarning.objects.filter(motion=pending, kind=WarningKind.FILING_OVERDUE).exists()  # kept

    decided = walk_to(v, "voting")
    for r in v["reps"][:4]:
        services.ballot_enter(actor=v["cadre"], motion=decided, voter=r, choice=Choice.FOR)
    services.vote_close(actor=v["cadre"], motion=decided)
    checked, raised, _ = services.warnings_sweep(now=timezone.now() + datetime.timedelta(days=4))
    assert checked >= 3 and raised >= 1
    assert MotionWarning.objects.filter(motion=decided, kind=WarningKind.RESULT_UNPUBLISHED).exists()
    services.motion_publish_result(actor=v["cadre"], motion=decided)
    services.warnings_sweep(now=timezone.now() + datetime.timedelta(days=31))
    assert MotionWarning.objects.filter(
        motion=decided, kind=WarningKind.REPORT_OVERDUE, resolved_at=None
    ).exists()
    assert Event.objects.filter(event_type="voting.warning_raised").count() >= 4


def test_step_dates_out_of_order_warn(village: dict[str, Any]) -> None:
    v = village
    motion = walk_to(v, "proposed")
    services.motion_consult(
        actor=v["cadre"], motion=motion, held_on=TODAY() - datetime.timedelta(days=10), minutes="补录"
    )
    warning = MotionWarning.objects.get(motion=motion, kind=WarningKind.STEP_ORDER)
    assert "早于" in warning.detail


def test_vote_open_checks(village: dict[str, Any]) -> None:
    v = village
    motion = walk_to(v, "filed")
    now = timezone.now()
    with pytest.raises(ValidationFailed) as err:
        services.vote_open(
            actor=v["cadre"],
            motion=motion,
            held_on=TODAY(),
            opens_at=now,
            closes_at=now - datetime.timedelta(hours=1),
        )
    assert err.value.code == "window_invalid"
    with pytest.raises(ValidationFailed) as err:
        services.vote_open(
            actor=v["cadre"],
            motion=motion,
            held_on=datetime.date(2023, 6, 1),  # before anyone's seat began
            opens_at=now,
            closes_at=now + datetime.timedelta(hours=1),
        )
    assert err.value.code == "electorate_empty"
    motion.refresh_from_db()
    assert motion.status == MotionStatus.FILED


def test_voter_verify_records_online_attendance(village: dict[str, Any]) -> None:
    v = village
    motion = walk_to(v, "voting")
    rep = v["reps"][2]
    login = resident_login(rep, "13900000005")
    attendance = services.voter_verify(actor=login, motion=motion, name=rep.name, id_tail=rep.id_tail)
    assert attendance.channel == "online"
    services.voter_verify(actor=login, motion=motion, name=rep.name, id_tail=rep.id_tail)  # idempotent
    assert Attendance.objects.filter(motion=motion).count() == 1


def test_resident_suggestion(village: dict[str, Any]) -> None:
    v = village
    login = resident_login(v["villager"], "13900000006")
    suggestion = services.suggestion_submit(actor=login, text="建议修缮村文化礼堂")
    assert suggestion.village == v["v11"]
    with pytest.raises(PermissionDenied):
        services.suggestion_submit(actor=v["cadre"], text="x")


def test_the_sweep_is_registered_and_runs(village: dict[str, Any]) -> None:
    from apps.core.sweeps import all_sweeps, run_sweeps

    walk_to(village, "consulted")
    assert "voting_warnings" in all_sweeps()
    [(name, line)] = run_sweeps(["voting_warnings"])
    assert name == "voting_warnings" and line.startswith("检查 1 个票决事项")
