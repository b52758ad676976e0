"""Reads of the Open311 module.

Client management goes through the chokepoint (Perm.CASE_CONFIGURE, county admins). The GeoReport
feed (services, requests, tokens) is public by design, as the cases' public progress page is
(`apps.cases.selectors.public_case`): it needs no user and `georeport.py` publishes only what
that page publishes, plus the text and place an API client itself sent.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass
from typing import Any

from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from apps.accounts import access
from apps.accounts.permissions import Perm
from apps.cases.choices import FINAL_STATUSES, OPEN_STATUSES
from apps.cases.models import Case, Category
from apps.core.errors import NotFound, ValidationFailed
from apps.territory.choices import Level
from apps.territory.models import Unit
from apps.territory.paths import subtree_q

from .models import Open311Client, Open311Submission

MAX_RESULTS = 1000
WINDOW = datetime.timedelta(days=90)
STATUS_FILTERS = {"open": OPEN_STATUSES, "closed": FINAL_STATUSES}


# --- clients (staff) ------------------------------------------------------------------------------


def clients_visible(user: Any) -> QuerySet[Open311Client]:
    qs = Open311Client.objects.select_related("jurisdiction", "created_by")
    return access.restrict(qs, user, Perm.CASE_CONFIGURE).order_by("-is_active", "-created_at", "-id")


def client_get(user: Any, pk: int) -> Open311Client:
    return access.get_for(
        user, Perm.CASE_CONFIGURE, Open311Client.objects.select_related("jurisdiction"), pk=pk
    )


def jurisdictions_for(user: Any) -> list[Unit]:
    """Counties where the user may issue keys."""
    counties = Unit.objects.filter(level=Level.COUNTY, is_active=True)
    return list(access.restrict(counties, user, Perm.CASE_CONFIGURE).order_by("code")[:100])


# --- the public feed -------------------------------------------------------------------------------


def jurisdiction_get(code: str) -> Unit:
    """The county a jurisdiction_id names (public: division codes are published data)."""
    unit = Unit.objects.filter(code=(code or "").strip(), level=Level.COUNTY, is_active=True).first()
    if unit is None:
        raise ValidationFailed(f"jurisdiction_id “{(code or '')[:20]}”无效：须为县（区）的区划代码。",
                               code="jurisdiction_unknown")  # fmt: skip
    return unit


def services() -> list[Category]:
    return list(Category.objects.filter(is_active=True).select_related("parent").order_by("order", "code"))


def services_changed_at() -> datetime.datetime | None:
    return Category.objects.aggregate(at=Max("updated_at"))["at"]


# Active categories by code for POST requests, trusted for CATEGORY_SECONDS: a busy endpoint does not
# read the category table per request for a tree that a county edits a few times a year.
CATEGORY_SECONDS = 30.0
_active: tuple[float, dict[str, Category]] = (0.0, {})


def active_category(code: str) -> Category | None:
    global _active
    loaded_at, by_code = _active
    if time.monotonic() - loaded_at >= CATEGORY_SECONDS:
        by_code = {c.code: c for c in Category.objects.filter(is_active=True)}
        _active = (time.monotonic(), by_code)
    return by_code.get(code)


def forget() -> None:
    """Drop the cached categories (tests; right after editing the tree)."""
    global _active
    _active = (0.0, {})


def service_get(code: str) -> Category:
    category = Category.objects.select_related("parent").filter(code=code, is_active=True).first()
    if category is None:
        raise NotFound(f"service_code “{code[:40]}”不存在。", code="service_not_found")
    return category


_UNIT_FIELDS = ("code", "name", "short_name", "level", "latitude", "longitude", "parent_id")


def _feed(qs: QuerySet[Case]) -> QuerySet[Case]:
    """The columns a published request needs and nothing more: a feed loads up to 1000 cases, and
    a case row is wide (its merged-into original would be loaded whole otherwise)."""
    units = ["unit", "unit__parent", "unit__parent__parent", "unit__parent__parent__parent"]
    return qs.select_related(
        "category__parent", *units, "holder_unit", "holder_org", "merged_into"
    ).only(
        "tracking_code", "channel", "status", "description", "address", "latitude", "longitude",
        "submitted_at", "updated_at", "reply_due", "due_at",
        "category__code", "category__name", "category__kind", "category__reply_days",
        "category__default_triage", "category__parent__name",
        *(f"{path}__{name}" for path in units for name in _UNIT_FIELDS),
        "holder_unit__name", "holder_unit__short_name", "holder_org__name", "merged_into__tracking_code",
    )  # fmt: skip


@dataclass(frozen=True)
class RequestQuery:
    """GET requests: either service_request_ids (which override everything else, as the spec
    says) or the filters, inside a window of at most 90 days."""

    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    start: datetime.datetime | None = None
    end: datetime.datetime | None = None
    jurisdiction: Unit | None = None


def window(start: datetime.datetime | None, end: datetime.datetime | None) -> tuple[Any, Any]:
    """The requested_datetime range searched: 90 days ending now by default; one bound given,
    90 days from or to it; both, at most 90 days apart."""
    if start is None and end is None:
        end = timezone.now()
    if start is None:
        assert end is not None
        start = end - WINDOW
    elif end is None:
        end = start + WINDOW
    if end < start:
        raise ValidationFailed("end_date 不能早于 start_date。", code="date_range_reversed")
    if end - start > WINDOW:
        raise ValidationFailed("start_date 与 end_date 相差不能超过 90 天。", code="date_range_too_long")
    return start, end


def requests_find(query: RequestQuery) -> list[Case]:
    """Newest first, at most MAX_RESULTS."""
    qs = Case.objects.all()
    if query.jurisdiction is not None:
        qs = qs.filter(subtree_q(query.jurisdiction.code, "unit__code"))
    if query.ids:
        codes = [code.strip().upper() for code in query.ids if code.strip()]
        qs = qs.filter(tracking_code__in=codes[:MAX_RESULTS])
    else:
        start, end = window(query.start, query.end)
        qs = qs.filter(submitted_at__gte=start, submitted_at__lte=end)
        if query.service_codes:
            qs = qs.filter(
                Q(category__code__in=query.service_codes) | Q(category__parent__code__in=query.service_codes)
            )
        if query.statuses:
            unknown = [s for s in query.statuses if s not in STATUS_FILTERS]
            if unknown:
                raise ValidationFailed(
                    f"status 只能是 open 或 closed（收到“{unknown[0][:20]}”）。", code="status_unknown"
                )
            wanted = [value for s in query.statuses for value in STATUS_FILTERS[s]]
            qs = qs.filter(status__in=wanted)
    return list(_feed(qs).order_by("-submitted_at", "-id")[:MAX_RESULTS])


def request_get(service_request_id: str, jurisdiction: Unit | None = None) -> Case:
    qs = Case.objects.filter(tracking_code=(service_request_id or "").strip().upper())
    if jurisdiction is not None:
        qs = qs.filter(subtree_q(jurisdiction.code, "unit__code"))
    case = _feed(qs).first()
    if case is None:
        raise NotFound(f"service_request_id “{service_request_id[:20]}”不存在。", code="request_not_found")
    return case


def submission_by_token(token: str) -> Open311Submission:
    found = (
        Open311Submission.objects.select_related("case")
        .only("token", "status", "error", "case__tracking_code")
        .filter(token=(token or "").strip().lower())
        .first()
    )
    if found is None:
        raise NotFound("token 不存在。", code="token_not_found")
    return found
