"""Resident records through the services: encryption, masking, reveal logging, minors and
sensitive groups, typed facts, stale edits."""

from __future__ import annotations

import datetime

import pytest

from apps.accounts.choices import Role
from apps.audit.models import AuditRecord, Event
from apps.core import crypto
from apps.core.errors import Conflict, PermissionDenied, ValidationFailed
from apps.people import selectors, services
from apps.people.idnumber import make
from apps.people.models import Resident

pytestmark = pytest.mark.django_db

ADULT_ID = make("530326", datetime.date(1968, 3, 9), 131)
CHILD_ID = make("530326", datetime.date(2016, 7, 1), 242)


@pytest.fixture
def cadre(tiny_county, make_staff):
    return make_staff(Role.VILLAGE_CADRE, tiny_county["v11"])


@pytest.fixture
def household(tiny_county, cadre):
    return services.household_create(
        actor=cadre,
        unit=tiny_county["v11"],
        number="001",
        address="娜姑村一组 12 号",
        grid=tiny_county["g11"],
        facts={"house_storeys": "2", "crops": "玉米,烤烟"},
    )


def test_id_number_is_encrypted_hashed_and_masked(household, cadre) -> None:
    resident = services.resident_create(
        actor=cadre,
        household=household,
        name="张建国",
        id_number=ADULT_ID,
        phone="13812345678",
        relation="head",
    )
    stored = Resident.objects.get(pk=resident.pk)
    assert ADULT_ID not in stored.id_number_enc and stored.id_number_enc
    assert crypto.decrypt(stored.id_number_enc) == ADULT_ID
    assert stored.id_number_hash == crypto.lookup_hash(ADULT_ID)
    assert stored.id_number_masked == ADULT_ID[:4] + "*" * 10 + ADULT_ID[-4:]
    assert stored.phone_masked == "138****5678"
    assert stored.gender == "male" and stored.birth_date == datetime.date(1968, 3, 9)
    household.refresh_from_db()
    assert household.head_id == resident.pk
    # The audit trail never holds the full values.
    record = AuditRecord.objects.filter(object_id=str(resident.pk), content_type__model="resident").get()
    assert ADULT_ID not in str(record.after) and "13812345678" not in str(record.after)
    assert record.after["id_number"] == stored.id_number_masked


def test_duplicate_id_number_is_refused_and_nothing_written(household, cadre) -> None:
    services.resident_create(actor=cadre, household=household, name="张建国", id_number=ADULT_ID)
    before = Resident.objects.count()
    with pytest.raises(Conflict) as err:
        services.resident_create(actor=cadre, household=household, name="张某", id_number=ADULT_ID.lower())
    assert err.value.code == "duplicate_id_number"
    assert Resident.objects.count() == before


def test_bad_id_number_gives_the_specific_reason(household, cadre) -> None:
    with pytest.raises(ValidationFailed) as err:
        services.resident_create(
            actor=cadre,
            household=household,
            name="李四",
            id_number=ADULT_ID[:-1] + "0" if ADULT_ID[-1] != "0" else ADULT_ID[:-1] + "1",
        )
    assert err.value.code == "id_checksum"
    assert not Resident.objects.exists()


def test_reveal_needs_the_permission_and_a_reason_and_is_logged(
    tiny_county, household, cadre, make_staff
) -> None:
    resident = services.resident_create(actor=cadre, household=household, name="张建国", id_number=ADULT_ID)
    with pytest.raises(ValidationFailed):
        services.resident_reveal(actor=cadre, resident=resident, field="id_number", reason="")
    assert not Event.objects.filter(event_type="people.pii_revealed").exists()
    value = services.resident_reveal(actor=cadre, resident=resident, field="id_number", reason="办理低保复核")
    assert value == ADULT_ID
    event = Event.objects.get(event_type="people.pii_revealed")
    assert event.actor == cadre and event.data == {"field": "id_number", "reason": "办理低保复核"}
    gridder = make_staff(Role.GRIDDER, grid=tiny_county["g11"])
    with pytest.raises(PermissionDenied):
        services.resident_reveal(actor=gridder, resident=resident, field="id_number", reason="核对")


def test_minors_and_sensitive_people_are_hidden_from_roles_without_need(
    tiny_county, household, cadre, make_staff
) -> None:
    adult = services.resident_create(actor=cadre, household=household, name="张建国", id_number=ADULT_ID)
    child = services.resident_create(
        actor=cadre, household=household, name="张小明", id_number=CHILD_ID, special_groups=["liushou_child"]
    )
    watched = services.resident_create(
        actor=cadre, household=household, name="王某", special_groups=["key_person"]
    )
    leader = make_staff(Role.LEADER, tiny_county["county"])
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"])
    assert set(selectors.residents_visible(leader)) == {adult}
    assert set(selectors.residents_visible(cadre)) == {adult, child}
    assert set(selectors.residents_visible(officer)) == {adult, child, watched}
    with pytest.raises(PermissionDenied) as err:
        selectors.resident_get(leader, child.pk)
    assert "未成年人" in err.value.message
    assert selectors.resident_get(cadre, child.pk) == child


def test_search_by_full_id_tail_phone_and_name(household, cadre) -> None:
    resident = services.resident_create(
        actor=cadre, household=household, name="张建国", id_number=ADULT_ID, phone="13812345678"
    )
    for q in (ADULT_ID, ADULT_ID[-4:], "13812345678", "5678", "建国", "一组 12"):
        assert list(selectors.resident_list(cadre, q=q)) == [resident], q


def test_facts_are_typed_and_validated(household, cadre) -> None:
    assert household.facts == {"house_storeys": 2, "crops": ["玉米", "烤烟"]}
    with pytest.raises(ValidationFailed) as err:
        services.household_update(actor=cadre, household=household, facts={"house_storeys": "两层"})
    assert err.value.code == "fact_invalid" and "房屋层数" in err.value.message
    with pytest.raises(ValidationFailed):
        services.household_update(actor=cadre, household=household, facts={"no_such_fact": "x"})
    updated = services.household_update(actor=cadre, household=household, facts={"house_dangerous": "是"})
    assert updated.facts == {"house_storeys": 2, "crops": ["玉米", "烤烟"], "house_dangerous": True}


def test_stale_edit_is_refused(household, cadre) -> None:
    services.household_update(actor=cadre, household=household, expected_version=1, address="新地址 1 号")
    with pytest.raises(Conflict) as err:
        services.household_update(actor=cadre, household=household, expected_version=1, address="另一个地址")
    assert err.value.code == "stale_version"
    household.refresh_from_db()
    assert household.address == "新地址 1 号" and household.version == 2


def test_edit_outside_scope_is_refused(tiny_county, household, make_staff) -> None:
    other_cadre = make_staff(Role.VILLAGE_CADRE, tiny_county["v21"])
    with pytest.raises(PermissionDenied):
        services.household_update(actor=other_cadre, household=household, address="x")


def test_history_page_shows_fact_labels_and_group_names(household, cadre, client) -> None:
    resident = services.resident_create(actor=cadre, household=household, name="张建国")
    services.household_update(actor=cadre, household=household, facts={"house_storeys": "3"})
    services.resident_update(actor=cadre, resident=resident, special_groups=["dibao", "disabled"])
    client.force_login(cadre)
    page = client.get(f"/audit/history/people/household/{household.pk}/").content.decode()
    assert "房屋层数：3" in page and "house_storeys" not in page
    page = client.get(f"/audit/history/people/resident/{resident.pk}/").content.decode()
    assert "特殊群体" in page and "低保户、残疾人" in page
