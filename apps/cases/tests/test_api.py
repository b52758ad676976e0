"""The case JSON API: the same state machine, 409 for illegal or stale transitions."""

from __future__ import annotations

from typing import Any

import pytest

from apps.cases.models import Case

pytestmark = pytest.mark.django_db


def post(client: Any, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data=data, content_type="application/json")


def test_walk_a_case_through_the_api(client: Any, people: dict[str, Any]) -> None:
    p = people
    client.force_login(p["operator"])
    response = post(
        client,
        "/api/cases/cases",
        {
            "channel": "hotline",
            "category": "road-light",
            "title": "路灯不亮",
            "description": "娜姑村主路路灯连续一周不亮。",
            "unit": p["v11"].code,
            "submitter_name": "刘女士",
            "submitter_phone": "13511112222",
            "external_id": "12345-0001",
        },
    )
    assert response.status_code == 201, response.content
    case_id = response.json()["id"]
    assert response.json()["status"] == "submitted" and response.json()["steps"][0]["action"] == "submit"
    dup = post(
        client,
        "/api/cases/cases",
        {
            **{
                "channel": "hotline",
                "category": "road-light",
                "title": "路灯不亮",
                "description": "娜姑村主路路灯连续一周不亮。",
                "unit": p["v11"].code,
                "external_id": "12345-0001",
            }
        },
    )
    assert dup.status_code == 409 and dup.json()["code"] == "duplicate_external_id"

    client.force_login(p["cadre"])
    assert "accept" in client.get(f"/api/cases/cases/{case_id}").json()["allowed_actions"]
    assert post(client, f"/api/cases/cases/{case_id}/accept", {}).status_code == 200
    assert post(client, f"/api/cases/cases/{case_id}/triage", {"triage": "minor"}).status_code == 200
    r = post(client, f"/api/cases/cases/{case_id}/dispatch", {"unit": p["v11"].code})
    assert r.status_code == 200 and r.json()["status"] == "dispatched"
    version = r.json()["version"]
    r = post(client, f"/api/cases/cases/{case_id}/sign", {"expected_version": version - 1})
    assert r.status_code == 409 and r.json()["code"] == "stale_version"
    assert post(client, f"/api/cases/cases/{case_id}/sign", {"expected_version": version}).status_code == 200
    r = post(client, f"/api/cases/cases/{case_id}/sign", {})
    assert r.status_code == 409 and r.json()["code"] == "illegal_transition"
    assert r.json()["extra"]["status"] == "handling"
    r = post(client, f"/api/cases/cases/{case_id}/reply", {"note": "已更换灯泡，恢复照明。"})
    assert r.json()["status"] == "replied"
    r = post(client, f"/api/cases/cases/{case_id}/follow_up", {"rating": "satisfied"})
    r = post(client, f"/api/cases/cases/{case_id}/close", {})
    assert r.json()["status"] == "closed" and r.json()["resolved_level"] == "village"
    assert [s["action"] for s in r.json()["steps"]][-1] == "close"


def test_list_is_scoped_and_errors_have_codes(client: Any, people: dict[str, Any], submit: Any) -> None:
    p = people
    submit()
    client.force_login(p["officer"])
    assert client.get("/api/cases/cases?box=to_accept").json()["count"] == 1
    client.force_login(p["officer2"])
    assert client.get("/api/cases/cases?box=to_accept").json()["count"] == 0
    assert client.get("/api/cases/cases?box=nope").json()["code"] == "unknown_inbox"
    case = Case.objects.get()
    r = client.get(f"/api/cases/cases/{case.pk}")
    assert r.status_code == 403
    client.force_login(p["resident"])
    assert client.get("/api/cases/cases").status_code == 403
    assert client.get("/api/cases/categories").status_code == 200
