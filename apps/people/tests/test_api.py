"""Resident-records API: scoping (403 outside the caller's territory), minors and sensitive people
hidden from roles without that access, personal data masked in every output, the logged reveal,
specific error codes for bad and duplicate ID numbers, stale edits (409) and pagination."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.test import Client

from apps.accounts.choices import Role
from apps.accounts.services import api_token_create
from apps.audit.models import AuditRecord, Event
from apps.people import events, services
from apps.people.idnumber import check_char, make
from apps.people.models import Household, PatrolVisit, Resident

pytestmark = pytest.mark.django_db

JSON = "application/json"
HEAD_ID = make("530326", datetime.date(1968, 3, 9), 131)
WIFE_ID = make("530326", datetime.date(1970, 8, 2), 242)
CHILD_ID = make("530326", datetime.date(2016, 7, 1), 243)
KEY_ID = make("530326", datetime.date(1985, 1, 20), 311)
OTHER_ID = make("530326", datetime.date(1990, 4, 4), 151)
HEAD_PHONE = "13812345678"
BAD_DATE_ID = "530326" + "19681332" + "131" + check_char("530326" + "19681332" + "131")  # valid check, 13/32


class Api:
    """A machine client holding one user's bearer token."""

    def __init__(self, user: Any):
        _, plaintext = api_token_create(actor=user, name="测试")
        self.user = user
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {plaintext}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/people{path}", params, headers=self.headers)

    def post(self, path: str, data: Any) -> Any:
        return self.client.post(f"/api/people{path}", data, content_type=JSON, headers=self.headers)

    def patch(self, path: str, data: Any) -> Any:
        return self.client.patch(f"/api/people{path}", data, content_type=JSON, headers=self.headers)


def refused(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    return body


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content
    return response.json()


@pytest.fixture
def staff(tiny_county, make_staff) -> dict[str, Any]:
    t = tiny_county
    return {
        "officer": make_staff(Role.TOWNSHIP_OFFICER, t["t1"], username="naguofficer"),
        "officer2": make_staff(Role.TOWNSHIP_OFFICER, t["t2"], username="yicheofficer"),
        "leader": make_staff(Role.LEADER, t["county"], username="leader"),
        "cadre": make_staff(Role.VILLAGE_CADRE, t["v11"], username="cadre"),
        "gridder": make_staff(Role.GRIDDER, grid=t["g11"], username="gridder"),
        "handler": make_staff(Role.DEPARTMENT_HANDLER, organisation=t["dept"], username="handler"),
    }


@pytest.fixture
def records(tiny_county, staff) -> dict[str, Any]:
    """娜姑村: a family (adult head, spouse, a child, a sensitive adult) and a household headed by
    a minor; 迤车村: one household of the next township."""
    cadre = staff["cadre"]
    home = services.household_create(
        actor=cadre,
        unit=tiny_county["v11"],
        number="0001",
        address="娜姑村一组 12 号",
        grid=tiny_county["g11"],
        color_grade="yellow",
        facts={"house_storeys": "2", "crops": "玉米,烤烟"},
    )
    head = services.resident_create(
        actor=cadre,
        household=home,
        name="张建国",
        id_number=HEAD_ID,
        phone=HEAD_PHONE,
        relation="head",
        special_groups=["dibao"],
    )
    wife = services.resident_create(
        actor=cadre, household=home, name="李秀英", id_number=WIFE_ID, relation="spouse"
    )
    child = services.resident_create(
        actor=cadre,
        household=home,
        name="张小明",
        id_number=CHILD_ID,
        relation="child",
        special_groups=["liushou_child"],
    )
    key = services.resident_create(
        actor=cadre,
        household=home,
        name="王重点",
        id_number=KEY_ID,
        relation="other",
        special_groups=["key_person"],
    )
    orphan_home = services.household_create(
        actor=cadre, unit=tiny_county["v11"], number="0002", address="娜姑村二组 3 号"
    )
    orphan = services.resident_create(
        actor=cadre,
        household=orphan_home,
        name="赵小芳",
        relation="head",
        birth_date="2012-05-05",
        gender="female",
    )
    away = services.household_create(
        actor=staff["officer2"],
        unit=tiny_county["v21"],
        number="0001",
        address="迤车村一组 1 号",
        grid=tiny_county["g21"],
    )
    stranger = services.resident_create(
        actor=staff["officer2"], household=away, name="陈外乡", id_number=OTHER_ID, relation="head"
    )
    return {
        "home": home,
        "head": head,
        "wife": wife,
        "child": child,
        "key": key,
        "orphan_home": orphan_home,
        "orphan": orphan,
        "away": away,
        "stranger": stranger,
    }


# --- scoping -----------------------------------------------------------------------------------------


def test_lists_and_details_are_scoped(staff, records) -> None:
    officer = Api(staff["officer"])
    names = {r["name"] for r in ok(officer.get("/residents"))["items"]}
    assert names == {"张建国", "李秀英", "张小明", "王重点", "赵小芳"}
    numbers = [h["number"] for h in ok(officer.get("/households"))["items"]]
    assert numbers == ["0001", "0002"]

    refused(officer.get(f"/residents/{records['stranger'].pk}"), 403, "forbidden")
    refused(officer.get(f"/households/{records['away'].pk}"), 403, "forbidden")
    refused(officer.get("/residents", unit="530326103"), 403, "forbidden")
    refused(officer.get("/households", grid="YC-01-01"), 403, "forbidden")
    refused(officer.get("/residents", unit="530326199"), 404, "not_found")
    refused(officer.get("/residents/999999"), 404, "not_found")
    refused(officer.patch(f"/households/{records['away'].pk}", {"address": "改"}), 403, "forbidden")
    refused(officer.post(f"/households/{records['away'].pk}/residents", {"name": "某"}), 403, "forbidden")

    leader = Api(staff["leader"])
    assert ok(leader.get("/households", unit="530326103"))["count"] == 1
    assert [r["name"] for r in ok(leader.get("/residents", unit="530326103"))["items"]] == ["陈外乡"]
    # A role without resident records (department handler) is refused, not given an empty list.
    for path in ("/residents", "/households", "/patrols", "/special-groups", "/facts"):
        refused(Api(staff["handler"]).get(path), 403, "forbidden")


def test_anonymous_is_401(client, records) -> None:
    assert client.get("/api/people/residents").status_code == 401


def test_minors_and_sensitive_people_hidden_from_a_leader(staff, records) -> None:
    leader = Api(staff["leader"])
    names = {r["name"] for r in ok(leader.get("/residents", unit="530326102"))["items"]}
    assert names == {"张建国", "李秀英"}
    refused(leader.get(f"/residents/{records['child'].pk}"), 403, "forbidden_restricted")
    refused(leader.get(f"/residents/{records['key'].pk}"), 403, "forbidden_restricted")
    refused(
        leader.post(f"/residents/{records['child'].pk}/reveal", {"field": "id_number", "reason": "核实"}),
        403,
        "forbidden_restricted",
    )
    assert ok(leader.get("/residents", minors="true"))["count"] == 0
    assert ok(leader.get("/residents", group="key_person"))["count"] == 0

    detail = ok(leader.get(f"/households/{records['home'].pk}"))
    assert [m["name"] for m in detail["members"]] == ["张建国", "李秀英"]
    assert detail["hidden_members"] == 2
    assert detail["head_name"] == "张建国" and detail["head_id"] == records["head"].pk
    # A household headed by a minor: the household is listed, its head is not named.
    orphan = ok(leader.get(f"/households/{records['orphan_home'].pk}"))
    assert orphan["head_id"] is None and orphan["head_name"] is None and orphan["members"] == []
    listed = {h["number"]: h for h in ok(leader.get("/households", unit="530326102201"))["items"]}
    assert listed["0002"]["head_name"] is None and listed["0001"]["head_name"] == "张建国"
    assert "赵小芳" not in json.dumps(ok(leader.get("/households")), ensure_ascii=False)
    # The leader's list of special groups leaves the sensitive ones out; the officer's has them.
    assert "key_person" not in {g["code"] for g in ok(leader.get("/special-groups"))}
    assert "key_person" in {g["code"] for g in ok(Api(staff["officer"]).get("/special-groups"))}

    # Record keepers see them.
    cadre = Api(staff["cadre"])
    assert ok(cadre.get(f"/residents/{records['child'].pk}"))["is_minor"] is True
    assert ok(cadre.get("/residents", minors="true"))["count"] == 2
    detail = ok(cadre.get(f"/households/{records['home'].pk}"))
    assert len(detail["members"]) == 3 and detail["hidden_members"] == 1  # the sensitive one
    assert len(ok(Api(staff["officer"]).get(f"/households/{records['home'].pk}"))["members"]) == 4


def test_personal_data_is_masked_in_every_output(staff, records) -> None:
    officer = Api(staff["officer"])
    responses = [
        officer.get("/residents"),
        officer.get(f"/residents/{records['head'].pk}"),
        officer.get(f"/households/{records['home'].pk}"),
        officer.get("/households"),
        officer.get("/residents", q=HEAD_ID),
        officer.get("/residents", q=HEAD_PHONE),
    ]
    for response in responses:
        assert response.status_code == 200
        text = response.content.decode()
        assert HEAD_ID not in text and HEAD_PHONE not in text and WIFE_ID not in text
    head = ok(responses[1])
    assert head["id_number_masked"] == HEAD_ID[:4] + "*" * 10 + HEAD_ID[-4:]
    assert head["phone_masked"] == "138****5678"
    assert head["can_reveal"] is True and head["gender"] == "male" and head["birth_date"] == "1968-03-09"
    assert [g["code"] for g in head["special_groups"]] == ["dibao"]
    # Search by the full number or phone finds the person through the lookup hash.
    assert [r["name"] for r in ok(responses[4])["items"]] == ["张建国"]
    assert [r["name"] for r in ok(responses[5])["items"]] == ["张建国"]
    assert [r["name"] for r in ok(officer.get("/residents", q=HEAD_ID[-4:]))["items"]] == ["张建国"]
    assert ok(Api(staff["gridder"]).get(f"/residents/{records['head'].pk}"))["can_reveal"] is False


# --- reveal ------------------------------------------------------------------------------------------


def test_reveal_needs_the_permission_and_a_reason_and_is_logged(staff, records) -> None:
    url = f"/residents/{records['head'].pk}/reveal"
    refused(Api(staff["gridder"]).post(url, {"field": "id_number", "reason": "核实身份"}), 403, "forbidden")
    refused(Api(staff["leader"]).post(url, {"field": "phone", "reason": "核实身份"}), 403, "forbidden")
    refused(Api(staff["officer2"]).post(url, {"field": "phone", "reason": "核实身份"}), 403, "forbidden")
    cadre = Api(staff["cadre"])
    refused(cadre.post(url, {"field": "id_number"}), 400, "reveal_reason_required")
    refused(cadre.post(url, {"field": "id_number", "reason": " "}), 400, "reveal_reason_required")
    refused(cadre.post(url, {"field": "name", "reason": "核实身份"}), 400, "reveal_field_unknown")
    refused(
        cadre.post(f"/residents/{records['wife'].pk}/reveal", {"field": "phone", "reason": "联系"}),
        400,
        "reveal_empty",
    )
    assert not Event.objects.filter(event_type=events.PII_REVEALED).exists()

    assert ok(cadre.post(url, {"field": "id_number", "reason": "办理低保复核"})) == {
        "field": "id_number",
        "value": HEAD_ID,
    }
    assert ok(cadre.post(url, {"field": "phone", "reason": "电话回访"}))["value"] == HEAD_PHONE
    logged = list(Event.objects.filter(event_type=events.PII_REVEALED).order_by("id"))
    assert [(e.data["field"], e.data["reason"]) for e in logged] == [
        ("id_number", "办理低保复核"),
        ("phone", "电话回访"),
    ]
    assert all(e.actor == staff["cadre"] and e.object_id == str(records["head"].pk) for e in logged)
    assert logged[0].source == "api"


# --- writes ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("id_number", "code"),
    [
        (HEAD_ID[:-1] + ("0" if HEAD_ID[-1] != "0" else "1"), "id_checksum"),
        (HEAD_ID[:17], "id_length"),
        ("53032619681A091312", "id_characters"),
        (BAD_DATE_ID, "id_birth_date"),
        (make("990326", datetime.date(1968, 3, 9), 131), "id_region"),
    ],
)
def test_bad_id_number_is_400_with_its_specific_code(staff, records, id_number: str, code: str) -> None:
    before = Resident.objects.count()
    body = refused(
        Api(staff["cadre"]).post(
            f"/households/{records['home'].pk}/residents", {"name": "新人", "id_number": id_number}
        ),
        400,
        code,
    )
    assert "身份证号" in body["message"]
    assert Resident.objects.count() == before


def test_duplicate_id_number_is_409(staff, records) -> None:
    cadre = Api(staff["cadre"])
    url = f"/households/{records['home'].pk}/residents"
    refused(cadre.post(url, {"name": "重复", "id_number": HEAD_ID.lower()}), 409, "duplicate_id_number")
    # Also when the number belongs to someone in another township the caller cannot see.
    refused(cadre.post(url, {"name": "重复", "id_number": OTHER_ID}), 409, "duplicate_id_number")
    refused(
        cadre.patch(f"/residents/{records['wife'].pk}", {"id_number": HEAD_ID}), 409, "duplicate_id_number"
    )


def test_resident_create_and_update(staff, records) -> None:
    cadre = Api(staff["cadre"])
    new_id = make("530326", datetime.date(1995, 6, 1), 412)
    created = ok(
        cadre.post(
            f"/households/{records['home'].pk}/residents",
            {
                "name": "张新媳",
                "id_number": new_id,
                "phone": "15912345678",
                "relation": "child_in_law",
                "living_away": True,
                "away_place": "昆明",
                "special_groups": ["disabled"],
            },
        ),
        201,
    )
    assert created["gender"] == "female" and created["birth_date"] == "1995-06-01"
    assert created["id_number_masked"].endswith(new_id[-4:]) and new_id not in json.dumps(created)
    assert created["household_number"] == "0001" and created["unit_code"] == "530326102201"
    assert [g["code"] for g in created["special_groups"]] == ["disabled"]
    assert AuditRecord.objects.filter(object_id=str(created["id"]), content_type__model="resident").exists()

    refused(
        cadre.post(f"/households/{records['home'].pk}/residents", {"name": "某", "phone": "12345"}),
        400,
        "phone_format",
    )
    refused(
        cadre.post(f"/households/{records['home'].pk}/residents", {"name": "某", "relation": "boss"}),
        400,
        "relation",
    )
    refused(
        cadre.post(f"/households/{records['home'].pk}/residents", {"name": "某", "special_groups": ["nope"]}),
        400,
        "special_group_unknown",
    )
    assert cadre.post(f"/households/{records['home'].pk}/residents", {"id_number": new_id}).status_code == 422

    updated = ok(cadre.patch(f"/residents/{created['id']}", {"occupation": "个体经营", "living_away": False}))
    assert (updated["occupation"], updated["living_away"], updated["version"]) == ("个体经营", False, 2)
    assert updated["phone_masked"] == "159****5678"  # untouched fields stay
    cleared = ok(cadre.patch(f"/residents/{created['id']}", {"phone": "", "special_groups": []}))
    assert cleared["phone_masked"] == "" and cleared["special_groups"] == []
    moved = ok(cadre.patch(f"/residents/{created['id']}", {"household_id": records["orphan_home"].pk}))
    assert moved["household_number"] == "0002"
    refused(
        cadre.patch(f"/residents/{created['id']}", {"household_id": records["away"].pk}), 403, "forbidden"
    )
    refused(Api(staff["leader"]).patch(f"/residents/{created['id']}", {"notes": "x"}), 403, "forbidden")


def test_stale_patch_is_409(staff, records) -> None:
    cadre, gridder = Api(staff["cadre"]), Api(staff["gridder"])
    resident = ok(cadre.get(f"/residents/{records['wife'].pk}"))
    ok(
        gridder.patch(
            f"/residents/{resident['id']}", {"occupation": "务农", "expected_version": resident["version"]}
        )
    )
    body = refused(
        cadre.patch(
            f"/residents/{resident['id']}", {"occupation": "教师", "expected_version": resident["version"]}
        ),
        409,
        "stale_version",
    )
    assert body["extra"]["current_version"] == resident["version"] + 1
    assert Resident.objects.get(pk=resident["id"]).occupation == "务农"

    household = ok(cadre.get(f"/households/{records['home'].pk}"))
    ok(
        gridder.patch(
            f"/households/{household['id']}", {"color_grade": "red", "expected_version": household["version"]}
        )
    )
    refused(
        cadre.patch(
            f"/households/{household['id']}", {"address": "新址", "expected_version": household["version"]}
        ),
        409,
        "stale_version",
    )
    # Without expected_version the edit goes through (last writer wins, as the brief allows).
    assert ok(cadre.patch(f"/households/{household['id']}", {"address": "新址"}))["address"] == "新址"


def test_household_create_and_update(staff, records, tiny_county) -> None:
    cadre = Api(staff["cadre"])
    created = ok(
        cadre.post(
            "/households",
            {
                "unit_code": "530326102201",
                "number": "0100",
                "address": "娜姑村三组 8 号",
                "grid_code": "NG-01-01",
                "contracted_land_mu": "3.5",
                "facts": {"house_storeys": "3", "serious_illness": "是", "crops": ["玉米"]},
            },
        ),
        201,
    )
    assert created["facts"] == {"house_storeys": 3, "serious_illness": True, "crops": ["玉米"]}
    assert created["grid_code"] == "NG-01-01" and created["contracted_land_mu"] == "3.50"
    assert created["members"] == [] and created["head_id"] is None and created["version"] == 1
    assert Household.objects.get(pk=created["id"]).updated_by == staff["cadre"]

    base = {"unit_code": "530326102201", "address": "某处"}
    refused(cadre.post("/households", {**base, "number": "0100"}), 409, "duplicate_household_number")
    refused(
        cadre.post("/households", {**base, "number": "0101", "facts": {"house_storeys": "99"}}),
        400,
        "fact_invalid",
    )
    refused(
        cadre.post("/households", {**base, "number": "0101", "facts": {"nonsense": 1}}), 400, "fact_invalid"
    )
    refused(
        cadre.post("/households", {**base, "unit_code": "530326103201", "number": "0101"}), 403, "forbidden"
    )
    refused(
        cadre.post("/households", {**base, "unit_code": "530326999999", "number": "0101"}), 404, "not_found"
    )
    refused(
        Api(staff["officer"]).post("/households", {**base, "unit_code": "530326102", "number": "0101"}),
        400,
        "household_unit_level",
    )
    refused(Api(staff["leader"]).post("/households", {**base, "number": "0101"}), 403, "forbidden")

    updated = ok(
        cadre.patch(
            f"/households/{created['id']}",
            {
                "grid_code": None,
                "color_grade": "orange",
                "facts": {"house_storeys": None, "water_source": "自来水"},
            },
        )
    )
    assert updated["grid_code"] is None and updated["color_grade_label"] == "橙色"
    assert updated["facts"] == {"serious_illness": True, "crops": ["玉米"], "water_source": "自来水"}
    assert updated["version"] == 2
    refused(cadre.patch(f"/households/{created['id']}", {"color_grade": "purple"}), 400, "color_grade")


def test_pagination_and_filters(staff, records, tiny_county) -> None:
    cadre = staff["cadre"]
    for n in range(7):
        services.household_create(
            actor=cadre,
            unit=tiny_county["v11"],
            number=f"1{n:03d}",
            address=f"娜姑村五组 {n} 号",
            color_grade="red",
        )
    api = Api(staff["officer"])
    first = ok(api.get("/households", page_size=3))
    assert (first["count"], first["page"], first["page_size"], len(first["items"])) == (9, 1, 3, 3)
    numbers = [
        h["number"] for p in (1, 2, 3) for h in ok(api.get("/households", page_size=3, page=p))["items"]
    ]
    assert numbers == sorted(numbers) and len(set(numbers)) == 9
    refused(api.get("/households", page_size=3, page=4), 400, "page_out_of_range")
    refused(api.get("/residents", page_size=501), 400, "page_size_invalid")
    assert ok(api.get("/households", color_grade="red"))["count"] == 7
    assert ok(api.get("/households", q="五组"))["count"] == 7
    assert [h["member_count"] for h in ok(api.get("/households", q="0001"))["items"]] == [4]
    assert [h["number"] for h in ok(api.get("/households", q="李秀英"))["items"]] == ["0001"]
    assert ok(api.get("/households", grid="NG-01-01"))["count"] == 1

    assert {r["name"] for r in ok(api.get("/residents", group="dibao"))["items"]} == {"张建国"}
    assert {r["name"] for r in ok(api.get("/residents", minors="false"))["items"]} == {
        "张建国",
        "李秀英",
        "王重点",
    }
    assert {r["name"] for r in ok(api.get("/residents", q="张"))["items"]} == {"张建国", "张小明"}
    assert ok(api.get("/residents", grid="NG-01-01"))["count"] == 4
    refused(api.get("/residents", status="gone"), 400, "resident_status")
    Resident.objects.filter(pk=records["wife"].pk).update(status="moved_out")
    assert ok(api.get("/residents", status="moved_out"))["count"] == 1
    assert ok(api.get("/residents", status=""))["count"] == 5
    assert ok(api.get("/residents"))["count"] == 4


# --- patrols and configuration -------------------------------------------------------------------------


def test_patrols(staff, records, tiny_county) -> None:
    gridder = Api(staff["gridder"])
    visit = ok(
        gridder.post(
            "/patrols",
            {
                "grid_code": "NG-01-01",
                "place": "娜姑村一组",
                "note": "走访低保户，房屋漏雨",
                "household_id": records["home"].pk,
                "latitude": 26.4,
                "longitude": 103.3,
            },
        ),
        201,
    )
    assert (
        visit["gridder"] == "gridder" and visit["household_number"] == "0001" and visit["has_photo"] is False
    )
    assert Event.objects.filter(event_type=events.PATROL_RECORDED, object_id=str(visit["id"])).exists()
    refused(gridder.post("/patrols", {"grid_code": "YC-01-01", "place": "x", "note": "y"}), 403, "forbidden")
    refused(
        gridder.post("/patrols", {"grid_code": "NG-01-01", "place": "x", "note": " "}), 400, "patrol_note"
    )
    refused(
        gridder.post("/patrols", {"grid_code": "NG-01-01", "place": "x", "note": "y", "latitude": 26.4}),
        400,
        "coordinates_incomplete",
    )
    refused(
        Api(staff["leader"]).post("/patrols", {"grid_code": "NG-01-01", "place": "x", "note": "y"}),
        403,
        "forbidden",
    )
    refused(
        Api(staff["officer"]).post("/patrols", {"grid_code": "NG-01-01", "place": "x", "note": "y"}),
        403,
        "forbidden",
    )

    PatrolVisit.objects.create(gridder=staff["officer2"], grid=tiny_county["g21"], place="迤车", note="别处")
    assert [p["id"] for p in ok(gridder.get("/patrols"))["items"]] == [visit["id"]]
    assert ok(gridder.get("/patrols", mine="true"))["count"] == 1
    assert ok(Api(staff["cadre"]).get("/patrols", mine="true"))["count"] == 0
    assert ok(Api(staff["leader"]).get("/patrols"))["count"] == 2
    refused(gridder.get("/patrols", grid="YC-01-01"), 403, "forbidden")


def test_fact_definitions(staff) -> None:
    facts = ok(Api(staff["gridder"]).get("/facts"))
    by_key = {f["key"]: f for f in facts}
    assert by_key["house_structure"]["kind"] == "choice" and "砖混" in by_key["house_structure"]["choices"]
    assert (
        by_key["house_storeys"]["kind_label"] == "整数" and by_key["house_storeys"]["max_value"] is not None
    )
    assert len(facts) >= 40


def test_list_queries_do_not_grow_with_the_page(
    staff, records, tiny_county, django_assert_max_num_queries
) -> None:
    cadre = staff["cadre"]
    for n in range(20):
        household = services.household_create(
            actor=cadre, unit=tiny_county["v11"], number=f"2{n:03d}", address=f"娜姑村六组 {n} 号"
        )
        services.resident_create(
            actor=cadre, household=household, name=f"张{n}", relation="head", special_groups=["disabled"]
        )
    api = Api(staff["leader"])
    for path in ("/residents", "/households", f"/households/{records['home'].pk}"):
        with django_assert_max_num_queries(12):
            assert api.get(path).status_code == 200
