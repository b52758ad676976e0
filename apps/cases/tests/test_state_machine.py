"""Hypothesis drives random sequences of actions by random people against a few cases and checks,
after every step, the invariants of the one state machine:

- a refused action (any ApplicationError) changes nothing: same status, version and timeline;
- an accepted action bumps the version by one and adds its timeline line, whose `to_status` is the
  case's status;
- the status is one of the machine's and was reachable from the previous one by that action;
- held states have exactly one holder; final states have no running deadline; merged cases point
  at an original; closed cases have a close time and a resolved level;
- the counters (urges, reopenings, returns, escalations) equal their timeline lines.
"""

from __future__ import annotations

import datetime
from collections import Counter
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from apps.cases import services
from apps.cases.choices import FINAL_STATUSES, Action, Rating, Status, Triage
from apps.cases.models import Case, Category, Extension
from apps.core.errors import ApplicationError

pytestmark = pytest.mark.django_db

ACTORS = ("cadre", "officer", "officer2", "handler", "resident", "leader", "gridder")
# "auto" is whoever may take the action now (found through services.allowed_actions, the same
# checks the services run), so random walks get deep into the machine; the others try anyway.
WHO = st.one_of(st.just("auto"), st.just("auto"), st.sampled_from(ACTORS))
HELD = (Status.DISPATCHED, Status.HANDLING, Status.REPLIED)


def test_random_action_sequences_keep_the_invariants(people: dict[str, Any]) -> None:
    category = Category.objects.get(code="env-garbage")
    succeeded: Counter[str] = Counter()

    class CaseMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.savepoint = transaction.savepoint()
            self.p = people
            self.cases: list[Case] = []

        def teardown(self) -> None:
            transaction.savepoint_rollback(self.savepoint)

        @initialize()
        def submit_cases(self) -> None:
            for i, unit in enumerate((self.p["v11"], self.p["v11"], self.p["v12"])):
                self.cases.append(
                    services.case_submit(
                        actor=self.p["resident"],
                        channel="photo",
                        category=category,
                        title=f"问题{i}",
                        description="村口垃圾池满了，三天没人清运。",
                        unit=unit,
                    )
                )

        def _attempt(self, index: int, action: str, call: Any) -> None:
            case = Case.objects.get(pk=self.cases[index].pk)
            steps_before = case.steps.count()
            try:
                call(case)
            except ApplicationError:
                after = Case.objects.get(pk=case.pk)
                assert (after.status, after.version) == (case.status, case.version), action
                assert after.steps.count() == steps_before, action
                return
            after = Case.objects.get(pk=case.pk)
            succeeded[action] += 1
            assert after.version == case.version + 1, action
            new_steps = list(after.steps.order_by("id")[steps_before:])
            assert new_steps and new_steps[0].action == action, (action, [s.action for s in new_steps])
            assert new_steps[0].from_status == case.status
            if action not in (Action.MERGE,):
                assert case.status in services.ALLOWED_FROM.get(action, (case.status,)), action

        def actor(self, name: str, i: int = 0, action: str = "") -> Any:
            if name != "auto":
                return self.p[name]
            case = Case.objects.get(pk=self.cases[i].pk)
            for candidate in ("cadre", "officer", "handler", "leader", "resident", "gridder"):
                if action in services.allowed_actions(self.p[candidate], case):
                    return self.p[candidate]
            return self.p["cadre"]

        @rule(
            i=st.integers(0, 1),
            rating=st.sampled_from(Rating.values),
            body=st.sampled_from(("v11", "dept")),
            steps=st.integers(1, 6),
        )
        def advance(self, i: int, rating: str, body: str, steps: int) -> None:
            """Up to `steps` steps of the happy path, each by whoever may take it: keeps the walks
            going deep while the other rules interleave everything else."""
            for _ in range(steps):
                self._advance_once(i, rating, body)

        def _advance_once(self, i: int, rating: str, body: str) -> None:
            case = Case.objects.get(pk=self.cases[i].pk)
            nxt = {
                Status.SUBMITTED: (Action.ACCEPT, lambda a, c: services.case_accept(actor=a, case=c)),
                Status.ACCEPTED: (
                    Action.TRIAGE,
                    lambda a, c: services.case_triage(actor=a, case=c, triage="minor"),
                ),
                Status.TRIAGED: (
                    Action.DISPATCH,
                    lambda a, c: services.case_dispatch(
                        actor=a,
                        case=c,
                        **({"organisation": self.p["dept"]} if body == "dept" else {"unit": c.unit}),
                    ),
                ),
                Status.DISPATCHED: (Action.SIGN, lambda a, c: services.case_sign(actor=a, case=c)),
                Status.HANDLING: (
                    Action.REPLY,
                    lambda a, c: services.case_reply(actor=a, case=c, reply="已处理完毕。"),
                ),
                Status.REPLIED: (
                    Action.FOLLOW_UP,
                    lambda a, c: services.case_follow_up(actor=a, case=c, rating=rating, note="回访意见"),
                ),
                Status.FOLLOWED_UP: (Action.CLOSE, lambda a, c: services.case_close(actor=a, case=c)),
            }.get(case.status)
            if nxt is None:
                return
            action, call = nxt
            self._attempt(i, action, lambda c: call(self.actor("auto", i, action), c))

        @rule(i=st.integers(0, 2), who=WHO)
        def accept(self, i: int, who: str) -> None:
            self._attempt(
                i,
                Action.ACCEPT,
                lambda c: services.case_accept(actor=self.actor(who, i, Action.ACCEPT), case=c),
            )

        @rule(i=st.just(2), who=WHO)
        def reject(self, i: int, who: str) -> None:
            self._attempt(
                i,
                Action.REJECT,
                lambda c: services.case_reject(
                    actor=self.actor(who, i, Action.REJECT), case=c, reason="重复反映"
                ),
            )

        @rule(i=st.integers(0, 2), who=WHO, triage=st.sampled_from(Triage.values))
        def triage(self, i: int, who: str, triage: str) -> None:
            self._attempt(
                i,
                Action.TRIAGE,
                lambda c: services.case_triage(
                    actor=self.actor(who, i, Action.TRIAGE), case=c, triage=triage
                ),
            )

        @rule(
            i=st.integers(0, 2),
            who=WHO,
            where=st.sampled_from(("v11", "v12", "t1", "dept")),
        )
        def dispatch(self, i: int, who: str, where: str) -> None:
            kwargs = {"organisation": self.p["dept"]} if where == "dept" else {"unit": self.p[where]}
            self._attempt(
                i,
                Action.DISPATCH,
                lambda c: services.case_dispatch(actor=self.actor(who, i, Action.DISPATCH), case=c, **kwargs),
            )

        @rule(i=st.integers(0, 2), who=WHO)
        def sign(self, i: int, who: str) -> None:
            self._attempt(
                i, Action.SIGN, lambda c: services.case_sign(actor=self.actor(who, i, Action.SIGN), case=c)
            )

        @rule(i=st.integers(0, 2), who=WHO)
        def give_back(self, i: int, who: str) -> None:
            self._attempt(
                i,
                Action.RETURN,
                lambda c: services.case_return(
                    actor=self.actor(who, i, Action.RETURN), case=c, reason="非本单位职责"
                ),
            )

        @rule(i=st.integers(0, 2), who=WHO)
        def escalate(self, i: int, who: str) -> None:
            self._attempt(
                i,
                Action.ESCALATE,
                lambda c: services.case_escalate(
                    actor=self.actor(who, i, Action.ESCALATE), case=c, reason="协调不了"
                ),
            )

        @rule(i=st.integers(0, 2), who=WHO)
        def reply(self, i: int, who: str) -> None:
            self._attempt(
                i,
                Action.REPLY,
                lambda c: services.case_reply(
                    actor=self.actor(who, i, Action.REPLY), case=c, reply="已经处理完毕。"
                ),
            )

        @rule(i=st.integers(0, 2), who=WHO, rating=st.sampled_from(Rating.values))
        def follow_up(self, i: int, who: str, rating: str) -> None:
            self._attempt(
                i,
                Action.FOLLOW_UP,
                lambda c: services.case_follow_up(
                    actor=self.actor(who, i, Action.FOLLOW_UP), case=c, rating=rating, note="回访意见"
                ),
            )

        @rule(i=st.integers(0, 2), who=WHO)
        def close(self, i: int, who: str) -> None:
            self._attempt(
                i,
                Action.CLOSE,
                lambda c: services.case_close(
                    actor=self.actor(who, i, Action.CLOSE), case=c, note="联系不上"
                ),
            )

        @rule(i=st.integers(0, 2), who=WHO)
        def urge(self, i: int, who: str) -> None:
            self._attempt(
                i,
                Action.URGE,
                lambda c: services.case_urge(actor=self.actor(who, i, Action.URGE), case=c, note="请尽快"),
            )

        @rule(i=st.integers(0, 2), who=WHO, days=st.integers(0, 4))
        def ask_extension(self, i: int, who: str, days: int) -> None:
            self._attempt(
                i,
                Action.EXTENSION_REQUEST,
                lambda c: services.extension_request(
                    actor=self.actor(who, i, Action.EXTENSION_REQUEST), case=c, days=days, reason="等待材料"
                ),
            )

        @rule(i=st.integers(0, 2), who=WHO, approve=st.booleans())
        def decide_extension(self, i: int, who: str, approve: bool) -> None:
            pending = Extension.objects.filter(case_id=self.cases[i].pk, status="pending").first()
            if pending is None:
                return
            self._attempt(
                i,
                Action.EXTENSION_DECIDE,
                lambda c: services.extension_decide(
                    actor=self.actor(who, i, Action.EXTENSION_DECIDE),
                    extension=pending,
                    approve=approve,
                    note="不同意",
                ),
            )

        @rule(i=st.just(2), j=st.integers(0, 1), who=WHO)
        def merge(self, i: int, j: int, who: str) -> None:
            original = Case.objects.get(pk=self.cases[j].pk)
            self._attempt(
                i,
                Action.MERGE,
                lambda c: services.case_merge(
                    actor=self.actor(who, i, Action.MERGE), case=c, original=original
                ),
            )

        @rule(i=st.integers(0, 2), who=WHO)
        def whistle(self, i: int, who: str) -> None:
            self._attempt(
                i,
                Action.WHISTLE,
                lambda c: services.case_whistle(
                    actor=self.actor(who, i, Action.WHISTLE),
                    case=c,
                    organisations=[self.p["dept"]],
                    reason="需要执法",
                ),
            )

        @invariant()
        def consistent(self) -> None:
            for stored in Case.objects.filter(pk__in=[c.pk for c in self.cases]):
                steps = list(stored.steps.order_by("id"))
                moving = [s for s in steps if s.action != Action.WARN]
                assert moving[-1].to_status == stored.status
                assert stored.status in Status.values
                held = stored.holder_unit_id is not None or stored.holder_org_id is not None
                assert not (stored.holder_unit_id and stored.holder_org_id)
                if stored.status in HELD:
                    assert held, stored.status
                if stored.status == Status.HANDLING:
                    assert stored.handler_id is not None and stored.signed_at is not None
                if stored.status in FINAL_STATUSES:
                    assert stored.due_at is None and stored.closed_at is not None
                else:
                    assert stored.due_at is not None
                if stored.status == Status.MERGED:
                    assert stored.merged_into_id not in (None, stored.pk)
                if stored.status == Status.CLOSED:
                    assert stored.resolved_level
                actions = [s.action for s in steps]
                assert stored.urge_count == actions.count(Action.URGE)
                assert stored.reopen_count == actions.count(Action.REOPEN)
                assert stored.return_count == actions.count(Action.RETURN)
                assert stored.escalation_count == actions.count(Action.ESCALATE)
                assert stored.version == 1 + len(
                    [s for s in moving if s.action != Action.SUBMIT and s.action != Action.REOPEN]
                ) - _merge_target_lines(stored)
                assert stored.submitted_at <= timezone.now() + datetime.timedelta(seconds=1)

    run_state_machine_as_test(
        CaseMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
    # Not vacuous: the random walks really moved cases through the machine.
    deep = {Action.ACCEPT, Action.TRIAGE, Action.DISPATCH, Action.SIGN, Action.REPLY, Action.FOLLOW_UP}
    assert deep <= set(succeeded), succeeded


def _merge_target_lines(case: Case) -> int:
    """An original gets a MERGE line when a duplicate joins it, without a version change."""
    return case.steps.filter(action=Action.MERGE, data__has_key="duplicate").count()
