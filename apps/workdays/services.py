"""Writes to the working calendar: an admin confirms a year's schedule; the system seeds the years
chinese-calendar publishes.

A year's entries are replaced and the year confirmed in one transaction, so the deadlines never
see half a schedule. The in-memory calendar of every server is invalidated once the transaction
commits (calendar.invalidate through transaction.on_commit).
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterable, Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts import access
from apps.accounts.models import User
from apps.accounts.permissions import Perm
from apps.accounts.selectors import user_scope_code
from apps.audit.services import audit_create, audit_update, record_event, snapshot
from apps.core.errors import Conflict, ValidationFailed

from . import calendar, events, seeding
from .choices import Source
from .models import CalendarDay, CalendarYear
from .notice import HolidayRange, MakeupDay, Plan

# Years an admin may enter: far enough back to correct history, far enough ahead for next year.
MIN_YEAR, MAX_YEAR = 2000, 2100
# The longest period the State Council has given is 9 days (春节 2026); 10 leaves a margin and
# still catches a typo like 2027-10-01 至 2027-11-07.
MAX_HOLIDAY_DAYS = 10
MAX_NAME_LENGTH = 20
MAX_NOTES_LENGTH = 2000

_WEEKDAYS = "一二三四五六日"


def _fmt(day: datetime.date) -> str:
    return f"{day.isoformat()}（星期{_WEEKDAYS[day.weekday()]}）"


def plan_problems(
    *, year: int, holidays: Sequence[HolidayRange], makeup_days: Sequence[MakeupDay]
) -> list[ValidationFailed]:
    """Everything wrong with a year's schedule, each as the error the service would raise.

    The edit page's preview lists them all; calendar_year_set raises the first."""
    problems: list[ValidationFailed] = []

    def bad(message: str, code: str, **extra: object) -> None:
        problems.append(ValidationFailed(message, code=code, extra=dict(extra)))

    if not MIN_YEAR <= year <= MAX_YEAR:
        bad(f"年份须在 {MIN_YEAR}–{MAX_YEAR} 之间。", "year_out_of_range", year=year)
        return problems
    if not holidays:
        bad("请至少录入一段放假安排（如元旦、春节）。", "plan_empty")
    for h in holidays:
        label = f"“{h.name or '（未命名）'}” {h.start.isoformat()} 至 {h.end.isoformat()}"
        if not h.name.strip():
            bad(f"放假安排 {label} 缺少名称。", "holiday_name_required", start=h.start)
        elif len(h.name) > MAX_NAME_LENGTH:
            bad(f"名称“{h.name}”过长（最多 {MAX_NAME_LENGTH} 个字）。", "name_too_long", start=h.start)
        if h.end < h.start:
            bad(f"放假安排 {label} 的结束日期早于开始日期。", "holiday_range_reversed", start=h.start)
            continue
        if h.start.year != year or h.end.year != year:
            bad(
                f"放假安排 {label} 不在 {year} 年内；跨年的日期请在对应年份的日历中录入。",
                "date_outside_year",
                start=h.start,
            )
        if h.days > MAX_HOLIDAY_DAYS:
            bad(
                f"放假安排 {label} 共 {h.days} 天，超过 {MAX_HOLIDAY_DAYS} 天，请检查日期是否写错。",
                "holiday_range_too_long",
                start=h.start,
            )
    ordered = sorted((h for h in holidays if h.start <= h.end), key=lambda h: h.start)
    for earlier, later in itertools.pairwise(ordered):
        if later.start <= earlier.end:
            bad(
                f"放假安排“{earlier.name}”与“{later.name}”的日期重叠（{later.start.isoformat()}）。",
                "holiday_overlap",
                start=later.start,
            )
    seen: set[datetime.date] = set()
    for m in makeup_days:
        if m.date in seen:
            bad(f"调休上班日 {m.date.isoformat()} 重复录入。", "makeup_duplicate", date=m.date)
            continue
        seen.add(m.date)
        if len(m.name) > MAX_NAME_LENGTH + 2:
            bad(f"名称“{m.name}”过长。", "name_too_long", date=m.date)
        if m.date.year != year:
            bad(
                f"调休上班日 {m.date.isoformat()} 不在 {year} 年内；"
                f"跨年的调休请在 {m.date.year} 年的日历中录入。",
                "date_outside_year",
                date=m.date,
            )
        if m.date.weekday() < 5:
            bad(
                f"调休上班日须是周六或周日，{_fmt(m.date)}本来就是工作日。",
                "makeup_not_weekend",
                date=m.date,
            )
        for h in ordered:
            if h.start <= m.date <= h.end:
                bad(
                    f"调休上班日 {m.date.isoformat()} 落在放假安排“{h.name}”之内。",
                    "makeup_in_holiday",
                    date=m.date,
                )
    return problems


def version_of(record: CalendarYear | None) -> str:
    """What an editor carries to detect a concurrent confirmation: the last confirmation time."""
    return record.confirmed_at.isoformat() if record is not None else ""


@transaction.atomic
def calendar_year_set(
    *,
    actor: User,
    year: int,
    holidays: Sequence[HolidayRange],
    makeup_days: Sequence[MakeupDay],
    notes: str = "",
    expected_version: str | None = None,
) -> CalendarYear:
    """Replace a year's holidays and make-up days with the given schedule and confirm the year.

    `expected_version` (the year's `version_of()` when the admin opened the editor, "" for a year
    not yet entered) refuses the write with Conflict if someone confirmed the year in between."""
    access.require(actor, Perm.CASE_CONFIGURE)
    holidays = [HolidayRange(h.name.strip(), h.start, h.end) for h in holidays]
    makeup_days = [MakeupDay(m.date, m.name.strip()) for m in makeup_days]
    problems = plan_problems(year=year, holidays=holidays, makeup_days=makeup_days)
    if problems:
        first = problems[0]
        first.extra["problems"] = [p.message for p in problems]
        raise first
    notes = (notes or "").strip()
    if len(notes) > MAX_NOTES_LENGTH:
        raise ValidationFailed(f"说明最多 {MAX_NOTES_LENGTH} 字。", code="notes_too_long")

    record = CalendarYear.objects.select_for_update().filter(year=year).first()
    if expected_version is not None and expected_version != version_of(record):
        raise Conflict(
            f"{year} 年的日历在您编辑期间已被他人修改，请重新打开编辑页面核对后再确认。",
            code="calendar_year_changed",
        )
    before = snapshot(record) if record is not None else None
    previous_source = record.source if record is not None else ""
    now = timezone.now()
    if record is None:
        record = CalendarYear(year=year)
    record.source = Source.ADMIN
    record.confirmed_by = actor
    record.confirmed_at = now
    record.notes = notes
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError as exc:  # another admin confirmed the same year a moment ago
        raise Conflict(f"{year} 年的日历刚被他人确认，请刷新后重试。", code="calendar_year_race") from exc

    entries = Plan(list(holidays), list(makeup_days)).entries()
    CalendarDay.objects.filter(date__year=year).delete()
    CalendarDay.objects.bulk_create(
        [
            CalendarDay(date=day, is_workday=workday, name=name, source=Source.ADMIN, updated_by=actor)
            for day, (workday, name) in sorted(entries.items())
        ]
    )
    scope = user_scope_code(actor)
    record.scope_value = scope
    if before is None:
        audit_create(actor=actor, obj=record, message=f"确认 {year} 年工作日历")
    else:
        audit_update(actor=actor, obj=record, before=before, message=f"修改 {year} 年工作日历")
    record_event(
        actor=actor,
        event_type=events.YEAR_CONFIRMED,
        obj=record,
        scope_code=scope,
        data={
            "year": year,
            "holidays": sum(1 for w, _ in entries.values() if not w),
            "makeup_days": sum(1 for w, _ in entries.values() if w),
            "replaced": previous_source,
        },
    )
    transaction.on_commit(calendar.invalidate)
    return record


@transaction.atomic
def calendar_seed(*, actor: User | None, years: Iterable[int] | None = None) -> list[int]:
    """Store the schedules chinese-calendar publishes for the years not yet entered.

    actor=None only for the `seed_calendar` command (no request, no user). Years already present
    (seeded before, or entered by an admin) are never touched."""
    if actor is not None:
        access.require(actor, Perm.CASE_CONFIGURE)
    seeded = seeding.seed(CalendarDay, CalendarYear, years)
    if seeded:
        scope = user_scope_code(actor)
        for record in CalendarYear.objects.filter(year__in=seeded):
            record.scope_value = scope
            audit_create(actor=actor, obj=record, message="由 chinese-calendar 导入")
        record_event(
            actor=actor,
            event_type=events.YEARS_SEEDED,
            scope_code=scope,
            data={"years": seeded, "package_version": seeding.package_version()},
        )
        transaction.on_commit(calendar.invalidate)
    return seeded
