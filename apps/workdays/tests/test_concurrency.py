"""Several county admins confirming the same year at the same moment, with real threads on
PostgreSQL: exactly one schedule is stored, the others are told someone else was first."""

from __future__ import annotations

import datetime
import threading
from typing import Any

import pytest
from django.db import connection

from apps.accounts.choices import Role
from apps.core.errors import Conflict
from apps.workdays import services
from apps.workdays.models import CalendarDay, CalendarYear
from apps.workdays.notice import HolidayRange

# `postgres`: skipped on SQLite by the shared hook in conftest.py, with its reason.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 6
D = datetime.date


def race(admin: Any, expected_version: str) -> tuple[list[int], list[Exception]]:
    barrier = threading.Barrier(THREADS)
    winners: list[int] = []
    errors: list[Exception] = []
    lock = threading.Lock()

    def confirm(i: int) -> None:
        try:
            barrier.wait()
            # Thread i gives New Year's Day i + 1 days off: the stored schedule names the winner.
            services.calendar_year_set(
                actor=admin,
                year=2027,
                holidays=[HolidayRange(f"元旦{i}", D(2027, 1, 1), D(2027, 1, 1 + i))],
                makeup_days=[],
                expected_version=expected_version,
            )
            with lock:
                winners.append(i)
        except Exception as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return winners, errors


def check_one_winner(winners: list[int], errors: list[Exception]) -> None:
    assert len(winners) == 1, errors
    assert len(errors) == THREADS - 1
    assert all(
        isinstance(e, Conflict) and e.code in {"calendar_year_race", "calendar_year_changed"} for e in errors
    ), errors
    days = list(CalendarDay.objects.filter(date__year=2027).values_list("name", flat=True))
    assert days == [f"元旦{winners[0]}"] * (winners[0] + 1)
    assert CalendarYear.objects.filter(year=2027).count() == 1


def test_first_entry_of_a_year(tiny_county: Any, make_staff: Any) -> None:
    admin = make_staff(Role.COUNTY_ADMIN, tiny_county["county"])
    check_one_winner(*race(admin, expected_version=""))


def test_correcting_an_entered_year(tiny_county: Any, make_staff: Any) -> None:
    admin = make_staff(Role.COUNTY_ADMIN, tiny_county["county"])
    record = services.calendar_year_set(
        actor=admin, year=2027, holidays=[HolidayRange("元旦", D(2027, 1, 1), D(2027, 1, 1))], makeup_days=[]
    )
    check_one_winner(*race(admin, expected_version=services.version_of(record)))
