"""Fixtures of the voting tests: 娜姑村 with households, a representatives' meeting of five,
staff in every voting role, and a helper that walks a motion up to a given step."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from apps.accounts.choices import Role, UserKind
from apps.accounts.models import User
from apps.people import services as people
from apps.people.idnumber import make
from apps.voting import services
from apps.voting.choices import BodyKind, MotionKind

REPS = ["王大山", "李秀英", "张建华", "赵德明", "陈桂芳"]


def id_number(n: int) -> str:
    return make("530326", datetime.date(1960 + n, 3, 1 + n), 10 + n)


@pytest.fixture
def village(tiny_county: dict[str, Any], make_staff: Any) -> dict[str, Any]:
    t = tiny_county
    staff = {
        "cadre": make_staff(Role.VILLAGE_CADRE, t["v11"], full_name="村干部"),
        "officer": make_staff(Role.TOWNSHIP_OFFICER, t["t1"], full_name="乡镇干部"),
        "supervisor": make_staff(Role.SUPERVISOR, t["v11"], full_name="监委会"),
        "outsider": make_staff(Role.VILLAGE_CADRE, t["v21"], full_name="外村干部"),
        "admin": make_staff(Role.COUNTY_ADMIN, t["county"]),
    }
    residents = []
    for i, name in enumerate([*REPS, "孙小明"]):
        household = people.household_create(
            actor=staff["admin"],
            unit=t["v11"],
            grid=t["g11"],
            number=f"{i + 1:03d}",
            address=f"娜姑村 {i + 1} 号",
        )
        residents.append(
            people.resident_create(
                actor=staff["admin"],
                household=household,
                name=name,
                relation="head",
                id_number=id_number(i),
            )
        )
    start = datetime.date(2024, 1, 1)
    for r in residents[: len(REPS)]:
        services.body_member_add(
            actor=staff["cadre"], village=t["v11"], kind=BodyKind.REPRESENTATIVES, resident=r, starts_on=start
        )
    return {**t, **staff, "residents": residents, "reps": residents[: len(REPS)], "villager": residents[-1]}


def resident_login(resident: Any, phone: str) -> User:
    user = User.objects.create_user(
        f"r{phone}", None, kind=UserKind.RESIDENT, phone=phone, full_name=resident.name
    )
    people.resident_link_account(actor=None, resident=resident, account=user)
    return user


def walk_to(v: dict[str, Any], stage: str, *, kind: str = MotionKind.WELFARE, secret: bool = False) -> Any:
    """A motion in 娜姑村 moved through the steps up to `stage` (suggested … voting)."""
    today = timezone.localdate()
    motion = services.motion_suggest(
        actor=v["cadre"],
        village=v["v11"],
        kind=kind,
        title="村道硬化工程",
        description="硬化村道 1.2 公里",
        held_on=today,
        participants="党员、村民 12 人",
        minutes="收集建议 8 条",
        signatures="王大山、李秀英",
    )
    steps = ["proposed", "consulted", "filed", "voting"]
    for step in steps[: steps.index(stage) + 1] if stage in steps else []:
        if step == "proposed":
            motion = services.motion_propose(
                actor=v["cadre"], motion=motion, held_on=today, minutes="支部扩大会议提议", signatures="书记"
            )
        elif step == "consulted":
            motion = services.motion_consult(
                actor=v["cadre"], motion=motion, held_on=today, minutes="两委联席会议商议通过方案"
            )
        elif step == "filed":
            motion = services.motion_review(actor=v["officer"], motion=motion, approve=True, held_on=today)
        elif step == "voting":
            now = timezone.now()
            motion = services.vote_open(
                actor=v["cadre"],
                motion=motion,
                held_on=today,
                opens_at=now - datetime.timedelta(minutes=5),
                closes_at=now + datetime.timedelta(hours=2),
                secret=secret,
                place="村委会议室",
            )
    return motion
