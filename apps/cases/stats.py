"""Case statistics for the dashboard (selectors): what a unit received in a period and what became
of it — closed, on time, overdue, satisfaction, the level it was settled at (小事不出村、大事不出乡),
by category, channel, month and child unit — and how the whistles (吹哨报到) went.

Every query starts from `selectors.cases_visible(user)`, the chokepoint: a township officer counts
only their township's cases, a department handler only the cases sent or whistled to their
department. The numbers are aggregates computed in the database (COUNT … FILTER), one query per
block, never a loop over cases:

  1. per child unit (townships of a county, villages of a township, grids of a village) with every
     KPI; the unit's totals are the sum of its rows, so the table and the cards always agree;
  2. per (month, category, channel): the month line, the top-level category bar and the channel pie;
  3. whistles per (department, whistling unit): the department and whistler tables.

The pages go through `dashboard()`, which keeps one computation for DASHBOARD_CACHE_SECONDS per
(scope, unit, period), shared by everyone who would see the same numbers: a county's year is
100k+ cases and costs about a second to aggregate with 1M cases stored (docs/benchmarks.md).

What is counted ("the cohort"): the cases *submitted* in the period, placed in the unit's subtree,
excluding duplicates merged into another case and split/supporting child cases (they are counted
once, on their parent). "Overdue now" is the cohort's open cases the SLA sweep has marked red.
"""

from __future__ import annotations

import datetime
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Substr, TruncMonth
from django.utils import timezone

from apps.accounts import access
from apps.accounts.permissions import Perm
from apps.core.errors import NotFound, PermissionDenied, ValidationFailed
from apps.territory.choices import LEVEL_CODE_LENGTH, Level
from apps.territory.models import Grid, Unit
from apps.territory.paths import minimal_prefixes, subtree_q
from apps.workdays.calendar import calendar_warnings

from .choices import OPEN_STATUSES, Channel, Rating, ResolvedLevel, SlaState, Status
from .models import Case, Category, Whistle
from .selectors import cases_visible

# The longest period one dashboard covers: the month axis stays readable and the scan bounded.
MAX_PERIOD_DAYS = 3 * 366
# How long one computation serves everyone who sees the same cases (the page says when it was made).
DASHBOARD_CACHE_SECONDS = 300
DEFAULT_MONTHS = 12
VILLAGE_LEVELS = (ResolvedLevel.GRID, ResolvedLevel.VILLAGE)
TOWNSHIP_LEVELS = (ResolvedLevel.GRID, ResolvedLevel.VILLAGE, ResolvedLevel.TOWNSHIP)
OWN_LEVEL = "__self__"  # cases placed at the unit itself rather than in one of its children
NO_GRID = "__none__"

# The KPI counts of one group of cases (a child unit, or the whole unit by summing).
_KPI: dict[str, Any] = {
    "received": Count("id"),
    "closed": Count("id", filter=Q(status=Status.CLOSED)),
    "rejected": Count("id", filter=Q(status=Status.REJECTED)),
    "open": Count("id", filter=Q(status__in=OPEN_STATUSES)),
    "replied": Count("id", filter=Q(on_time__isnull=False)),
    "on_time": Count("id", filter=Q(on_time=True)),
    "overdue_now": Count("id", filter=Q(status__in=OPEN_STATUSES, sla_state=SlaState.RED)),
    "warning_now": Count("id", filter=Q(status__in=OPEN_STATUSES, sla_state=SlaState.YELLOW)),
    "was_overdue": Count("id", filter=Q(was_overdue=True)),
    "rated": Count("id", filter=~Q(rating="")),
    "satisfied": Count("id", filter=Q(rating=Rating.SATISFIED)),
    "basic": Count("id", filter=Q(rating=Rating.BASIC)),
    "unsatisfied": Count("id", filter=Q(rating=Rating.UNSATISFIED)),
    "level_grid": Count("id", filter=Q(status=Status.CLOSED, resolved_level=ResolvedLevel.GRID)),
    "level_village": Count("id", filter=Q(status=Status.CLOSED, resolved_level=ResolvedLevel.VILLAGE)),
    "level_township": Count("id", filter=Q(status=Status.CLOSED, resolved_level=ResolvedLevel.TOWNSHIP)),
    "level_county": Count("id", filter=Q(status=Status.CLOSED, resolved_level=ResolvedLevel.COUNTY)),
    "urged": Count("id", filter=Q(urge_count__gt=0)),
    "reopened": Count("id", filter=Q(reopen_count__gt=0)),
    "escalated": Count("id", filter=Q(escalation_count__gt=0)),
    "returned": Count("id", filter=Q(return_count__gt=0)),
    "owned": Count("id", filter=Q(owner__isnull=False)),
}
KPI_FIELDS = tuple(_KPI)


def rate(part: int, whole: int) -> float | None:
    """A percentage with one decimal; None when there is nothing to divide by (shown as "—")."""
    return round(100.0 * part / whole, 1) if whole else None


@dataclass
class Kpis:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KPI_FIELDS, 0))

    def add(self, row: dict[str, Any]) -> None:
        for key in KPI_FIELDS:
            self.counts[key] += int(row.get(key) or 0)

    def __getitem__(self, key: str) -> int:
        return self.counts[key]

    @property
    def rates(self) -> dict[str, float | None]:
        c = self.counts
        village = c["level_grid"] + c["level_village"]
        return {
            "closed": rate(c["closed"], c["received"] - c["rejected"]),
            "on_time": rate(c["on_time"], c["replied"]),
            "satisfaction": rate(c["satisfied"] + c["basic"], c["rated"]),
            "village_level": rate(village, c["closed"]),
            "township_level": rate(village + c["level_township"], c["closed"]),
            "was_overdue": rate(c["was_overdue"], c["received"]),
        }

    def as_dict(self) -> dict[str, Any]:
        return {**self.counts, "rates": self.rates}


@dataclass
class ChildRow:
    key: str  # unit code, grid code, OWN_LEVEL or NO_GRID
    name: str
    unit_code: str  # drill-down target ("" when the row cannot be opened as a unit)
    kpis: Kpis

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "name": self.name, "unit": self.unit_code, **self.kpis.as_dict()}


@dataclass
class WhistleRow:
    key: str
    name: str
    total: int = 0
    on_time: int = 0
    late: int = 0
    pending: int = 0
    pending_overdue: int = 0
    done: int = 0

    @property
    def on_time_rate(self) -> float | None:
        return rate(self.on_time, self.on_time + self.late + self.pending_overdue)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "total": self.total,
            "on_time": self.on_time,
            "late": self.late,
            "pending": self.pending,
            "pending_overdue": self.pending_overdue,
            "done": self.done,
            "on_time_rate": self.on_time_rate,
        }


@dataclass
class Dashboard:
    unit: Unit
    since: datetime.date
    until: datetime.date
    kpis: Kpis
    children: list[ChildRow]
    child_label: str
    months: list[dict[str, Any]]
    categories: list[dict[str, Any]]
    channels: list[dict[str, Any]]
    levels: list[dict[str, Any]]
    departments: list[WhistleRow]
    whistlers: list[WhistleRow]
    warnings: list[str]
    computed_at: datetime.datetime = field(default_factory=timezone.now)

    def as_dict(self) -> dict[str, Any]:
        """The same numbers as the page, for /cases/dashboard/data.json and the charts."""
        return {
            "unit": {"code": self.unit.code, "name": self.unit.display_name, "level": self.unit.level},
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "kpis": self.kpis.as_dict(),
            "child_label": self.child_label,
            "children": [row.as_dict() for row in self.children],
            "months": self.months,
            "categories": self.categories,
            "channels": self.channels,
            "levels": self.levels,
            "whistles": {
                "departments": [row.as_dict() for row in self.departments],
                "whistlers": [row.as_dict() for row in self.whistlers],
            },
            "warnings": self.warnings,
            "computed_at": timezone.localtime(self.computed_at).isoformat(),
        }


# --- the unit and the period ---------------------------------------------------------------------


def dashboard_roots(user: Any) -> list[Unit]:
    """The top units whose dashboard the user may open: where they hold CASE_VIEW (a department
    handler: their department's service area, where they count their department's cases)."""
    scope = access.split_scope_of(user, Perm.CASE_VIEW)
    if scope.everything:
        counties = list(Unit.objects.filter(level=Level.COUNTY).order_by("code")[:2])
        if len(counties) == 1:
            return counties
        return list(Unit.objects.filter(parent__isnull=True).order_by("code"))
    codes = minimal_prefixes([*scope.prefixes, *(code for code, _ in scope.org_grants)])
    return list(Unit.objects.filter(code__in=codes).order_by("code"))


def dashboard_unit(user: Any, code: str | None) -> Unit:
    """The unit asked for (default: the user's first root), refused outside their scope."""
    code = (code or "").strip()
    if not code:
        roots = dashboard_roots(user)
        if not roots:
            raise PermissionDenied("您无权查看诉求统计。", code="forbidden")
        return roots[0]
    unit = Unit.objects.filter(code=code).first()
    if unit is None:
        raise NotFound("没有这个区域。", code="unit_not_found")
    if not access.has_perm(user, Perm.CASE_VIEW, unit.code):
        raise PermissionDenied(
            f"您无权查看「{unit.display_name}」的诉求统计：它不在您的管辖范围内。", code="forbidden"
        )
    if unit.level > Level.VILLAGE:
        raise ValidationFailed("统计最细到村（社区）。", code="unit_too_fine")
    return unit


def default_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The last twelve calendar months, this one included."""
    month = today.year * 12 + today.month - 1 - (DEFAULT_MONTHS - 1)
    return datetime.date(month // 12, month % 12 + 1, 1), today


def parse_period(
    since: str | None, until: str | None, today: datetime.date
) -> tuple[datetime.date, datetime.date]:
    default_since, default_until = default_period(today)

    def parse(value: str | None, default: datetime.date, label: str) -> datetime.date:
        value = (value or "").strip()
        if not value:
            return default
        try:
            return datetime.date.fromisoformat(value)
        except ValueError as exc:
            raise ValidationFailed(
                f"{label}「{value}」不是有效日期，请按 年-月-日 填写，如 2026-01-01。", code="invalid_date"
            ) from exc

    start = parse(since, default_since, "开始日期")
    end = parse(until, default_until, "结束日期")
    if start > end:
        raise ValidationFailed("开始日期不能晚于结束日期。", code="period_reversed")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise ValidationFailed("统计期间最长三年，请缩短后再查。", code="period_too_long")
    return start, end


def _bounds(since: datetime.date, until: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """Local midnights as aware datetimes: a range the submitted_at index can use."""
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(since, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(until + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    return start, end


def cohort(user: Any, unit: Unit, since: datetime.date, until: datetime.date) -> QuerySet[Case]:
    """The counted cases: visible to the user, placed under the unit, submitted in the period.

    Under a township or a village the place is also given as the list of unit ids of the subtree
    (a few dozen): the planner then walks the (unit, submitted_at) index once per village instead
    of the whole county's period on `submitted_at` (16 ms against 100 ms for 娜姑镇 with 1M cases,
    docs/benchmarks.md). The code range stays: it is what the chokepoint and the count agree on."""
    start, end = _bounds(since, until)
    qs = (
        cases_visible(user)
        .filter(subtree_q(unit.code, "unit__code"), submitted_at__gte=start, submitted_at__lt=end)
        .exclude(status=Status.MERGED)
        .filter(parent__isnull=True)
    )
    if unit.level >= Level.TOWNSHIP:
        qs = qs.filter(
            unit_id__in=list(Unit.objects.filter(subtree_q(unit.code)).values_list("pk", flat=True))
        )
    return qs


# --- the blocks ----------------------------------------------------------------------------------


def _child_length(unit: Unit) -> int | None:
    """Digits of a child's code (None for a village: its children are grids)."""
    if unit.level >= Level.VILLAGE:
        return None
    return LEVEL_CODE_LENGTH[Level(unit.level + 1)]


def child_rows(qs: QuerySet[Case], unit: Unit) -> tuple[list[ChildRow], str]:
    """One aggregate query grouped by child unit (or grid, under a village); rows in code order."""
    length = _child_length(unit)
    if length is None:
        rows = qs.values(key=F("grid__code")).annotate(**_KPI)
        label = "网格"
    else:
        rows = qs.values(key=Substr("unit__code", 1, length)).annotate(**_KPI)
        label = {4: "市", 6: "县（区）", 9: "乡镇（街道）", 12: "村（社区）"}.get(length, "下级单位")
    found = {row["key"] or NO_GRID: row for row in rows.order_by()}
    if length is None:
        names = dict(Grid.objects.filter(code__in=list(found)).values_list("code", "name"))
    else:
        names = {
            u.code: u.display_name
            for u in Unit.objects.filter(code__in=[k for k in found if len(k) == length])
        }
    out = []
    for key in sorted(found):
        kpis = Kpis()
        kpis.add(found[key])
        if key in names:
            drill = key if length is not None else ""
            out.append(ChildRow(key, names[key], drill, kpis))
        elif length is None:
            out.append(ChildRow(NO_GRID, "未标注网格", "", kpis))
        else:
            out.append(ChildRow(OWN_LEVEL, f"{unit.display_name}本级", "", kpis))
    # The rows without a place of their own go last.
    out.sort(key=lambda r: (r.key in (OWN_LEVEL, NO_GRID), r.key))
    return out, label


def _month_starts(since: datetime.date, until: datetime.date) -> list[datetime.date]:
    months, year, month = [], since.year, since.month
    while (year, month) <= (until.year, until.month):
        months.append(datetime.date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def breakdowns(
    qs: QuerySet[Case], since: datetime.date, until: datetime.date
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """One query grouped by (month, category, channel), folded into the month line, the top-level
    category bar and the channel pie (a few thousand rows at most). Categories are folded into
    their top level here rather than joined in the query: a fifth faster on a county's year."""
    rows = (
        qs.values(month=TruncMonth("submitted_at"), cat=F("category_id"), ch=F("channel"))
        .annotate(
            n=Count("id"),
            closed=Count("id", filter=Q(status=Status.CLOSED)),
            overdue=Count("id", filter=Q(was_overdue=True)),
            rated=Count("id", filter=~Q(rating="")),
            content=Count("id", filter=Q(rating__in=[Rating.SATISFIED, Rating.BASIC])),
        )
        .order_by()
    )
    by_month: dict[datetime.date, list[int]] = defaultdict(lambda: [0, 0, 0])
    by_top: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    by_channel: dict[str, int] = defaultdict(int)
    tree = {pk: (parent or pk) for pk, parent in Category.objects.values_list("pk", "parent_id")}
    for row in rows:
        month = row["month"]
        if isinstance(month, datetime.datetime):
            month = timezone.localtime(month).date() if timezone.is_aware(month) else month.date()
        m = by_month[month.replace(day=1)]
        m[0] += row["n"]
        m[1] += row["closed"]
        m[2] += row["overdue"]
        t = by_top[tree.get(row["cat"], row["cat"])]
        t[0] += row["n"]
        t[1] += row["closed"]
        t[2] += row["rated"]
        t[3] += row["content"]
        by_channel[row["ch"]] += row["n"]
    months = [
        {
            "month": f"{m:%Y-%m}",
            "received": by_month[m][0],
            "closed": by_month[m][1],
            "was_overdue": by_month[m][2],
        }
        for m in _month_starts(since, until)
    ]
    tops = (
        Category.objects.filter(pk__in=list(by_top))
        .order_by("order", "code")
        .values_list("pk", "code", "name")
    )
    categories: list[dict[str, Any]] = [
        {
            "code": code,
            "name": name,
            "received": by_top[pk][0],
            "closed": by_top[pk][1],
            "satisfaction": rate(by_top[pk][3], by_top[pk][2]),
        }
        for pk, code, name in tops
    ]
    categories.sort(key=lambda c: -c["received"])
    channels = [
        {"code": value, "name": label, "received": by_channel[value]}
        for value, label in Channel.choices
        if by_channel.get(value)
    ]
    return months, categories, channels


def whistle_stats(
    user: Any, qs: QuerySet[Case], now: datetime.datetime
) -> tuple[list[WhistleRow], list[WhistleRow]]:
    """吹哨报到 on the cohort: per department signed on time / late / pending; per whistling unit.
    One query grouped by (department, whistling unit), folded both ways here. A department
    handler sees their own department's rows only."""
    whistles = Whistle.objects.filter(case__in=qs.values("pk"))
    scope = access.split_scope_of(user, Perm.CASE_VIEW)
    if not scope.everything and not scope.prefixes:
        whistles = whistles.filter(organisation_id__in=[org for _, org in scope.org_grants])
    rows = (
        whistles.values(
            org=F("organisation__code"),
            org_name=F("organisation__name"),
            unit=F("whistler_unit__code"),
            unit_name=F("whistler_unit__name"),
            unit_short=F("whistler_unit__short_name"),
        )
        .annotate(
            total=Count("id"),
            on_time=Count("id", filter=Q(signed_at__isnull=False, signed_at__lte=F("sign_due"))),
            late=Count("id", filter=Q(signed_at__isnull=False, signed_at__gt=F("sign_due"))),
            pending=Count("id", filter=Q(signed_at__isnull=True)),
            pending_overdue=Count("id", filter=Q(signed_at__isnull=True, sign_due__lt=now)),
            done=Count("id", filter=Q(done_at__isnull=False)),
        )
        .order_by()
    )
    departments: dict[str, WhistleRow] = {}
    whistlers: dict[str, WhistleRow] = {}
    for r in rows:
        for into, key, name in (
            (departments, r["org"], r["org_name"]),
            (whistlers, r["unit"], r["unit_short"] or r["unit_name"]),
        ):
            row = into.setdefault(key, WhistleRow(key=key, name=name or ""))
            row.total += r["total"]
            row.on_time += r["on_time"]
            row.late += r["late"]
            row.pending += r["pending"]
            row.pending_overdue += r["pending_overdue"]
            row.done += r["done"]

    def ranked(found: dict[str, WhistleRow]) -> list[WhistleRow]:
        return sorted(found.values(), key=lambda w: (-w.total, w.key))

    return ranked(departments), ranked(whistlers)


def unit_dashboard(
    user: Any,
    unit: Unit,
    since: datetime.date,
    until: datetime.date,
    *,
    today: datetime.date | None = None,
) -> Dashboard:
    """Every block of the dashboard for one unit and period, computed now: three aggregate queries
    over the cases and three small ones (units, categories, the subtree's unit ids)."""
    qs = cohort(user, unit, since, until)
    children, child_label = child_rows(qs, unit)
    kpis = Kpis()
    for row in children:
        kpis.add(row.kpis.counts)
    months, categories, channels = breakdowns(qs, since, until)
    departments, whistlers = whistle_stats(user, qs, timezone.now())
    levels = [
        {"code": level.value, "name": level.label, "closed": kpis[f"level_{level.value}"]}
        for level in ResolvedLevel
    ]
    return Dashboard(
        unit=unit,
        since=since,
        until=until,
        kpis=kpis,
        children=children,
        child_label=child_label,
        months=months,
        categories=categories,
        channels=channels,
        levels=levels,
        departments=departments,
        whistlers=whistlers,
        warnings=calendar_warnings(today or timezone.localdate()),
    )


def _scope_key(user: Any, unit: Unit) -> str:
    """Who sees the same numbers for this unit: everyone whose plain scope covers it ("all"), or
    exactly this mix of places and organisation grants (a department handler)."""
    scope = access.split_scope_of(user, Perm.CASE_VIEW)
    if scope.everything or any(unit.code.startswith(prefix) for prefix in scope.prefixes):
        return "all"
    parts = [*scope.prefixes, *(f"{code}:{org}" for code, org in scope.org_grants)]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


def dashboard(
    user: Any,
    unit: Unit,
    since: datetime.date,
    until: datetime.date,
    *,
    today: datetime.date | None = None,
) -> Dashboard:
    """`unit_dashboard` as the pages serve it: computed once per DASHBOARD_CACHE_SECONDS for each
    (scope, unit, period) and shared by the users who would see the same numbers. A county's year
    is 100k+ cases: recomputing it on every view would cost about a second (docs/benchmarks.md)."""
    today = today or timezone.localdate()
    key = f"cases:dashboard:v1:{_scope_key(user, unit)}:{unit.code}:{since}:{until}:{today}"
    board: Dashboard | None = cache.get(key)
    if board is None:
        board = unit_dashboard(user, unit, since, until, today=today)
        cache.set(key, board, DASHBOARD_CACHE_SECONDS)
    return board
