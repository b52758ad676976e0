"""Demo cases (apps/demo/cases.py) on the lite load of 会泽县: a plausible year (channels,
categories, closed share, satisfaction), every timeline consistent with the state machine, work in
every named login's inbox, real audit records for the walked cases, determinism and a second run
that adds nothing. Resident records are left out (the loader falls back to generated submitters)."""

from __future__ import annotations

import datetime
import random
import re
from collections import Counter, defaultdict
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from apps.accounts.models import User
from apps.audit.models import AuditRecord, Event
from apps.cases import selectors, stats
from apps.cases.choices import FINAL_STATUSES, OPEN_STATUSES, Action, Channel, IntakeKind, SlaState, Status
from apps.cases.models import Case, CaseStep, Category, Extension, IntakeRecord, Whistle
from apps.cases.services import ALLOWED_FROM
from apps.demo import cases as demo_cases
from apps.demo.loader import load_demo
from apps.demo.people import PeopleResult
from apps.territory.models import Organisation

pytestmark = pytest.mark.django_db

HUIZE = "530326"
TRACKING = re.compile(r"^\d{6}[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{5}$")


@pytest.fixture
def loaded(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr("apps.demo.loader.load_people", lambda **kwargs: PeopleResult())
    monkeypatch.setattr("apps.demo.loader.MODULE_DEMOS", ("cases",))
    return load_demo(county_code=HUIZE, lite=True)


def _a_plausible_year(loaded: Any) -> None:
    created = loaded.created
    assert created["cases"] == demo_cases.LITE_TOTAL and created["cases_walked"] >= 15
    cases = list(Case.objects.select_related("category", "unit"))
    children = sum(c.parent_id is not None for c in cases)  # the supporting department's child case
    assert len(cases) == created["cases"] + created["cases_walked"] + children

    now = timezone.now()
    assert all(now - datetime.timedelta(days=366) <= c.submitted_at <= now for c in cases)
    channels = Counter(c.channel for c in cases)
    assert set(channels) == set(Channel.values)
    leaves = set(Category.objects.filter(children__isnull=True).values_list("code", flat=True))
    assert {c.category.code for c in cases} == leaves
    status = Counter(c.status for c in cases)
    assert 0.9 <= status[Status.CLOSED] / len(cases) <= 0.98
    assert status[Status.REJECTED] and status[Status.MERGED]
    for open_state in (Status.SUBMITTED, Status.DISPATCHED, Status.HANDLING, Status.REPLIED):
        assert status[open_state], open_state
    assert status[Status.ACCEPTED] + status[Status.TRIAGED]
    open_cases = [c for c in cases if c.status in OPEN_STATUSES]
    assert {SlaState.YELLOW, SlaState.RED} & {c.sla_state for c in open_cases}

    rated = [c for c in cases if c.status == Status.CLOSED and c.rating]
    content = sum(1 for c in rated if c.rating in ("satisfied", "basic"))
    assert content / len(rated) >= 0.97  # the seeds: 98% satisfied
    assert len(rated) / status[Status.CLOSED] >= 0.85
    # Reopened, returned, escalated, urged, extended, whistled, owned: a few of each.
    assert all(
        n > 0
        for n in (
            sum(c.reopen_count > 0 for c in cases),
            sum(c.return_count > 0 for c in cases),
            sum(c.escalation_count > 0 for c in cases),
            sum(c.urge_count > 0 for c in cases),
            Extension.objects.count(),
            Whistle.objects.count(),
            sum(c.owner_id is not None for c in cases),
        )
    )
    # The demo township is weighted: about a fifth of the county's cases (lite: its share of 4 townships).
    home = sum(c.unit.code.startswith("530326102") for c in cases)
    assert home / len(cases) >= 0.2

    codes = [c.tracking_code for c in cases]
    assert len(set(codes)) == len(codes) and all(TRACKING.match(code) for code in codes)
    for c in cases:
        assert c.tracking_code[:6] == f"{timezone.localtime(c.submitted_at):%y%m%d}"
    hotline = [c.external_id for c in cases if c.channel == Channel.HOTLINE and c.external_id]
    assert len(set(hotline)) == len(hotline) > 0


def _every_timeline_follows_the_state_machine(loaded: Any) -> None:
    cases = {c.pk: c for c in Case.objects.all()}
    steps: dict[int, list[CaseStep]] = defaultdict(list)
    for step in CaseStep.objects.order_by("at", "id"):
        steps[step.case_id].append(step)
    for pk, case in cases.items():
        timeline = steps[pk]
        first = timeline[0]
        assert first.action in (Action.SUBMIT, Action.DISPATCH), case  # a split's child starts dispatched
        state = first.to_status
        for step in timeline[1:]:
            assert step.at >= first.at
            if step.action == Action.WARN:
                assert step.data["state"] in (SlaState.YELLOW, SlaState.RED)
                continue
            if step.action == Action.MERGE and "duplicate" in step.data:
                continue  # the original's note of a duplicate merged into it: not a transition
            if step.action == Action.REOPEN:
                assert (step.from_status, step.to_status) == (Status.REPLIED, Status.HANDLING)
                continue
            assert step.from_status == state, (case.tracking_code, step.action, step.from_status, state)
            allowed = ALLOWED_FROM.get(step.action)
            assert allowed is None or step.from_status in allowed, (case.tracking_code, step.action)
            state = step.to_status
        assert state == case.status, case.tracking_code
        if case.status in FINAL_STATUSES:
            assert case.closed_at is not None and case.due_at is None
        else:
            assert case.due_at is not None and case.warn_at is not None
            colour = SlaState.RED if case.due_at < timezone.now() else case.sla_state
            assert case.sla_state == colour
        if case.status == Status.CLOSED:
            assert (case.resolved_level and case.replied_at is not None) or case.parent_id
            assert case.accepted_at <= case.closed_at
        if case.was_overdue and case.submitted_at < timezone.now() - datetime.timedelta(days=2):
            assert any(s.action == Action.WARN and s.data["state"] == SlaState.RED for s in timeline) or (
                case.sla_state == SlaState.RED
            )
        if case.status == Status.MERGED:
            assert case.merged_into_id in cases
    for whistle in Whistle.objects.all():
        assert whistle.signed_at is None or whistle.signed_at >= whistle.whistled_at
        assert whistle.done_at is None or whistle.signed_at is not None
    assert (
        Extension.objects.filter(status="pending").count()
        <= Case.objects.filter(status=Status.HANDLING).count()
    )


def _intake_records_and_leader_visits_on_mondays(loaded: Any) -> None:
    visits = IntakeRecord.objects.filter(kind=IntakeKind.LEADER_VISIT)
    assert visits.count() >= 50 and all(r.held_on.weekday() == 0 for r in visits)
    assert visits.filter(unit__code__startswith="530326102").count() >= 50  # the demo township every week
    assert IntakeRecord.objects.filter(kind=IntakeKind.MEETING).exists()
    for case in Case.objects.filter(intake_record__isnull=False).select_related(
        "intake_record__unit", "unit"
    ):
        assert case.unit.code.startswith(case.intake_record.unit.code[:9])
        if case.channel == Channel.LEADER_VISIT:
            assert timezone.localtime(case.submitted_at).date() == case.intake_record.held_on


def _named_logins_find_work_and_the_resident_their_cases(loaded: Any) -> None:
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=["township", "cadre", "gridder", "handler", "leader", "operator", "resident"]
        )
    }
    counts = {name: selectors.inbox_counts(user) for name, user in users.items() if name != "resident"}
    assert (
        counts["township"]["to_accept"] and counts["township"]["to_sign"] and counts["township"]["handling"]
    )
    assert counts["township"]["to_dispatch"] and counts["township"]["to_follow_up"]
    assert counts["cadre"]["to_accept"] and counts["cadre"]["to_sign"] and counts["cadre"]["handling"]
    assert counts["gridder"]["to_sign"] + counts["gridder"]["handling"]
    assert counts["handler"]["to_sign"] and counts["handler"]["handling"]
    assert Whistle.objects.filter(organisation__code=f"{HUIZE}-ZRZY", status="pending").exists()
    assert selectors.owned_cases(users["leader"]).exists()
    assert counts["leader"]["yellow"] + counts["leader"]["red"]
    assert (
        selectors.inbox(users["operator"], "all")
        .filter(entered_by=users["operator"], status=Status.SUBMITTED)
        .exists()
    )
    mine = list(selectors.my_cases(users["resident"]))
    assert 2 <= len(mine) <= 3
    assert {c.status for c in mine} >= {Status.SUBMITTED, Status.REPLIED}
    # The dashboard of the demo township works on the loaded year.
    officer = users["township"]
    board = stats.unit_dashboard(
        officer, stats.dashboard_unit(officer, None), *stats.default_period(timezone.localdate())
    )
    assert board.kpis["received"] > 100 and board.kpis.rates["satisfaction"] >= 95


def _walked_cases_have_real_audit_records_and_one_event(loaded: Any) -> None:
    case_type = ContentType.objects.get_for_model(Case)
    audited = AuditRecord.objects.filter(content_type=case_type)
    assert audited.values("object_id").distinct().count() >= loaded.created["cases_walked"]
    assert Event.objects.filter(event_type="cases.dispatch").exists()
    [event] = Event.objects.filter(event_type=demo_cases.DEMO_LOADED)
    assert event.data["cases"] == demo_cases.LITE_TOTAL and event.scope_code == HUIZE


def _second_run_adds_nothing(loaded: Any) -> None:
    before = (
        Case.objects.count(),
        CaseStep.objects.count(),
        Event.objects.count(),
        AuditRecord.objects.count(),
    )
    again = load_demo(county_code=HUIZE, lite=True)
    assert not any(key.startswith("case") for key in again.created)
    assert (
        Case.objects.count(),
        CaseStep.objects.count(),
        Event.objects.count(),
        AuditRecord.objects.count(),
    ) == before


def _planning_is_deterministic(loaded: Any) -> None:
    """The same seed and clock plan the same year (the loader draws everything from ctx.rng)."""
    from apps.demo.loader import DemoContext

    county = loaded.county
    ctx = DemoContext(
        loader=None,  # type: ignore[arg-type] — the planner does not use the loader's helpers
        county=county,
        townships=list(county.children.order_by("code")),
        villages={t.pk: list(t.children.filter(level=5).order_by("code")) for t in county.children.all()},
        home=county.children.get(code="530326102"),
        demo_village=Case.objects.filter(submitter__username="resident").first().unit,
        departments={o.code.rsplit("-", 1)[1]: o for o in Organisation.objects.filter(service_area=county)},
        admin=User.objects.get(username="admin"),
        names=None,
        rng=random.Random(7),
        today=timezone.localdate(),
        lite=True,
    )
    now = timezone.now()

    def plan() -> list[tuple[Any, ...]]:
        planner = demo_cases._Planner(ctx, random.Random(7), now)
        planned, _ = planner.plan()
        planner.simulate(planned)
        return [
            (s.case.tracking_code, s.case.title, s.case.unit_id, s.case.submitted_at, s.case.status)
            for s in planned
        ]

    assert plan() == plan()


# One load per test (about 7 s each): the checks above share them.
def test_a_plausible_year_with_consistent_timelines(loaded: Any) -> None:
    _a_plausible_year(loaded)
    _every_timeline_follows_the_state_machine(loaded)
    _intake_records_and_leader_visits_on_mondays(loaded)


def test_work_for_every_login_audit_determinism_and_a_second_run(loaded: Any) -> None:
    _named_logins_find_work_and_the_resident_their_cases(loaded)
    _walked_cases_have_real_audit_records_and_one_event(loaded)
    _planning_is_deterministic(loaded)
    _second_run_adds_nothing(loaded)
