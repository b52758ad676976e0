"""Territory pages: tree, unit page, grid list and page, grid forms, point lookup — per role and
scope, as full pages and as htmx fragments."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.accounts.choices import Role
from apps.accounts.models import RoleAssignment
from apps.audit.models import AuditRecord, Event
from apps.territory import services
from apps.territory.models import Grid, Unit

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[103.2, 26.2], [103.4, 26.2], [103.4, 26.4], [103.2, 26.4], [103.2, 26.2]]],
}
BOWTIE = {  # self-intersecting: valid JSON, valid GeoJSON shape, invalid polygon
    "type": "Polygon",
    "coordinates": [[[103.2, 26.2], [103.4, 26.4], [103.4, 26.2], [103.2, 26.4], [103.2, 26.2]]],
}


def hx(target: str = "") -> dict[str, str]:
    return {**HX, "HTTP_HX_TARGET": target} if target else dict(HX)


@pytest.fixture
def officer(tiny_county: dict[str, Any], make_staff: Any) -> Any:
    return make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"], username="officer_ng", full_name="娜姑干部")


@pytest.fixture
def officer_client(client: Any, officer: Any) -> Any:
    client.force_login(officer)
    return client


def text(response: Any) -> str:
    return response.content.decode()


def json_block(body: str, element_id: str) -> Any:
    """The data Django's json_script wrote into the page under `element_id`."""
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', body, re.S)
    assert match, f"no json_script block {element_id}"
    return json.loads(match.group(1))


# --- tree -----------------------------------------------------------------------------------------


def test_browser_starts_at_the_users_root(officer_client: Any) -> None:
    response = officer_client.get(reverse("territory:browser"))
    assert response.status_code == 200
    body = text(response)
    assert "区划浏览" in body and "娜姑镇" in body
    assert "迤车镇" not in body
    # The only root opens at once; its children are in the page.
    assert "娜姑村" in body and "白雾村" in body


def test_browser_with_several_roots_loads_children_lazily(
    client: Any, tiny_county: dict[str, Any], make_staff: Any
) -> None:
    user = make_staff(Role.LEADER, tiny_county["t1"])
    RoleAssignment.objects.create(user=user, role=Role.LEADER, unit=tiny_county["t2"])
    client.force_login(user)
    body = text(client.get(reverse("territory:browser")))
    assert "娜姑镇" in body and "迤车镇" in body
    assert reverse("territory:unit_children", args=["530326102"]) in body
    assert reverse("territory:unit_children", args=["530326103"]) in body
    assert "娜姑村" not in body


def test_children_fragment_lists_children(officer_client: Any) -> None:
    response = officer_client.get(reverse("territory:unit_children", args=["530326102"]), **HX)
    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body
    assert "娜姑村" in body and "白雾村" in body


def test_children_fragment_out_of_scope_is_403_fragment(officer_client: Any) -> None:
    response = officer_client.get(reverse("territory:unit_children", args=["530326103"]), **HX)
    assert response.status_code == 403
    body = text(response)
    assert "<html" not in body
    assert 'data-testid="error-fragment"' in body and "不在您的管辖范围内" in body


def test_search_fragment_is_scoped(officer_client: Any) -> None:
    response = officer_client.get(
        reverse("territory:unit_search"), {"q": "白雾"}, **hx("unit-search-results")
    )
    assert response.status_code == 200
    assert "<html" not in text(response) and "白雾村" in text(response)
    response = officer_client.get(reverse("territory:unit_search"), {"q": "迤车"}, **HX)
    assert "迤车" in text(response)  # echoed query
    assert "没有找到匹配的单位" in text(response)
    response = officer_client.get(reverse("territory:unit_search"), {"q": "530326102"}, **HX)
    assert "娜姑村" in text(response)


def test_search_without_htmx_shows_results_on_the_browser(officer_client: Any) -> None:
    response = officer_client.get(reverse("territory:unit_search"), {"q": "娜姑"}, follow=True)
    assert response.status_code == 200
    assert "“娜姑”的搜索结果" in text(response)


# --- unit page ------------------------------------------------------------------------------------


def test_unit_page_for_township_officer(officer_client: Any, tiny_county: dict[str, Any]) -> None:
    response = officer_client.get(reverse("territory:unit_detail", args=["530326102"]))
    assert response.status_code == 200
    body = text(response)
    assert "娜姑镇" in body
    assert "530326102000" in body  # 12-digit statistical code
    assert "乡镇（街道）" in body  # level label
    assert "娜姑村" in body and "白雾村" in body  # children table
    assert "NG-01-01" in body  # grids of this unit and below
    assert "县自然资源局" not in body  # county department lies outside a township officer's view
    assert reverse("audit:history", args=["territory", "unit", "530326102"]) in body
    # Breadcrumb: the county is shown but not linked for a township officer.
    assert "会泽县" in body
    assert reverse("territory:unit_detail", args=["530326"]) not in body
    assert 'data-testid="grid-map"' not in body  # no polygons yet


def test_unit_page_out_of_scope_is_chinese_403(officer_client: Any) -> None:
    response = officer_client.get(reverse("territory:unit_detail", args=["530326103"]))
    assert response.status_code == 403
    body = text(response)
    assert 'data-testid="error-page"' in body
    assert "您无权查看该区域：它不在您的管辖范围内。" in body


def test_unit_page_unknown_code_is_404(officer_client: Any) -> None:
    response = officer_client.get(reverse("territory:unit_detail", args=["530326999"]))
    assert response.status_code == 404
    assert "不存在" in text(response)


def test_unit_page_for_gridder_has_no_history_link(
    client: Any, tiny_county: dict[str, Any], make_staff: Any
) -> None:
    gridder = make_staff(Role.GRIDDER, grid=tiny_county["g11"])
    client.force_login(gridder)
    response = client.get(reverse("territory:unit_detail", args=["530326102201"]))
    assert response.status_code == 200
    assert "变更记录" not in text(response)
    assert 'data-testid="group-form"' not in text(response)


def test_unit_page_shows_serving_organisations_and_map(
    verified_client: Any,
    tiny_county: dict[str, Any],
    make_staff: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    admin = make_staff(Role.COUNTY_ADMIN, tiny_county["county"])
    services.grid_set_boundary(actor=admin, grid=tiny_county["g11"], boundary=SQUARE)
    response = verified_client(admin).get(reverse("territory:unit_detail", args=["530326102201"]))
    assert response.status_code == 200
    body = text(response)
    assert "县自然资源局" in body
    assert 'data-testid="grid-map"' in body and 'id="unit-map-data"' in body
    assert "js/grid-map.js" in body


def test_unit_grids_page_fragment(officer_client: Any, officer: Any, tiny_county: dict[str, Any]) -> None:
    for n in range(35):
        services.grid_create(actor=officer, unit=tiny_county["v12"], code=f"BW-{n:02d}", name=f"白雾网格{n}")
    url = reverse("territory:unit_detail", args=["530326102"])
    response = officer_client.get(url, {"page": 2}, **hx("unit-grids"))
    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body and 'id="unit-grids"' in body
    assert "2 / 2" in body


def test_add_group_via_htmx_creates_and_audits(officer_client: Any, tiny_county: dict[str, Any]) -> None:
    url = reverse("territory:unit_add_group", args=["530326102201"])
    response = officer_client.post(url, {"name": "第一村民小组"}, **HX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("territory:unit_detail", args=["530326102201"])
    group = Unit.objects.get(code="530326102201001")
    assert group.name == "第一村民小组"
    assert AuditRecord.objects.filter(
        content_type=ContentType.objects.get_for_model(Unit), object_id=str(group.pk), action="create"
    ).exists()
    page = officer_client.get(reverse("territory:unit_detail", args=["530326102201"]))
    assert "已添加村民小组“第一村民小组”" in text(page)


def test_add_group_duplicate_name_shows_error_inline(officer_client: Any) -> None:
    url = reverse("territory:unit_add_group", args=["530326102201"])
    officer_client.post(url, {"name": "第一村民小组"}, **HX)
    response = officer_client.post(url, {"name": "第一村民小组"}, **HX)
    assert response.status_code == 409
    body = text(response)
    assert "<html" not in body and 'id="group-form-box"' in body
    assert "该村已有名为“第一村民小组”的村民小组。" in body
    assert Unit.objects.filter(parent__code="530326102201").count() == 1


def test_add_group_without_permission_is_refused_inline(
    client: Any, tiny_county: dict[str, Any], make_staff: Any
) -> None:
    cadre = make_staff(Role.VILLAGE_CADRE, tiny_county["v11"])
    client.force_login(cadre)
    response = client.post(reverse("territory:unit_add_group", args=["530326102201"]), {"name": "某组"})
    assert response.status_code == 403
    assert "您无权修改该区域的区划信息。" in text(response)
    assert not Unit.objects.filter(parent__code="530326102201").exists()


# --- grid list ------------------------------------------------------------------------------------


def test_grid_list_scoped_and_filtered(officer_client: Any) -> None:
    url = reverse("territory:grid_list")
    body = text(officer_client.get(url))
    assert "NG-01" in body and "NG-01-01" in body and "YC-01" not in body
    body = text(officer_client.get(url, {"level": "2"}))
    assert "NG-01-01" in body and ">NG-01<" not in body
    body = text(officer_client.get(url, {"q": "娜姑村"}))
    assert "NG-01-01" in body and ">NG-01<" not in body
    body = text(officer_client.get(url, {"unit": "530326102201"}))
    assert "NG-01-01" in body and ">NG-01<" not in body


def test_grid_list_htmx_returns_table_fragment(officer_client: Any) -> None:
    response = officer_client.get(reverse("territory:grid_list"), {"level": "1"}, **hx("grid-results"))
    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body and 'id="grid-results"' in body and "NG-01" in body


def test_grid_list_out_of_scope_unit_filter_says_why(officer_client: Any) -> None:
    response = officer_client.get(reverse("territory:grid_list"), {"unit": "530326103"}, **hx("grid-results"))
    assert response.status_code == 200
    body = text(response)
    assert "不在您的管辖范围内" in body and "YC-01" not in body


# --- grid page ------------------------------------------------------------------------------------


def test_grid_page_for_gridder(client: Any, tiny_county: dict[str, Any], make_staff: Any) -> None:
    gridder = make_staff(Role.GRIDDER, grid=tiny_county["g11"], full_name="张网格")
    client.force_login(gridder)
    response = client.get(reverse("territory:grid_detail", args=["NG-01-01"]))
    assert response.status_code == 200
    body = text(response)
    assert "娜姑村网格" in body and "张网格" in body
    assert 'data-testid="boundary-form"' not in body and 'data-testid="gridder-form"' not in body
    assert "尚未设定边界" in body


def test_grid_page_out_of_scope_is_chinese_403(officer_client: Any) -> None:
    response = officer_client.get(reverse("territory:grid_detail", args=["YC-01"]))
    assert response.status_code == 403
    assert 'data-testid="error-page"' in text(response)
    assert "您无权查看该区域：它不在您的管辖范围内。" in text(response)


def test_grid_page_map_shows_grid_and_children(
    officer_client: Any, officer: Any, tiny_county: dict[str, Any]
) -> None:
    services.grid_set_boundary(actor=officer, grid=tiny_county["g1"], boundary=SQUARE)
    small = {
        "type": "Polygon",
        "coordinates": [[[103.25, 26.25], [103.3, 26.25], [103.3, 26.3], [103.25, 26.25]]],
    }
    services.grid_set_boundary(actor=officer, grid=tiny_county["g11"], boundary=small)
    response = officer_client.get(reverse("territory:grid_detail", args=["NG-01"]))
    body = text(response)
    assert 'data-testid="grid-map"' in body
    data = json_block(body, "grid-map-data")
    roles = {f["properties"]["code"]: f["properties"]["role"] for f in data["features"]}
    assert roles == {"NG-01": "self", "NG-01-01": "child"}
    assert json_block(body, "grid-map-config") == {"tile_url": ""}
    child = text(officer_client.get(reverse("territory:grid_detail", args=["NG-01-01"])))
    roles = {
        f["properties"]["code"]: f["properties"]["role"]
        for f in json_block(child, "grid-map-data")["features"]
    }
    assert roles == {"NG-01": "parent", "NG-01-01": "self"}


def test_map_tile_url_is_passed_through(
    officer_client: Any, officer: Any, tiny_county: dict[str, Any], settings: Any
) -> None:
    settings.MAP_TILE_URL = "https://tiles.example.gov.cn/{z}/{x}/{y}.png"
    services.grid_set_boundary(actor=officer, grid=tiny_county["g1"], boundary=SQUARE)
    body = text(officer_client.get(reverse("territory:grid_detail", args=["NG-01"])))
    assert json_block(body, "grid-map-config") == {"tile_url": "https://tiles.example.gov.cn/{z}/{x}/{y}.png"}


def test_grid_create_page_and_post_writes_audit(officer_client: Any, tiny_county: dict[str, Any]) -> None:
    page = officer_client.get(reverse("territory:grid_create"), {"unit": "530326102202"})
    assert page.status_code == 200
    assert "添加网格" in text(page) and "白雾村" in text(page)
    response = officer_client.post(
        reverse("territory:grid_create"),
        {"unit": "530326102202", "parent": "NG-01", "code": "NG-01-02", "name": "白雾村网格", "level": "2"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("territory:grid_detail", args=["NG-01-02"])
    grid = Grid.objects.get(code="NG-01-02")
    assert grid.parent == tiny_county["g1"] and grid.unit == tiny_county["v12"]
    record = AuditRecord.objects.get(
        content_type=ContentType.objects.get_for_model(Grid), object_id=str(grid.pk)
    )
    assert record.action == "create" and record.actor_label.startswith("娜姑干部")
    assert "已创建网格“白雾村网格”" in text(officer_client.get(response["Location"]))


def test_grid_create_embedded_htmx_redirects(officer_client: Any) -> None:
    response = officer_client.post(
        reverse("territory:grid_create"),
        {
            "unit": "530326102201",
            "parent": "NG-01",
            "embedded": "1",
            "code": "NG-01-09",
            "name": "新网格",
            "level": "2",
        },
        **HX,
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("territory:grid_detail", args=["NG-01-09"])


def test_grid_create_duplicate_code_shows_conflict(officer_client: Any) -> None:
    response = officer_client.post(
        reverse("territory:grid_create"),
        {"unit": "530326102201", "code": "YC-01", "name": "重复", "level": "1"},
        **HX,
    )
    assert response.status_code == 409
    body = text(response)
    assert "<html" not in body and 'id="grid-form-box"' in body
    assert "网格编码“YC-01”已被使用。" in body
    assert Grid.objects.filter(code="YC-01").count() == 1


def test_grid_create_outside_scope_is_refused(officer_client: Any) -> None:
    response = officer_client.post(
        reverse("territory:grid_create"),
        {"unit": "530326103201", "code": "X-1", "name": "越界", "level": "1"},
    )
    assert response.status_code == 403
    assert "不在您的管辖范围内" in text(response)
    assert not Grid.objects.filter(code="X-1").exists()


def test_grid_create_bad_input_is_reported(officer_client: Any) -> None:
    response = officer_client.post(
        reverse("territory:grid_create"),
        {"unit": "530326102201", "code": "a b", "name": "x", "level": "9"},
        **HX,
    )
    assert response.status_code == 400
    assert "网格层级" in text(response)
    response = officer_client.post(
        reverse("territory:grid_create"),
        {"unit": "530326102201", "code": "a b", "name": "x", "level": "1"},
        **HX,
    )
    assert "网格编码只能由字母、数字" in text(response)


def test_grid_create_page_needs_grid_manage(
    client: Any, tiny_county: dict[str, Any], make_staff: Any
) -> None:
    client.force_login(make_staff(Role.GRIDDER, grid=tiny_county["g11"]))
    response = client.get(reverse("territory:grid_create"))
    assert response.status_code == 403
    assert "您无权管理该区域的网格。" in text(response)


# --- boundary -------------------------------------------------------------------------------------


def _boundary_unchanged(grid: Grid) -> None:
    grid.refresh_from_db()
    assert grid.boundary is None and grid.min_lng is None
    ct = ContentType.objects.get_for_model(Grid)
    assert not AuditRecord.objects.filter(content_type=ct, object_id=str(grid.pk)).exists()


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ('{"type": "Polygon", "coordinates": [[[103.2, 26.2], [103.4 26.2]]]}', "不是有效的 JSON：第 1 行"),
        (
            json.dumps({"type": "Point", "coordinates": [103.3, 26.3]}),
            "边界类型必须是 Polygon 或 MultiPolygon",
        ),
        (json.dumps(BOWTIE), "边界多边形无效"),
        (
            json.dumps(
                {
                    "type": "Polygon",
                    "coordinates": [[[26.2, 103.2], [26.4, 103.2], [26.4, 103.4], [26.2, 103.2]]],
                }
            ),
            "经纬度是否写反",
        ),
        ("", "请粘贴 GeoJSON 文本或选择 .geojson 文件。"),
    ],
)
def test_malformed_geojson_shows_error_and_changes_nothing(
    officer_client: Any, tiny_county: dict[str, Any], payload: str, message: str
) -> None:
    response = officer_client.post(
        reverse("territory:grid_boundary", args=["NG-01"]), {"geojson": payload}, **HX
    )
    assert response.status_code == 400
    body = text(response)
    assert "<html" not in body and 'id="boundary-form-box"' in body
    assert message in body
    _boundary_unchanged(tiny_county["g1"])


def test_malformed_geojson_without_htmx_renders_the_page(
    officer_client: Any, tiny_county: dict[str, Any]
) -> None:
    response = officer_client.post(reverse("territory:grid_boundary", args=["NG-01"]), {"geojson": "{oops"})
    assert response.status_code == 400
    assert "<html" in text(response) and "不是有效的 JSON" in text(response)
    _boundary_unchanged(tiny_county["g1"])


def test_boundary_upload_sets_it_and_locate_finds_it(
    officer_client: Any, tiny_county: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    upload = SimpleUploadedFile("ng.geojson", json.dumps({"type": "Feature", "geometry": SQUARE}).encode())
    with django_capture_on_commit_callbacks(execute=True):
        response = officer_client.post(
            reverse("territory:grid_boundary", args=["NG-01"]), {"file": upload}, **HX
        )
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("territory:grid_detail", args=["NG-01"])
    grid = Grid.objects.get(code="NG-01")
    assert grid.boundary == SQUARE and grid.min_lng == 103.2
    page = officer_client.get(reverse("territory:grid_locate"), {"lat": "26.3", "lng": "103.3"})
    assert page.status_code == 200 and "娜姑镇一级网格" in text(page)
    fragment = officer_client.get(
        reverse("territory:grid_locate"), {"lat": "26.3", "lng": "103.3"}, **hx("locate-results")
    )
    assert "<html" not in text(fragment) and "娜姑镇一级网格" in text(fragment)
    assert 'id="locate-map-point"' in text(fragment)
    outside = officer_client.get(
        reverse("territory:grid_locate"), {"lat": "27.0", "lng": "103.3"}, **hx("locate-results")
    )
    assert "不在您可查看的任何网格内" in text(outside)


def test_locate_rejects_bad_coordinates(officer_client: Any) -> None:
    response = officer_client.get(
        reverse("territory:grid_locate"), {"lat": "x", "lng": "103"}, **hx("locate-results")
    )
    assert response.status_code == 200
    assert "纬度" in text(response) and "locate-map" not in text(response)
    page = officer_client.get(reverse("territory:grid_locate"))
    assert page.status_code == 200 and "按坐标查网格" in text(page)


# --- gridders -------------------------------------------------------------------------------------


def test_assign_and_remove_gridder_shows_on_history(
    officer_client: Any, tiny_county: dict[str, Any], make_staff: Any
) -> None:
    person = make_staff(Role.VILLAGE_CADRE, tiny_county["v11"], username="li_si", full_name="李四")
    url = reverse("territory:grid_gridder_add", args=["NG-01-01"])
    response = officer_client.post(url, {"username": "li_si"}, **HX)
    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body and 'id="gridders"' in body
    assert "已将“李四”指派为本网格的网格员。" in body
    assert RoleAssignment.objects.filter(
        user=person, role=Role.GRIDDER, grid=tiny_county["g11"], is_active=True
    ).exists()

    history = officer_client.get(reverse("audit:history", args=["territory", "grid", "NG-01-01"]))
    assert history.status_code == 200
    assert "指派网格员" in text(history) and "李四" in text(history)

    again = officer_client.post(url, {"username": "li_si"}, **HX)
    assert again.status_code == 409 and "已是网格“娜姑村网格”的网格员" in text(again)

    removed = officer_client.post(
        reverse("territory:grid_gridder_remove", args=["NG-01-01"]), {"username": "li_si"}
    )
    assert removed.status_code == 302
    assert not RoleAssignment.objects.filter(user=person, role=Role.GRIDDER, is_active=True).exists()
    assert Event.objects.filter(event_type="territory.gridder_removed").count() == 1


def test_assign_gridder_only_from_staff_in_scope(
    officer_client: Any, tiny_county: dict[str, Any], make_staff: Any
) -> None:
    make_staff(Role.VILLAGE_CADRE, tiny_county["v21"], username="wang_wu")  # works in 迤车镇
    response = officer_client.post(
        reverse("territory:grid_gridder_add", args=["NG-01-01"]), {"username": "wang_wu"}, **HX
    )
    assert response.status_code == 404
    assert "找不到用户名为“wang_wu”的工作人员" in text(response)
    assert not RoleAssignment.objects.filter(role=Role.GRIDDER, user__username="wang_wu").exists()


def test_village_cadre_may_recruit_a_gridder_from_the_same_township(
    client: Any, tiny_county: dict[str, Any], make_staff: Any
) -> None:
    cadre = make_staff(Role.VILLAGE_CADRE, tiny_county["v11"])
    neighbour = make_staff(
        Role.VILLAGE_CADRE, tiny_county["v12"], username="bw_cadre"
    )  # 白雾村, same township
    make_staff(Role.VILLAGE_CADRE, tiny_county["v21"], username="yc_cadre")  # 迤车村, another township
    client.force_login(cadre)
    page = text(client.get(reverse("territory:grid_detail", args=["NG-01-01"])))
    assert '<option value="bw_cadre">' in page and "yc_cadre" not in page  # suggestions
    url = reverse("territory:grid_gridder_add", args=["NG-01-01"])
    assert client.post(url, {"username": "bw_cadre"}, **HX).status_code == 200
    assert RoleAssignment.objects.filter(user=neighbour, role=Role.GRIDDER, is_active=True).exists()
    assert client.post(url, {"username": "yc_cadre"}, **HX).status_code == 404


def test_list_pages_need_a_territory_role(client: Any, tiny_county: dict[str, Any], make_staff: Any) -> None:
    client.force_login(make_staff(None))
    for name in (
        "territory:browser",
        "territory:unit_search",
        "territory:grid_list",
        "territory:grid_locate",
    ):
        response = client.get(reverse(name))
        assert response.status_code == 403, name
        assert "没有执行该操作的权限" in text(response) or "无权" in text(response)


def test_assign_gridder_needs_grid_assign(client: Any, tiny_county: dict[str, Any], make_staff: Any) -> None:
    make_staff(Role.VILLAGE_CADRE, tiny_county["v11"], username="zhao")
    leader = make_staff(Role.LEADER, tiny_county["county"])
    client.force_login(leader)
    response = client.post(
        reverse("territory:grid_gridder_add", args=["NG-01-01"]), {"username": "zhao"}, **HX
    )
    assert response.status_code == 403
    assert "您无权为该区域的网格指派网格员。" in text(response)


# --- county admin (second factor) -----------------------------------------------------------------


def test_county_admin_sees_the_whole_county(
    verified_client: Any, tiny_county: dict[str, Any], make_staff: Any
) -> None:
    admin = make_staff(Role.COUNTY_ADMIN, tiny_county["county"])
    c = verified_client(admin)
    body = text(c.get(reverse("territory:browser")))
    assert "会泽县" in body
    body = text(c.get(reverse("territory:grid_list")))
    assert "NG-01" in body and "YC-01" in body
    body = text(c.get(reverse("territory:grid_detail", args=["YC-01"])))
    assert 'data-testid="boundary-form"' in body and 'data-testid="gridder-form"' in body
    assert 'data-testid="child-grid-panel"' in body


def test_county_admin_without_second_factor_is_sent_to_otp(
    client: Any, tiny_county: dict[str, Any], make_staff: Any
) -> None:
    admin = make_staff(Role.COUNTY_ADMIN, tiny_county["county"])
    client.force_login(admin)
    response = client.get(reverse("territory:browser"))
    assert response.status_code == 302 and reverse("accounts:otp") in response["Location"]


def test_anonymous_is_sent_to_login(client: Any, tiny_county: dict[str, Any]) -> None:
    response = client.get(reverse("territory:grid_list"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_pages_use_a_bounded_number_of_queries(
    officer_client: Any, officer: Any, tiny_county: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    """Query-count ceilings: more rows must not mean more queries (no per-row lookups)."""
    for n in range(20):
        services.grid_create(
            actor=officer,
            unit=tiny_county["v11"],
            code=f"Q-{n:02d}",
            name=f"网格{n}",
            level=2,
            parent=tiny_county["g1"],
            boundary=SQUARE,
        )
    pages = [
        reverse("territory:browser"),
        reverse("territory:unit_detail", args=["530326102"]),
        reverse("territory:grid_list"),
        reverse("territory:grid_detail", args=["NG-01"]),
        reverse("audit:history", args=["territory", "grid", "NG-01"]),
    ]
    for url in pages:
        with django_assert_max_num_queries(20):
            assert officer_client.get(url).status_code == 200
