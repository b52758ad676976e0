"""A year laid out as twelve month grids for the calendar page and the editor's preview.

Weeks start on Monday, as Chinese wall calendars do. Each cell says what the day is (workday,
weekend, holiday, make-up working day) and, for the first day of a holiday period, its name.
"""

from __future__ import annotations

import calendar as stdcal
import datetime
from dataclasses import dataclass

WEEKDAY_LABELS = ["一", "二", "三", "四", "五", "六", "日"]


@dataclass(frozen=True)
class DayCell:
    date: datetime.date
    kind: str  # "workday" | "weekend" | "holiday" | "makeup"
    name: str
    label: str  # shown under the day number: a period's name on its first day, 班 on make-up days
    is_today: bool

    @property
    def day(self) -> int:
        return self.date.day

    @property
    def title(self) -> str:
        words = {"workday": "工作日", "weekend": "休息日", "holiday": "放假", "makeup": "调休上班"}[self.kind]
        weekday = WEEKDAY_LABELS[self.date.weekday()]
        name = f" · {self.name}" if self.name else ""
        return f"{self.date.month}月{self.date.day}日 星期{weekday} {words}{name}"


@dataclass(frozen=True)
class Month:
    number: int
    weeks: list[list[DayCell | None]]
    notes: list[str]  # "元旦 1月1日–3日", "调休上班 2月20日"…

    @property
    def label(self) -> str:
        return f"{self.number}月"


def _cell(day: datetime.date, entry: tuple[bool, str] | None, first: bool, today: datetime.date) -> DayCell:
    if entry is None:
        kind, name, label = ("workday" if day.weekday() < 5 else "weekend"), "", ""
    elif entry[0]:
        kind, name, label = "makeup", entry[1], "班"
    else:
        kind, name, label = "holiday", entry[1], entry[1] if first else "休"
    return DayCell(day, kind, name, label, day == today)


def _span(start: datetime.date, end: datetime.date) -> str:
    if start == end:
        return f"{start.month}月{start.day}日"
    if start.month == end.month:
        return f"{start.month}月{start.day}日–{end.day}日"
    return f"{start.month}月{start.day}日–{end.month}月{end.day}日"


def year_months(
    year: int, entries: dict[datetime.date, tuple[bool, str]], today: datetime.date | None = None
) -> list[Month]:
    today = today or datetime.date.min
    months = []
    for number in range(1, 13):
        weeks: list[list[DayCell | None]] = []
        for week in stdcal.Calendar(firstweekday=0).monthdatescalendar(year, number):
            row: list[DayCell | None] = []
            for day in week:
                if day.month != number:
                    row.append(None)
                    continue
                entry = entries.get(day)
                previous = entries.get(day - datetime.timedelta(days=1))
                first = entry is not None and not entry[0] and (previous is None or previous != entry)
                row.append(_cell(day, entry, first, today))
            weeks.append(row)
        months.append(Month(number, weeks, _notes(year, number, entries)))
    return months


def _notes(year: int, month: int, entries: dict[datetime.date, tuple[bool, str]]) -> list[str]:
    """The month's holiday periods (those starting in it) and make-up days, in date order."""
    notes: list[tuple[datetime.date, str]] = []
    days = sorted(d for d in entries if d.year == year and d.month == month)
    for day in days:
        workday, name = entries[day]
        if workday:
            notes.append((day, f"{name}：{_span(day, day)}上班"))
            continue
        if entries.get(day - datetime.timedelta(days=1)) == (False, name):
            continue  # inside a period listed at its first day
        end = day
        while entries.get(end + datetime.timedelta(days=1)) == (False, name):
            end += datetime.timedelta(days=1)
        notes.append((day, f"{name}：{_span(day, end)}放假，共 {(end - day).days + 1} 天"))
    return [text for _, text in notes]
