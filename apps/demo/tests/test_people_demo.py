"""Demo resident records: valid and unique ID numbers of the county's region, plausible families,
special groups at sane rates, scoping of minors, one event instead of per-row audit records, and a
re-run that adds nothing. The lite load writes the demo township's villages only (about 560
households); the planner tests run on the tiny county and take milliseconds."""

from __future__ import annotations

import datetime
import random
import re
from collections import Counter, defaultdict

import pytest

from apps.accounts.models import User
from apps.audit.models import AuditRecord, Event
from apps.core import crypto
from apps.demo.loader import load_demo
from apps.demo.people import _Ids, _Planner, load_people
from apps.people import events, idnumber, selectors
from apps.people.choices import Gender, Relation
from apps.people.facts import active_definitions, clean_facts
from apps.people.models import Household, Resident
from apps.people.services import personal_data_fields
from apps.territory.choices import Level
from apps.territory.models import Grid, Unit

pytestmark = pytest.mark.django_db

HUIZE = "530326"
NAGU = "530326102"


def _age(birth: datetime.date, today: datetime.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _rate(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def test_lite_demo_people_are_plausible_and_a_rerun_adds_nothing() -> None:
    result = load_demo(county_code=HUIZE, lite=True)
    today = datetime.date.today()
    households = list(Household.objects.select_related("unit", "grid", "head"))
    residents = list(Resident.objects.select_related("household").prefetch_related("special_groups"))
    assert result.counts["households"] == len(households) and result.counts["residents"] == len(residents)
    assert result.created["households"] == len(households) > 0

    # Lite: the demo township's villages only, 20–60 households each, each village has some.
    villages = Unit.objects.filter(parent__code=NAGU, level=Level.VILLAGE)
    per_village: Counter[int] = Counter(
        h.unit.parent_id if h.unit.level == Level.GROUP else h.unit_id for h in households
    )
    assert set(per_village) == set(villages.values_list("pk", flat=True))
    assert all(20 <= n <= 60 for n in per_village.values())

    # Every household: a 4-digit number, an address in its village, a level-3 grid of its
    # village, a head who is a member of it, typed facts that pass the configured definitions.
    definitions = active_definitions()
    for h in households:
        village = h.unit.parent if h.unit.level == Level.GROUP else h.unit
        assert re.fullmatch(r"\d{4}", h.number)
        assert h.address.startswith(village.display_name)
        assert h.grid is not None and h.grid.level == 3 and h.grid.unit_id == village.pk
        assert h.head is not None and h.head.household_id == h.pk and h.head.relation == Relation.HEAD
        cleaned, errors = clean_facts(h.facts, definitions, partial=True)
        assert not errors and cleaned == h.facts
    assert any(re.fullmatch(r"\S+村[一二三四五六七八九十]组 \d+ 号", h.address) for h in households)
    # The villages with villager groups put their households in the groups.
    assert any(h.unit.level == Level.GROUP for h in households)

    # ID numbers: valid, of the county's region, agreeing with sex and birth date, all distinct.
    numbers = set()
    for r in residents:
        number = crypto.decrypt(r.id_number_enc)
        info = idnumber.parse(number)
        assert info.region == HUIZE
        assert (info.gender, info.birth_date) == (r.gender, r.birth_date)
        assert r.id_number_hash == crypto.lookup_hash(number) and r.id_tail == number[-4:]
        numbers.add(number)
        if r.phone_enc:
            assert re.fullmatch(r"1[3-9]\d{9}", crypto.decrypt(r.phone_enc))
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,3}", r.name)
    assert len(numbers) == len(residents)

    adults = [r for r in residents if _age(r.birth_date, today) >= 18]
    minors = [r for r in residents if _age(r.birth_date, today) < 18]
    assert len(minors) > 0.1 * len(residents)
    heads = [h.head for h in households if h.head is not None]
    assert _rate(sum(35 <= _age(p.birth_date, today) <= 71 for p in heads), len(heads)) > 0.6
    assert _rate(sum(1 for r in adults if r.phone_tail), len(adults)) > 0.75
    assert not any(r.phone_tail for r in residents if _age(r.birth_date, today) < 15)
    party = sum(1 for r in adults if r.political_status == "party_member")
    assert 0.04 <= _rate(party, len(adults)) <= 0.13
    away = [r for r in adults if r.living_away]
    assert 0.15 <= _rate(len(away), len(adults)) <= 0.45 and all(r.away_place for r in away)

    # Special groups at sane rates (the rates of the brief, with room for a sample of ~560).
    by_group: dict[str, list[Resident]] = defaultdict(list)
    for r in residents:
        for g in r.special_groups.all():
            by_group[g.code].append(r)

    def household_rate(code: str) -> float:
        return _rate(len({r.household_id for r in by_group[code]}), len(households))

    assert 0.025 <= household_rate("dibao") <= 0.09
    assert household_rate("tekun") <= 0.02
    assert 0.01 <= household_rate("monitored") <= 0.06
    assert 0.01 <= household_rate("alone_elder") <= 0.05
    assert 0.03 <= _rate(len(by_group["disabled"]), len(residents)) <= 0.10
    assert 0.005 <= _rate(len(by_group["veteran"]), len(residents)) <= 0.04
    assert _rate(len(by_group["key_person"]), len(residents)) <= 0.01
    members: dict[int, list[Resident]] = defaultdict(list)
    for r in residents:
        members[r.household_id].append(r)
    for child in by_group["liushou_child"]:
        # A left-behind child is a minor whose parents both live away.
        assert _age(child.birth_date, today) <= 17
        family = members[child.household_id]
        parents = (
            [m for m in family if m.relation in (Relation.HEAD, Relation.SPOUSE)]
            if child.relation == Relation.CHILD
            else [m for m in family if m.relation in (Relation.CHILD, Relation.CHILD_IN_LAW) and m.age >= 18]
        )
        assert len(parents) >= 2 and all(p.living_away for p in parents[:2]), child.household_id
    assert by_group["liushou_child"]
    assert all(_age(r.birth_date, today) >= 60 for r in by_group["kongchao_elder"])
    for r in by_group["alone_elder"]:
        assert len(members[r.household_id]) == 1 and _age(r.birth_date, today) >= 60
    colours = Counter(h.color_grade for h in households)
    assert colours[""] > len(households) / 2 and colours["red"] and colours["orange"] and colours["yellow"]

    # Minors and sensitive people are hidden from the county leader, not from the township officer.
    leader = User.objects.get(username="leader")
    officer = User.objects.get(username="township")
    hidden = {r.pk for r in minors} | {r.pk for r in by_group["key_person"]}
    assert selectors.residents_visible(leader).count() == len(residents) - len(hidden)
    assert selectors.residents_visible(officer).count() == len(residents)

    # One event for the load, no audit record per row.
    loaded = Event.objects.filter(event_type=events.DEMO_LOADED).get()
    assert loaded.data["households"] == len(households) and loaded.data["residents"] == len(residents)
    # (The one audited change: the demo resident's login linked to a villager's record.)
    audited = list(AuditRecord.objects.filter(content_type__app_label="people"))
    assert [r.changed_fields for r in audited] == [["account_id"]]

    # A second run creates nothing, writes no event and leaves every record as it was.
    before = (Household.objects.count(), Resident.objects.count(), Event.objects.count())
    fingerprint = sorted(Resident.objects.values_list("id_number_hash", "name", "household__number"))
    again = load_demo(county_code=HUIZE, lite=True)
    assert (again.created["households"], again.created["residents"]) == (0, 0)
    assert (Household.objects.count(), Resident.objects.count(), Event.objects.count()) == before
    assert sorted(Resident.objects.values_list("id_number_hash", "name", "household__number")) == fingerprint


def test_planner_is_deterministic_and_ids_unique(tiny_county) -> None:
    villages = [tiny_county[k] for k in ("v11", "v12", "v21", "v22")]
    today = datetime.date(2026, 11, 21)

    def plan() -> list[tuple[str, str, str, str]]:
        planner = _Planner(random.Random(7), HUIZE, today)
        return [
            (h.number, p.name, p.id_number, p.phone)
            for v in villages
            for h in planner.village(v)[1]
            for p in h.members
        ]

    first = plan()
    assert first == plan()
    ids = [row[2] for row in first]
    assert len(set(ids)) == len(ids) and all(idnumber.is_valid(i) for i in ids)
    phones = [row[3] for row in first if row[3]]
    assert len(set(phones)) == len(phones)

    # Many people born on one day: distinct numbers, odd sequence for men, even for women.
    make = _Ids(HUIZE)
    born = datetime.date(1980, 5, 17)
    men = [make(born, Gender.MALE) for _ in range(150)]
    women = [make(born, Gender.FEMALE) for _ in range(150)]
    assert len(set(men + women)) == 300
    assert all(int(n[16]) % 2 == 1 for n in men) and all(int(n[16]) % 2 == 0 for n in women)
    assert all(personal_data_fields(id_number=n)["gender"] == Gender.MALE for n in men[:5])


def test_load_into_existing_records_keeps_them(tiny_county, make_staff) -> None:
    """A household number or ID number already in use (entered by hand) is left alone."""
    county, v11 = tiny_county["county"], tiny_county["v11"]
    Grid.objects.create(code="NG-01-01-01", name="三级网格", level=3, unit=v11, parent=tiny_county["g11"])
    villages = [v11, tiny_county["v12"]]
    # What the demo would write first in 娜姑村, taken by hand beforehand.
    planner = _Planner(random.Random(int(HUIZE) * 1000 + 3), HUIZE, datetime.date.today())
    _, planned = planner.village(v11)
    taken_id = planned[1].members[0].id_number
    manual = Household.objects.create(unit=v11, number=planned[0].number, address="手工登记 1 号")
    other = Household.objects.create(unit=v11, number="X-1", address="手工登记 2 号")
    Resident.objects.create(household=other, name="先登记", **personal_data_fields(id_number=taken_id))

    result = load_people(
        county=county, villages=villages, write={v11.pk}, actor=None, today=datetime.date.today()
    )
    assert result.households_created == len(planned) - 1
    manual.refresh_from_db()
    assert manual.address == "手工登记 1 号" and not manual.members.exists()
    holder = Resident.objects.get(id_number_hash=crypto.lookup_hash(taken_id))
    assert holder.name == "先登记"
    # The demo person who would have had that number is there, without one.
    demo_person = Resident.objects.get(
        household__unit=v11, household__number=planned[1].number, relation="head"
    )
    assert demo_person.id_number_hash is None and demo_person.birth_date is not None
    assert not Household.objects.filter(unit=tiny_county["v12"]).exists()
    assert Household.objects.filter(unit=v11, grid__code="NG-01-01-01").count() == result.households_created
