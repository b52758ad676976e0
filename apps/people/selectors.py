"""Reads of resident records, always through the access chokepoint (which also hides minors and
sensitive groups from roles without those permissions)."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from apps.accounts import access
from apps.accounts.permissions import Perm
from apps.core import crypto
from apps.territory.choices import Level
from apps.territory.models import Grid, Unit
from apps.territory.paths import subtree_q

from . import idnumber
from .choices import ResidentStatus
from .models import FactDefinition, Household, ImportJob, PatrolVisit, Resident, SpecialGroup

TAIL_RE = re.compile(r"^\d{3}[\dXx]$")


def households_visible(user: Any) -> QuerySet[Household]:
    return access.restrict(Household.objects.select_related("unit", "grid", "head"), user, Perm.PEOPLE_VIEW)


def residents_visible(user: Any) -> QuerySet[Resident]:
    return access.restrict(Resident.objects.select_related("household__unit"), user, Perm.PEOPLE_VIEW)


def household_get(user: Any, pk: int) -> Household:
    return access.get_for(
        user, Perm.PEOPLE_VIEW, Household.objects.select_related("unit", "grid", "head"), pk=pk
    )


def household_members(user: Any, household: Household) -> QuerySet[Resident]:
    """Members the user may see (minors and sensitive members drop out for roles without access)."""
    return (
        residents_visible(user)
        .filter(household=household)
        .prefetch_related(Prefetch("special_groups", queryset=SpecialGroup.objects.order_by("order")))
        .order_by("relation", "birth_date")
    )


def resident_get(user: Any, pk: int) -> Resident:
    return access.get_for(
        user, Perm.PEOPLE_VIEW, Resident.objects.select_related("household__unit", "household__grid"), pk=pk
    )


def _search_q(q: str) -> Q:
    """Name, address, full ID number, ID or phone tail, full phone."""
    q = q.strip()
    if len(q) == 18 and idnumber.is_valid(q):
        return Q(id_number_hash=crypto.lookup_hash(idnumber.normalise(q)))
    if re.fullmatch(r"1[3-9]\d{9}", q):
        return Q(phone_hash=crypto.lookup_hash(q))
    if TAIL_RE.match(q):
        return Q(id_tail=q.upper()) | Q(phone_tail=q)
    return Q(name__contains=q) | Q(household__address__contains=q)


def resident_list(
    user: Any,
    *,
    unit_code: str = "",
    grid_code: str = "",
    q: str = "",
    group: str = "",
    minors: bool | None = None,
    status: str = "active",
) -> QuerySet[Resident]:
    qs = residents_visible(user)
    if unit_code:
        qs = qs.filter(subtree_q(unit_code, "household__unit__code"))
    if grid_code:
        qs = qs.filter(household__grid__code=grid_code)
    if status:
        qs = qs.filter(status=status)
    if group:
        qs = qs.filter(special_groups__code=group)
    if minors is True:
        qs = qs.filter(Resident.minor_q())
    elif minors is False:
        qs = qs.exclude(Resident.minor_q())
    if q:
        qs = qs.filter(_search_q(q))
    return qs.order_by("household__unit__code", "household__number", "id")


def household_list(
    user: Any, *, unit_code: str = "", grid_code: str = "", q: str = "", color_grade: str = ""
) -> QuerySet[Household]:
    qs = households_visible(user)
    if unit_code:
        qs = qs.filter(subtree_q(unit_code, "unit__code"))
    if grid_code:
        qs = qs.filter(grid__code=grid_code)
    if color_grade:
        qs = qs.filter(color_grade=color_grade)
    if q:
        members = residents_visible(user).filter(_search_q(q)).values("household_id")
        qs = qs.filter(Q(pk__in=members) | Q(address__contains=q) | Q(number=q))
    return qs.annotate(member_count=Count("members", filter=Q(members__status="active"))).order_by(
        "unit__code", "number"
    )


def patrol_list(user: Any, *, grid_code: str = "", gridder_id: int | None = None) -> QuerySet[PatrolVisit]:
    qs = access.restrict(
        PatrolVisit.objects.select_related("grid__unit", "household", "gridder"), user, Perm.PEOPLE_VIEW
    )
    if grid_code:
        qs = qs.filter(grid__code=grid_code)
    if gridder_id:
        qs = qs.filter(gridder_id=gridder_id)
    return qs


def import_jobs(user: Any) -> QuerySet[ImportJob]:
    return access.restrict(ImportJob.objects.select_related("unit", "created_by"), user, Perm.PEOPLE_IMPORT)


def can_reveal(user: Any, resident: Resident) -> bool:
    return access.has_perm(user, Perm.PII_REVEAL, resident.household.unit.code)


# --- pages (views.py) --------------------------------------------------------------------------------

# Options offered in one select of a form; past this the user types a code instead.
CHOICE_LIMIT = 500


def fact_definitions(*, active_only: bool = True) -> list[FactDefinition]:
    """Configured household facts in their configured order (sections follow their first fact)."""
    qs = FactDefinition.objects.all()
    if active_only:
        qs = qs.filter(is_active=True)
    return list(qs.order_by("order", "key"))


def special_groups_for(user: Any) -> list[SpecialGroup]:
    """Active special groups a user may see and tag: sensitive ones only with PEOPLE_VIEW_SENSITIVE."""
    qs = SpecialGroup.objects.filter(is_active=True)
    if not access.has_perm(user, Perm.PEOPLE_VIEW_SENSITIVE):
        qs = qs.filter(sensitive=False)
    return list(qs.order_by("order", "code"))


def gridder_grids(user: Any) -> list[Grid]:
    """The grids the user is the gridder of (active assignments), through the chokepoint."""
    from apps.accounts.choices import Role
    from apps.accounts.models import RoleAssignment

    assigned = RoleAssignment.objects.filter(
        user_id=user.pk, role=Role.GRIDDER, is_active=True, grid__isnull=False
    ).values("grid_id")
    qs = access.restrict(Grid.objects.select_related("unit"), user, Perm.PEOPLE_VIEW)
    return list(qs.filter(pk__in=assigned, is_active=True).order_by("code"))


def grids_for(user: Any, perm: Perm) -> QuerySet[Grid]:
    """Active grids inside the user's scope for `perm` (the grid selects of the forms)."""
    return access.restrict(Grid.objects.select_related("unit").filter(is_active=True), user, perm).order_by(
        "code"
    )


def grids_for_unit(user: Any, unit: Unit, perm: Perm) -> QuerySet[Grid]:
    """Grids a household of `unit` may belong to: those inside the unit and those of the units
    above it (a township-level grid), inside the user's scope for `perm`."""
    code = unit.code
    above = [code[:n] for n in (2, 4, 6, 9, 12) if n < len(code)]
    return grids_for(user, perm).filter(subtree_q(code, "unit__code") | Q(unit__code__in=above))


def units_for_households(user: Any) -> QuerySet[Unit]:
    """Villages and villager groups where the user may register households."""
    qs = Unit.objects.filter(level__in=(Level.VILLAGE, Level.GROUP), is_active=True)
    return access.restrict(qs, user, Perm.PEOPLE_EDIT).order_by("code")


def residents_visible_ids(user: Any, ids: list[int]) -> set[int]:
    """Which of these residents the user may see (a household's head may be a hidden minor)."""
    return set(residents_visible(user).filter(pk__in=ids).values_list("pk", flat=True))


def special_groups_all() -> QuerySet[SpecialGroup]:
    """Every special group, for the configuration page (PEOPLE_CONFIGURE checked by the caller)."""
    return SpecialGroup.objects.order_by("order", "code")


# --- API (api.py) --------------------------------------------------------------------------------------


def with_head_visibility(qs: QuerySet[Household], user: Any) -> QuerySet[Household]:
    """Annotate `head_visible`: whether the user may see the household's head (a head may be a
    minor or in a sensitive group, hidden from this user by the chokepoint)."""
    return qs.annotate(head_visible=Exists(residents_visible(user).filter(pk=OuterRef("head_id"))))


def household_hidden_member_count(user: Any, household: Household) -> int:
    """How many active members of the household the user may not see (a count, never who)."""
    active = Resident.objects.filter(household=household, status="active")
    return active.count() - residents_visible(user).filter(household=household, status="active").count()


def unit_for(user: Any, code: str, perm: Perm = Perm.PEOPLE_VIEW) -> Unit:
    """A unit by code for a filter or a write: 404 when unknown, 403 outside the user's `perm`."""
    return access.get_for(user, perm, Unit.objects.select_related("parent"), code=code)


def grid_for(user: Any, code: str, perm: Perm = Perm.PEOPLE_VIEW) -> Grid:
    """A grid by code for a filter or a write: 404 when unknown, 403 outside the user's `perm`."""
    return access.get_for(user, perm, Grid.objects.select_related("unit"), code=code)


def resident_of(user: Any) -> Resident | None:
    """The resident record a resident's login belongs to (None for staff or an unlinked phone).

    Linked explicitly (Resident.account) or, failing that, by the login's phone number matching
    exactly one active resident's phone hash (ambiguous phones stay unlinked until staff link them).
    """
    if user is None or not user.is_authenticated:
        return None
    linked = Resident.objects.select_related("household__unit").filter(account_id=user.pk).first()
    if linked is not None or not getattr(user, "phone", None):
        return linked
    matches = list(
        Resident.objects.select_related("household__unit").filter(
            phone_hash=crypto.lookup_hash(user.phone), status=ResidentStatus.ACTIVE, account__isnull=True
        )[:2]
    )
    return matches[0] if len(matches) == 1 else None
