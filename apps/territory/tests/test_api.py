"""Territory API: each operation allowed inside the caller's scope and refused outside it (403),
for missing objects (404), duplicates (409), bad GeoJSON (400 with its code) and bad input (422);
writes leave their audit trail tagged with the API request."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from apps.accounts.choices import Role, UserKind
from apps.accounts.models import RoleAssignment
from apps.accounts.services import api_token_create
from apps.audit.models import AuditRecord, Event
from apps.territory.models import Grid, Unit

pytestmark = pytest.mark.django_db

JSON = "application/json"


def square(lng: float, lat: float, size: float = 0.01) -> dict[str, Any]:
    ring = [[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


class Api:
    """A machine client holding one user's bearer token."""

    def __init__(self, user: Any):
        _, plaintext = api_token_create(actor=user, name="测试")
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {plaintext}"}

    def get(self, path: str) -> Any:
        return self.client.get(f"/api/territory{path}", headers=self.headers)

    def post(self, path: str, data: Any) -> Any:
        return self.client.post(f"/api/territory{path}", data, content_type=JSON, headers=self.headers)

    def patch(self, path: str, data: Any) -> Any:
        return self.client.patch(f"/api/territory{path}", data, content_type=JSON, headers=self.headers)

    def put(self, path: str, data: Any) -> Any:
        return self.client.put(f"/api/territory{path}", data, content_type=JSON, headers=self.headers)

    def delete(self, path: str) -> Any:
        return self.client.delete(f"/api/territory{path}", headers=self.headers)


def refused(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response.json()["code"] == code, response.json()


@pytest.fixture
def officer(tiny_county, make_staff) -> Api:
    """A township officer of 娜姑镇 (t1): manages its grids, sees nothing of 迤车镇 (t2)."""
    return Api(make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"], username="naguofficer"))


@pytest.fixture
def leader(tiny_county, make_staff) -> Api:
    return Api(make_staff(Role.LEADER, tiny_county["county"]))


# --- Units ---------------------------------------------------------------------------------------


def test_unit_list_is_scoped(officer: Api, leader: Api) -> None:
    body = officer.get("/units").json()
    assert [u["code"] for u in body["items"]] == ["530326102", "530326102201", "530326102202"]
    assert body["count"] == 3
    assert leader.get("/units").json()["count"] == 7


def test_unit_list_filters(leader: Api) -> None:
    assert [u["code"] for u in leader.get("/units?level=4").json()["items"]] == ["530326102", "530326103"]
    children = leader.get("/units?parent=530326103").json()["items"]
    assert [u["name"] for u in children] == ["迤车村", "小营村"]
    assert [u["code"] for u in leader.get("/units?q=白雾").json()["items"]] == ["530326102202"]
    assert leader.get("/units?q=5303261032").json()["count"] == 2
    refused(leader.get("/units?level=9"), 422, "invalid_request")


def test_unit_detail(officer: Api) -> None:
    body = officer.get("/units/530326102201").json()
    assert body == {
        "code": "530326102201",
        "name": "娜姑村",
        "short_name": "娜姑村",
        "level": 5,
        "level_label": "村（社区）",
        "kind": "village",
        "kind_label": "村",
        "parent_code": "530326102",
        "statistical_code": "530326102201",
        "latitude": None,
        "longitude": None,
        "is_active": True,
    }
    refused(officer.get("/units/530326103201"), 403, "forbidden")
    refused(officer.get("/units/530326102999"), 404, "not_found")


def test_unit_children_and_counts(officer: Api, tiny_county, make_staff) -> None:
    make_staff(Role.GRIDDER, grid=tiny_county["g11"])
    children = officer.get("/units/530326102/children").json()
    assert [(c["code"], c["child_count"]) for c in children] == [("530326102201", 0), ("530326102202", 0)]
    counts = officer.get("/units/530326102/counts").json()
    assert counts["villages"] == 2 and counts["grids"] == 2 and counts["gridders"] == 1
    assert counts["officers"] == 1 and counts["staff"] == 2
    refused(officer.get("/units/530326103/children"), 403, "forbidden")
    refused(officer.get("/units/530326103/counts"), 403, "forbidden")
    refused(officer.get("/units/000/counts"), 404, "not_found")


def test_group_create(officer: Api) -> None:
    response = officer.post("/units/530326102201/groups", {"name": "第一村民小组"})
    assert response.status_code == 201
    assert response.json()["code"] == "530326102201001"
    assert response.json()["level"] == 6 and response.json()["parent_code"] == "530326102201"
    numbered = officer.post("/units/530326102201/groups", {"name": "第五村民小组", "number": 5})
    assert numbered.json()["code"] == "530326102201005"
    assert Unit.objects.get(code="530326102201005").name == "第五村民小组"
    record = AuditRecord.objects.get(
        content_type__model="unit", object_id=str(Unit.objects.get(code="530326102201005").pk)
    )
    assert record.source == "api" and record.request_id == numbered["X-Request-ID"]


def test_group_create_refusals(officer: Api, tiny_county, make_staff) -> None:
    officer.post("/units/530326102201/groups", {"name": "第一村民小组"})
    refused(officer.post("/units/530326102201/groups", {"name": "第一村民小组"}), 409, "duplicate_unit_name")
    refused(
        officer.post("/units/530326102201/groups", {"name": "另一组", "number": 1}),
        409,
        "duplicate_unit_code",
    )
    refused(officer.post("/units/530326102/groups", {"name": "镇下小组"}), 400, "group_parent_not_village")
    refused(
        officer.post("/units/530326102201/groups", {"name": "x", "number": 1000}), 400, "group_number_range"
    )
    refused(officer.post("/units/530326103201/groups", {"name": "越界"}), 403, "forbidden")
    refused(officer.post("/units/530326102299/groups", {"name": "无此村"}), 404, "not_found")
    refused(officer.post("/units/530326102201/groups", {"name": ""}), 422, "invalid_request")
    refused(officer.post("/units/530326102201/groups", {}), 422, "invalid_request")
    gridder = Api(make_staff(Role.GRIDDER, grid=tiny_county["g11"]))
    refused(gridder.post("/units/530326102201/groups", {"name": "网格员建的"}), 403, "forbidden")


# --- Grids ---------------------------------------------------------------------------------------


def test_grid_list_scoped_and_filtered(officer: Api, leader: Api, tiny_county, make_staff) -> None:
    make_staff(Role.GRIDDER, grid=tiny_county["g11"])
    body = officer.get("/grids").json()
    assert [(g["code"], g["gridder_count"]) for g in body["items"]] == [("NG-01", 0), ("NG-01-01", 1)]
    assert body["items"][1]["parent_code"] == "NG-01" and body["items"][1]["unit_code"] == "530326102201"
    assert leader.get("/grids").json()["count"] == 4
    assert [g["code"] for g in leader.get("/grids?unit=530326103").json()["items"]] == ["YC-01", "YC-01-01"]
    assert [g["code"] for g in leader.get("/grids?level=2").json()["items"]] == ["NG-01-01", "YC-01-01"]
    assert [g["code"] for g in leader.get("/grids?q=迤车村").json()["items"]] == ["YC-01-01"]
    refused(officer.get("/grids?unit=530326103"), 403, "forbidden")
    refused(officer.get("/grids?unit=999"), 404, "not_found")


def test_grid_detail(officer: Api, tiny_county, make_staff) -> None:
    make_staff(Role.GRIDDER, grid=tiny_county["g11"], username="wanggrid", full_name="王网格")
    officer.put("/grids/NG-01-01/boundary", {"boundary": square(103.30, 26.40)})
    body = officer.get("/grids/NG-01-01").json()
    assert body["boundary"] == square(103.30, 26.40)
    assert body["bbox"] == pytest.approx([103.30, 26.40, 103.31, 26.41])
    assert body["gridders"] == [{"username": "wanggrid", "full_name": "王网格"}]
    assert body["has_boundary"] is True
    refused(officer.get("/grids/YC-01"), 403, "forbidden")
    refused(officer.get("/grids/NOPE"), 404, "not_found")


def test_grid_create(officer: Api) -> None:
    payload = {
        "unit_code": "530326102202",
        "code": "NG-01-02",
        "name": "白雾村网格",
        "level": 2,
        "parent_code": "NG-01",
        "boundary": square(103.32, 26.40),
        "households_hint": 120,
    }
    response = officer.post("/grids", payload)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["code"], body["unit_code"], body["parent_code"], body["level"]) == (
        "NG-01-02",
        "530326102202",
        "NG-01",
        2,
    )
    assert body["boundary"]["type"] == "Polygon" and body["households_hint"] == 120
    grid = Grid.objects.get(code="NG-01-02")
    assert Event.objects.get(event_type="territory.grid_created", object_id=str(grid.pk)).source == "api"
    minimal = officer.post("/grids", {"unit_code": "530326102202", "code": "BW-9", "name": "无边界网格"})
    assert minimal.status_code == 201 and minimal.json()["boundary"] is None and minimal.json()["level"] == 1


def test_grid_create_refusals(officer: Api, tiny_county, make_staff) -> None:
    base = {"unit_code": "530326102201", "name": "新网格", "level": 2, "parent_code": "NG-01"}
    refused(officer.post("/grids", {**base, "code": "NG-01-01"}), 409, "duplicate_grid_code")
    refused(officer.post("/grids", {**base, "code": "坏 编码"}), 400, "grid_code_format")
    refused(officer.post("/grids", {**base, "code": "A1", "level": 1}), 400, "grid_parent_level")
    refused(officer.post("/grids", {**base, "code": "A1", "unit_code": "530326103201"}), 403, "forbidden")
    refused(officer.post("/grids", {**base, "code": "A1", "unit_code": "530326102999"}), 404, "not_found")
    refused(officer.post("/grids", {**base, "code": "A1", "parent_code": "NOPE"}), 404, "not_found")
    refused(officer.post("/grids", {**base, "code": "A1", "parent_code": "YC-01"}), 403, "forbidden")
    refused(officer.post("/grids", {"code": "A1"}), 422, "invalid_request")
    refused(officer.post("/grids", {**base, "code": "A1", "households_hint": -1}), 422, "invalid_request")
    cadre = Api(make_staff(Role.VILLAGE_CADRE, tiny_county["v11"]))
    refused(cadre.post("/grids", {**base, "code": "A1", "parent_code": None}), 403, "forbidden")
    assert not Grid.objects.filter(code="A1").exists()


@pytest.mark.parametrize(
    ("boundary", "code"),
    [
        ({"type": "Point", "coordinates": [103.3, 26.4]}, "geojson_wrong_type"),
        ({"type": "Polygon", "coordinates": []}, "geojson_no_coordinates"),
        ({"type": "Polygon", "coordinates": [[[103.3, 26.4], [103.4]]]}, "geojson_malformed"),
        (square(26.40, 103.30), "geojson_out_of_range"),  # latitude and longitude swapped
        (
            {
                "type": "Polygon",
                "coordinates": [[[103.3, 26.4], [103.4, 26.5], [103.4, 26.4], [103.3, 26.5], [103.3, 26.4]]],
            },
            "geojson_invalid",  # a bow tie: the ring crosses itself
        ),
    ],
)
def test_malformed_geojson_is_400_with_its_code(officer: Api, boundary: dict[str, Any], code: str) -> None:
    payload = {"unit_code": "530326102201", "code": "GEO-1", "name": "边界有误", "boundary": boundary}
    refused(officer.post("/grids", payload), 400, code)
    refused(officer.put("/grids/NG-01-01/boundary", {"boundary": boundary}), 400, code)
    assert not Grid.objects.filter(code="GEO-1").exists()
    assert Grid.objects.get(code="NG-01-01").boundary is None


def test_boundary_that_is_not_an_object_is_422(officer: Api) -> None:
    refused(officer.put("/grids/NG-01-01/boundary", {"boundary": "POLYGON((1 2))"}), 422, "invalid_request")
    refused(officer.put("/grids/NG-01-01/boundary", {}), 422, "invalid_request")


def test_grid_update(officer: Api) -> None:
    response = officer.patch("/grids/NG-01-01", {"name": "娜姑村一网格", "households_hint": 80})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["households_hint"], body["parent_code"], body["level"]) == (
        "娜姑村一网格",
        80,
        "NG-01",
        2,
    )
    # An explicit null removes the parent; leaving the field out keeps it.
    assert officer.patch("/grids/NG-01-01", {"parent_code": None}).json()["parent_code"] is None
    assert officer.patch("/grids/NG-01-01", {"parent_code": "NG-01"}).json()["parent_code"] == "NG-01"
    assert officer.patch("/grids/NG-01-01", {"is_active": False}).json()["is_active"] is False
    grid = Grid.objects.get(code="NG-01-01")
    assert (
        AuditRecord.objects.filter(
            content_type__model="grid", object_id=str(grid.pk), action="update"
        ).count()
        == 4
    )


def test_grid_update_refusals(officer: Api, tiny_county, make_staff) -> None:
    refused(officer.patch("/grids/NG-01-01", {"level": 1}), 400, "grid_parent_level")
    refused(officer.patch("/grids/NG-01-01", {"name": "  "}), 400, "name_required")
    refused(officer.patch("/grids/NG-01", {"parent_code": "NG-01"}), 400, "grid_parent_self")
    refused(officer.patch("/grids/YC-01", {"name": "越界"}), 403, "forbidden")
    refused(officer.patch("/grids/NG-01-01", {"parent_code": "YC-01"}), 403, "forbidden")
    refused(officer.patch("/grids/NOPE", {"name": "x"}), 404, "not_found")
    refused(officer.patch("/grids/NG-01-01", {"level": "two"}), 422, "invalid_request")
    cadre = Api(make_staff(Role.VILLAGE_CADRE, tiny_county["v11"]))
    refused(cadre.patch("/grids/NG-01-01", {"name": "村干部改的"}), 403, "forbidden")
    assert Grid.objects.get(code="NG-01-01").name == "娜姑村网格"


def test_boundary_set_locate_and_clear(officer: Api, leader: Api, django_capture_on_commit_callbacks) -> None:
    assert officer.put("/grids/NG-01", {"boundary": square(103.30, 26.40, 0.1)}).status_code == 405
    outer = officer.put("/grids/NG-01/boundary", {"boundary": square(103.30, 26.40, 0.1)})
    assert outer.status_code == 200 and outer.json()["has_boundary"] is True
    feature = {"type": "Feature", "properties": {}, "geometry": square(103.30, 26.40, 0.02)}
    inner = officer.put("/grids/NG-01-01/boundary", {"boundary": feature})
    assert inner.json()["boundary"] == square(103.30, 26.40, 0.02)  # the Feature's geometry is kept
    found = leader.get("/locate?lat=26.405&lng=103.305").json()
    assert [g["code"] for g in found] == ["NG-01-01", "NG-01"]  # finest first
    assert [g["code"] for g in leader.get("/locate?lat=26.45&lng=103.35").json()] == ["NG-01"]
    assert leader.get("/locate?lat=27.5&lng=104.5").json() == []
    # The point index is rebuilt after commit; the test's transaction never commits, so run the hooks.
    with django_capture_on_commit_callbacks(execute=True):
        cleared = officer.put("/grids/NG-01-01/boundary", {"boundary": None})
    assert cleared.json()["boundary"] is None and cleared.json()["bbox"] is None
    assert [g["code"] for g in leader.get("/locate?lat=26.405&lng=103.305").json()] == ["NG-01"]
    refused(officer.put("/grids/YC-01/boundary", {"boundary": square(103.5, 26.5)}), 403, "forbidden")
    refused(officer.put("/grids/NOPE/boundary", {"boundary": None}), 404, "not_found")


def test_locate_is_scoped_and_checks_the_point(officer: Api, leader: Api, tiny_county, make_staff) -> None:
    yc_officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t2"])
    Api(yc_officer).put("/grids/YC-01/boundary", {"boundary": square(103.60, 26.60)})
    assert [g["code"] for g in leader.get("/locate?lat=26.605&lng=103.605").json()] == ["YC-01"]
    assert officer.get("/locate?lat=26.605&lng=103.605").json() == []  # 迤车镇 is not the officer's
    refused(officer.get("/locate?lat=103.6&lng=26.6"), 422, "invalid_request")  # latitude above 90
    refused(officer.get("/locate?lat=48.85&lng=2.35"), 400, "point_out_of_range")  # Paris
    refused(officer.get("/locate?lat=26.6"), 422, "invalid_request")


def test_gridder_assign_and_remove(officer: Api, make_staff) -> None:
    person = make_staff(None, username="lisi", full_name="李四")
    response = officer.post("/grids/NG-01-01/gridders", {"username": "lisi"})
    assert response.status_code == 201, response.content
    assert response.json() == {"username": "lisi", "full_name": "李四"}
    assert RoleAssignment.objects.filter(
        user=person, role=Role.GRIDDER, grid__code="NG-01-01", is_active=True
    ).exists()
    assert officer.get("/grids/NG-01-01").json()["gridders"] == [{"username": "lisi", "full_name": "李四"}]
    refused(officer.post("/grids/NG-01-01/gridders", {"username": "lisi"}), 409, "already_assigned")
    removed = officer.delete("/grids/NG-01-01/gridders/lisi")
    assert removed.status_code == 204 and removed.content == b""
    assert officer.get("/grids/NG-01-01").json()["gridders"] == []
    refused(officer.delete("/grids/NG-01-01/gridders/lisi"), 404, "not_assigned")


def test_gridder_refusals(officer: Api, tiny_county, make_staff) -> None:
    make_staff(None, username="zhangsan")
    inactive = make_staff(None, username="gone")
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    refused(officer.post("/grids/NG-01-01/gridders", {"username": "nobody"}), 404, "user_not_found")
    refused(officer.post("/grids/NG-01-01/gridders", {"username": "gone"}), 400, "user_inactive")
    refused(officer.post("/grids/YC-01-01/gridders", {"username": "zhangsan"}), 403, "forbidden")
    refused(officer.post("/grids/NOPE/gridders", {"username": "zhangsan"}), 404, "not_found")
    refused(officer.post("/grids/NG-01-01/gridders", {}), 422, "invalid_request")
    refused(officer.delete("/grids/NG-01-01/gridders/nobody"), 404, "user_not_found")
    # Someone who may only look at the grid learns nothing about who exists.
    gridder = Api(make_staff(Role.GRIDDER, grid=tiny_county["g11"]))
    refused(gridder.post("/grids/NG-01-01/gridders", {"username": "nobody"}), 403, "forbidden")
    refused(gridder.post("/grids/NG-01-01/gridders", {"username": "zhangsan"}), 403, "forbidden")
    refused(gridder.delete("/grids/NG-01-01/gridders/nobody"), 403, "forbidden")


def test_village_cadre_assigns_gridders_in_own_village_only(tiny_county, make_staff) -> None:
    cadre = Api(make_staff(Role.VILLAGE_CADRE, tiny_county["v11"]))
    make_staff(None, username="wangwu", kind=UserKind.STAFF)
    assert cadre.post("/grids/NG-01-01/gridders", {"username": "wangwu"}).status_code == 201
    refused(
        cadre.post("/grids/NG-01/gridders", {"username": "wangwu"}), 403, "forbidden"
    )  # the township's grid


# --- Organisations ---------------------------------------------------------------------------------


def test_organisations(leader: Api, officer: Api, tiny_county) -> None:
    from apps.territory.models import Organisation

    Organisation.objects.create(
        code="NG-SFS", name="娜姑镇司法所", kind="station", service_area=tiny_county["t1"]
    )
    body = leader.get("/organisations").json()
    assert [o["code"] for o in body["items"]] == ["HZ-ZRZY", "NG-SFS"]
    assert body["items"][0] == {
        "code": "HZ-ZRZY",
        "name": "县自然资源局",
        "kind": "department",
        "kind_label": "职能部门",
        "service_area_code": "530326",
        "service_area_name": "会泽县",
        "phone": "",
        "is_active": True,
    }
    assert [o["code"] for o in leader.get("/organisations?unit=530326102").json()["items"]] == ["NG-SFS"]
    assert [o["code"] for o in officer.get("/organisations").json()["items"]] == ["NG-SFS"]
    refused(officer.get("/organisations?unit=530326103"), 403, "forbidden")
    refused(officer.get("/organisations?unit=9"), 404, "not_found")


def test_every_operation_needs_authentication(client: Client) -> None:
    for method, path in [
        ("get", "/units"),
        ("get", "/units/530326"),
        ("get", "/units/530326/children"),
        ("get", "/units/530326/counts"),
        ("post", "/units/530326102201/groups"),
        ("get", "/grids"),
        ("post", "/grids"),
        ("get", "/grids/NG-01"),
        ("patch", "/grids/NG-01"),
        ("put", "/grids/NG-01/boundary"),
        ("post", "/grids/NG-01/gridders"),
        ("delete", "/grids/NG-01/gridders/x"),
        ("get", "/locate?lat=26&lng=103"),
        ("get", "/organisations"),
    ]:
        response = getattr(client, method)(f"/api/territory{path}", content_type=JSON)
        refused(response, 401, "unauthenticated")


def test_list_queries_do_not_grow_with_rows(leader: Api, tiny_county) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.territory.models import Organisation

    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert leader.get(path).status_code == 200
        return len(ctx.captured_queries)

    paths = ["/units", "/grids", "/organisations", "/units/530326102/children"]
    leader.get("/units")  # the token's first use records last_used_at: one write, once
    before = [queries(p) for p in paths]
    for n in range(10):
        village = Unit.objects.create(
            code=f"5303261021{n:02d}", name=f"新村{n}", level=5, kind="village", parent=tiny_county["t1"]
        )
        Grid.objects.create(
            code=f"NEW-{n}", name=f"新网格{n}", level=2, unit=village, parent=tiny_county["g1"]
        )
        Organisation.objects.create(code=f"ORG-{n}", name=f"机构{n}", service_area=village)
    assert [queries(p) for p in paths] == before
