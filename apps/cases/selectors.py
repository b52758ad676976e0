"""Reads of cases, always through the chokepoint (`access.restrict` / `access.get_for`).

Inboxes per role: 待受理, 待签收, 办理中, 即将超期, 已超期, 已办结 — each the visible cases narrowed to
what the user's body has to do; the counts come from the same querysets.
"""

from __future__ import annotations

import datetime
import difflib
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.accounts import access
from apps.accounts.permissions import Perm
from apps.core.errors import NotFound
from apps.territory.models import Organisation, Unit
from apps.territory.paths import subtree_q

from .choices import OPEN_STATUSES, PUBLIC_ACTIONS, ExtensionStatus, SlaState, Status
from .models import Case, CaseStep, Category, Extension, IntakeRecord, Notice, Whistle


def cases_visible(user: Any) -> QuerySet[Case]:
    return access.restrict(Case.objects.all(), user, Perm.CASE_VIEW)


def case_get(user: Any, pk: int) -> Case:
    return access.get_for(
        user,
        Perm.CASE_VIEW,
        Case.objects.select_related(
            "category__parent",
            "unit",
            "grid",
            "holder_unit",
            "holder_org__service_area",
            "dispatcher_unit__parent",
            "handler",
            "owner",
            "merged_into",
            "parent",
            "intake_record",
            "submitter",
        ),
        pk=pk,
    )


def _my_bodies_q(user: Any, perm: Perm) -> Q:
    """Cases held by a body the user acts for with `perm` (their units' subtrees, their departments)."""
    scope = access.split_scope_of(user, perm)
    if scope.everything:
        return Q(holder_unit__isnull=False) | Q(holder_org__isnull=False)
    condition = Q(pk__in=[])
    for prefix in scope.prefixes:
        condition |= subtree_q(prefix, "holder_unit__code")
    orgs = [org for _, org in scope.org_grants]
    if orgs:
        condition |= Q(holder_org_id__in=orgs)
    return condition


def _dispatch_q(user: Any) -> Q:
    """Cases waiting for a dispatcher the user is (by dispatcher unit, or by place before acceptance)."""
    scope = access.split_scope_of(user, Perm.CASE_DISPATCH)
    if scope.everything:
        return Q()
    condition = Q(pk__in=[])
    for prefix in scope.prefixes:
        condition |= Q(dispatcher_unit__isnull=True) & subtree_q(prefix, "unit__code")
        condition |= subtree_q(prefix, "dispatcher_unit__code")
    return condition


# The boxes that hold years of history show the recent window unless the user picks dates (a
# township's 已办结 over ten years is hundreds of thousands of rows to count).
HISTORY_BOXES = ("closed", "all")
HISTORY_WINDOW_DAYS = 90

INBOXES: dict[str, str] = {
    "to_accept": "待受理",
    "to_dispatch": "待派单",
    "to_sign": "待签收",
    "handling": "办理中",
    "to_follow_up": "待回访",
    "yellow": "即将超期",
    "red": "已超期",
    "closed": "已办结",
    "all": "全部",
}


def inbox(user: Any, box: str) -> QuerySet[Case]:
    """One inbox of the user, newest deadline pressure first."""
    qs = cases_visible(user)
    if box == "to_accept":
        qs = qs.filter(_dispatch_q(user), status=Status.SUBMITTED)
    elif box == "to_dispatch":
        qs = qs.filter(_dispatch_q(user), status__in=[Status.ACCEPTED, Status.TRIAGED])
    elif box == "to_sign":
        qs = qs.filter(_my_bodies_q(user, Perm.CASE_HANDLE), status=Status.DISPATCHED)
    elif box == "handling":
        qs = qs.filter(_my_bodies_q(user, Perm.CASE_HANDLE), status=Status.HANDLING)
    elif box == "to_follow_up":
        qs = qs.filter(_dispatch_q(user), status__in=[Status.REPLIED, Status.FOLLOWED_UP])
    elif box == "yellow":
        qs = qs.filter(status__in=OPEN_STATUSES, sla_state=SlaState.YELLOW)
    elif box == "red":
        qs = qs.filter(status__in=OPEN_STATUSES, sla_state=SlaState.RED)
    elif box == "closed":
        return qs.filter(status=Status.CLOSED).order_by("-closed_at", "-id")
    elif box != "all":
        raise NotFound("没有这个收件箱。", code="unknown_inbox")
    else:
        return qs.order_by("-submitted_at", "-id")
    return qs.order_by("due_at", "id")


def inbox_counts(
    user: Any,
    boxes: tuple[str, ...] = (
        "to_accept",
        "to_dispatch",
        "to_sign",
        "handling",
        "to_follow_up",
        "yellow",
        "red",
    ),
) -> dict[str, int]:
    return {box: inbox(user, box).count() for box in boxes}


@dataclass(frozen=True)
class CaseFilters:
    q: str = ""
    category: str = ""  # code; includes its children
    channel: str = ""
    unit: str = ""  # code prefix
    status: str = ""
    urged: bool = False
    owned: bool = False
    since: datetime.date | None = None
    until: datetime.date | None = None


def apply_filters(qs: QuerySet[Case], f: CaseFilters) -> QuerySet[Case]:
    if f.q:
        qs = qs.filter(Q(tracking_code=f.q.upper()) | Q(title__icontains=f.q) | Q(description__icontains=f.q))
    if f.category:
        qs = qs.filter(Q(category__code=f.category) | Q(category__parent__code=f.category))
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.unit:
        qs = qs.filter(subtree_q(f.unit, "unit__code"))
    if f.status:
        qs = qs.filter(status=f.status)
    if f.urged:
        qs = qs.filter(urge_count__gt=0)
    if f.owned:
        qs = qs.filter(owner__isnull=False)
    if f.since:
        qs = qs.filter(submitted_at__date__gte=f.since)
    if f.until:
        qs = qs.filter(submitted_at__date__lte=f.until)
    return qs


def with_list_columns(qs: QuerySet[Case]) -> QuerySet[Case]:
    return qs.select_related("category", "unit", "holder_unit", "holder_org")


def timeline(case: Case) -> QuerySet[CaseStep]:
    return case.steps.select_related("actor").order_by("at", "id")


def public_case(tracking_code: str) -> Case:
    """The case behind a tracking code for the public progress page (a merged duplicate shows its
    original). No permission: the page shows no personal data."""
    code = (tracking_code or "").strip().upper()
    case = Case.objects.select_related("category", "unit", "merged_into").filter(tracking_code=code).first()
    if case is None:
        raise NotFound("没有找到这个查询码，请核对后重试。", code="tracking_code_not_found")
    return case


def public_steps(case: Case) -> QuerySet[CaseStep]:
    return case.steps.filter(action__in=PUBLIC_ACTIONS).order_by("at", "id")


def my_cases(user: Any) -> QuerySet[Case]:
    """A resident's own cases (by their login)."""
    if user is None or not user.is_authenticated:
        return Case.objects.none()
    return Case.objects.filter(submitter=user).select_related("category", "unit").order_by("-submitted_at")


def owned_cases(user: Any) -> QuerySet[Case]:
    """A leader's 包案 list."""
    return with_list_columns(cases_visible(user).filter(owner=user)).order_by("status", "owner_deadline")


def possible_duplicates(user: Any, case: Case, *, limit: int = 8) -> list[tuple[Case, str]]:
    """Cases staff should look at before accepting: same category nearby in time and place, or a
    similar text in the same village. (case, why) pairs, most likely first."""
    window = datetime.timedelta(days=14)
    base = (
        cases_visible(user)
        .exclude(pk=case.pk)
        .exclude(status__in=[Status.MERGED, Status.REJECTED])
        .filter(submitted_at__gte=case.submitted_at - window, submitted_at__lte=case.submitted_at + window)
        .select_related("category", "unit")
    )
    found: dict[int, tuple[Case, str, float]] = {}
    if case.latitude is not None and case.longitude is not None:
        near = base.filter(
            category_id=case.category_id,
            latitude__range=(case.latitude - 0.005, case.latitude + 0.005),
            longitude__range=(case.longitude - 0.005, case.longitude + 0.005),
        )[:50]
        for other in near:
            found[other.pk] = (other, "同类、附近（约 500 米内）、两周内", 1.0)
    same_place = base.filter(unit_id=case.unit_id)[:200]
    for other in same_place:
        if other.pk in found:
            continue
        score = difflib.SequenceMatcher(None, case.description[:300], other.description[:300]).ratio()
        if other.category_id == case.category_id:
            score += 0.15
        if score >= 0.6:
            found[other.pk] = (other, f"同村、内容相似（{min(score, 1.0):.0%}）", score)
    ranked = sorted(found.values(), key=lambda item: -item[2])
    return [(c, why) for c, why, _ in ranked[:limit]]


def related_cases(case: Case) -> dict[str, list[Case]]:
    return {
        "children": list(case.children.select_related("holder_org", "holder_unit")),
        "duplicates": list(case.duplicates.all()),
    }


def pending_extension(case: Case) -> Extension | None:
    return case.extensions.filter(status=ExtensionStatus.PENDING).select_related("requested_by").first()


def whistles_of(case: Case) -> QuerySet[Whistle]:
    return case.whistles.select_related("organisation", "signed_by").order_by("whistled_at")


def categories(active_only: bool = True) -> QuerySet[Category]:
    qs = Category.objects.select_related("parent")
    return qs.filter(is_active=True) if active_only else qs


def category_tree(active_only: bool = True) -> list[tuple[Category, list[Category]]]:
    cats = list(categories(active_only).order_by("order", "code"))
    roots = [c for c in cats if c.parent_id is None]
    return [(r, [c for c in cats if c.parent_id == r.pk]) for r in roots]


def dispatch_targets(user: Any, case: Case) -> dict[str, Any]:
    """What the dispatch form offers: the natural holder by triage, the lists' suggestion, the units
    on the path from the dispatcher to the place, and departments serving the place."""
    from apps.duties import routing

    from .services import natural_holder

    # The place's ancestors are the prefixes of its code: read those rows, not every unit.
    prefixes = [case.unit.code[:n] for n in (2, 4, 6, 9, 12, 15) if len(case.unit.code) >= n]
    units = list(Unit.objects.filter(code__in=prefixes, level__gte=4).order_by("code"))
    if case.dispatcher_unit is not None:
        units = [u for u in units if u.code.startswith(case.dispatcher_unit.code)]
    orgs = list(Organisation.objects.filter(is_active=True, service_area__code__in=prefixes).order_by("name"))
    natural = natural_holder(case, case.triage or "minor")
    suggestion = routing.suggest(case.category, case.unit)
    # Preselect the lists' primary body when it is one the dispatcher can send to, else 三事分流's.
    selected_unit: str | None = natural.code
    selected_org: int | None = None
    if suggestion is not None and suggestion.primary is not None:
        if suggestion.primary.organisation is not None and suggestion.primary.organisation in orgs:
            selected_unit, selected_org = None, suggestion.primary.organisation.pk
        elif suggestion.primary.unit is not None and suggestion.primary.unit in units:
            selected_unit = suggestion.primary.unit.code
    supporting = {b.organisation.pk for b in suggestion.supporting if b.organisation} if suggestion else set()
    return {
        "natural": natural,
        "suggestion": suggestion,
        "selected_unit": selected_unit,
        "selected_org": selected_org,
        "supporting": supporting,
        "units": units,
        "organisations": orgs,
    }


def intake_records(user: Any) -> QuerySet[IntakeRecord]:
    return access.restrict(IntakeRecord.objects.select_related("unit"), user, Perm.CASE_VIEW)


def notices_for(user: Any, *, unread_only: bool = False) -> QuerySet[Notice]:
    qs = Notice.objects.filter(recipient_id=getattr(user, "pk", None)).select_related("case")
    return qs.filter(read_at__isnull=True) if unread_only else qs


def unread_count(user: Any) -> int:
    if user is None or not user.is_authenticated:
        return 0
    return Notice.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def overdue_now(qs: QuerySet[Case]) -> QuerySet[Case]:
    return qs.filter(status__in=OPEN_STATUSES, due_at__lt=timezone.now())
