"""Demo resident records (民情档案): synthetic households and residents for every village of the
demo county, so that lists, filters, special groups and dashboards have a county's worth of data.

None of these people exist. Names are drawn from common surnames and given-name characters, ID
numbers are valid numbers of the county's own region code (built with `idnumber.make`, the right
gender parity, unique), phones are well-formed mobile numbers that nobody was asked for.

Shape of a village: 20–60 households (a sample of the village's real size), each in a level-3 grid
of its village (drawn in proportion to the grid's household estimate), in a villager group where
the village has groups. Families: a head (mostly 35–70), a spouse, children, sometimes the head's
parents or a married child with grandchildren; elderly couples whose children work away, people
living alone. Working-age adults often work away (外出务工, with the place), their children are
left-behind children (留守儿童) when both parents are away, and so on for the special groups at
rates near those counties report (低保户 ≈ 5% of households, 残疾人 ≈ 6% of people …).

Deterministic: every draw comes from one `random.Random` seeded with the county code, village by
village in code order, before anything is written; the lite load draws the same villages up to the
last one it writes, so a village gets the same families in a lite and a full load. Idempotent: a
household whose (unit, number) exists is not written again, nor are its members.

Writes: NOT through `services.household_create/resident_create` — 50,000 residents one by one,
each with its audit record and event, would take minutes. The rows are bulk-created with values
prepared by the same functions the services use (`services.personal_data_fields` encrypts and
hashes the ID number and phone and validates the number; `facts.clean_facts` types the facts), and
the load writes ONE `people.demo_loaded` event with the counts instead of per-row audit records.
"""

from __future__ import annotations

import datetime
import decimal
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from django.db.models import OuterRef, Subquery

from apps.accounts.models import User
from apps.audit.services import record_event
from apps.people import events, idnumber
from apps.people.choices import ColorGrade, Gender, HukouType, IncomeBand, PoliticalStatus, Relation
from apps.people.facts import active_definitions, clean_facts
from apps.people.models import Household, Resident, SpecialGroup
from apps.people.services import personal_data_fields
from apps.territory.choices import Level, UnitKind
from apps.territory.models import Grid, Unit

HOUSEHOLDS_PER_VILLAGE = (20, 60)
BATCH = 1000
CN_DIGITS = "〇一二三四五六七八九十"
DEMO_PHONE = "13800000001"  # the demo resident's login phone: never given to a record

# Surnames of 会泽 and Yunnan in general, weighted roughly by frequency.
SURNAMES: tuple[tuple[str, int], ...] = (
    ("王", 9), ("李", 9), ("张", 8), ("刘", 6), ("陈", 5), ("杨", 7), ("赵", 4), ("黄", 3), ("周", 3),
    ("吴", 3), ("徐", 2), ("孙", 2), ("胡", 2), ("朱", 2), ("高", 2), ("林", 1), ("何", 2), ("郭", 1),
    ("马", 3), ("罗", 3), ("沈", 1), ("付", 1), ("邓", 1), ("彭", 1), ("唐", 1), ("丁", 1), ("董", 1),
    ("潘", 1), ("蒋", 1), ("余", 1), ("段", 1), ("钱", 1), ("龙", 1), ("尹", 1), ("施", 1), ("邹", 1),
)  # fmt: skip
# Given-name characters by generation (born before 1970, 1970–1994, from 1995) and gender.
GIVEN: dict[tuple[int, str], str] = {
    (0, Gender.MALE): "国华明建德文学兴富贵祥福寿荣昌永正发忠云海林春顺才有",
    (0, Gender.FEMALE): "秀英兰珍芬桂凤莲玉翠琼梅美菊花仙会芝粉存巧",
    (1, Gender.MALE): "伟强军勇涛斌波辉鹏刚平杰磊超峰龙江俊林飞亮红宏剑",
    (1, Gender.FEMALE): "丽艳燕娟霞敏静芳琴萍红梅玲丹雪莉娜慧云丽蓉婷",
    (2, Gender.MALE): "浩宇轩子俊杰博睿泽宸皓文航宁一辰鑫楷明嘉晨铭",
    (2, Gender.FEMALE): "欣怡涵梓萱雨思佳诗悦可馨婉若琪妍紫彤雅梦瑶诺",
}
AWAY_PLACES: tuple[tuple[str, int], ...] = (
    ("昆明", 30), ("曲靖", 15), ("广东", 15), ("浙江", 15), ("江苏", 7), ("上海", 5), ("福建", 5),
    ("贵州", 4), ("四川", 4),
)  # fmt: skip
COLLEGE_PLACES: tuple[tuple[str, int], ...] = (("昆明", 6), ("曲靖", 3), ("贵州", 1), ("四川", 1))
# Prefixes of mobile numbers in use in Yunnan.
PHONE_PREFIXES = (
    *(f"13{d}" for d in range(10)),
    *(f"15{d}" for d in (0, 1, 2, 3, 5, 6, 7, 8, 9)),
    "177",
    *(f"18{d}" for d in (0, 1, 2, 3, 6, 7, 8, 9)),
    "191",
    "199",
)
VILLAGE_JOBS: tuple[tuple[str, int], ...] = (
    ("务农", 70), ("个体经营", 8), ("本地务工", 9), ("建筑工", 5), ("运输", 4), ("教师", 2),
    ("乡村医生", 1), ("村干部", 1),
)  # fmt: skip
TOWN_JOBS: tuple[tuple[str, int], ...] = (
    ("个体经营", 25), ("企业职工", 25), ("本地务工", 20), ("公务员", 5), ("教师", 6), ("医护人员", 4),
    ("自由职业", 10), ("务农", 5),
)  # fmt: skip

# Composition of households: (kind, village weight, community weight).
COMPOSITIONS: tuple[tuple[str, int, int], ...] = (
    ("nuclear", 45, 55),
    ("with_parents", 14, 8),
    ("stem", 12, 6),
    ("elderly_couple", 14, 12),
    ("single_elder", 2, 2),
    ("single_adult", 6, 9),
    ("young_couple", 6, 7),
)


_CUMULATIVE: dict[int, tuple[list[str], list[int]]] = {}


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    """One value by weight (the same draw as `rng.choices(weights=…)`, without re-summing)."""
    table = _CUMULATIVE.get(id(weighted))
    if table is None:
        table = _CUMULATIVE[id(weighted)] = (
            [w[0] for w in weighted],
            list(accumulate(w[1] for w in weighted)),
        )
    return rng.choices(table[0], cum_weights=table[1])[0]


# --- the plan -------------------------------------------------------------------------------------


@dataclass
class _Person:
    name: str
    gender: str
    birth: datetime.date
    relation: str
    age: int
    political_status: str = PoliticalStatus.MASSES
    occupation: str = ""
    living_away: bool = False
    away_place: str = ""
    groups: set[str] = field(default_factory=set)
    id_number: str = ""
    phone: str = ""


@dataclass
class _House:
    village: Unit
    number: str
    group_u: float  # which villager group (scaled to the village's group count when written)
    grid_u: float  # which level-3 grid (scaled to the grids' household estimates when written)
    door: int
    hukou_type: str
    land: decimal.Decimal | None
    income_band: str
    color_grade: str
    facts: dict[str, Any]
    members: list[_Person]
    migrant_workers: int


class _Ids:
    """Unique ID numbers of one region: a counter per birth date and sex (odd sequence = male)."""

    def __init__(self, region: str) -> None:
        self.region = region
        self.used: Counter[tuple[datetime.date, int]] = Counter()

    def __call__(self, birth: datetime.date, gender: str) -> str:
        parity = 1 if gender == Gender.MALE else 0
        n = self.used[(birth, parity)]
        self.used[(birth, parity)] += 1
        # Start somewhere other than 000 for each date, as a real police station's block would.
        start = (birth.toordinal() * 37) % 300
        sequence = start * 2 + n * 2 + parity
        if sequence > 999:
            raise RuntimeError(f"more than 500 demo residents of one sex born on {birth}")
        return idnumber.make(self.region, birth, sequence)


class _Phones:
    def __init__(self) -> None:
        self.used: set[str] = {DEMO_PHONE}

    def __call__(self, rng: random.Random) -> str:
        while True:
            phone = rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            if phone not in self.used:
                self.used.add(phone)
                return phone


class _Planner:
    def __init__(self, rng: random.Random, county_code: str, today: datetime.date) -> None:
        self.rng = rng
        self.today = today
        # Ages count from 1 January of this year, so that a day later the same draws give the
        # same birth dates (and ID numbers), and no one is born in the future.
        self.reference = datetime.date(today.year, 1, 1)
        self.ids = _Ids(county_code)
        self.phones = _Phones()
        self.urban = False

    # --- people ---------------------------------------------------------------------------------

    def _birth(self, age: int) -> datetime.date:
        born = self.reference.replace(year=self.reference.year - age - 1)
        return born + datetime.timedelta(days=self.rng.randrange(365))

    def name(self, gender: str, birth_year: int, surname: str | None = None) -> str:
        rng = self.rng
        if surname is None:
            surname = _pick(rng, SURNAMES)
        generation = 0 if birth_year < 1970 else 1 if birth_year < 1995 else 2
        chars = GIVEN[(generation, gender)]
        length = 1 if rng.random() < (0.35 if generation == 0 else 0.25) else 2
        return surname + "".join(rng.choice(chars) for _ in range(length))

    def person(self, relation: str, age: int, gender: str, surname: str | None = None) -> _Person:
        age = max(0, min(age, 99))
        birth = self._birth(age)
        return _Person(
            name=self.name(gender, birth.year, surname),
            gender=gender,
            birth=birth,
            relation=relation,
            age=age,
        )

    def spouse_of(self, head: _Person) -> _Person:
        gender = Gender.FEMALE if head.gender == Gender.MALE else Gender.MALE
        shift = self.rng.randint(-2, 6) if gender == Gender.FEMALE else self.rng.randint(-6, 2)
        # Not below the legal age of marriage (20 for women, 22 for men).
        age = max(head.age - shift, 20 if gender == Gender.FEMALE else 22)
        return self.person(Relation.SPOUSE, age, gender)

    def children(self, relation: str, mother_age: int, count: int, surname: str) -> list[_Person]:
        kids = []
        for _ in range(count):
            age = mother_age - self.rng.randint(20, 36)
            if age < 0:
                continue
            gender = Gender.MALE if self.rng.random() < 0.52 else Gender.FEMALE
            kids.append(self.person(relation, age, gender, surname))
        return sorted(kids, key=lambda p: -p.age)

    def _surname(self, person: _Person) -> str:
        return person.name[0]

    # --- households -------------------------------------------------------------------------------

    def household(self, village: Unit, number: int) -> _House:
        rng = self.rng
        kind = rng.choices(
            [c[0] for c in COMPOSITIONS], weights=[c[2] if self.urban else c[1] for c in COMPOSITIONS]
        )[0]
        male_head = rng.random() < 0.86
        head_gender = Gender.MALE if male_head else Gender.FEMALE
        members: list[_Person] = []
        couples_away: list[tuple[_Person, _Person | None, list[_Person]]] = []  # parents, their minors

        if kind in ("nuclear", "with_parents", "young_couple"):
            low, high = {"nuclear": (32, 62), "with_parents": (28, 50), "young_couple": (22, 34)}[kind]
            head = self.person(Relation.HEAD, rng.randint(low, high), head_gender)
            spouse = self.spouse_of(head)
            father, mother = (head, spouse) if head.gender == Gender.MALE else (spouse, head)
            if kind == "young_couple":
                count = 1 if rng.random() < 0.4 else 0
            else:
                count = rng.choices([0, 1, 2, 3], weights=[8, 33, 42, 17])[0]
            kids = [
                k
                for k in self.children(Relation.CHILD, mother.age, count, self._surname(father))
                if k.age <= 30
            ]
            members += [head, spouse, *kids]
            if kind == "with_parents":  # the head's own parents, the children's grandparents
                elder_age = head.age + rng.randint(22, 34)
                grandfather = self.person(
                    Relation.PARENT, elder_age + rng.randint(0, 4), Gender.MALE, self._surname(head)
                )
                grandmother = self.person(Relation.PARENT, elder_age, Gender.FEMALE)
                both = rng.random() < 0.6
                members += [grandfather, grandmother] if both else [rng.choice([grandfather, grandmother])]
            couples_away.append((head, spouse, [k for k in kids if k.age < 16]))
        elif kind == "stem":
            head = self.person(Relation.HEAD, rng.randint(52, 75), Gender.MALE)
            members.append(head)
            if rng.random() < 0.82:
                members.append(self.spouse_of(head))
            son = self.person(
                Relation.CHILD, head.age - rng.randint(22, 32), Gender.MALE, self._surname(head)
            )
            wife = self.spouse_of(son)
            wife.relation = Relation.CHILD_IN_LAW
            grandkids = self.children(
                Relation.GRANDCHILD,
                wife.age,
                rng.choices([1, 2, 3], weights=[45, 45, 10])[0],
                self._surname(head),
            )
            members += [son, wife, *grandkids]
            if rng.random() < 0.2:  # an unmarried younger child still registered here
                young = son.age - rng.randint(2, 8)
                if young >= 14:
                    gender = Gender.MALE if rng.random() < 0.5 else Gender.FEMALE
                    members.append(self.person(Relation.CHILD, young, gender, self._surname(head)))
            couples_away.append((son, wife, [k for k in grandkids if k.age < 16]))
        elif kind == "elderly_couple":
            head = self.person(Relation.HEAD, rng.randint(58, 86), head_gender)
            spouse = self.spouse_of(head)
            members += [head, spouse]
            mother = spouse if spouse.gender == Gender.FEMALE else head
            grown = [
                k
                for k in self.children(
                    Relation.CHILD,
                    mother.age,
                    rng.choices([0, 1, 2], weights=[35, 40, 25])[0],
                    self._surname(head),
                )
                if k.age >= 18
            ]
            members += grown
        elif kind == "single_elder":
            gender = Gender.FEMALE if rng.random() < 0.6 else Gender.MALE
            head = self.person(Relation.HEAD, rng.randint(62, 92), gender)
            members.append(head)
        else:  # single_adult
            gender = Gender.MALE if rng.random() < 0.7 else Gender.FEMALE
            head = self.person(Relation.HEAD, rng.randint(22, 58), gender)
            members.append(head)

        self._lives(members, couples_away)
        for person in members:
            self._personal(person)
        return self._house(village, number, kind, members)

    def _lives(
        self,
        members: list[_Person],
        couples: list[tuple[_Person, _Person | None, list[_Person]]],
    ) -> None:
        """Occupation and living away; both parents away makes their minors left-behind children."""
        rng = self.rng
        decided: set[int] = set()
        for a, b, minors in couples:
            if b is None:
                continue
            # Someone else old enough at home (the children's grandparents) to look after them.
            carers = any(p.age >= 45 and p is not a and p is not b for p in members)
            if self.urban:
                weights = [85, 13, 2]
            elif minors and carers:
                weights = [40, 25, 35]  # grandparents at home: both parents often go
            elif minors:
                weights = [62, 33, 5]
            else:
                weights = [55, 30, 15]
            away = rng.choices([0, 1, 2], weights=weights)[0]
            adults = [p for p in (a, b) if 18 <= p.age <= 57]
            if away == 2 and len(adults) == 2:
                for p in adults:
                    self._away(p)
                for child in minors:
                    child.groups.add("liushou_child")
            elif away >= 1 and adults:
                # Usually the man goes and the woman stays with the children.
                goer = max(adults, key=lambda p: p.gender == Gender.MALE)
                self._away(goer)
            decided.update(id(p) for p in (a, b))
        for p in members:
            if id(p) in decided and p.living_away:
                continue
            if p.age < 3:
                p.occupation = ""
            elif p.age < 6:
                p.occupation = "学龄前儿童"
            elif p.age < 18:
                p.occupation = "学生"
            elif p.age <= 22 and rng.random() < 0.45:
                p.occupation = "学生"
                if rng.random() < 0.8:  # at university or vocational school
                    p.living_away, p.away_place = True, _pick(rng, COLLEGE_PLACES)
            elif p.age < 60:
                if (
                    id(p) not in decided
                    and not self.urban
                    and rng.random() < (0.7 if p.relation == Relation.CHILD else 0.3)
                ):
                    self._away(p)
                else:
                    p.occupation = _pick(rng, TOWN_JOBS if self.urban else VILLAGE_JOBS)
            elif p.age < 72:
                p.occupation = "退休" if rng.random() < (0.5 if self.urban else 0.06) else "务农"
            else:
                p.occupation = "退休" if self.urban and rng.random() < 0.5 else "无"

    def _away(self, person: _Person) -> None:
        person.living_away = True
        person.away_place = _pick(self.rng, AWAY_PLACES)
        person.occupation = "外出务工" if self.rng.random() < 0.9 else "个体经营"

    def _personal(self, p: _Person) -> None:
        rng = self.rng
        p.id_number = self.ids(p.birth, p.gender)
        if p.age >= 18:
            if rng.random() < (0.92 if p.age < 75 else 0.45):
                p.phone = self.phones(rng)
            male = p.gender == Gender.MALE
            party = 0.03 + (0.07 if male else 0.0) + (0.03 if p.age >= 45 else 0.0)
            roll = rng.random()
            if roll < party:
                p.political_status = PoliticalStatus.PARTY_MEMBER
            elif roll < party + 0.003:
                p.political_status = PoliticalStatus.PROBATIONARY
            elif p.age <= 28 and roll < party + 0.35:
                p.political_status = PoliticalStatus.LEAGUE_MEMBER
            if male and 22 <= p.age <= 80 and rng.random() < 0.05:
                p.groups.add("veteran")
            if p.age <= 65 and rng.random() < 0.0035:
                p.groups.add("key_person")
        elif p.age >= 16 and rng.random() < 0.3:
            p.phone = self.phones(rng)
        elif p.age >= 14 and rng.random() < 0.4:
            p.political_status = PoliticalStatus.LEAGUE_MEMBER
        disabled = 0.015 if p.age < 18 else 0.045 if p.age < 60 else 0.15
        if rng.random() < disabled:
            p.groups.add("disabled")

    def _house(self, village: Unit, number: int, kind: str, members: list[_Person]) -> _House:
        rng = self.rng
        urban = self.urban
        head = members[0]
        disabled = any("disabled" in p.groups for p in members)
        left_behind = any("liushou_child" in p.groups for p in members)
        elderly_only = all(p.age >= 60 or p.living_away for p in members) and head.age >= 60
        at_home_children = [p for p in members if p.relation == Relation.CHILD and not p.living_away]
        household_groups: set[str] = set()

        if kind == "single_elder":
            head.groups.add("alone_elder")
            if rng.random() < 0.22:
                head.groups.add("tekun")
        elif not at_home_children and (kind == "elderly_couple" or (elderly_only and len(members) > 1)):
            for p in members:
                if p.age >= 60 and not p.living_away:
                    p.groups.add("kongchao_elder")

        tekun = any("tekun" in p.groups for p in members)
        dibao_p = 0.035 + (0.08 if kind == "single_elder" else 0) + (0.05 if disabled else 0)
        dibao_p += 0.03 if elderly_only else 0
        if not tekun and rng.random() < dibao_p:
            household_groups.add("dibao")
        elif not tekun and rng.random() < 0.03:
            household_groups.add("monitored")
        for p in members:
            p.groups |= household_groups

        illness = rng.random() < (0.25 if household_groups or tekun else 0.05)
        dibao = "dibao" in household_groups
        if tekun or (dibao and (illness or disabled)) or (kind == "single_elder" and disabled):
            grade = ColorGrade.RED
        elif household_groups or (kind == "single_elder") or (illness and disabled):
            grade = ColorGrade.ORANGE
        elif left_behind or disabled or any("kongchao_elder" in p.groups for p in members) or illness:
            grade = ColorGrade.YELLOW if rng.random() < 0.6 else ColorGrade.NONE
        else:
            grade = ColorGrade.NONE

        away = [p for p in members if p.living_away and p.occupation != "学生"]
        if tekun or dibao or kind == "single_elder":
            band = IncomeBand.LOW
        elif len(away) >= 2 or (urban and rng.random() < 0.4):
            band = IncomeBand.MIDDLE if rng.random() < 0.8 else IncomeBand.HIGH
        elif away:
            band = IncomeBand.LOWER_MIDDLE if rng.random() < 0.6 else IncomeBand.MIDDLE
        else:
            band = rng.choices(
                [IncomeBand.LOW, IncomeBand.LOWER_MIDDLE, IncomeBand.MIDDLE, IncomeBand.HIGH],
                weights=[25, 50, 20, 5],
            )[0]

        if tekun or dibao:
            source = "低保救助"
        elif away:
            source = "务工"
        elif elderly_only:
            source = "养老金" if rng.random() < 0.4 else "务农"
        elif urban:
            source = rng.choice(["工资", "经商", "务工"])
        else:
            source = "务农" if rng.random() < 0.7 else "经商"

        built = rng.randint(1978, 2024)
        if urban:
            structure = "框架" if rng.random() < 0.6 else "砖混"
            storeys = rng.randint(4, 7)
        else:
            structure = rng.choices(["砖混", "砖木", "土木", "框架", "其他"], weights=[45, 20, 15, 15, 5])[0]
            if structure == "土木":
                built = min(built, rng.randint(1970, 2005))
            storeys = 1 if structure in ("土木", "砖木") else rng.choices([1, 2, 3], weights=[30, 55, 15])[0]
        land = None if urban else decimal.Decimal(f"{rng.uniform(1.0, 12.0):.1f}")
        facts: dict[str, Any] = {
            "house_structure": structure,
            "house_storeys": storeys,
            "house_built_year": built,
            "house_dangerous": structure == "土木" and built < 1995 and rng.random() < 0.3,
            "income_source": source,
            "water_source": "自来水"
            if urban
            else rng.choices(["自来水", "山泉水", "井水"], weights=[82, 11, 7])[0],
            "cooking_fuel": rng.choices(["电", "液化气", "柴草", "煤"], weights=[50, 15, 20, 15])[0]
            if not urban
            else rng.choice(["电", "液化气"]),
            "toilet_type": "水冲式"
            if urban
            else rng.choices(["水冲式", "卫生旱厕", "普通旱厕"], weights=[45, 40, 15])[0],
            "medical_insurance": len(members),
            "serious_illness": illness,
            "annual_income": str(
                {
                    IncomeBand.LOW: rng.randint(8, 25),
                    IncomeBand.LOWER_MIDDLE: rng.randint(25, 60),
                    IncomeBand.MIDDLE: rng.randint(60, 150),
                    IncomeBand.HIGH: rng.randint(150, 400),
                    IncomeBand.UNKNOWN: 0,
                }[band]
                * 1000
            ),
            "school_children": sum(1 for p in members if p.occupation == "学生"),
            "last_visit_date": (self.today - datetime.timedelta(days=rng.randint(1, 120))).isoformat(),
        }
        if not urban:
            cultivated = float(land or 0) * rng.uniform(0.6, 1.0)
            facts["homestead_area"] = str(rng.randint(80, 260))
            facts["cultivated_area"] = f"{cultivated:.1f}"
            facts["crops"] = rng.sample(
                ["玉米", "马铃薯", "烤烟", "蔬菜", "中药材", "水果"], k=rng.randint(1, 3)
            )
            facts["poverty_alleviated"] = rng.random() < 0.22
        if away:
            facts["migrant_destination"] = away[0].away_place
            facts["migrant_months"] = rng.randint(6, 12)

        return _House(
            village=village,
            number=f"{number:04d}",
            group_u=rng.random(),
            grid_u=rng.random(),
            door=rng.randint(1, 180) if not urban else rng.randint(1, 30),
            hukou_type=HukouType.RESIDENT if urban else HukouType.AGRICULTURAL,
            land=land,
            income_band=band,
            color_grade=grade,
            facts=facts,
            members=members,
            migrant_workers=len(away),
        )

    def village(self, village: Unit) -> tuple[int, list[_House]]:
        """(synthetic group count, households) of one village."""
        self.urban = village.kind == UnitKind.COMMUNITY
        groups = self.rng.randint(4, 9)
        count = self.rng.randint(*HOUSEHOLDS_PER_VILLAGE)
        return groups, [self.household(village, n) for n in range(1, count + 1)]


# --- the load -------------------------------------------------------------------------------------


@dataclass
class PeopleResult:
    households_created: int = 0
    residents_created: int = 0
    seconds: float = 0.0


def _scaled(u: float, n: int) -> int:
    return min(n - 1, int(u * n))


def _address(house: _House, groups: int, group_units: list[Unit]) -> tuple[str, Unit]:
    village = house.village
    if village.kind == UnitKind.COMMUNITY:
        building = 1 + _scaled(house.group_u, 24)
        return f"{village.display_name}{building}栋{house.door // 10 + 1}单元{100 + house.door}室", village
    number = 1 + _scaled(house.group_u, len(group_units) or groups)
    unit = group_units[number - 1] if group_units else village
    return f"{village.display_name}{CN_DIGITS[number] if number <= 10 else number}组 {house.door} 号", unit


def _grid(house: _House, grids: list[Grid]) -> Grid | None:
    """The level-3 grid at `grid_u` of the cumulative household estimates of the village's grids."""
    if not grids:
        return None
    weights = [max(1, g.households_hint) for g in grids]
    target = house.grid_u * sum(weights)
    acc = 0
    for grid, weight in zip(grids, weights, strict=True):
        acc += weight
        if target < acc:
            return grid
    return grids[-1]


def load_people(
    *,
    county: Unit,
    villages: list[Unit],
    write: set[int] | None,
    actor: User | None,
    today: datetime.date,
) -> PeopleResult:
    """Plan households for `villages` (in code order) and bulk-create those of the villages in
    `write` (all when None) that do not exist yet. Runs inside the demo loader's transaction."""
    started = time.perf_counter()
    result = PeopleResult()
    rng = random.Random(int(county.code) * 1000 + 3)  # its own stream: grids and staff keep theirs
    planner = _Planner(rng, county.code, today)
    wanted = [v for v in villages if write is None or v.pk in write]
    if not wanted:
        return result
    last = max(v.code for v in wanted)
    wanted_pks = {v.pk for v in wanted}

    grids: dict[int, list[Grid]] = {}
    for grid in Grid.objects.filter(unit__in=wanted, level=3, is_active=True).order_by("code"):
        grids.setdefault(grid.unit_id, []).append(grid)
    group_units: dict[int, list[Unit]] = {}
    for unit in Unit.objects.filter(parent__in=wanted, level=Level.GROUP, is_active=True).order_by("code"):
        if unit.parent_id is not None:
            group_units.setdefault(unit.parent_id, []).append(unit)
    existing = set(
        Household.objects.filter(unit__code__startswith=county.code).values_list("unit_id", "number")
    )
    groups_by_code = {g.code: g for g in SpecialGroup.objects.filter(is_active=True)}
    definitions = active_definitions()
    known_facts = {d.key for d in definitions}

    houses: list[Household] = []
    people: list[list[tuple[Resident, set[str]]]] = []
    for village in villages:
        if village.code > last:
            break
        group_count, plan = planner.village(village)
        if village.pk not in wanted_pks:
            continue
        for house in plan:
            address, unit = _address(house, group_count, group_units.get(village.pk, []))
            if (unit.pk, house.number) in existing:
                continue
            facts, _errors = clean_facts(
                {k: v for k, v in house.facts.items() if k in known_facts}, definitions, partial=True
            )  # a county may have changed a fact's options: such a value is left out, not fatal
            houses.append(
                Household(
                    unit=unit,
                    grid=_grid(house, grids.get(village.pk, [])),
                    number=house.number,
                    address=address,
                    hukou_type=house.hukou_type,
                    contracted_land_mu=house.land,
                    migrant_workers=house.migrant_workers,
                    income_band=house.income_band,
                    color_grade=house.color_grade,
                    facts=facts,
                    updated_by=actor,
                )
            )
            people.append([(_resident(p), p.groups) for p in house.members])
    if not houses:
        return result

    # Another resident (entered by hand) may already hold a planned number: that person keeps it.
    if Resident.objects.exists():
        planned = [r.id_number_hash for members in people for r, _ in members if r.id_number_hash]
        taken: set[str | None] = set()
        for i in range(0, len(planned), BATCH):
            chunk = planned[i : i + BATCH]
            taken.update(
                Resident.objects.filter(id_number_hash__in=chunk).values_list("id_number_hash", flat=True)
            )
        for members in people:
            for r, _ in members:
                if r.id_number_hash in taken:
                    r.id_number_enc, r.id_number_hash, r.id_prefix, r.id_tail = "", None, "", ""

    Household.objects.bulk_create(houses, batch_size=BATCH)
    residents: list[Resident] = []
    for household, members in zip(houses, people, strict=True):
        for resident, _ in members:
            resident.household = household
            residents.append(resident)
    Resident.objects.bulk_create(residents, batch_size=BATCH)
    # The head is each household's first member; one UPDATE with a subquery instead of a
    # bulk_update (a CASE per row, several times slower).
    first_member = Resident.objects.filter(household=OuterRef("pk"), relation=Relation.HEAD).order_by("pk")
    for i in range(0, len(houses), BATCH):
        pks = [h.pk for h in houses[i : i + BATCH]]
        Household.objects.filter(pk__in=pks).update(head=Subquery(first_member.values("pk")[:1]))
    through = Resident.special_groups.through
    tags = [
        through(resident_id=resident.pk, specialgroup_id=groups_by_code[code].pk)
        for members in people
        for resident, codes in members
        for code in sorted(codes)
        if code in groups_by_code
    ]
    through.objects.bulk_create(tags, batch_size=BATCH)

    result.households_created = len(houses)
    result.residents_created = len(residents)
    result.seconds = time.perf_counter() - started
    record_event(
        actor=actor,
        event_type=events.DEMO_LOADED,
        obj=county,
        data={
            "households": result.households_created,
            "residents": result.residents_created,
            "villages": len({h.unit.parent_id if h.unit.level == Level.GROUP else h.unit_id for h in houses}),
            "special_group_tags": len(tags),
        },
    )
    return result


def _resident(p: _Person) -> Resident:
    # `personal_data_fields` validates the ID number (raises on a bad one), derives sex and birth
    # date from it, and encrypts and hashes the ID number and phone exactly as the services do.
    fields = {"gender": p.gender, "birth_date": p.birth}
    fields.update(personal_data_fields(id_number=p.id_number, phone=p.phone))
    return Resident(
        name=p.name,
        relation=p.relation,
        political_status=p.political_status,
        occupation=p.occupation,
        living_away=p.living_away,
        away_place=p.away_place,
        **fields,
    )
