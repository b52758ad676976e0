"""Audit API: the change log and events need audit.view and stay inside the caller's subtree;
filters narrow them; an object's history needs history.view over the object."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from apps.accounts.choices import Role
from apps.accounts.services import api_token_create
from apps.audit.models import AuditRecord, ChangeAction, Event
from apps.core.context import RequestContext, context_scope
from apps.territory import services as territory_services

pytestmark = pytest.mark.django_db


def bearer(user: Any) -> dict[str, str]:
    _, plaintext = api_token_create(actor=user, name="测试")
    return {"Authorization": f"Bearer {plaintext}"}


def get(client: Client, user: Any, path: str) -> Any:
    return client.get(f"/api/audit{path}", headers=bearer(user))


def refused(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response.json()["code"] == code


@pytest.fixture
def trail(tiny_county, make_staff) -> dict[str, Any]:
    """Two officers each rename a grid of their own township, in two requests."""
    nagu = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"], username="nagu")
    yiche = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t2"], username="yiche")
    with context_scope(RequestContext(request_id="reqnagu", ip="10.0.0.1", source="web")):
        territory_services.grid_update(actor=nagu, grid=tiny_county["g11"], name="娜姑村一网格")
    with context_scope(RequestContext(request_id="reqyiche", ip="10.0.0.2", source="api")):
        territory_services.grid_update(actor=yiche, grid=tiny_county["g21"], name="迤车村一网格")
    return {"nagu": nagu, "yiche": yiche}


def test_records_for_a_county_auditor(client: Client, tiny_county, make_staff, trail) -> None:
    auditor = make_staff(Role.AUDITOR, tiny_county["county"])
    body = get(client, auditor, "/records").json()
    assert body["count"] == 2 and body["page"] == 1
    newest = body["items"][0]
    assert newest["object_repr"] == "迤车村一网格"
    assert newest["actor"] == "yiche" and newest["action"] == "update" and newest["action_label"] == "修改"
    assert newest["object_type"] == "territory.grid" and newest["object_id"] == str(tiny_county["g21"].pk)
    assert newest["before"] == {"name": "迤车村网格"} and newest["after"] == {"name": "迤车村一网格"}
    assert newest["changed_fields"] == ["name"]
    assert (newest["request_id"], newest["ip"], newest["source"], newest["scope_code"]) == (
        "reqyiche",
        "10.0.0.2",
        "api",
        "530326103201",
    )


def test_records_are_scoped_to_the_auditors_subtree(client: Client, tiny_county, make_staff, trail) -> None:
    township_auditor = make_staff(Role.AUDITOR, tiny_county["t1"])
    items = get(client, township_auditor, "/records").json()["items"]
    assert [r["actor"] for r in items] == ["nagu"]


def test_records_need_audit_view(client: Client, tiny_county, make_staff, trail) -> None:
    refused(get(client, trail["nagu"], "/records"), 403, "forbidden")
    refused(get(client, make_staff(Role.LEADER, tiny_county["county"]), "/records"), 403, "forbidden")
    refused(get(client, make_staff(None), "/events"), 403, "forbidden")
    refused(client.get("/api/audit/records"), 401, "unauthenticated")


def test_record_filters(client: Client, tiny_county, make_staff, trail) -> None:
    auditor = make_staff(Role.AUDITOR, tiny_county["county"])

    def actors(query: str) -> list[str]:
        return [r["actor"] for r in get(client, auditor, f"/records?{query}").json()["items"]]

    assert actors("actor=nagu") == ["nagu"]
    assert actors("actor=nobody") == []
    assert actors("request_id=reqyiche") == ["yiche"]
    assert actors(f"object_type=territory.grid&object_id={tiny_county['g11'].pk}") == ["nagu"]
    assert actors("object_type=territory.unit") == []
    today = timezone.localdate()
    assert len(actors(f"date_from={today}&date_to={today}")) == 2
    assert actors(f"date_to={today - datetime.timedelta(days=1)}") == []


def test_record_filter_refusals(client: Client, tiny_county, make_staff, trail) -> None:
    auditor = make_staff(Role.AUDITOR, tiny_county["county"])
    refused(
        get(client, auditor, "/records?date_from=2025-03-02&date_to=2025-03-01"), 400, "date_range_invalid"
    )
    refused(get(client, auditor, "/records?date_from=yesterday"), 422, "invalid_request")
    refused(get(client, auditor, "/records?object_type=grid"), 422, "invalid_request")
    refused(get(client, auditor, "/records?page=9"), 400, "page_out_of_range")


def test_date_filter_uses_the_local_day(client: Client, tiny_county, make_staff) -> None:
    auditor = make_staff(Role.AUDITOR, tiny_county["county"])
    # 2025-03-01 23:30 in Beijing is still 15:30 UTC the same day; 00:30 local is the day before in UTC.
    for hour, minute, label in [(23, 30, "late"), (0, 30, "early")]:
        at = datetime.datetime(
            2025, 3, 1, hour, minute, tzinfo=datetime.timezone(datetime.timedelta(hours=8))
        )
        AuditRecord(at=at, action=ChangeAction.UPDATE, object_repr=label, scope_code="530326102").save()
    items = get(client, auditor, "/records?date_from=2025-03-01&date_to=2025-03-01").json()["items"]
    assert [r["object_repr"] for r in items] == ["late", "early"]


def test_events(client: Client, tiny_county, make_staff, trail) -> None:
    auditor = make_staff(Role.AUDITOR, tiny_county["county"])
    body = get(client, auditor, "/events?event_type=territory.grid_updated").json()
    assert body["count"] == 2
    event = body["items"][0]
    assert (event["event_type"], event["label"], event["actor"]) == (
        "territory.grid_updated",
        "修改网格",
        "yiche",
    )
    assert event["object_type"] == "territory.grid" and event["data"] == {}
    assert get(client, auditor, "/events?actor=nagu").json()["count"] == 1
    assert get(client, auditor, "/events?event_type=territory.nothing").json()["count"] == 0
    township_auditor = make_staff(Role.AUDITOR, tiny_county["t2"])
    assert [e["actor"] for e in get(client, township_auditor, "/events").json()["items"]] == ["yiche"]
    refused(
        get(client, auditor, "/events?date_from=2025-03-02&date_to=2025-03-01"), 400, "date_range_invalid"
    )


def test_object_history(client: Client, tiny_county, make_staff, trail) -> None:
    cadre = make_staff(Role.VILLAGE_CADRE, tiny_county["v11"])  # holds history.view over 娜姑村
    grid = tiny_county["g11"]
    body = get(client, cadre, "/history/territory/grid/NG-01-01").json()
    assert (body["object_type"], body["object_id"], body["object_repr"]) == (
        "territory.grid",
        "NG-01-01",
        "娜姑村一网格",
    )
    kinds = {e["kind"]: e for e in body["entries"]}
    assert set(kinds) == {"change", "event"}
    change = kinds["change"]
    assert change["title"] == "修改" and change["actor"] == "nagu" and change["changed_fields"] == ["name"]
    assert change["before"] == {"name": "娜姑村网格"} and change["request_id"] == "reqnagu"
    assert "ip" not in change  # addresses are for auditors, not for everyone who reads a history
    assert kinds["event"]["title"] == "修改网格" and kinds["event"]["event_type"] == "territory.grid_updated"
    assert Event.objects.filter(object_id=str(grid.pk)).count() == 1


def test_object_history_refusals(client: Client, tiny_county, make_staff, trail) -> None:
    cadre = make_staff(Role.VILLAGE_CADRE, tiny_county["v11"])
    refused(get(client, cadre, "/history/territory/grid/YC-01-01"), 403, "forbidden")  # another township
    refused(get(client, cadre, "/history/territory/grid/NOPE"), 404, "not_found")
    refused(get(client, cadre, "/history/accounts/user/1"), 404, "not_found")  # no history page for users
    gridder = make_staff(Role.GRIDDER, grid=tiny_county["g11"])  # sees the grid, not its history
    refused(get(client, gridder, "/history/territory/grid/NG-01-01"), 403, "forbidden")
    unit_history = get(
        client, make_staff(Role.LEADER, tiny_county["county"]), "/history/territory/unit/530326102"
    )
    assert unit_history.status_code == 200 and unit_history.json()["entries"] == []


def test_log_queries_do_not_grow_with_rows(client: Client, tiny_county, make_staff, trail) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    headers = bearer(make_staff(Role.AUDITOR, tiny_county["county"]))

    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/api/audit{path}", headers=headers).status_code == 200
        return len(ctx.captured_queries)

    paths = ["/records", "/events", "/history/territory/grid/NG-01-01"]
    queries("/records")  # the token's first use records last_used_at
    before = [queries(p) for p in paths]
    for n in range(5):
        territory_services.grid_update(actor=trail["nagu"], grid=tiny_county["g11"], name=f"娜姑村网格{n}")
    assert [queries(p) for p in paths] == before
