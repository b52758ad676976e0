"""The chokepoint: scopes from role assignments, subtree ranges, denials."""

from __future__ import annotations

import pytest

from apps.accounts import access
from apps.accounts.choices import Role
from apps.accounts.permissions import Perm
from apps.core.errors import PermissionDenied
from apps.territory.models import Unit
from apps.territory.paths import minimal_prefixes, prefix_upper_bound


def test_prefix_upper_bound_carries_over_nines() -> None:
    assert prefix_upper_bound("530326102") == "530326103"
    assert prefix_upper_bound("530326109") == "53032611"
    assert prefix_upper_bound("5303261999") == "5303262"
    with pytest.raises(ValueError):
        prefix_upper_bound("53a")


def test_minimal_prefixes_drops_covered() -> None:
    assert minimal_prefixes(["530326", "530326102", "5303", "540"]) == ("5303", "540")


@pytest.mark.django_db
def test_township_officer_sees_only_their_subtree(tiny_county, make_staff) -> None:
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"])
    visible = set(
        access.restrict(Unit.objects.all(), officer, Perm.TERRITORY_VIEW).values_list("code", flat=True)
    )
    assert visible == {"530326102", "530326102201", "530326102202"}
    access.require(officer, Perm.GRID_MANAGE, "530326102201")
    with pytest.raises(PermissionDenied):
        access.require(officer, Perm.GRID_MANAGE, "530326103201")
    with pytest.raises(PermissionDenied):
        access.require(officer, Perm.AUDIT_VIEW)


@pytest.mark.django_db
def test_roles_union_and_inactive_ignored(tiny_county, make_staff) -> None:
    from apps.accounts.models import RoleAssignment

    user = make_staff(Role.VILLAGE_CADRE, tiny_county["v11"])
    RoleAssignment.objects.create(user=user, role=Role.VILLAGE_CADRE, unit=tiny_county["v21"])
    RoleAssignment.objects.create(user=user, role=Role.LEADER, unit=tiny_county["county"], is_active=False)
    scope = access.scope_of(user, Perm.TERRITORY_VIEW)
    assert scope.prefixes == ("530326102201", "530326103201")
    assert not scope.covers("530326102202")


@pytest.mark.django_db
def test_user_without_roles_sees_nothing(tiny_county, make_staff) -> None:
    nobody = make_staff(None)
    assert access.restrict(Unit.objects.all(), nobody, Perm.TERRITORY_VIEW).count() == 0
