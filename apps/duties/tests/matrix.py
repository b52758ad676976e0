"""Permission-matrix rows of the 责任清单 module (walked by apps/core/tests/test_permission_matrix.py).

Lists: {list_county} published by 会泽县 (binds everyone in the county), {list_t1} by 娜姑镇 (the
fixture's home township), {list_t2} by 迤车镇 (the township next door: only county-wide roles).
"""

from __future__ import annotations

from typing import Any

from apps.core.tests.matrix_support import ADMIN, CADRE, COUNTY_WIDE, OFFICER, STAFF_ROLES, case

from .helpers import ensure_default_categories

VIEW_ALL = set(STAFF_ROLES)
LIST_MANAGERS = {ADMIN, OFFICER}
ROUTERS = {ADMIN, OFFICER, CADRE}  # case dispatchers and list managers
IN, OUT = "530326102201", "530326103201"

PAGES = [
    case("duties:list_index", "/lists/", VIEW_ALL),
    case("duties:list_detail", "/lists/{list_county}/", VIEW_ALL),
    case("duties:list_detail", "/lists/{list_t1}/?q=垃圾", VIEW_ALL),
    case("duties:list_detail", "/lists/{list_t2}/", COUNTY_WIDE),
    case("duties:list_import", "/lists/import/", LIST_MANAGERS),
    case("duties:template_download", "/lists/template/territorial.xlsx", LIST_MANAGERS),
    case(
        "duties:list_withdraw",
        "/lists/{list_t1}/withdraw/",
        LIST_MANAGERS,
        method="post",
        data={"reason": "并入县级清单"},
    ),
    case("duties:list_withdraw", "/lists/{list_t2}/withdraw/", {ADMIN}, method="post", data={"reason": "x"}),
    case("duties:route_preview", "/lists/route/", ROUTERS),
    case("duties:route_preview", f"/lists/route/?category=env-garbage&unit={IN}", ROUTERS),
    case("duties:route_preview", f"/lists/route/?category=env-garbage&unit={OUT}", {ADMIN}),
]

PUBLISH = {
    "kind": "admission",
    "title": "",
    "rows": [{"number": 1, "matter": "人居环境整治", "categories": "env"}],
}
API = [
    case("GET /api/lists/", "/api/lists/", VIEW_ALL),
    case(
        "POST /api/lists/",
        "/api/lists/",
        LIST_MANAGERS,
        method="post",
        data={**PUBLISH, "unit_code": "530326102"},
    ),
    case(
        "POST /api/lists/", "/api/lists/", {ADMIN}, method="post", data={**PUBLISH, "unit_code": "530326103"}
    ),
    case("GET /api/lists/suggest", f"/api/lists/suggest?category=env-garbage&unit={IN}", ROUTERS),
    case("GET /api/lists/suggest", f"/api/lists/suggest?category=env-garbage&unit={OUT}", {ADMIN}),
    case("GET /api/lists/{list_id}", "/api/lists/{list_county}", VIEW_ALL),
    case("GET /api/lists/{list_id}", "/api/lists/{list_t2}", COUNTY_WIDE),
    case("GET /api/lists/{list_id}/items", "/api/lists/{list_t1}/items", VIEW_ALL),
    case("GET /api/lists/{list_id}/items", "/api/lists/{list_t2}/items", COUNTY_WIDE),
    case(
        "POST /api/lists/{list_id}/withdraw",
        "/api/lists/{list_t1}/withdraw",
        LIST_MANAGERS,
        method="post",
        data={"reason": "并入县级清单"},
    ),
    case(
        "POST /api/lists/{list_id}/withdraw",
        "/api/lists/{list_t2}/withdraw",
        {ADMIN},
        method="post",
        data={"reason": "x"},
    ),
]

# The published lists are public by definition: no login, current versions only.
PUBLIC_PAGES = {"duties:public_index", "duties:public_detail"}


def records(t: dict[str, Any], users: dict[str, Any]) -> dict[str, int]:
    from apps.duties import services

    ensure_default_categories()
    admin = users[ADMIN]
    rows = [
        {
            "number": 1,
            "domain": "人居环境",
            "matter": "生活垃圾清运",
            "primary": "乡镇",
            "categories": "env-garbage",
        },
        {
            "number": 2,
            "domain": "自然资源",
            "matter": "违法占地",
            "primary": "县自然资源局",
            "supporting": "乡镇、村",
        },
    ]
    made = {
        key: services.responsibility_list_publish(
            actor=admin, kind="territorial", unit=t[unit], title="", rows=rows
        ).pk
        for key, unit in (("list_county", "county"), ("list_t1", "t1"), ("list_t2", "t2"))
    }
    return made
