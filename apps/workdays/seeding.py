"""Seeding the calendar from the `chinese-calendar` package (the State Council schedules it ships).

Works on the model classes it is given, so the data migration passes its historical models and
the `seed_calendar` command (through services.calendar_seed) the real ones. A year that already
has a CalendarYear row is left alone: an admin's correction is never overwritten by a re-seed.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import chinese_calendar
from chinese_calendar.constants import Holiday

SOURCE = "chinese_calendar"

# The package names holidays in English; the calendar speaks the State Council notice's words.
HOLIDAY_NAMES: dict[str, str] = {
    Holiday.new_years_day.value: "元旦",
    Holiday.spring_festival.value: "春节",
    Holiday.tomb_sweeping_day.value: "清明节",
    Holiday.labour_day.value: "劳动节",
    Holiday.dragon_boat_festival.value: "端午节",
    Holiday.national_day.value: "国庆节",
    Holiday.mid_autumn_festival.value: "中秋节",
    Holiday.anti_fascist_70th_day.value: "抗战胜利70周年纪念日",
}
MAKEUP_SUFFIX = "调休"


@dataclass(frozen=True)
class Entry:
    date: datetime.date
    is_workday: bool
    name: str


def holiday_name(raw: Any) -> str:
    value = getattr(raw, "value", raw)
    return HOLIDAY_NAMES.get(str(value), str(value))


def covered_years() -> list[int]:
    """The years the installed chinese-calendar publishes (every year with a holiday in it)."""
    return sorted({day.year for day in chinese_calendar.holidays})


def entries_for(year: int) -> list[Entry]:
    """The exceptions to Monday–Friday chinese-calendar gives for `year`, by date."""
    out = [
        Entry(day, False, holiday_name(name))
        for day, name in chinese_calendar.holidays.items()
        if day.year == year
    ]
    out += [
        Entry(day, True, holiday_name(name) + MAKEUP_SUFFIX)
        for day, name in chinese_calendar.workdays.items()
        if day.year == year
    ]
    return sorted(out, key=lambda e: e.date)


def seed(day_model: Any, year_model: Any, years: Iterable[int] | None = None) -> list[int]:
    """Store the schedules of the covered years that have no CalendarYear yet; returns those years."""
    wanted = covered_years() if years is None else sorted(set(years) & set(covered_years()))
    present = set(year_model.objects.filter(year__in=wanted).values_list("year", flat=True))
    missing = [y for y in wanted if y not in present]
    if not missing:
        return []
    now = datetime.datetime.now(datetime.UTC)
    rows = [
        day_model(date=e.date, is_workday=e.is_workday, name=e.name, source=SOURCE, updated_at=now)
        for year in missing
        for e in entries_for(year)
    ]
    # A stray row of a year without CalendarYear (impossible through the services) is replaced.
    day_model.objects.filter(date__year__in=missing).delete()
    day_model.objects.bulk_create(rows)
    year_model.objects.bulk_create(
        [
            year_model(
                year=y, source=SOURCE, confirmed_at=now, notes=f"由 chinese-calendar {package_version()} 导入"
            )
            for y in missing
        ]
    )
    return missing


def package_version() -> str:
    return str(getattr(chinese_calendar, "__version__", ""))
