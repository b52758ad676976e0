"""A year's holiday schedule as data (Plan), and the text an admin pastes to enter one.

The text format, one line each (blank lines and lines starting with # are ignored):

    元旦 2027-01-01 至 2027-01-03        a holiday period: name, first day, last day
    清明节 2027-04-05                     a single holiday
    调休上班 2027-02-07 春节              a make-up working day (调休上班), optionally with its holiday
    调休上班 2027-02-07、2027-02-20 春节  several make-up days on one line

Dates may be written 2027-01-01, 2027/1/1, 2027.1.1 or 2027年1月1日; 至, 到, ~ and — all join a
period. The State Council notice's own lines are understood too, so the notice can be pasted
as published (the year is the calendar's year when a date leaves it out):

    二、春节：2月6日（农历除夕、周六）至14日（农历正月初八、周日）放假调休，共9天。2月20日（周六）上班。

Parsing only reads the text; whether the schedule makes sense (make-up days on weekends, periods
inside the year…) is the services' business (services.plan_problems).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

MAKEUP_WORD = "调休上班"
MAKEUP_SUFFIX = "调休"

_COMMENT = "#"
_NUMBERING = re.compile(r"^\s*(?:[一二三四五六七八九十]+|\d+)\s*[、.．]\s*")
_PARENS = re.compile(r"[（(][^）)]*[）)]")
_DATE = re.compile(
    r"(?P<iy>\d{4})\s*[-/.．]\s*(?P<im>\d{1,2})\s*[-/.．]\s*(?P<id>\d{1,2})(?!\d)"
    r"|(?:(?P<y>\d{4})\s*年\s*)?(?:(?P<m>\d{1,2})\s*月\s*)?(?P<d>\d{1,2})\s*[日号]"
)
_SENTENCES = re.compile(r"[。；;]")
_NAME_NOISE = re.compile(r"调休上班|调休|上班|放假|[，,、：:至到~～—–\-\s]+")


@dataclass(frozen=True)
class HolidayRange:
    name: str
    start: datetime.date
    end: datetime.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def dates(self) -> list[datetime.date]:
        return [self.start + datetime.timedelta(days=i) for i in range(max(self.days, 0))]


@dataclass(frozen=True)
class MakeupDay:
    date: datetime.date
    name: str  # as stored: "春节调休"


@dataclass
class LineError:
    line_no: int
    line: str
    message: str


@dataclass
class Plan:
    holidays: list[HolidayRange] = field(default_factory=list)
    makeup_days: list[MakeupDay] = field(default_factory=list)

    def entries(self) -> dict[datetime.date, tuple[bool, str]]:
        """date -> (is_workday, name): what the services store for this plan."""
        out: dict[datetime.date, tuple[bool, str]] = {}
        for h in self.holidays:
            for day in h.dates():
                out[day] = (False, h.name)
        for m in self.makeup_days:
            out[m.date] = (True, m.name)
        return out

    def sorted(self) -> Plan:
        return Plan(
            sorted(self.holidays, key=lambda h: (h.start, h.end)),
            sorted(self.makeup_days, key=lambda m: m.date),
        )


@dataclass
class Parsed:
    plan: Plan
    errors: list[LineError]


def makeup_name(base: str) -> str:
    base = base.strip()
    if not base:
        return MAKEUP_WORD
    return base if base.endswith(MAKEUP_SUFFIX) else base + MAKEUP_SUFFIX


def _dates(text: str, year: int) -> list[datetime.date]:
    """Every date in the text, in order; a day without a month takes the previous date's month."""
    out: list[datetime.date] = []
    for m in _DATE.finditer(text):
        if m.group("iy"):
            y, mo, d = int(m.group("iy")), int(m.group("im")), int(m.group("id"))
        else:
            y = int(m.group("y")) if m.group("y") else (out[-1].year if out else year)
            if m.group("m"):
                mo = int(m.group("m"))
            elif out:
                mo = out[-1].month
            else:
                raise ValueError(f"“{m.group(0)}”缺少月份")
            d = int(m.group("d"))
        try:
            out.append(datetime.date(y, mo, d))
        except ValueError as exc:
            raise ValueError(f"“{m.group(0).strip()}”不是有效日期") from exc
    return out


def _name_of(text: str) -> str:
    """The holiday a make-up line names ("调休上班 2027-02-07 春节" -> "春节"), or ""."""
    words = _NAME_NOISE.sub(" ", _DATE.sub(" ", text)).split()
    return words[0] if words else ""


def _holiday_name(sentence: str) -> str:
    """The text before a holiday line's first date ("国庆节、中秋节 2027-10-01 至 …")."""
    first = _DATE.search(sentence)
    prefix = sentence[: first.start()] if first else sentence
    return prefix.strip(" \t：:，,").strip()


def parse(text: str, year: int) -> Parsed:
    plan = Plan()
    errors: list[LineError] = []
    pending_makeup: list[tuple[datetime.date, str]] = []  # (date, name given on the line or "")
    for line_no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(_COMMENT):
            continue
        body = _PARENS.sub("", _NUMBERING.sub("", line))
        heading = ""
        head_match = re.match(r"^([^：:\d]+)[：:](.*)$", body)
        if head_match:
            heading, body = head_match.group(1).strip(), head_match.group(2)
        found = False
        try:
            for sentence in filter(str.strip, _SENTENCES.split(body)):
                dates = _dates(sentence, year)
                if not dates:
                    continue
                found = True
                if "上班" in sentence:
                    pending_makeup += [(d, _name_of(f"{heading} {sentence}")) for d in dates]
                    continue
                name = heading or _holiday_name(sentence)
                if not name:
                    raise ValueError("缺少节日名称（如“元旦 2027-01-01 至 2027-01-03”）")
                if len(dates) > 2:
                    raise ValueError("一行只能写一段放假日期（起、止两个日期）")
                plan.holidays.append(HolidayRange(name, dates[0], dates[-1]))
        except ValueError as exc:
            errors.append(LineError(line_no, line, f"第 {line_no} 行：{exc}。"))
            continue
        if not found:
            errors.append(LineError(line_no, line, f"第 {line_no} 行：没有找到日期。"))
    for day, name in pending_makeup:
        plan.makeup_days.append(MakeupDay(day, makeup_name(name or _nearest_holiday(plan, day))))
    return Parsed(plan.sorted(), errors)


def _nearest_holiday(plan: Plan, day: datetime.date) -> str:
    """A make-up day without a name belongs to the nearest holiday period (调休 moves days next to it)."""
    best: tuple[int, str] | None = None
    for h in plan.holidays:
        gap = 0 if h.start <= day <= h.end else min(abs((h.start - day).days), abs((day - h.end).days))
        if best is None or gap < best[0]:
            best = (gap, h.name)
    return best[1] if best else ""


def to_text(plan: Plan) -> str:
    """The plan in the text format above (parse(to_text(plan)) gives the plan back)."""
    lines = []
    for h in sorted(plan.holidays, key=lambda h: h.start):
        if h.start == h.end:
            lines.append(f"{h.name} {h.start.isoformat()}")
        else:
            lines.append(f"{h.name} {h.start.isoformat()} 至 {h.end.isoformat()}")
    for m in sorted(plan.makeup_days, key=lambda m: m.date):
        base = m.name[: -len(MAKEUP_SUFFIX)] if m.name.endswith(MAKEUP_SUFFIX) else m.name
        suffix = f" {base}" if base and m.name != MAKEUP_WORD else ""
        lines.append(f"{MAKEUP_WORD} {m.date.isoformat()}{suffix}")
    return "\n".join(lines)


def plan_from_entries(entries: list[tuple[datetime.date, bool, str]]) -> Plan:
    """Group stored entries (date, is_workday, name) back into periods: consecutive days off with
    the same name form one period."""
    plan = Plan()
    for day, workday, name in sorted(entries):
        if workday:
            plan.makeup_days.append(MakeupDay(day, name))
            continue
        last = plan.holidays[-1] if plan.holidays else None
        if last is not None and last.name == name and last.end + datetime.timedelta(days=1) == day:
            plan.holidays[-1] = HolidayRange(name, last.start, day)
        else:
            plan.holidays.append(HolidayRange(name, day, day))
    return plan
