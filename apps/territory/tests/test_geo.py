"""Point → grid lookup: nested grids, points outside every grid, index refresh after writes."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from apps.accounts.choices import Role
from apps.territory import geo, selectors, services
from apps.territory.models import Grid

pytestmark = pytest.mark.django_db


def rect(lng0: float, lat0: float, lng1: float, lat1: float) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [[[lng0, lat0], [lng1, lat0], [lng1, lat1], [lng0, lat1], [lng0, lat0]]],
    }


@pytest.fixture(autouse=True)
def fresh_index() -> None:
    # The index lives in the process and is keyed by a version in the cache; each test's grids
    # are rolled back, so start every test from a new version.
    cache.delete(geo.VERSION_KEY)
    geo._index = None


@pytest.fixture
def nested(tiny_county, make_staff, django_capture_on_commit_callbacks) -> dict[str, Any]:
    """娜姑镇 level-1 grid 103.0–103.2 E, with two level-2 village grids splitting its west half."""
    admin = make_staff(Role.COUNTY_ADMIN, tiny_county["county"])
    with django_capture_on_commit_callbacks(execute=True):
        services.grid_set_boundary(
            actor=admin, grid=tiny_county["g1"], boundary=rect(103.0, 26.0, 103.2, 26.2)
        )
        services.grid_set_boundary(
            actor=admin, grid=tiny_county["g11"], boundary=rect(103.0, 26.0, 103.1, 26.1)
        )
        west2 = services.grid_create(
            actor=admin,
            unit=tiny_county["v12"],
            code="NG-01-02",
            name="白雾村网格",
            level=2,
            parent=tiny_county["g1"],
            boundary=rect(103.0, 26.1, 103.1, 26.2),
        )
    return {**tiny_county, "admin": admin, "g12": west2}


def test_point_in_nested_grids_returns_both_levels(nested) -> None:
    ids = geo.candidate_grid_ids(103.05, 26.05)
    assert set(ids) == {nested["g1"].pk, nested["g11"].pk}
    found = selectors.grid_locate(nested["admin"], longitude=103.05, latitude=26.05)
    assert [(g.code, g.level) for g in found] == [("NG-01-01", 2), ("NG-01", 1)]  # finest level first

    # East half: only the level-1 grid covers it.
    assert geo.candidate_grid_ids(103.15, 26.05) == [nested["g1"].pk]
    assert set(geo.candidate_grid_ids(103.05, 26.15)) == {nested["g1"].pk, nested["g12"].pk}


def test_point_outside_every_grid_returns_none(nested) -> None:
    assert geo.candidate_grid_ids(103.5, 26.05) == []
    assert geo.candidate_grid_ids(100.0, 30.0) == []
    assert selectors.grid_locate(nested["admin"], longitude=103.5, latitude=26.05) == []


def test_grids_without_boundary_or_inactive_are_not_found(nested, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.grid_update(actor=nested["admin"], grid=nested["g11"], is_active=False)
    assert geo.candidate_grid_ids(103.05, 26.05) == [nested["g1"].pk]
    assert Grid.objects.filter(boundary__isnull=True).exists()  # g2/g21 have none and never match


def test_lookup_is_scoped_to_what_the_user_may_see(nested, make_staff) -> None:
    officer_elsewhere = make_staff(Role.TOWNSHIP_OFFICER, nested["t2"])
    assert len(geo.candidate_grid_ids(103.05, 26.05)) == 2
    assert selectors.grid_locate(officer_elsewhere, longitude=103.05, latitude=26.05) == []


def test_index_refreshes_after_a_boundary_change(nested, django_capture_on_commit_callbacks) -> None:
    assert nested["g11"].pk in geo.candidate_grid_ids(103.05, 26.05)
    # Move 娜姑村's grid to the east half: the old point leaves it, a new point enters it.
    with django_capture_on_commit_callbacks(execute=True):
        services.grid_set_boundary(
            actor=nested["admin"], grid=nested["g11"], boundary=rect(103.1, 26.0, 103.2, 26.1)
        )
    assert geo.candidate_grid_ids(103.05, 26.05) == [nested["g1"].pk]
    assert set(geo.candidate_grid_ids(103.15, 26.05)) == {nested["g1"].pk, nested["g11"].pk}

    # A new grid with a boundary is found without any explicit rebuild.
    with django_capture_on_commit_callbacks(execute=True):
        far = services.grid_create(
            actor=nested["admin"],
            unit=nested["v21"],
            code="YC-01-02",
            name="迤车村二网格",
            level=2,
            parent=nested["g2"],
            boundary=rect(103.5, 26.5, 103.6, 26.6),
        )
    assert geo.candidate_grid_ids(103.55, 26.55) == [far.pk]

    # Clearing a boundary removes the grid from the index.
    with django_capture_on_commit_callbacks(execute=True):
        services.grid_set_boundary(actor=nested["admin"], grid=far, boundary=None)
    assert geo.candidate_grid_ids(103.55, 26.55) == []


def test_point_on_shared_edge_belongs_to_both_neighbours(nested) -> None:
    # Two village grids meet at 26.1 N; a report exactly on the line must not vanish.
    hits = set(geo.candidate_grid_ids(103.05, 26.1))
    assert {nested["g11"].pk, nested["g12"].pk} <= hits


def test_unreadable_stored_boundary_is_skipped_not_fatal(nested, caplog) -> None:
    # Written around the service (a hand edit in the database): the lookup must keep working.
    Grid.objects.filter(pk=nested["g12"].pk).update(
        boundary={"type": "Polygon", "coordinates": [[[103.0, 26.1]]]}
    )
    geo.bump_version()
    assert set(geo.candidate_grid_ids(103.05, 26.05)) == {nested["g1"].pk, nested["g11"].pk}
    assert geo.candidate_grid_ids(103.05, 26.15) == [nested["g1"].pk]
    assert "unreadable boundary" in caplog.text
