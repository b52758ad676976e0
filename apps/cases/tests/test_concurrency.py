"""Two handlers of the same body press 签收 on the same case at the same moment (real threads on
PostgreSQL): exactly one signs; the other is told the case has moved on, and the timeline has one
signing. The same for two dispatchers accepting one case."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from apps.accounts.choices import Role
from apps.cases import services
from apps.cases.choices import Action, Channel, Status, Triage
from apps.cases.models import Case, Category
from apps.core.errors import Conflict

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(workers: list[Callable[[], Any]]) -> tuple[list[Any], list[Exception]]:
    barrier = threading.Barrier(len(workers))
    results: list[Any] = []
    errors: list[Exception] = []
    lock = threading.Lock()

    def run(work: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            out = work()
            with lock:
                results.append(out)
        except Exception as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results, errors


def test_two_handlers_sign_at_once_exactly_one_succeeds(tiny_county: dict[str, Any], make_staff: Any) -> None:
    t = tiny_county
    officer = make_staff(Role.TOWNSHIP_OFFICER, t["t1"])
    handlers = [make_staff(Role.DEPARTMENT_HANDLER, organisation=t["dept"]) for _ in range(2)]
    case = services.case_submit(
        actor=officer,
        channel=Channel.HOTLINE,
        category=Category.objects.get(code="land-compensation"),
        title="征地补偿未到位",
        description="去年征地的补偿款至今没有发放到户。",
        unit=t["v11"],
    )
    case = services.case_accept(actor=officer, case=case)
    case = services.case_triage(actor=officer, case=case, triage=Triage.MAJOR)
    case = services.case_dispatch(actor=officer, case=case, organisation=t["dept"])

    results, errors = race([lambda h=h: services.case_sign(actor=h, case=case) for h in handlers])

    assert len(results) == 1, errors
    assert len(errors) == 1 and isinstance(errors[0], Conflict), errors
    assert errors[0].code == "illegal_transition" and "办理中" in errors[0].message
    stored = Case.objects.get(pk=case.pk)
    assert stored.status == Status.HANDLING and stored.handler_id == results[0].handler_id
    assert stored.steps.filter(action=Action.SIGN).count() == 1
    assert stored.version == case.version + 1


def test_many_dispatchers_accept_one_case(tiny_county: dict[str, Any], make_staff: Any) -> None:
    t = tiny_county
    people = [make_staff(Role.TOWNSHIP_OFFICER, t["t1"]) for _ in range(3)] + [
        make_staff(Role.VILLAGE_CADRE, t["v11"]) for _ in range(3)
    ]
    case = services.case_submit(
        actor=people[0],
        channel=Channel.RECEPTION,
        category=Category.objects.get(code="env-garbage"),
        title="垃圾清运",
        description="村口垃圾池三天没人清运。",
        unit=t["v11"],
    )
    results, errors = race([lambda p=p: services.case_accept(actor=p, case=case) for p in people])
    assert len(results) == 1 and len(errors) == len(people) - 1
    assert all(isinstance(e, Conflict) for e in errors), errors
    assert Case.objects.get(pk=case.pk).steps.filter(action=Action.ACCEPT).count() == 1
