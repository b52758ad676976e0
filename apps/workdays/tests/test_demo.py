"""The calendar's demo hook: puts missing seeded years back, and a second run adds nothing."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from apps.accounts.choices import Role
from apps.demo import workdays as demo
from apps.workdays.models import CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db


def test_demo_load_is_idempotent(tiny_county: Any, make_staff: Any) -> None:
    ctx: Any = SimpleNamespace(admin=make_staff(Role.COUNTY_ADMIN, tiny_county["county"]))
    assert demo.load(ctx) == {}  # the migration seeded everything
    CalendarYear.objects.filter(year=2026).delete()
    CalendarDay.objects.filter(date__year=2026).delete()
    assert demo.load(ctx) == {"calendar_years": 1}
    assert demo.load(ctx) == {}
    assert not CalendarYear.objects.filter(year=2027).exists()  # left for the admin to enter
