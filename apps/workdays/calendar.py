"""The working calendar in memory: is a day a workday, when is a case due, when does it turn yellow.

Pure functions over a per-process copy of the calendar; no user and no permission (the State
Council's schedule is public). The case module calls `deadline()` on every transition and the SLA
sweep calls it for every open case, so a call costs a dict lookup or a bisect, never a query.

Semantics: a day is a workday if an entry says so (调休上班 on a weekend), not a workday if an
entry says holiday, else Monday to Friday. A year nobody has entered yet falls back to Monday to
Friday silently here; `coverage()` and `calendar_warnings()` tell the dashboard to warn.

How it stays fast: with W(o) the number of workdays up to the day with ordinal o, every question
is W or its inverse. Outside the span of years that hold entries the calendar is plain Monday to
Friday, where W is arithmetic; inside, W is a bisect in the sorted list of the span's workday
ordinals (about 6,000 for 2004–2026).

How it stays fresh: the copy carries the version token kept in Django's cache. Every process
looks at the token at most every CHECK_SECONDS and reloads when it changed; `invalidate()` (the
services call it on commit) sets a new token and drops this process's copy at once. Tests that
write entries through the services must run the on-commit callbacks
(`django_capture_on_commit_callbacks(execute=True)`), as in production after a commit.
"""

from __future__ import annotations

import datetime
import threading
import time
import uuid
import zoneinfo
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.cache import cache

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
VERSION_KEY = "workdays:calendar-version"
# How long another server may keep answering from its old copy after an admin's edit. A case
# transition in those seconds gets the Monday–Friday answer it would have got a minute earlier.
CHECK_SECONDS = 2.0
END_OF_DAY = datetime.time(23, 59, 59, 999999)
START_OF_DAY = datetime.time(0, 0)
# From this day of the year on, the dashboard warns about next year's missing schedule (the State
# Council publishes it in October to December).
NEXT_YEAR_WARNING_FROM = (11, 1)

SOURCE_LABELS = {"chinese_calendar": "chinese-calendar", "admin": "admin"}


@dataclass(frozen=True)
class YearCoverage:
    year: int
    covered: bool
    source: str  # "chinese-calendar" | "admin" | "none"
    holidays: int  # days off named by the schedule (weekend days inside a holiday period included)
    makeup_days: int  # 调休上班 days


def _mf_count(o: int) -> int:
    """Monday–Friday days with ordinal 1..o (ordinal 1, 0001-01-01, is a Monday)."""
    return (o // 7) * 5 + min(o % 7, 5)


def _mf_nth(k: int) -> int:
    """Ordinal of the k-th Monday–Friday day (inverse of _mf_count)."""
    weeks, rest = divmod(k - 1, 5)
    return weeks * 7 + rest + 1


class _Calendar:
    """One loaded copy of the calendar. Immutable once built, apart from `checked_at`."""

    __slots__ = ("base", "checked_at", "counts", "entries", "hi", "lo", "shift", "table", "version", "years")

    def __init__(
        self, version: object, entries: dict[int, bool], years: dict[int, str], checked_at: float
    ) -> None:
        self.version = version
        self.checked_at = checked_at
        self.entries = entries  # ordinal -> is_workday, only the exceptions
        self.years = years  # year -> "chinese-calendar" | "admin"
        counts: dict[int, list[int]] = {}
        for o, workday in entries.items():
            c = counts.setdefault(datetime.date.fromordinal(o).year, [0, 0])
            c[1 if workday else 0] += 1
        self.counts = {y: (c[0], c[1]) for y, c in counts.items()}
        span = [*counts, *years]
        if span:
            self.lo = datetime.date(min(span), 1, 1).toordinal()
            self.hi = datetime.date(max(span), 12, 31).toordinal()
        else:
            self.lo, self.hi = 1, 0  # empty span: W is Monday–Friday arithmetic everywhere
        get = entries.get
        self.table = [
            o for o in range(self.lo, self.hi + 1) if get(o, (o + 6) % 7 < 5)
        ]  # (o + 6) % 7 is date.weekday()
        self.base = _mf_count(self.lo - 1)
        self.shift = self.base + len(self.table) - _mf_count(self.hi)

    def count(self, o: int) -> int:
        """W(o): workdays with ordinal <= o (counted from the start of the proleptic calendar)."""
        if o < self.lo:
            return _mf_count(o)
        if o <= self.hi:
            return self.base + bisect_right(self.table, o)
        return _mf_count(o) + self.shift

    def nth(self, k: int) -> int:
        """Ordinal of the k-th workday: the inverse of count()."""
        if k <= self.base:
            return _mf_nth(k)
        if k <= self.base + len(self.table):
            return self.table[k - self.base - 1]
        return _mf_nth(k - self.shift)


_state: _Calendar | None = None
_lock = threading.Lock()


def _load(version: object, now: float) -> _Calendar:
    from .models import CalendarDay, CalendarYear

    entries = {d.toordinal(): w for d, w in CalendarDay.objects.values_list("date", "is_workday")}
    years = {y: SOURCE_LABELS.get(s, s) for y, s in CalendarYear.objects.values_list("year", "source")}
    return _Calendar(version, entries, years, now)


def _calendar() -> _Calendar:
    state = _state
    if state is not None and time.monotonic() - state.checked_at < CHECK_SECONDS:
        return state
    return _refresh()


def _refresh() -> _Calendar:
    global _state
    with _lock:
        now = time.monotonic()
        version = cache.get(VERSION_KEY)
        if version is None:
            # First process after a cache flush: a new token, so copies loaded under the old one
            # (which may have missed an edit) reload too.
            cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
            version = cache.get(VERSION_KEY)
        state = _state
        if state is not None and state.version == version and version is not None:
            state.checked_at = now
            return state
        _state = _load(version, now)
        return _state


def invalidate() -> None:
    """Drop the cached calendar here and, through a new version token, on every other server."""
    global _state
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    _state = None


# --- the API the case module codes against -------------------------------------------------------


def is_workday(day: datetime.date) -> bool:
    workday = _calendar().entries.get(day.toordinal())
    return day.weekday() < 5 if workday is None else workday


def add_working_days(day: datetime.date, n: int) -> datetime.date:
    """The n-th working day after `day` (n > 0), before it (n < 0), or `day` itself (n == 0)."""
    if n == 0:
        return day
    cal = _calendar()
    o = day.toordinal()
    if n > 0:
        return datetime.date.fromordinal(cal.nth(cal.count(o) + n))
    return datetime.date.fromordinal(cal.nth(cal.count(o - 1) + n + 1))


def working_days_between(a: datetime.date, b: datetime.date) -> int:
    """Working days in (a, b]; negative when b is before a."""
    cal = _calendar()
    return cal.count(b.toordinal()) - cal.count(a.toordinal())


def deadline(start: datetime.datetime, working_days: int) -> datetime.datetime:
    """When a step started at `start` with a limit of `working_days` is due (Asia/Shanghai).

    0: the end of the start's calendar day (emergency, 当日办结). N >= 1: the end (23:59:59.999999
    local) of the N-th working day strictly after the start's date, whatever the hour of the start.
    """
    if start.tzinfo is None:
        raise ValueError("deadline() needs an aware datetime")
    if working_days < 0:
        raise ValueError("working_days must be >= 0")
    o = _local_ordinal(start)
    if working_days:
        cal = _calendar()
        o = cal.nth(cal.count(o) + working_days)
    return _end_of(o)


# China has kept UTC+8 without daylight saving since 1992: from then on the local date is
# arithmetic on the timestamp, a third of the cost of astimezone() through zoneinfo.
_FIXED_OFFSET_FROM = datetime.datetime(1992, 1, 1, tzinfo=datetime.UTC).timestamp()
_UTC_OFFSET_SECONDS = 8 * 3600
_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
_ends: dict[int, datetime.datetime] = {}


def _local_ordinal(moment: datetime.datetime) -> int:
    ts = moment.timestamp()
    if ts >= _FIXED_OFFSET_FROM:
        return _EPOCH_ORDINAL + int((ts + _UTC_OFFSET_SECONDS) // 86400)
    return moment.astimezone(TZ).toordinal()


def _end_of(o: int) -> datetime.datetime:
    """23:59:59.999999 local of the day with ordinal o (datetimes are immutable: shared)."""
    end = _ends.get(o)
    if end is None:
        if len(_ends) > 100_000:  # a bound, never reached by real deadlines (~ a few thousand days)
            _ends.clear()
        end = _ends[o] = datetime.datetime.combine(datetime.date.fromordinal(o), END_OF_DAY, tzinfo=TZ)
    return end


def warn_at(deadline: datetime.datetime, working_days_before: int = 1) -> datetime.datetime:
    """When the yellow warning starts: 00:00 local of the working day `working_days_before` working
    days before the deadline's day (0: 00:00 of the deadline's day itself)."""
    if deadline.tzinfo is None:
        raise ValueError("warn_at() needs an aware datetime")
    if working_days_before < 0:
        raise ValueError("working_days_before must be >= 0")
    day = add_working_days(deadline.astimezone(TZ).date(), -working_days_before)
    return datetime.datetime.combine(day, START_OF_DAY, tzinfo=TZ)


def coverage(year: int) -> YearCoverage:
    cal = _calendar()
    holidays, makeup = cal.counts.get(year, (0, 0))
    source = cal.years.get(year)
    return YearCoverage(year, source is not None, source or "none", holidays, makeup)


def uncovered_years(years: Iterable[int]) -> list[int]:
    """The given years whose schedule has not been entered, sorted, each once."""
    known = _calendar().years
    return sorted({y for y in years if y not in known})


def calendar_warnings(today: datetime.date) -> list[str]:
    """Dashboard warnings: this year not entered; from 1 November on, next year not entered."""
    years = [today.year]
    if (today.month, today.day) >= NEXT_YEAR_WARNING_FROM:
        years.append(today.year + 1)
    warnings = []
    for year in uncovered_years(years):
        if year == today.year:
            warnings.append(
                f"{year} 年的节假日安排尚未录入工作日历：办理时限暂按周一至周五计算，"
                "节假日和调休上班未计入。请县级管理员按国务院办公厅通知录入。"
            )
        else:
            warnings.append(
                f"{year} 年的节假日安排尚未录入工作日历：跨年诉求的办理时限将暂按周一至周五计算。"
                "国务院办公厅通知发布后，请县级管理员及时录入。"
            )
    return warnings
