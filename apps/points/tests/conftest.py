"""A village with a published rulebook, households, the staff of the points module and a linked
resident login: the world most points tests start from (made through the services)."""

from __future__ import annotations

import datetime
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from apps.accounts.choices import Role, UserKind
from apps.accounts.models import User
from apps.people import services as people
from apps.points import services
from apps.points.choices import Applicant, Direction, Evidence, LimitPeriod

ALL = [Applicant.RESIDENT, Applicant.GRIDDER, Applicant.CADRE]
STAFF = [Applicant.GRIDDER, Applicant.CADRE]


def make_rulebook(actor: Any, unit: Any, **fields: Any) -> Any:
    rulebook = services.rulebook_create(actor=actor, unit=unit, name=f"{unit}积分细则", **fields)
    version = rulebook.versions.get()
    services.item_save(
        actor=actor,
        version=version,
        code="garbage",
        name="垃圾分类",
        category="人居环境",
        direction=Direction.CREDIT,
        points=5,
        applicants=ALL,
        limit_count=2,
        limit_period=LimitPeriod.MONTH,
    )
    services.item_save(
        actor=actor,
        version=version,
        code="volunteer",
        name="志愿服务",
        direction=Direction.CREDIT,
        points=10,
        applicants=ALL,
        evidence=Evidence.PHOTO,
    )
    services.item_save(
        actor=actor,
        version=version,
        code="heroism",
        name="见义勇为",
        direction=Direction.CREDIT,
        points=50,
        applicants=STAFF,
        evidence=Evidence.NOTE,
    )
    services.item_save(
        actor=actor,
        version=version,
        code="dumping",
        name="乱堆乱放",
        direction=Direction.DEBIT,
        points=10,
        applicants=STAFF,
    )
    services.version_publish(actor=actor, version=version, effective_from=timezone.localdate())
    return rulebook


@pytest.fixture
def world(tiny_county: dict[str, Any], make_staff: Any) -> SimpleNamespace:
    t = tiny_county
    admin = make_staff(Role.COUNTY_ADMIN, t["county"])
    cadre = make_staff(Role.VILLAGE_CADRE, t["v11"], username="cadre")
    keeper = make_staff(Role.POINTS_KEEPER, t["v11"], username="keeper")
    supervisor = make_staff(Role.SUPERVISOR, t["v11"], username="supervisor")
    gridder = make_staff(Role.GRIDDER, grid=t["g11"], username="gridder")
    shopkeeper = make_staff(Role.SHOPKEEPER, t["v11"], username="shopkeeper")
    cadre_out = make_staff(Role.VILLAGE_CADRE, t["v21"], username="cadre_out")
    h1 = people.household_create(
        actor=admin, unit=t["v11"], grid=t["g11"], number="001", address="娜姑村一组 1 号"
    )
    h2 = people.household_create(
        actor=admin, unit=t["v11"], grid=t["g11"], number="002", address="娜姑村一组 2 号"
    )
    h_out = people.household_create(
        actor=admin, unit=t["v21"], grid=t["g21"], number="001", address="迤车村 1 号"
    )
    r1 = people.resident_create(
        actor=admin,
        household=h1,
        name="张建国",
        relation="head",
        phone="13812340001",
        birth_date=datetime.date(1970, 1, 2),
    )
    r1b = people.resident_create(
        actor=admin, household=h1, name="王秀英", relation="spouse", birth_date=datetime.date(1972, 5, 6)
    )
    r2 = people.resident_create(
        actor=admin,
        household=h2,
        name="李四",
        relation="head",
        phone="13812340002",
        birth_date=datetime.date(1965, 3, 4),
    )
    r_out = people.resident_create(
        actor=admin, household=h_out, name="赵六", relation="head", birth_date=datetime.date(1960, 1, 1)
    )
    login = User.objects.create_user("villager", "Passw0rd-Test", kind=UserKind.RESIDENT, phone="13800000009")
    people.resident_link_account(actor=admin, resident=r1, account=login)
    for h in (h1, h2, h_out):
        h.refresh_from_db()
    rulebook = make_rulebook(cadre, t["v11"])
    return SimpleNamespace(
        t=t,
        admin=admin,
        cadre=cadre,
        keeper=keeper,
        supervisor=supervisor,
        gridder=gridder,
        shopkeeper=shopkeeper,
        cadre_out=cadre_out,
        h1=h1,
        h2=h2,
        h_out=h_out,
        r1=r1,
        r1b=r1b,
        r2=r2,
        r_out=r_out,
        villager=login,
        rulebook=rulebook,
        item=lambda code: rulebook.current_version().items.get(code=code),
    )


def grant(w: SimpleNamespace, household: Any, points: int, key: str = "") -> Any:
    """Book `points` straight into a household's account through the award service."""
    return services.points_award(
        actor=w.keeper,
        household=household,
        amount=points,
        reason="测试入账",
        idempotency_key=key or f"t:{household.pk}:{points}",
    )


def open_store(w: SimpleNamespace, *, stock: int = 10, price: int = 20) -> tuple[Any, Any]:
    store = services.store_create(actor=w.cadre, unit=w.t["v11"], name="娜姑村积分超市")
    today = timezone.localdate()
    services.window_add(
        actor=w.cadre,
        store=store,
        opens_on=today - datetime.timedelta(days=1),
        closes_on=today + datetime.timedelta(days=5),
    )
    goods = services.goods_save(
        actor=w.shopkeeper, store=store, name="洗衣液", price=price, unit_label="瓶", initial_stock=stock
    )
    return store, goods
