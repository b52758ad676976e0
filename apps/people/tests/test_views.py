"""Resident-record pages per role and scope: lists, details, forms (typed facts, stale edits, ID
errors), the logged reveal of full values, minors and sensitive groups hidden, the gridder's
phone pages, patrol photos, configuration and the history page of records."""

from __future__ import annotations

import datetime
import html
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from apps.accounts.choices import Role, UserKind
from apps.accounts.models import User
from apps.audit.models import Event
from apps.people import events, services
from apps.people.idnumber import make
from apps.people.models import FactDefinition, Household, PatrolVisit, Resident, SpecialGroup

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}
ADULT_ID = make("530326", datetime.date(1968, 3, 9), 131)
SPOUSE_ID = make("530326", datetime.date(1970, 5, 2), 242)
CHILD_ID = make("530326", datetime.date.today().replace(year=datetime.date.today().year - 9, day=1), 351)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


def hx(target: str = "") -> dict[str, str]:
    return {**HX, "HTTP_HX_TARGET": target} if target else dict(HX)


def text(response: Any) -> str:
    return response.content.decode()


@pytest.fixture
def staff(tiny_county: dict[str, Any], make_staff: Any) -> dict[str, Any]:
    t = tiny_county
    resident_user = User.objects.create_user(
        "villager1", None, full_name="王村民", phone="13800001111", kind=UserKind.RESIDENT
    )
    return {
        "cadre": make_staff(Role.VILLAGE_CADRE, t["v11"], username="cadre_ng", full_name="娜姑村干部"),
        "other_cadre": make_staff(Role.VILLAGE_CADRE, t["v12"], username="cadre_bw"),
        "gridder": make_staff(Role.GRIDDER, grid=t["g11"], username="grid_ng", full_name="李网格"),
        "officer": make_staff(Role.TOWNSHIP_OFFICER, t["t1"], username="officer_ng"),
        "leader": make_staff(Role.LEADER, t["county"], username="leader"),
        "supervisor": make_staff(Role.SUPERVISOR, t["v11"], username="supervisor_ng"),
        "dept": make_staff(Role.DEPARTMENT_HANDLER, organisation=t["dept"], username="dept1"),
        "admin": make_staff(Role.COUNTY_ADMIN, t["county"], username="countyadmin"),
        "resident": resident_user,
    }


@pytest.fixture
def records(tiny_county: dict[str, Any], staff: dict[str, Any]) -> dict[str, Any]:
    cadre = staff["cadre"]
    household = services.household_create(
        actor=cadre,
        unit=tiny_county["v11"],
        number="001",
        address="娜姑村一组 12 号",
        grid=tiny_county["g11"],
        color_grade="orange",
        facts={"house_storeys": "2", "crops": "玉米,烤烟", "house_dangerous": "否"},
    )
    head = services.resident_create(
        actor=cadre,
        household=household,
        name="张建国",
        id_number=ADULT_ID,
        phone="13812345678",
        relation="head",
        special_groups=["dibao"],
    )
    child = services.resident_create(
        actor=cadre, household=household, name="张小明", id_number=CHILD_ID, relation="child"
    )
    officer = staff["officer"]
    watched = services.resident_create(
        actor=officer,
        household=household,
        name="张重点",
        id_number=SPOUSE_ID,
        relation="spouse",
        special_groups=["key_person"],
    )
    other = services.household_create(
        actor=staff["admin"],
        unit=tiny_county["v21"],
        number="009",
        address="迤车村九号",
        grid=tiny_county["g21"],
    )
    services.resident_create(actor=staff["admin"], household=other, name="赵迤车", relation="head")
    household.refresh_from_db()
    return {"household": household, "head": head, "child": child, "watched": watched, "other": other}


@pytest.fixture
def login(client: Any, verified_client: Any) -> Any:
    def as_user(user: Any) -> Any:
        if user.username == "countyadmin":
            return verified_client(user)
        client.force_login(user)
        return client

    return as_user


# --- pages per role -------------------------------------------------------------------------------


def _urls(records: dict[str, Any]) -> dict[str, str]:
    h, head = records["household"], records["head"]
    return {
        "household_list": reverse("people:household_list"),
        "household_detail": reverse("people:household_detail", args=[h.pk]),
        "household_edit": reverse("people:household_edit", args=[h.pk]),
        "household_create": reverse("people:household_create"),
        "resident_create": reverse("people:resident_create", args=[h.pk]),
        "resident_list": reverse("people:resident_list"),
        "resident_detail": reverse("people:resident_detail", args=[head.pk]),
        "resident_edit": reverse("people:resident_edit", args=[head.pk]),
        "my_grid": reverse("people:my_grid"),
        "patrol_list": reverse("people:patrol_list"),
        "patrol_create": reverse("people:patrol_create"),
        "history": reverse("audit:history", args=["people", "household", h.pk]),
        "resident_history": reverse("audit:history", args=["people", "resident", head.pk]),
    }


@pytest.mark.parametrize("role", ["gridder", "cadre", "officer", "admin"])
def test_record_keepers_open_every_page(role: str, login: Any, staff: Any, records: Any) -> None:
    client = login(staff[role])
    for name, url in _urls(records).items():
        response = client.get(url)
        if role == "officer" and name == "patrol_create":  # officers do not patrol
            assert response.status_code == 403 and "您无权在该网格登记巡查走访。" in text(response)
            continue
        assert response.status_code == 200, (role, name, response.status_code)
        body = text(response)
        assert "<html" in body and "民情档案" in body, (role, name)


@pytest.mark.parametrize("role", ["leader", "supervisor"])
def test_readers_see_records_but_cannot_edit(role: str, login: Any, staff: Any, records: Any) -> None:
    client = login(staff[role])
    urls = _urls(records)
    for name in (
        "household_list",
        "household_detail",
        "resident_list",
        "resident_detail",
        "patrol_list",
        "history",
    ):
        assert client.get(urls[name]).status_code == 200, (role, name)
    detail = text(client.get(urls["household_detail"]))
    assert 'data-testid="edit-household"' not in detail and "添加成员" not in detail
    for name in ("household_edit", "household_create", "resident_create", "resident_edit", "patrol_create"):
        response = client.get(urls[name])
        assert response.status_code == 403, (role, name)
        assert 'data-testid="error-page"' in text(response)


@pytest.mark.parametrize("role", ["other_cadre", "dept", "resident"])
def test_outsiders_get_403_with_the_reason(role: str, login: Any, staff: Any, records: Any) -> None:
    client = login(staff[role])
    urls = _urls(records)
    names = list(urls)
    if role == "other_cadre":  # may use the pages, but not on another village's records
        names = [
            "household_detail",
            "household_edit",
            "resident_create",
            "resident_detail",
            "resident_edit",
            "history",
        ]
    for name in names:
        response = client.get(urls[name])
        assert response.status_code == 403, (role, name, response.status_code)
        body = text(response)
        assert 'data-testid="error-page"' in body and "无权" in body, (role, name)
    if role == "other_cadre":
        assert "不在" not in text(client.get(urls["household_list"]))  # the list opens…
        assert "张建国" not in text(client.get(urls["household_list"]))  # …without their households


def test_anonymous_is_sent_to_login(client: Any, records: Any) -> None:
    response = client.get(reverse("people:household_list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_config_only_for_configurers(login: Any, staff: Any, records: Any) -> None:
    assert login(staff["cadre"]).get(reverse("people:config")).status_code == 403
    response = login(staff["admin"]).get(reverse("people:config"))
    assert response.status_code == 200 and "房屋层数" in text(response) and "重点人员" in text(response)


def test_navigation_entries(login: Any, staff: Any, records: Any) -> None:
    body = text(login(staff["gridder"]).get(reverse("core:home")))
    assert "我的网格" in body and "民情档案" in body
    body = text(login(staff["cadre"]).get(reverse("core:home")))
    assert ">我的网格<" not in body and "民情档案" in body
    body = text(login(staff["dept"]).get(reverse("core:home")))
    assert "民情档案" not in body


# --- lists and details ----------------------------------------------------------------------------


def test_household_list_filters_counts_and_links(login: Any, staff: Any, records: Any) -> None:
    client = login(staff["officer"])
    body = text(client.get(reverse("people:household_list")))
    assert "张建国" in body and "娜姑村一组 12 号" in body and "3 人" in body
    assert "grade-orange" in body and "赵迤车" not in body  # other township
    assert 'data-testid="export-link"' in body and reverse("people:import_start") in body
    fragment = text(client.get(reverse("people:household_list"), {"q": "5678"}, **hx("household-results")))
    assert "<html" not in fragment and "张建国" in fragment
    fragment = text(
        client.get(reverse("people:household_list"), {"q": "不存在的人"}, **hx("household-results"))
    )
    assert 'data-testid="empty"' in fragment
    body = text(client.get(reverse("people:household_list"), {"color_grade": "red", "unit": "530326102201"}))
    assert "张建国" not in body
    assert "/people/export/households.xlsx?unit=530326102201&amp;color_grade=red" in body
    # The full ID number finds the household (by its keyed hash).
    assert "张建国" in text(client.get(reverse("people:household_list"), {"q": ADULT_ID}))
    # Gridders neither export nor import.
    body = text(login(staff["gridder"]).get(reverse("people:household_list")))
    assert 'data-testid="export-link"' not in body and reverse("people:import_start") not in body


def test_household_detail_shows_fields_facts_and_masked_members(login: Any, staff: Any, records: Any) -> None:
    body = text(
        login(staff["officer"]).get(reverse("people:household_detail", args=[records["household"].pk]))
    )
    assert "娜姑村网格" in body and "农业户口" in body and "橙色" in body
    # Facts grouped by section, labelled, with units and readable values.
    assert "住房" in body and "房屋层数" in body and "2 层" in body and "是否危房" in body
    assert "玉米、烤烟" in body and "产业" in body
    # Members: masked ID and phone only; groups as badges.
    assert ADULT_ID not in body and "13812345678" not in body
    assert records["head"].id_number_masked in body and "138****5678" in body
    assert "低保户" in body and "张小明" in body and "张重点" in body and "重点人员" in body
    assert reverse("audit:history", args=["people", "household", records["household"].pk]) in body


def test_minors_and_sensitive_members_hidden_by_role(login: Any, staff: Any, records: Any) -> None:
    url = reverse("people:household_detail", args=[records["household"].pk])
    for role in ("leader", "supervisor"):
        client = login(staff[role])
        body = text(client.get(url))
        assert "张建国" in body and "张小明" not in body and "张重点" not in body, role
        listed = text(client.get(reverse("people:resident_list"), {"status": ""}))
        assert "张建国" in listed and "张小明" not in listed, role
        assert "张小明" not in text(client.get(reverse("people:resident_list"), {"minors": "1"}))
        # Searching a hidden minor's name does not reveal the household either.
        found = text(client.get(reverse("people:household_list"), {"q": "张小明"}))
        assert "张建国" not in found, role
        response = client.get(reverse("people:resident_detail", args=[records["child"].pk]))
        assert response.status_code == 403
        assert "该居民是未成年人，您的角色无权查看其档案。" in text(response)
        history = client.get(reverse("audit:history", args=["people", "resident", records["child"].pk]))
        assert history.status_code == 403, role
    # A gridder keeps minors' records but does not see sensitive groups.
    body = text(login(staff["gridder"]).get(url))
    assert "张小明" in body and "张重点" not in body
    response = login(staff["gridder"]).get(reverse("people:resident_detail", args=[records["watched"].pk]))
    assert response.status_code == 403 and "敏感群体" in text(response)


def test_resident_list_filters(login: Any, staff: Any, records: Any) -> None:
    client = login(staff["gridder"])
    url = reverse("people:resident_list")
    body = text(client.get(url))
    assert "张建国" in body and "张小明" in body and "张重点" not in body and "赵迤车" not in body
    assert "重点人员" not in body  # the group filter offers no sensitive group to a gridder
    assert "张小明" not in text(client.get(url, {"minors": "0"}))
    assert "张建国" not in text(client.get(url, {"minors": "1"}))
    only_dibao = text(client.get(url, {"group": "dibao"}, **hx("resident-results")))
    assert "张建国" in only_dibao and "张小明" not in only_dibao and "<html" not in only_dibao
    assert "张建国" in text(client.get(url, {"grid": "NG-01-01", "q": "建国"}))
    assert "张建国" not in text(client.get(url, {"grid": "YC-01-01"}))
    # The export link repeats the filters (for those who may export).
    body = text(login(staff["cadre"]).get(url, {"group": "dibao", "status": ""}))
    assert "/people/export/residents.xlsx?group=dibao&amp;status=all" in body


# --- reveal ---------------------------------------------------------------------------------------


def test_reveal_logs_the_reason_and_returns_the_value(login: Any, staff: Any, records: Any) -> None:
    client = login(staff["cadre"])
    head = records["head"]
    detail = text(client.get(reverse("people:resident_detail", args=[head.pk])))
    assert detail.count('data-testid="reveal-button"') == 2 and ADULT_ID not in detail
    url = reverse("people:resident_reveal", args=[head.pk])
    form = client.get(url, {"field": "id_number"}, **HX)
    assert form.status_code == 200 and 'data-testid="reveal-form"' in text(form) and "<html" not in text(form)
    assert "no-store" in form["Cache-Control"]
    short = client.post(url, {"field": "id_number", "reason": "看"}, **HX)
    assert short.status_code == 400 and "请填写查看完整信息的事由" in text(short)
    assert not Event.objects.filter(event_type=events.PII_REVEALED).exists()
    response = client.post(url, {"field": "id_number", "reason": "办理低保复核"}, **HX)
    assert response.status_code == 200
    assert ADULT_ID in text(response) and "no-store" in response["Cache-Control"]
    event = Event.objects.get(event_type=events.PII_REVEALED)
    assert event.data == {"field": "id_number", "reason": "办理低保复核"}
    assert event.actor == staff["cadre"] and event.object_id == str(head.pk)
    phone = client.post(url, {"field": "phone", "reason": "联系本人"})
    assert phone.status_code == 200 and "13812345678" in text(phone) and "<html" in text(phone)
    hidden = text(client.get(url, {"field": "phone", "hide": "1"}, **HX))
    assert "13812345678" not in hidden and "138****5678" in hidden


def test_gridder_has_no_reveal(login: Any, staff: Any, records: Any) -> None:
    client = login(staff["gridder"])
    head = records["head"]
    detail = text(client.get(reverse("people:resident_detail", args=[head.pk])))
    assert 'data-testid="reveal-button"' not in detail and "查看完整号码" not in detail
    url = reverse("people:resident_reveal", args=[head.pk])
    assert client.get(url, {"field": "id_number"}).status_code == 403
    response = client.post(url, {"field": "id_number", "reason": "想看看"})
    assert response.status_code == 403 and "无权查看完整的身份证号或手机号" in text(response)
    assert ADULT_ID not in text(response)
    assert not Event.objects.filter(event_type=events.PII_REVEALED).exists()


# --- household forms ------------------------------------------------------------------------------


def _household_post(household: Household, **changes: Any) -> dict[str, Any]:
    """What the edit form sends back unchanged, plus `changes`."""
    from apps.people.forms import HouseholdForm
    from apps.people.selectors import fact_definitions

    form = HouseholdForm(definitions=fact_definitions(), household=household)
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
        del field
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_edit_household_fields_and_facts(login: Any, staff: Any, records: Any) -> None:
    household = records["household"]
    client = login(staff["gridder"])
    url = reverse("people:household_edit", args=[household.pk])
    page = text(client.get(url))
    assert 'name="fact_house_storeys"' in page and 'type="number"' in page and 'type="date"' in page
    assert 'name="fact_crops"' in page and 'type="checkbox"' in page and 'name="fact_house_structure"' in page
    assert f'name="expected_version" value="{household.version}"' in page
    data = _household_post(
        household,
        address="娜姑村一组 15 号",
        fact_house_storeys="3",
        fact_house_dangerous="是",
        fact_crops=["水稻"],
    )
    response = client.post(url, data)
    assert response.status_code == 302, text(response)
    household.refresh_from_db()
    assert household.address == "娜姑村一组 15 号"
    assert household.facts["house_storeys"] == 3 and household.facts["house_dangerous"] is True
    assert household.facts["crops"] == ["水稻"] and household.color_grade == "orange"
    body = text(client.get(response["Location"]))
    assert "已保存" in body and "3 层" in body and "娜姑村一组 15 号" in body
    history = text(client.get(reverse("audit:history", args=["people", "household", household.pk])))
    assert "娜姑村一组 15 号" in history and "修改户信息" in history


def test_fact_validation_errors_next_to_the_field(login: Any, staff: Any, records: Any) -> None:
    household = records["household"]
    client = login(staff["gridder"])
    url = reverse("people:household_edit", args=[household.pk])
    data = _household_post(
        household, address="新地址 8 号", fact_house_storeys="99", fact_house_built_year="一九九"
    )
    response = client.post(url, data)
    assert response.status_code == 400
    body = text(response)
    errors = dict(re.findall(r'data-field="(\w+)">([^<]+)<', body))
    assert errors["fact_house_storeys"] == "“房屋层数”不能大于 10。"
    assert errors["fact_house_built_year"] == "“建房年份”应为数字，收到“一九九”。"
    assert 'value="新地址 8 号"' in body and 'value="99"' in body  # the input is kept
    household.refresh_from_db()
    assert household.address == "娜姑村一组 12 号" and household.facts["house_storeys"] == 2


def test_stale_edit_shows_conflict_and_keeps_input(login: Any, staff: Any, records: Any) -> None:
    household = records["household"]
    client = login(staff["gridder"])
    url = reverse("people:household_edit", args=[household.pk])
    page = text(client.get(url))
    original = re.search(r'name="original" value="([^"]*)"', page).group(1)
    stale = _household_post(household, address="网格员填的地址", fact_house_storeys="4")
    stale["original"] = html.unescape(original)
    # Meanwhile the village cadre changes the same household: the number, the address and a fact.
    services.household_update(
        actor=staff["cadre"],
        household=household,
        number="001A",
        address="干部填的地址",
        facts={"crops": "水稻"},
    )
    response = client.post(url, stale)
    assert response.status_code == 409
    body = text(response)
    assert "该记录已被他人修改" in body and 'data-testid="conflict"' in body
    # The user's input is kept; the address both changed shows the newest value beside it.
    assert 'value="网格员填的地址"' in body and 'value="4"' in body
    assert "最新值：干部填的地址" in body and "以下项目您和他人都改了" in body
    # What only the cadre changed is taken over, so saving again does not undo it.
    assert 'value="001A"' in body and "最新值：001A" not in body
    assert re.search(r'value="水稻"[^>]*checked', body) and not re.search(r'value="玉米"[^>]*checked', body)
    household.refresh_from_db()
    assert household.address == "干部填的地址" and household.number == "001A"
    # Saving the rebased form is the user's decision.
    resubmit = {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', body)
        if name in ("expected_version", "original")
    }
    assert int(resubmit["expected_version"]) == household.version
    rebased = _household_post(household, address="网格员填的地址", fact_house_storeys="4", **resubmit)
    assert client.post(url, rebased).status_code == 302
    household.refresh_from_db()
    assert household.address == "网格员填的地址" and household.facts["house_storeys"] == 4
    assert household.number == "001A" and household.facts["crops"] == ["水稻"]


def test_create_household_with_facts(login: Any, staff: Any, records: Any, tiny_county: Any) -> None:
    client = login(staff["gridder"])
    page = text(client.get(reverse("people:household_create")))
    assert 'value="NG-01-01" selected' in page and 'value="530326102201" selected' in page
    data = {
        "unit": "530326102201",
        "grid": "NG-01-01",
        "number": "002",
        "address": "娜姑村二组 3 号",
        "hukou_type": "agricultural",
        "migrant_workers": "1",
        "fact_homestead_area": "120.5",
        "fact_house_structure": "砖混",
        "fact_house_approval_date": "2019-04-01",
    }
    response = client.post(reverse("people:household_create"), data)
    assert response.status_code == 302, text(response)
    household = Household.objects.get(number="002")
    assert household.facts == {
        "homestead_area": "120.5",
        "house_structure": "砖混",
        "house_approval_date": "2019-04-01",
    }
    assert household.grid == tiny_county["g11"] and household.migrant_workers == 1
    duplicate = client.post(reverse("people:household_create"), {**data, "address": "别处"})
    assert duplicate.status_code == 409
    assert re.search(r'data-field="number">[^<]*已有户号为“002”的户', text(duplicate))
    missing = client.post(reverse("people:household_create"), {**data, "number": "003", "address": ""})
    assert missing.status_code == 400 and 'data-field="address">请填写住址。' in text(missing)
    outside = client.post(
        reverse("people:household_create"), {**data, "number": "004", "unit": "530326103201"}
    )
    assert outside.status_code == 403 and Household.objects.filter(number="004").count() == 0


# --- resident forms -------------------------------------------------------------------------------


def test_add_member_with_id_errors_and_groups(login: Any, staff: Any, records: Any) -> None:
    household = records["household"]
    client = login(staff["gridder"])
    url = reverse("people:resident_create", args=[household.pk])
    page = text(client.get(url))
    assert "低保户" in page and "重点人员" not in page  # no sensitive group for a gridder
    base = {"name": "张三", "relation": "child", "political_status": "masses"}
    bad = client.post(url, {**base, "id_number": ADULT_ID[:-1] + ("0" if ADULT_ID[-1] != "0" else "1")})
    assert bad.status_code == 400
    assert 'data-field="id_number">身份证号校验位不正确，请核对是否输错。' in text(bad)
    assert 'value="张三"' in text(bad)
    short = client.post(url, {**base, "id_number": "5303"})
    assert 'data-field="id_number">身份证号应为 18 位，实际 4 位。' in text(short)
    duplicate = client.post(url, {**base, "id_number": ADULT_ID})
    assert duplicate.status_code == 409 and "该身份证号已登记在其他居民名下。" in text(duplicate)
    phone = client.post(url, {**base, "phone": "12345"})
    assert 'data-field="phone">手机号“12345”格式不正确' in text(phone)
    new_id = make("530326", datetime.date(1995, 1, 20), 462)
    ok = client.post(
        url, {**base, "id_number": new_id, "phone": "13900001234", "special_groups": ["disabled"]}
    )
    assert ok.status_code == 302
    resident = Resident.objects.get(name="张三")
    assert resident.birth_date == datetime.date(1995, 1, 20) and resident.gender == "female"
    assert [g.code for g in resident.special_groups.all()] == ["disabled"]


def test_edit_resident_keeps_or_replaces_personal_data(login: Any, staff: Any, records: Any) -> None:
    head = records["head"]
    client = login(staff["gridder"])
    url = reverse("people:resident_edit", args=[head.pk])
    page = text(client.get(url))
    assert ADULT_ID not in page and "13812345678" not in page and head.id_number_masked in page
    data = {
        "name": "张建国",
        "relation": "head",
        "political_status": "party_member",
        "occupation": "农民",
        "living_away": "on",
        "away_place": "昆明",
        "status": "active",
        "special_groups": ["dibao", "veteran"],
        "expected_version": head.version,
        "id_number": "",
        "phone": "",
    }
    assert client.post(url, data).status_code == 302
    head.refresh_from_db()
    assert head.political_status == "party_member" and head.living_away and head.away_place == "昆明"
    assert head.id_tail == ADULT_ID[-4:] and head.phone_tail == "5678"  # kept
    assert sorted(g.code for g in head.special_groups.all()) == ["dibao", "veteran"]
    data.update(expected_version=head.version, phone="13700009999")
    assert client.post(url, data).status_code == 302
    head.refresh_from_db()
    assert head.phone_masked == "137****9999"
    stale = client.post(url, {**data, "expected_version": head.version - 1, "occupation": "养殖户"})
    assert (
        stale.status_code == 409 and "该记录已被他人修改" in text(stale) and 'value="养殖户"' in text(stale)
    )


def test_officer_edits_sensitive_groups_and_cadre_keeps_unseen_ones(
    login: Any, staff: Any, records: Any
) -> None:
    watched = records["watched"]
    page = text(login(staff["officer"]).get(reverse("people:resident_edit", args=[watched.pk])))
    assert "重点人员（敏感）" in page


# --- gridder pages --------------------------------------------------------------------------------


def test_my_grid_lists_households_and_searches(login: Any, staff: Any, records: Any) -> None:
    client = login(staff["gridder"])
    body = text(client.get(reverse("people:my_grid")))
    assert "娜姑村网格" in body and "张建国" in body and "赵迤车" not in body
    assert 'hx-trigger="keyup changed delay:300ms, input changed delay:300ms, search"' in body
    assert reverse("people:household_edit", args=[records["household"].pk]) in body
    assert f"{reverse('people:patrol_create')}?grid=NG-01-01&amp;household={records['household'].pk}" in body
    hit = text(
        client.get(reverse("people:my_grid"), {"grid": "NG-01-01", "q": "建国"}, **hx("grid-households"))
    )
    assert "<html" not in hit and "张建国" in hit
    miss = text(client.get(reverse("people:my_grid"), {"q": "没有这个人"}, **hx("grid-households")))
    assert "没有找到" in miss
    body = text(login(staff["cadre"]).get(reverse("people:my_grid")))
    assert 'data-testid="no-grid"' in body


def test_patrol_with_photo_is_saved(login: Any, staff: Any, records: Any) -> None:
    client = login(staff["gridder"])
    household = records["household"]
    page = text(client.get(reverse("people:patrol_create"), {"grid": "NG-01-01", "household": household.pk}))
    assert 'accept="image/*"' in page and 'capture="environment"' in page and "people-geo.js" in page
    assert 'enctype="multipart/form-data"' in page and "娜姑村一组 12 号" in page
    options = text(
        client.get(reverse("people:patrol_create"), {"grid": "NG-01-01"}, **hx("patrol-household"))
    )
    assert "<html" not in options and f'value="{household.pk}"' in options
    data = {
        "grid": "NG-01-01",
        "household": household.pk,
        "visited_at": "2024-05-01T09:30",
        "place": "张建国家",
        "note": "房屋外墙有裂缝，已提醒注意安全。",
        "latitude": "26.41",
        "longitude": "103.30",
        "photo": SimpleUploadedFile("wall.png", PNG, content_type="image/png"),
    }
    response = client.post(reverse("people:patrol_create"), data)
    assert response.status_code == 302, text(response)
    visit = PatrolVisit.objects.get()
    assert visit.gridder == staff["gridder"] and visit.household == household and visit.photo.name
    assert visit.latitude == 26.41 and timezone.localtime(visit.visited_at).hour == 9  # Asia/Shanghai
    photo = client.get(reverse("people:patrol_photo", args=[visit.pk]))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    assert b"".join(photo.streaming_content).startswith(b"\x89PNG")
    listed = text(client.get(reverse("people:patrol_list")))
    assert "张建国家" in listed and "查看照片" in listed
    assert Event.objects.filter(event_type=events.PATROL_RECORDED).count() == 1
    assert login(staff["dept"]).get(reverse("people:patrol_photo", args=[visit.pk])).status_code == 403


def test_patrol_refuses_a_non_image_and_missing_fields(login: Any, staff: Any, records: Any) -> None:
    client = login(staff["gridder"])
    data = {
        "grid": "NG-01-01",
        "visited_at": "2024-05-01T09:30",
        "place": "村口",
        "note": "巡查",
        "photo": SimpleUploadedFile("report.png", b"%PDF-1.4 not an image", content_type="image/png"),
    }
    response = client.post(reverse("people:patrol_create"), data)
    assert response.status_code == 400
    body = text(response)
    assert 'data-field="photo">照片须为 JPEG、PNG 或 WebP 格式。' in body and "照片需要重新选择" in body
    assert 'value="村口"' in body
    empty = client.post(reverse("people:patrol_create"), {**data, "photo": "", "note": ""})
    assert empty.status_code == 400 and 'data-field="note">请填写情况记录。' in text(empty)
    half = client.post(reverse("people:patrol_create"), {**data, "photo": "", "latitude": "26.4"})
    assert 'data-field="latitude">经度和纬度须同时填写。' in text(half)
    other = client.post(
        reverse("people:patrol_create"), {**data, "photo": "", "household": records["other"].pk}
    )
    assert other.status_code == 400 and "所选的户不在该网格内。" in text(other)
    assert not PatrolVisit.objects.exists()


# --- configuration --------------------------------------------------------------------------------


def test_config_saves_facts_and_groups(login: Any, staff: Any, records: Any) -> None:
    client = login(staff["admin"])
    url = reverse("people:config")
    data = {
        "which": "fact",
        "key": "pig_count",
        "label": "生猪存栏",
        "kind": "integer",
        "section": "产业",
        "unit_label": "头",
        "order": "900",
        "min_value": "0",
        "max_value": "5000",
        "is_active": "on",
    }
    assert client.post(url, data).status_code == 302
    definition = FactDefinition.objects.get(key="pig_count")
    assert definition.label == "生猪存栏" and definition.max_value == 5000
    page = text(client.get(reverse("people:household_edit", args=[records["household"].pk])))
    assert 'name="fact_pig_count"' in page and 'max="5000"' in page
    bad = client.post(url, {**data, "key": "Pig Count"})
    assert bad.status_code == 400 and "字段键须为小写字母开头" in text(bad)
    no_choices = client.post(url, {**data, "key": "pig_breed", "kind": "choice"})
    assert no_choices.status_code == 400 and "单选/多选字段须提供选项。" in text(no_choices)
    edit = text(client.get(url, {"fact": "pig_count"}))
    assert "编辑字段 pig_count" in edit and 'value="生猪存栏"' in edit
    group = {"which": "group", "code": "returnee", "name": "返乡创业人员", "color": "success", "order": "95"}
    assert client.post(url, group).status_code == 302
    assert SpecialGroup.objects.get(code="returnee").name == "返乡创业人员"
    assert client.post(url, {**group, "editing": "returnee", "name": "返乡人员"}).status_code == 302
    assert SpecialGroup.objects.get(code="returnee").name == "返乡人员"


# --- history --------------------------------------------------------------------------------------


def test_history_of_records(login: Any, staff: Any, records: Any) -> None:
    household = records["household"]
    url = reverse("audit:history", args=["people", "household", household.pk])
    body = text(login(staff["gridder"]).get(url))
    assert "新建户" in body and reverse("people:household_detail", args=[household.pk]) in body
    resident_url = reverse("audit:history", args=["people", "resident", records["head"].pk])
    body = text(login(staff["supervisor"]).get(resident_url))
    assert "新建居民" in body and records["head"].id_number_masked in body and ADULT_ID not in body
    assert login(staff["dept"]).get(url).status_code == 403
    assert login(staff["other_cadre"]).get(url).status_code == 403
    assert (
        login(staff["gridder"]).get(reverse("audit:history", args=["people", "household", "x"])).status_code
        == 404
    )


# --- weight ---------------------------------------------------------------------------------------


def test_list_and_detail_queries_do_not_grow_with_rows(
    login: Any, staff: Any, records: Any, tiny_county: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(staff["gridder"])
    household = records["household"]
    pages = [
        reverse("people:household_list"),
        reverse("people:resident_list"),
        reverse("people:my_grid"),
        reverse("people:patrol_list"),
        reverse("people:household_detail", args=[household.pk]),
    ]

    def counts() -> list[int]:
        out = []
        for url in pages:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            out.append(len(ctx.captured_queries))
        return out

    services.patrol_record(actor=staff["gridder"], grid=tiny_county["g11"], place="村口", note="巡查")
    before = counts()
    for i in range(12):
        extra = services.household_create(
            actor=staff["cadre"],
            unit=tiny_county["v11"],
            number=f"1{i:02d}",
            address=f"娜姑村三组 {i} 号",
            grid=tiny_county["g11"],
        )
        services.resident_create(
            actor=staff["cadre"], household=extra, name=f"新户{i}", relation="head", special_groups=["dibao"]
        )
        services.resident_create(actor=staff["cadre"], household=household, name=f"成员{i}", relation="other")
        services.patrol_record(actor=staff["gridder"], grid=tiny_county["g11"], place=f"点{i}", note="巡查")
    assert counts() == before


def test_pages_are_small(login: Any, staff: Any, records: Any) -> None:
    """Gridders work over weak phone connections: a list page stays well under 40 KB of HTML."""
    client = login(staff["gridder"])
    for url in (reverse("people:my_grid"), reverse("people:household_list"), reverse("people:resident_list")):
        assert len(client.get(url).content) < 40_000, url
    edit = client.get(reverse("people:household_edit", args=[records["household"].pk]))
    assert len(edit.content) < 120_000  # 41 typed fact inputs
