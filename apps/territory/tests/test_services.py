"""Territory services: permission, GeoJSON validation, conflicts, and the audit trail they leave.

Every refusal is checked to leave the database exactly as it was: the rows of the touched
model, the audit records and the events are counted before and after."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from apps.accounts.choices import Role
from apps.accounts.models import RoleAssignment
from apps.audit.models import AuditRecord, ChangeAction, Event
from apps.core.errors import ApplicationError, Conflict, PermissionDenied, ValidationFailed
from apps.territory import events, services
from apps.territory.choices import Level, UnitKind
from apps.territory.models import Grid, Unit

pytestmark = pytest.mark.django_db


def square(lng: float, lat: float, size: float = 0.01) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [
            [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]
        ],
    }


MALFORMED: dict[str, tuple[Any, str]] = {
    "not_a_dict": ([[103.3, 26.4], [103.31, 26.4], [103.31, 26.41]], "geojson_not_object"),
    "string": ("POLYGON((103.3 26.4, 103.31 26.4, 103.31 26.41, 103.3 26.4))", "geojson_not_object"),
    "wrong_type": ({"type": "Point", "coordinates": [103.3, 26.4]}, "geojson_wrong_type"),
    "line": ({"type": "LineString", "coordinates": [[103.3, 26.4], [103.31, 26.41]]}, "geojson_wrong_type"),
    # A bow-tie: the ring crosses itself at its middle.
    "bow_tie": (
        {
            "type": "Polygon",
            "coordinates": [
                [[103.30, 26.40], [103.31, 26.41], [103.31, 26.40], [103.30, 26.41], [103.30, 26.40]]
            ],
        },
        "geojson_invalid",
    ),
    # [lat, lng] instead of GeoJSON's [lng, lat]: 26.4 is no longitude in China.
    "lat_lng_swapped": (
        {
            "type": "Polygon",
            "coordinates": [
                [[26.40, 103.30], [26.40, 103.31], [26.41, 103.31], [26.41, 103.30], [26.40, 103.30]]
            ],
        },
        "geojson_out_of_range",
    ),
    "empty_coordinates": ({"type": "Polygon", "coordinates": []}, "geojson_no_coordinates"),
    "no_coordinates": ({"type": "Polygon"}, "geojson_no_coordinates"),
    "too_few_points": (
        {"type": "Polygon", "coordinates": [[[103.3, 26.4], [103.31, 26.4]]]},
        "geojson_malformed",
    ),
}


@contextmanager
def nothing_written(*models: Any) -> Iterator[None]:
    """Assert that the block leaves row counts of `models`, audit records and events unchanged."""
    tracked = (*models, AuditRecord, Event)

    def counts() -> list[int]:
        return [m.objects.count() for m in tracked]

    before = counts()
    yield
    assert counts() == before


def refused(
    call: Callable[[], Any], error: type[ApplicationError], code: str, *models: Any
) -> ApplicationError:
    with nothing_written(*models), pytest.raises(error) as info:
        call()
    assert info.value.code == code
    assert info.value.message  # a Chinese message for the user
    return info.value


# --- grid_create -------------------------------------------------------------------------------------


def test_grid_create_writes_grid_audit_record_and_event(tiny_county, make_staff) -> None:
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"])
    grid = services.grid_create(
        actor=officer,
        unit=tiny_county["v12"],
        code="NG-02-01",
        name="白雾村网格",
        level=2,
        parent=tiny_county["g1"],
        boundary=square(103.30, 26.40),
    )
    grid.refresh_from_db()
    assert (grid.level, grid.parent, grid.unit) == (2, tiny_county["g1"], tiny_county["v12"])
    assert (grid.min_lng, grid.min_lat) == (103.30, 26.40)
    assert grid.max_lng == pytest.approx(103.31) and grid.max_lat == pytest.approx(26.41)
    record = AuditRecord.objects.get(object_id=str(grid.pk), content_type__model="grid")
    assert record.action == ChangeAction.CREATE and record.actor == officer
    assert record.after["code"] == "NG-02-01" and record.scope_code == "530326102202"
    event = Event.objects.get(event_type=events.GRID_CREATED, object_id=str(grid.pk))
    assert event.actor == officer
    assert event.data == {"code": "NG-02-01", "unit": "530326102202", "level": 2}


def test_grid_create_outside_scope_is_denied(tiny_county, make_staff) -> None:
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"])
    gridder = make_staff(Role.GRIDDER, grid=tiny_county["g11"])
    refused(
        lambda: services.grid_create(actor=officer, unit=tiny_county["v21"], code="X-1", name="越界网格"),
        PermissionDenied,
        "forbidden",
        Grid,
    )
    refused(
        lambda: services.grid_create(actor=gridder, unit=tiny_county["v11"], code="X-2", name="网格员建网格"),
        PermissionDenied,
        "forbidden",
        Grid,
    )


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_grid_create_refuses_malformed_geojson(tiny_county, make_staff, case: str) -> None:
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"])
    boundary, code = MALFORMED[case]
    refused(
        lambda: services.grid_create(
            actor=officer, unit=tiny_county["v12"], code="NG-BAD", name="坏边界", boundary=boundary
        ),
        ValidationFailed,
        code,
        Grid,
    )
    assert not Grid.objects.filter(code="NG-BAD").exists()


def test_duplicate_grid_code_is_a_conflict_and_changes_nothing(tiny_county, make_staff) -> None:
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"])
    existing = Grid.objects.get(code="NG-01-01")
    before = (existing.name, existing.unit_id, existing.level, existing.boundary)
    err = refused(
        lambda: services.grid_create(
            actor=officer,
            unit=tiny_county["v12"],
            code="NG-01-01",
            name="重复编码",
            boundary=square(103.3, 26.4),
        ),
        Conflict,
        "duplicate_grid_code",
        Grid,
    )
    assert "NG-01-01" in err.message
    existing.refresh_from_db()
    assert (existing.name, existing.unit_id, existing.level, existing.boundary) == before


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"code": "has space", "name": "网格"}, "grid_code_format"),
        ({"code": "OK-1", "name": "  "}, "name_required"),
        ({"code": "OK-1", "name": "网格", "level": 9}, "grid_level_range"),
    ],
)
def test_grid_create_refuses_bad_fields(tiny_county, make_staff, kwargs: dict[str, Any], code: str) -> None:
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"])
    refused(
        lambda: services.grid_create(actor=officer, unit=tiny_county["v12"], **kwargs),
        ValidationFailed,
        code,
        Grid,
    )


def test_grid_parent_in_another_township_is_refused(tiny_county, make_staff) -> None:
    admin = make_staff(Role.COUNTY_ADMIN, tiny_county["county"])
    refused(
        lambda: services.grid_create(
            actor=admin, unit=tiny_county["v12"], code="NG-X", name="错挂", level=2, parent=tiny_county["g2"]
        ),
        ValidationFailed,
        "grid_parent_outside",
        Grid,
    )


# --- grid_set_boundary -------------------------------------------------------------------------------


def test_grid_set_boundary_records_before_and_after(tiny_county, make_staff) -> None:
    cadre_scope_officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"])
    grid = tiny_county["g11"]
    services.grid_set_boundary(actor=cadre_scope_officer, grid=grid, boundary=square(103.30, 26.40))
    grid.refresh_from_db()
    assert grid.boundary == square(103.30, 26.40) and grid.min_lng == 103.30
    record = AuditRecord.objects.get(content_type__model="grid", object_id=str(grid.pk))
    assert record.action == ChangeAction.UPDATE
    assert record.before == {"boundary": None}
    assert record.after == {"boundary": square(103.30, 26.40)}
    event = Event.objects.get(event_type=events.GRID_BOUNDARY_SET, object_id=str(grid.pk))
    assert event.data["bounds"][0] == 103.30


def test_grid_set_boundary_accepts_a_feature_and_stores_its_geometry(tiny_county, make_staff) -> None:
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"])
    feature = {"type": "Feature", "properties": {"name": "x"}, "geometry": square(103.3, 26.4)}
    grid = services.grid_set_boundary(actor=officer, grid=tiny_county["g11"], boundary=feature)
    assert grid.boundary == square(103.3, 26.4)


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_grid_set_boundary_refuses_malformed_geojson(tiny_county, make_staff, case: str) -> None:
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"])
    grid = tiny_county["g11"]
    services.grid_set_boundary(actor=officer, grid=grid, boundary=square(103.30, 26.40))
    boundary, code = MALFORMED[case]
    refused(
        lambda: services.grid_set_boundary(actor=officer, grid=grid, boundary=boundary),
        ValidationFailed,
        code,
        Grid,
    )
    grid.refresh_from_db()
    assert grid.boundary == square(103.30, 26.40) and grid.min_lng == 103.30


def test_grid_set_boundary_outside_scope_is_denied(tiny_county, make_staff) -> None:
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t2"])
    leader = make_staff(Role.LEADER, tiny_county["county"])
    for actor in (officer, leader):
        refused(
            lambda actor=actor: services.grid_set_boundary(
                actor=actor, grid=tiny_county["g11"], boundary=square(103.3, 26.4)
            ),
            PermissionDenied,
            "forbidden",
            Grid,
        )
    tiny_county["g11"].refresh_from_db()
    assert tiny_county["g11"].boundary is None


# --- grid_assign_gridder -----------------------------------------------------------------------------


def test_grid_assign_gridder_grants_role_with_audit_and_event(tiny_county, make_staff) -> None:
    cadre = make_staff(Role.VILLAGE_CADRE, tiny_county["v11"])
    person = make_staff(None)
    assignment = services.grid_assign_gridder(actor=cadre, grid=tiny_county["g11"], user=person)
    assert (assignment.role, assignment.grid, assignment.unit) == (
        Role.GRIDDER,
        tiny_county["g11"],
        tiny_county["v11"],
    )
    assert assignment.granted_by == cadre
    assert (
        AuditRecord.objects.filter(
            content_type__model="roleassignment",
            object_id=str(assignment.pk),
            action=ChangeAction.CREATE,
            actor=cadre,
        ).count()
        == 1
    )
    event = Event.objects.get(event_type=events.GRIDDER_ASSIGNED)
    assert event.data["user_id"] == person.pk and event.object_id == str(tiny_county["g11"].pk)

    refused(
        lambda: services.grid_assign_gridder(actor=cadre, grid=tiny_county["g11"], user=person),
        Conflict,
        "already_assigned",
        RoleAssignment,
    )


def test_grid_assign_gridder_denied_outside_scope_and_for_gridders(tiny_county, make_staff) -> None:
    other_cadre = make_staff(Role.VILLAGE_CADRE, tiny_county["v12"])
    gridder = make_staff(Role.GRIDDER, grid=tiny_county["g11"])
    person = make_staff(None)
    for actor in (other_cadre, gridder):
        refused(
            lambda actor=actor: services.grid_assign_gridder(
                actor=actor, grid=tiny_county["g11"], user=person
            ),
            PermissionDenied,
            "forbidden",
            RoleAssignment,
        )


def test_grid_assign_gridder_refuses_inactive_user(tiny_county, make_staff) -> None:
    cadre = make_staff(Role.VILLAGE_CADRE, tiny_county["v11"])
    person = make_staff(None, is_active=False)
    refused(
        lambda: services.grid_assign_gridder(actor=cadre, grid=tiny_county["g11"], user=person),
        ValidationFailed,
        "user_inactive",
        RoleAssignment,
    )


# --- unit_create_group -------------------------------------------------------------------------------


def test_unit_create_group_numbers_groups_and_audits(tiny_county, make_staff) -> None:
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"])
    village = tiny_county["v11"]
    first = services.unit_create_group(actor=officer, village=village, name="第一村民小组")
    second = services.unit_create_group(actor=officer, village=village, name="第二村民小组")
    assert (first.code, second.code) == ("530326102201001", "530326102201002")
    assert (first.level, first.kind, first.parent) == (Level.GROUP, UnitKind.GROUP, village)
    assert AuditRecord.objects.filter(
        content_type__model="unit", object_id=str(first.pk), action=ChangeAction.CREATE, actor=officer
    ).exists()
    assert Event.objects.filter(event_type=events.UNIT_CREATED, object_id=str(second.pk)).count() == 1
    assert Unit.objects.filter(village.subtree_q()).count() == 3

    refused(
        lambda: services.unit_create_group(actor=officer, village=village, name="第一村民小组"),
        Conflict,
        "duplicate_unit_name",
        Unit,
    )
    refused(
        lambda: services.unit_create_group(actor=officer, village=village, name="第三村民小组", number=2),
        Conflict,
        "duplicate_unit_code",
        Unit,
    )
    refused(
        lambda: services.unit_create_group(actor=officer, village=tiny_county["t1"], name="乡镇下的组"),
        ValidationFailed,
        "group_parent_not_village",
        Unit,
    )
    refused(
        lambda: services.unit_create_group(actor=officer, village=village, name=""),
        ValidationFailed,
        "name_required",
        Unit,
    )


def test_unit_create_group_permission_denied(tiny_county, make_staff) -> None:
    for actor in (
        make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t2"]),
        make_staff(Role.VILLAGE_CADRE, tiny_county["v11"]),  # cadres may not change the territory
        make_staff(Role.GRIDDER, grid=tiny_county["g11"]),
        make_staff(None),
    ):
        refused(
            lambda actor=actor: services.unit_create_group(
                actor=actor, village=tiny_county["v11"], name="第一村民小组"
            ),
            PermissionDenied,
            "forbidden",
            Unit,
        )


def test_gridder_must_be_staff_within_reach(tiny_county, make_staff) -> None:
    """UI and API share the rule because the service enforces it."""
    from apps.accounts.choices import UserKind
    from apps.accounts.models import User

    cadre = make_staff(Role.VILLAGE_CADRE, tiny_county["v11"])
    neighbour = make_staff(Role.SUPERVISOR, tiny_county["v12"])  # same township: may be recruited
    stranger = make_staff(Role.SUPERVISOR, tiny_county["v21"])  # another township: may not
    resident = User.objects.create_user("villager", None, kind=UserKind.RESIDENT, phone="13900000009")
    services.grid_assign_gridder(actor=cadre, grid=tiny_county["g11"], user=neighbour)
    before = RoleAssignment.objects.count()
    refused(
        lambda: services.grid_assign_gridder(actor=cadre, grid=tiny_county["g11"], user=stranger),
        ValidationFailed,
        "user_not_in_scope",
    )
    refused(
        lambda: services.grid_assign_gridder(actor=cadre, grid=tiny_county["g11"], user=resident),
        ValidationFailed,
        "role_for_resident",
    )
    assert RoleAssignment.objects.count() == before
