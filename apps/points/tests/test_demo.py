"""The points demo (apps/demo/points.py) on the small county: what it makes, that the books
agree afterwards, and that a second run adds nothing."""

from __future__ import annotations

import datetime
import random
from types import SimpleNamespace

import pytest
from django.utils import timezone

from apps.accounts.choices import Role, UserKind
from apps.accounts.models import User
from apps.demo import points as demo
from apps.people import services as people
from apps.points import selectors
from apps.points.choices import ApplicationStatus
from apps.points.models import Application, LedgerEntry, Redemption, Rulebook

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx(tiny_county, make_staff):
    t = tiny_county
    admin = make_staff(Role.COUNTY_ADMIN, t["county"], username="admin")
    make_staff(Role.TOWNSHIP_OFFICER, t["t1"], username="township")
    make_staff(Role.VILLAGE_CADRE, t["v11"], username="cadre")
    make_staff(Role.POINTS_KEEPER, t["v11"], username="keeper")
    make_staff(Role.SUPERVISOR, t["v11"], username="supervisor")
    make_staff(Role.SHOPKEEPER, t["v11"], username="shopkeeper")
    make_staff(Role.GRIDDER, grid=t["g11"], username="gridder")
    for unit in (t["v11"], t["v12"]):
        for n in range(12):
            household = people.household_create(
                actor=admin, unit=unit, number=f"{n:03d}", address=f"{unit} {n} 号"
            )
            head = people.resident_create(
                actor=admin,
                household=household,
                name=f"户主{n}",
                relation="head",
                birth_date=datetime.date(1970, 1, 1),
            )
            people.resident_create(actor=admin, household=household, name=f"配偶{n}", relation="spouse")
            if unit == t["v11"] and n == 0:
                login = User.objects.create_user(
                    "resident", None, kind=UserKind.RESIDENT, phone="13800000001"
                )
                people.resident_link_account(actor=admin, resident=head, account=login)
    return SimpleNamespace(
        county=t["county"],
        townships=[t["t1"], t["t2"]],
        villages={t["t1"].pk: [t["v11"], t["v12"]], t["t2"].pk: [t["v21"], t["v22"]]},
        home=t["t1"],
        demo_village=t["v11"],
        admin=admin,
        rng=random.Random(530326),
        today=timezone.localdate(),
        lite=True,
    )


def test_demo_loads_once_and_the_books_agree(ctx) -> None:
    counts = demo.load(ctx)
    assert counts["points_rulebooks"] == 1 and counts["points_applications"] > 10
    rulebook = Rulebook.objects.get(unit=ctx.home)
    assert rulebook.versions.count() == 2
    statuses = set(Application.objects.values_list("status", flat=True))
    assert {ApplicationStatus.GRANTED, ApplicationStatus.SUBMITTED} <= statuses
    # Version 1 paid 3 for sorting rubbish, version 2 pays 5: both stand in the ledger.
    assert {3, 5} <= set(LedgerEntry.objects.filter(item__code="garbage").values_list("amount", flat=True))
    assert Redemption.objects.exists()
    assert selectors.ledger_verify() == []
    before = (LedgerEntry.objects.count(), Application.objects.count(), Redemption.objects.count())
    assert demo.load(ctx) == {}
    assert (LedgerEntry.objects.count(), Application.objects.count(), Redemption.objects.count()) == before
