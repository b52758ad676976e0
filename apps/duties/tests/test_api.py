"""The 责任清单 JSON API: lists and items for the caller's area, routing advice, publish, withdraw."""

from __future__ import annotations

import pytest

from apps.duties.choices import ListKind
from apps.duties.models import ResponsibilityList

pytestmark = pytest.mark.django_db

T, A = ListKind.TERRITORIAL, ListKind.ADMISSION


@pytest.fixture
def lists(world, publish):
    territorial = publish(
        T,
        world["county"],
        [
            {
                "number": 1,
                "domain": "人居环境",
                "matter": "垃圾清运",
                "primary": "乡镇",
                "supporting": "会泽县生态环境局、村",
                "categories": "env-garbage、env-pile",
            },
            {"number": 2, "domain": "自然资源", "matter": "违法占地", "primary": "县自然资源局"},
        ],
    )
    admission = publish(A, world["county"], [{"number": 1, "matter": "人居环境", "categories": "env"}])
    other = publish(A, world["t2"], [{"number": 1, "matter": "纠纷", "categories": "dispute"}])
    return {"territorial": territorial, "admission": admission, "other": other}


def test_lists_of_the_callers_area(world, lists, client):
    client.force_login(world["cadre"])
    body = client.get("/api/lists/").json()
    assert body["count"] == 2
    first = body["items"][0]
    assert {i["kind"] for i in body["items"]} == {T, A}
    assert first["unit_code"] == "530326" and first["is_current"] is True
    assert client.get("/api/lists/?kind=territorial").json()["count"] == 1
    assert client.get(f"/api/lists/{lists['other'].pk}").status_code == 403
    assert client.get("/api/lists/999999").status_code == 404


def test_items_with_bodies_and_categories(world, lists, client):
    client.force_login(world["officer"])
    body = client.get(f"/api/lists/{lists['territorial'].pk}/items?page_size=1").json()
    assert body["count"] == 2 and body["page_size"] == 1
    item = body["items"][0]
    assert item["primary_level"] == 4 and item["primary_organisation_id"] is None
    assert item["supporting_levels"] == [5]
    assert item["supporting_organisation_ids"] == [world["env"].pk]
    assert sorted(item["categories"]) == ["env-garbage", "env-pile"]
    found = client.get(f"/api/lists/{lists['territorial'].pk}/items?q=占地").json()
    assert [i["number"] for i in found["items"]] == [2]


def test_suggest_returns_bodies_basis_and_admission(world, lists, client):
    client.force_login(world["officer"])
    body = client.get("/api/lists/suggest?category=env-garbage&unit=530326102201").json()
    assert body["suggestion"]["primary"] == {
        "label": "娜姑镇",
        "organisation_id": None,
        "unit_code": "530326102",
    }
    assert [b["label"] for b in body["suggestion"]["supporting"]] == ["娜姑村", "会泽县生态环境局"]
    assert body["suggestion"]["kind"] == T
    assert body["suggestion"]["item_id"] == lists["territorial"].items.get(number=1).pk
    assert body["admission"]["applies"] and body["admission"]["allowed"]
    assert body["admission"]["list_id"] == lists["admission"].pk
    refused = client.get("/api/lists/suggest?category=land&unit=530326102201").json()
    assert refused["suggestion"] is None
    assert refused["admission"]["allowed"] is False
    assert refused["admission"]["message"].startswith("「土地征收」不在村级工作准入清单内")
    missing = client.get("/api/lists/suggest?category=nope&unit=530326102201")
    assert missing.status_code == 404 and missing.json()["code"] == "category_not_found"
    assert client.get("/api/lists/suggest?category=env&unit=530326103201").status_code == 403
    assert client.get("/api/lists/suggest?category=env").status_code == 422


def test_publish_from_rows_and_row_errors(world, client):
    client.force_login(world["officer"])
    bad = client.post(
        "/api/lists/",
        {
            "kind": T,
            "unit_code": "530326102",
            "rows": [
                {"number": 1, "matter": "a", "primary": "县不存在局"},
                {"number": 1, "matter": "b", "primary": "乡镇", "categories": "飞碟"},
            ],
        },
        content_type="application/json",
    )
    assert bad.status_code == 400
    errors = bad.json()["extra"]["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [
        (1, "主体责任单位"),
        (2, "序号"),
        (2, "对应诉求类别"),
    ]
    good = client.post(
        "/api/lists/",
        {"kind": T, "unit_code": "530326102", "rows": [{"number": 1, "matter": "a", "primary": "村"}]},
        content_type="application/json",
    )
    assert good.status_code == 201
    assert good.json()["version"] == 1 and good.json()["source_filename"] == "API"
    denied = client.post(
        "/api/lists/",
        {"kind": T, "unit_code": "530326", "rows": [{"number": 1, "matter": "a", "primary": "村"}]},
        content_type="application/json",
    )
    assert denied.status_code == 403


def test_withdraw_then_conflict(world, lists, client, verified_client):
    c = verified_client(world["admin"])
    url = f"/api/lists/{lists['admission'].pk}/withdraw"
    first = c.post(url, {"reason": "修订中"}, content_type="application/json")
    assert first.status_code == 200 and first.json()["is_current"] is False
    again = c.post(url, {"reason": "修订中"}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "list_not_current"
    history = c.get("/api/lists/?include_history=true").json()
    assert lists["admission"].pk in [i["id"] for i in history["items"]]
    assert ResponsibilityList.objects.filter(is_current=True).count() == 2
