"""Role grant and revoke rules (services): who may grant what, where; duplicates; revocation."""

from __future__ import annotations

import pytest

from apps.accounts import services
from apps.accounts.choices import Role, UserKind
from apps.accounts.events import ROLE_GRANTED, ROLE_REVOKED
from apps.accounts.models import RoleAssignment
from apps.audit.models import AuditRecord, Event
from apps.core.errors import Conflict, PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(tiny_county, make_staff):
    return make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"], username="nagu")


def test_township_officer_grants_gridder_and_cadre_inside_their_township(
    tiny_county, make_staff, officer
) -> None:
    person = make_staff(None)
    gridder = services.role_grant(actor=officer, user=person, role=Role.GRIDDER, grid=tiny_county["g11"])
    assert gridder.unit == tiny_county["v11"] and gridder.grid == tiny_county["g11"]
    cadre = services.role_grant(actor=officer, user=person, role=Role.VILLAGE_CADRE, unit=tiny_county["v12"])
    assert cadre.granted_by == officer
    assert set(RoleAssignment.objects.filter(user=person).values_list("role", flat=True)) == {
        Role.GRIDDER,
        Role.VILLAGE_CADRE,
    }
    assert Event.objects.filter(event_type=ROLE_GRANTED, object_id=str(person.pk)).count() == 2
    assert AuditRecord.objects.filter(object_id=str(cadre.pk), action="create").exists()


def test_township_officer_cannot_grant_county_admin(tiny_county, make_staff, officer) -> None:
    person = make_staff(None)
    with pytest.raises(PermissionDenied) as exc:
        services.role_grant(actor=officer, user=person, role=Role.COUNTY_ADMIN, unit=tiny_county["t1"])
    assert exc.value.code == "role_not_grantable" and "县级管理员" in exc.value.message
    with pytest.raises(PermissionDenied):
        services.role_grant(actor=officer, user=person, role=Role.LEADER, unit=tiny_county["v11"])


def test_township_officer_cannot_grant_outside_their_township(tiny_county, make_staff, officer) -> None:
    person = make_staff(None)
    with pytest.raises(PermissionDenied) as exc:
        services.role_grant(actor=officer, user=person, role=Role.VILLAGE_CADRE, unit=tiny_county["v21"])
    assert "无权管理该区域" in exc.value.message
    with pytest.raises(PermissionDenied):
        services.role_grant(actor=officer, user=person, role=Role.VILLAGE_CADRE, unit=tiny_county["county"])


def test_gridder_scope_is_checked_on_the_grid_not_the_unit_passed(tiny_county, make_staff, officer) -> None:
    person = make_staff(None)
    # Passing the officer's own township as `unit` must not let a grid of another township through.
    with pytest.raises(PermissionDenied):
        services.role_grant(
            actor=officer, user=person, role=Role.GRIDDER, unit=tiny_county["t1"], grid=tiny_county["g21"]
        )
    assert not RoleAssignment.objects.filter(user=person).exists()


def test_grant_input_rules(tiny_county, make_staff, officer) -> None:
    person = make_staff(None)
    with pytest.raises(ValidationFailed, match="须指定网格"):
        services.role_grant(actor=officer, user=person, role=Role.GRIDDER, unit=tiny_county["v11"])
    with pytest.raises(ValidationFailed, match="不指定网格"):
        services.role_grant(
            actor=officer,
            user=person,
            role=Role.VILLAGE_CADRE,
            unit=tiny_county["v11"],
            grid=tiny_county["g11"],
        )
    with pytest.raises(ValidationFailed, match="未知的角色"):
        services.role_grant(actor=officer, user=person, role="mayor", unit=tiny_county["v11"])
    resident = make_staff(None, kind=UserKind.RESIDENT)
    with pytest.raises(ValidationFailed, match="居民账号"):
        services.role_grant(actor=officer, user=resident, role=Role.VILLAGE_CADRE, unit=tiny_county["v11"])


def test_duplicate_grant_is_a_conflict(tiny_county, make_staff, officer) -> None:
    person = make_staff(None)
    services.role_grant(actor=officer, user=person, role=Role.VILLAGE_CADRE, unit=tiny_county["v11"])
    with pytest.raises(Conflict) as exc:
        services.role_grant(actor=officer, user=person, role=Role.VILLAGE_CADRE, unit=tiny_county["v11"])
    assert exc.value.code == "role_exists"


def test_county_admin_grants_anything_in_the_county(tiny_county, make_staff) -> None:
    admin = make_staff(Role.COUNTY_ADMIN, tiny_county["county"])
    person = make_staff(None)
    services.role_grant(actor=admin, user=person, role=Role.COUNTY_ADMIN, unit=tiny_county["county"])
    services.role_grant(
        actor=admin, user=person, role=Role.DEPARTMENT_HANDLER, organisation=tiny_county["dept"]
    )


def test_revoke_rules(tiny_county, make_staff, officer) -> None:
    cadre = make_staff(Role.VILLAGE_CADRE, tiny_county["v11"])
    assignment = cadre.role_assignments.get()
    services.role_revoke(actor=officer, assignment=assignment)
    assignment.refresh_from_db()
    assert not assignment.is_active and assignment.revoked_at is not None
    assert Event.objects.filter(event_type=ROLE_REVOKED, object_id=str(cadre.pk)).exists()
    with pytest.raises(Conflict):
        services.role_revoke(actor=officer, assignment=assignment)
    # A role held in the township that the officer could not have granted stays.
    leader = make_staff(Role.LEADER, tiny_county["t1"])
    with pytest.raises(PermissionDenied):
        services.role_revoke(actor=officer, assignment=leader.role_assignments.get())
    far = make_staff(Role.VILLAGE_CADRE, tiny_county["v21"])
    with pytest.raises(PermissionDenied):
        services.role_revoke(actor=officer, assignment=far.role_assignments.get())


def test_admin_cannot_revoke_own_admin_role(tiny_county, make_staff) -> None:
    admin = make_staff(Role.COUNTY_ADMIN, tiny_county["county"])
    with pytest.raises(ValidationFailed, match="不能撤销自己"):
        services.role_revoke(actor=admin, assignment=admin.role_assignments.get())


def test_staff_create_is_all_or_nothing(tiny_county, officer) -> None:
    from apps.accounts.models import User

    user, assignment = services.staff_create(
        actor=officer,
        username="newcadre",
        full_name="新干部",
        password="Cadre-pass-01",
        role=Role.VILLAGE_CADRE,
        unit=tiny_county["v11"],
    )
    assert user.check_password("Cadre-pass-01") and assignment.unit == tiny_county["v11"]
    with pytest.raises(PermissionDenied):
        services.staff_create(
            actor=officer,
            username="farcadre",
            full_name="外乡干部",
            password="Cadre-pass-01",
            role=Role.VILLAGE_CADRE,
            unit=tiny_county["v21"],
        )
    assert not User.objects.filter(username="farcadre").exists()
