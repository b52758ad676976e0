"""The dashboard pages: what the page and data.json show, drill-down links, refusals, and the
permission-matrix rows of apps/cases/tests/matrix_dashboard_rows.py walked by every role."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from apps.accounts.choices import Role, UserKind
from apps.cases import services, stats
from apps.cases.choices import Channel
from apps.cases.models import Category
from apps.core.tests.matrix_support import (
    ADMIN,
    AUDITOR,
    CADRE,
    GRIDDER,
    HANDLER,
    KEEPER,
    LEADER,
    NOROLE,
    OFFICER,
    OPERATOR,
    RESIDENT,
    SHOPKEEPER,
    SUPERVISOR,
)

from .matrix_dashboard_rows import PAGES
from .test_stats import world  # noqa: F401 — the shared set of cases, used as a fixture

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_cached_boards() -> Any:
    """The pages serve a cached computation (stats.dashboard); each test starts without one."""
    cache.clear()
    yield
    cache.clear()


def test_page_shows_kpis_charts_data_and_drill_down(world: dict[str, Any], client: Any) -> None:  # noqa: F811
    client.force_login(world["officer"])
    response = client.get("/cases/dashboard/")
    assert response.status_code == 200
    html = response.content.decode()
    board = response.context["board"]
    assert board.unit == world["t1"] and board.kpis["received"] == 7
    assert 'data-testid="dashboard-unit">娜姑镇<' in html
    # KPI cards: 7 received, 4 closed (66.7% of the 6 not rejected), 2 overdue now, 100% satisfied.
    cards = {c["key"]: c for c in response.context["cards"]}
    assert cards["received"]["value"] == 7 and cards["closed"]["rate"] == 66.7
    assert cards["overdue_now"]["value"] == 2 and cards["satisfaction"]["rate"] == 100.0
    assert cards["township_level"]["rate"] == 75.0
    # Drill-down links to the villages keep the period.
    since = board.since.isoformat()
    assert f'href="?unit=530326102201&amp;since={since}&amp;until={board.until.isoformat()}"' in html
    # Charts: data in a json_script block, drawn by the static script; no inline script.
    charts = json.loads(html.split('id="dashboard-charts" type="application/json">')[1].split("</script>")[0])
    assert sum(m["received"] for m in charts["months"]) == 7
    assert {c["code"] for c in charts["channels"]} == {"photo", "hotline", "mailbox", "patrol"}
    assert "vendor/echarts/echarts.min.js" in html and "js/cases_dashboard.js" in html
    assert "<script>" not in html and 'style="' not in html
    assert "县自然资源局" in html  # the whistle table


def test_drill_down_to_a_village_and_back_up(world: dict[str, Any], client: Any) -> None:  # noqa: F811
    client.force_login(world["officer"])
    response = client.get("/cases/dashboard/", {"unit": "530326102201"})
    assert response.status_code == 200
    assert response.context["board"].kpis["received"] == 5
    trail = [u.code for u in response.context["trail"]]
    assert trail == ["530326102"]  # the county is not the officer's to open
    assert 'data-key="NG-01-01"' in response.content.decode()


def test_data_json_has_the_same_numbers(world: dict[str, Any], client: Any) -> None:  # noqa: F811
    client.force_login(world["leader"])
    today = timezone.localdate().isoformat()
    response = client.get("/cases/dashboard/data.json", {"unit": "530326102", "since": today, "until": today})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    data = response.json()
    assert data["unit"] == {"code": "530326102", "name": "娜姑镇", "level": 4}
    assert data["kpis"]["received"] == 6  # h was submitted three months ago
    assert sum(row["received"] for row in data["children"]) == 6
    assert "娜姑镇" in response.content.decode()  # UTF-8, not \\u escapes


def test_refusals_are_specific(world: dict[str, Any], client: Any) -> None:  # noqa: F811
    client.force_login(world["cadre"])
    response = client.get("/cases/dashboard/", {"unit": "530326102"})
    assert response.status_code == 403 and "娜姑镇" in response.content.decode()
    response = client.get("/cases/dashboard/data.json", {"unit": "530326102"})
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    response = client.get("/cases/dashboard/data.json", {"since": "2026-02-30"})
    assert response.status_code == 400 and response.json()["code"] == "invalid_date"
    response = client.get("/cases/dashboard/", {"since": "2026-05-01", "until": "2026-04-01"})
    assert response.status_code == 400 and "开始日期不能晚于结束日期" in response.content.decode()
    response = client.get("/cases/dashboard/", {"unit": "530326102201001"})
    assert response.status_code in (400, 404)


def test_pages_share_one_computation_per_scope_for_a_few_minutes(world: dict[str, Any], client: Any) -> None:  # noqa: F811
    p = world
    assert stats._scope_key(p["admin"], p["county"]) == stats._scope_key(p["leader"], p["county"]) == "all"
    assert stats._scope_key(p["officer"], p["t1"]) == "all"
    # Two handlers of one department see the same cases; nobody else's numbers are theirs.
    assert (
        stats._scope_key(p["handler"], p["county"]) == stats._scope_key(p["handler2"], p["county"]) != "all"
    )
    client.force_login(p["officer"])
    first = client.get("/cases/dashboard/").context["board"]
    services.case_submit(
        actor=p["resident"],
        channel=Channel.PHOTO,
        category=Category.objects.get(code="env-pile"),
        title="柴草乱堆",
        description="公路边柴草乱堆，影响通行。",
        unit=p["v11"],
    )
    # Within the cache time the page shows the same computation, and says when it was made.
    response = client.get("/cases/dashboard/")
    assert response.context["board"].kpis["received"] == first.kpis["received"] == 7
    assert "统计于" in response.content.decode()
    # The department handler's numbers are their own, never the township's cached ones.
    client.force_login(p["handler"])
    assert client.get("/cases/dashboard/").context["board"].kpis["received"] == 2
    cache.clear()
    client.force_login(p["officer"])
    assert client.get("/cases/dashboard/").context["board"].kpis["received"] == 8


@pytest.fixture
def matrix_world(tiny_county: dict[str, Any], make_staff: Any) -> dict[str, Any]:
    """The roles of the central matrix (apps/core/tests/test_permission_matrix.py), same places."""
    from apps.accounts.models import User

    t = tiny_county
    users = {
        ADMIN: make_staff(Role.COUNTY_ADMIN, t["county"]),
        LEADER: make_staff(Role.LEADER, t["county"]),
        OFFICER: make_staff(Role.TOWNSHIP_OFFICER, t["t1"]),
        HANDLER: make_staff(Role.DEPARTMENT_HANDLER, organisation=t["dept"]),
        CADRE: make_staff(Role.VILLAGE_CADRE, t["v11"]),
        GRIDDER: make_staff(Role.GRIDDER, grid=t["g11"]),
        SUPERVISOR: make_staff(Role.SUPERVISOR, t["v11"]),
        AUDITOR: make_staff(Role.AUDITOR, t["t1"]),
        OPERATOR: make_staff(Role.OPERATOR, t["county"]),
        KEEPER: make_staff(Role.POINTS_KEEPER, t["v11"]),
        SHOPKEEPER: make_staff(Role.SHOPKEEPER, t["v11"]),
        NOROLE: make_staff(None),
        RESIDENT: User.objects.create_user("resident_m", None, kind=UserKind.RESIDENT, phone="13800000002"),
    }
    return {"users": users, "ids": {}}


@pytest.mark.parametrize("c", PAGES, ids=[c.url for c in PAGES])
def test_matrix_rows(c: Any, matrix_world: dict[str, Any], client: Any, verified_client: Any) -> None:
    from apps.core.tests.test_permission_matrix import walk

    wrong = walk(c, matrix_world, client, verified_client)
    assert not wrong, f"{c.url}: " + "; ".join(wrong)
