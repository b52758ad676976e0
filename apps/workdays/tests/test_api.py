"""The calendar API: a year's days and coverage; admins set a year (400/403/404/409 refusals)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from apps.accounts.choices import Role
from apps.accounts.services import api_token_create
from apps.workdays.models import CalendarDay

pytestmark = pytest.mark.django_db
JSON = "application/json"
NEW_YEAR = {"name": "元旦", "start": "2027-01-01", "end": "2027-01-03"}


class Api:
    def __init__(self, user: Any):
        _, plaintext = api_token_create(actor=user, name="测试")
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {plaintext}"}

    def get(self, path: str) -> Any:
        return self.client.get(f"/api/calendar{path}", headers=self.headers)

    def post(self, path: str, data: Any) -> Any:
        return self.client.post(f"/api/calendar{path}", data, content_type=JSON, headers=self.headers)


@pytest.fixture
def admin(tiny_county: dict[str, Any], make_staff: Any) -> Api:
    return Api(make_staff(Role.COUNTY_ADMIN, tiny_county["county"]))


@pytest.fixture
def cadre(tiny_county: dict[str, Any], make_staff: Any) -> Api:
    return Api(make_staff(Role.VILLAGE_CADRE, tiny_county["v11"]))


def test_get_a_seeded_year(cadre: Api) -> None:
    body = cadre.get("/2026").json()
    assert body["coverage"] == {
        "year": 2026,
        "covered": True,
        "source": "chinese-calendar",
        "holidays": 33,
        "makeup_days": 6,
    }
    assert body["workdays"] == 248  # chinese_calendar.get_workdays agrees
    assert {"name": "春节", "start": "2026-02-15", "end": "2026-02-23"} in body["holidays"]
    assert {"date": "2026-02-14", "name": "春节调休"} in body["makeup_days"]
    assert {"date": "2026-02-14", "is_workday": True, "name": "春节调休"} in body["days"]
    assert len(body["days"]) == 39


def test_get_an_uncovered_year(cadre: Api) -> None:
    body = cadre.get("/2027").json()
    assert body["coverage"]["covered"] is False and body["coverage"]["source"] == "none"
    assert body["days"] == [] and body["version"] == "" and body["workdays"] == 261


def test_admin_sets_a_year(admin: Api, django_capture_on_commit_callbacks: Any) -> None:
    payload = {
        "holidays": [NEW_YEAR, {"name": "春节", "start": "2027-02-06", "end": "2027-02-14"}],
        "makeup_days": [{"date": "2027-02-20", "name": "春节"}, {"date": "2027-02-21"}],
        "notes": "国办发明电",
        "expected_version": "",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post("/2027", payload)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["coverage"]["source"] == "admin" and body["coverage"]["makeup_days"] == 2
    assert body["makeup_days"] == [
        {"date": "2027-02-20", "name": "春节调休"},
        {"date": "2027-02-21", "name": "调休上班"},
    ]
    assert body["confirmed_by"] and body["notes"] == "国办发明电"
    # The version read back guards the next write; a stale one is refused with 409.
    again = admin.post("/2027", {"holidays": [NEW_YEAR], "expected_version": body["version"]})
    assert again.status_code == 200
    stale = admin.post("/2027", {"holidays": [NEW_YEAR], "expected_version": body["version"]})
    assert stale.status_code == 409 and stale.json()["code"] == "calendar_year_changed"


def test_refusals(admin: Api, cadre: Api) -> None:
    response = admin.post("/2027", {"holidays": [NEW_YEAR], "makeup_days": [{"date": "2027-02-08"}]})
    assert response.status_code == 400
    assert response.json()["code"] == "makeup_not_weekend"
    assert "星期一" in response.json()["message"]
    assert response.json()["extra"]["problems"]
    response = cadre.post("/2027", {"holidays": [NEW_YEAR]})
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert admin.post("/1800", {"holidays": [NEW_YEAR]}).status_code == 404
    assert admin.get("/2300").status_code == 404
    assert admin.post("/2027", {"holidays": []}).status_code == 422
    assert not CalendarDay.objects.filter(date__year=2027).exists()


def test_readers_only(tiny_county: dict[str, Any], make_staff: Any) -> None:
    keeper = Api(make_staff(Role.POINTS_KEEPER, tiny_county["v11"]))
    response = keeper.get("/2026")
    assert response.status_code == 403
