"""Reads of the territory, always narrowed by the access chokepoint."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from apps.accounts import access
from apps.accounts.choices import Role
from apps.accounts.permissions import Perm

from . import geo
from .models import Grid, Organisation, Unit
from .paths import subtree_q


def units_visible(user: Any) -> QuerySet[Unit]:
    return access.restrict(Unit.objects.all(), user, Perm.TERRITORY_VIEW)


def unit_get(user: Any, code: str) -> Unit:
    return access.get_for(user, Perm.TERRITORY_VIEW, Unit.objects.select_related("parent"), code=code)


def root_units(user: Any) -> list[Unit]:
    """The top units of the user's view: one per prefix of their scope (a county admin's county)."""
    scope = access.scope_of(user, Perm.TERRITORY_VIEW)
    if scope.everything:
        top = Unit.objects.filter(parent__isnull=True)
        # A deployment that imported one county also holds its province and city; start at the
        # county when it is the only one.
        counties = list(Unit.objects.filter(level=3)[:2])
        return counties if len(counties) == 1 else list(top)
    return list(Unit.objects.filter(code__in=scope.prefixes).order_by("code"))


def unit_children(user: Any, unit: Unit) -> QuerySet[Unit]:
    return units_visible(user).filter(parent=unit).annotate(child_count=Count("children")).order_by("code")


def unit_ancestors(unit: Unit) -> list[Unit]:
    """Breadcrumb: every proper prefix of the code at a level boundary, top first (one query)."""
    prefixes = [unit.code[:n] for n in (2, 4, 6, 9, 12) if n < len(unit.code)]
    return list(Unit.objects.filter(code__in=prefixes).order_by("code"))


def unit_search(user: Any, q: str, limit: int = 30) -> QuerySet[Unit]:
    q = q.strip()
    qs = units_visible(user)
    if q.isdigit():
        return qs.filter(code__startswith=q)[:limit]
    return qs.filter(Q(name__contains=q) | Q(short_name__contains=q))[:limit]


def unit_counts(unit: Unit) -> dict[str, int]:
    """Counts under a unit: sub-units per level, grids, staff by role. Each one indexed query."""
    level_counts = dict(
        Unit.objects.filter(subtree_q(unit.code))
        .exclude(pk=unit.pk)
        .values_list("level")
        .annotate(n=Count("id"))
    )
    from apps.accounts.models import RoleAssignment

    role_counts = dict(
        RoleAssignment.objects.filter(subtree_q(unit.code, "unit__code"), is_active=True)
        .values_list("role")
        .annotate(n=Count("user", distinct=True))
    )
    return {
        "townships": level_counts.get(4, 0),
        "villages": level_counts.get(5, 0),
        "groups": level_counts.get(6, 0),
        "grids": Grid.objects.filter(subtree_q(unit.code, "unit__code"), is_active=True).count(),
        "gridders": role_counts.get(Role.GRIDDER, 0),
        "cadres": role_counts.get(Role.VILLAGE_CADRE, 0),
        "officers": role_counts.get(Role.TOWNSHIP_OFFICER, 0),
        "staff": sum(role_counts.values()),
    }


def grids_visible(user: Any) -> QuerySet[Grid]:
    return access.restrict(Grid.objects.select_related("unit", "parent"), user, Perm.TERRITORY_VIEW)


def grid_list(
    user: Any, *, unit: Unit | None = None, level: int | None = None, q: str = ""
) -> QuerySet[Grid]:
    qs = grids_visible(user)
    if unit is not None:
        qs = qs.filter(subtree_q(unit.code, "unit__code"))
    if level:
        qs = qs.filter(level=level)
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(code__icontains=q))
    return qs.annotate(
        gridder_count=Count("role_assignments", filter=Q(role_assignments__is_active=True), distinct=True)
    ).order_by("unit__code", "level", "code")


def grid_get(user: Any, code: str) -> Grid:
    return access.get_for(user, Perm.TERRITORY_VIEW, Grid.objects.select_related("unit", "parent"), code=code)


def grid_gridders(grid: Grid) -> list[Any]:
    from apps.accounts.models import User

    return list(
        User.objects.filter(
            role_assignments__grid=grid, role_assignments__is_active=True, role_assignments__role=Role.GRIDDER
        )
        .distinct()
        .order_by("username")
    )


def grid_locate(user: Any, *, longitude: float, latitude: float) -> list[Grid]:
    """Grids (visible to the user) containing the point, finest level first."""
    ids = geo.candidate_grid_ids(longitude, latitude)
    if not ids:
        return []
    return list(grids_visible(user).filter(pk__in=ids).order_by("-level", "code"))


def organisations_visible(user: Any) -> QuerySet[Organisation]:
    return access.restrict(Organisation.objects.select_related("service_area"), user, Perm.TERRITORY_VIEW)


def gridder_candidate_assignments(actor: Any, grid: Grid) -> QuerySet[Any]:
    """Active role assignments whose holders may be made gridders of `grid`: people inside the
    actor's GRID_ASSIGN scope, and people working in the grid's township (a village cadre may
    recruit from the neighbouring village). Nobody from elsewhere, so a username typed by mistake
    cannot pull in a stranger from another township."""
    from apps.accounts.models import RoleAssignment

    from .choices import LEVEL_CODE_LENGTH, Level

    township = grid.unit.code[: LEVEL_CODE_LENGTH[Level.TOWNSHIP]]
    active = RoleAssignment.objects.filter(is_active=True)
    mine = access.restrict(active, actor, Perm.GRID_ASSIGN)
    return active.filter(Q(pk__in=mine.values("pk")) | subtree_q(township, "unit__code"))


def gridder_candidates(actor: Any, grid: Grid) -> QuerySet[Any]:
    """Staff who may be made gridders of `grid` by `actor`: those working in reach (see
    gridder_candidate_assignments) and new staff not yet working anywhere (a recruit)."""
    from apps.accounts.choices import UserKind
    from apps.accounts.models import RoleAssignment, User

    working = RoleAssignment.objects.filter(is_active=True).values("user_id")
    in_reach = gridder_candidate_assignments(actor, grid).values("user_id")
    return User.objects.filter(
        Q(pk__in=in_reach) | ~Q(pk__in=working), kind=UserKind.STAFF, is_active=True
    ).exclude(is_superuser=True)
