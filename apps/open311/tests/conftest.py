"""Fixtures of the Open311 tests: the tiny county with a grid boundary around 娜姑村, a county
admin, and an API client with its key."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from apps.accounts.choices import Role
from apps.open311 import places, selectors, services, tasks
from apps.territory import services as territory

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[103.30, 26.40], [103.32, 26.40], [103.32, 26.42], [103.30, 26.42], [103.30, 26.40]]],
}
INSIDE = {"lat": "26.41", "long": "103.31"}


@pytest.fixture(autouse=True)
def _fresh_open311_state() -> Any:
    """The name index, the kept rows and the pending drain live in the process and the rate
    counters in the cache: start without."""
    places.forget()
    selectors.forget()
    services.forget_clients()
    tasks.forget()
    cache.clear()
    yield
    places.forget()
    selectors.forget()
    services.forget_clients()
    tasks.forget()


@pytest.fixture
def world(tiny_county: dict[str, Any], make_staff: Any) -> dict[str, Any]:
    t = tiny_county
    admin = make_staff(Role.COUNTY_ADMIN, t["county"], username="o_admin")
    territory.grid_set_boundary(actor=admin, grid=t["g11"], boundary=SQUARE)
    for unit, (lat, lng) in ((t["v11"], (26.41, 103.31)), (t["v21"], (26.30, 103.20))):
        unit.latitude, unit.longitude = lat, lng
        unit.save(update_fields=["latitude", "longitude"])
    api_client, key = services.open311_client_create(
        actor=admin, name="市民服务应用", jurisdiction=t["county"]
    )
    return {**t, "admin": admin, "api": api_client, "key": key}
