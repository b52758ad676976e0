"""Reads of the working calendar for the pages and the API, through the access chokepoint.

The calendar is the same for the whole county (the State Council's schedule), so no row is
scoped to a unit: whoever handles or oversees cases (CASE_VIEW) reads it, county admins
(CASE_CONFIGURE) edit it. Pages read the stored entries here; deadlines use calendar.py.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from apps.accounts import access
from apps.accounts.permissions import Perm
from apps.core.errors import NotFound

from . import calendar
from .models import CalendarDay, CalendarYear
from .notice import Plan, plan_from_entries
from .services import MAX_YEAR, MIN_YEAR, version_of

VIEW_PERM = Perm.CASE_VIEW
EDIT_PERM = Perm.CASE_CONFIGURE


@dataclass
class YearView:
    year: int
    record: CalendarYear | None
    entries: dict[datetime.date, tuple[bool, str]]
    plan: Plan
    workdays: int
    can_edit: bool
    version: str = ""
    years: list[int] = field(default_factory=list)  # the years offered in the year picker

    @property
    def covered(self) -> bool:
        return self.record is not None

    @property
    def holidays(self) -> int:
        return sum(1 for workday, _ in self.entries.values() if not workday)

    @property
    def makeup_days(self) -> int:
        return sum(1 for workday, _ in self.entries.values() if workday)


def require_viewer(user: Any) -> None:
    """Anyone who handles or oversees cases reads the calendar (their deadlines come from it)."""
    if not access.has_perm(user, EDIT_PERM):
        access.require(user, VIEW_PERM)


def require_editor(user: Any) -> None:
    access.require(user, EDIT_PERM)


def check_year(year: int) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise NotFound(
            f"没有 {year} 年的日历：年份须在 {MIN_YEAR}–{MAX_YEAR} 之间。", code="year_out_of_range"
        )
    return year


def year_entries(year: int) -> dict[datetime.date, tuple[bool, str]]:
    rows = CalendarDay.objects.filter(date__year=year).values_list("date", "is_workday", "name")
    return {day: (workday, name) for day, workday, name in rows}


def workdays_in(year: int, entries: dict[datetime.date, tuple[bool, str]]) -> int:
    first = datetime.date(year, 1, 1)
    total = 0
    for i in range((datetime.date(year, 12, 31) - first).days + 1):
        day = first + datetime.timedelta(days=i)
        entry = entries.get(day)
        if entry[0] if entry is not None else day.weekday() < 5:
            total += 1
    return total


def year_view(user: Any, year: int) -> YearView:
    """One year's calendar as stored, with what the user may do with it."""
    require_viewer(user)
    check_year(year)
    record = CalendarYear.objects.select_related("confirmed_by").filter(year=year).first()
    entries = year_entries(year)
    plan = plan_from_entries([(d, w, n) for d, (w, n) in entries.items()])
    known = set(CalendarYear.objects.values_list("year", flat=True))
    today = timezone.localdate()
    years = sorted(known | {today.year, today.year + 1, year})
    return YearView(
        year=year,
        record=record,
        entries=entries,
        plan=plan,
        workdays=workdays_in(year, entries),
        can_edit=access.has_perm(user, EDIT_PERM),
        version=version_of(record),
        years=years,
    )


def year_for_edit(user: Any, year: int) -> YearView:
    require_editor(user)
    return year_view(user, year)


@dataclass(frozen=True)
class Trial:
    start: datetime.datetime
    working_days: int
    deadline: datetime.datetime
    warn_at: datetime.datetime
    uncovered: list[int]


def deadline_trial(user: Any, start: datetime.date, working_days: int) -> Trial:
    """What the case module would compute for a step started on `start` (the 时限试算 box)."""
    require_viewer(user)
    begin = datetime.datetime.combine(start, datetime.time(9, 0), tzinfo=calendar.TZ)
    due = calendar.deadline(begin, working_days)
    return Trial(
        start=begin,
        working_days=working_days,
        deadline=due,
        warn_at=calendar.warn_at(due, 1),
        uncovered=calendar.uncovered_years(range(start.year, due.year + 1)),
    )
