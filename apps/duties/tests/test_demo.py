"""The module's demo data: the list sizes the practice quotes, every default category routed,
idempotent and deterministic."""

from __future__ import annotations

import random
import time
from types import SimpleNamespace
from typing import Any

import pytest

from apps.accounts.choices import Role
from apps.cases.models import Category
from apps.demo import duties as demo
from apps.demo.loader import DEPARTMENTS
from apps.demo.names import NameGenerator
from apps.duties import routing, selectors
from apps.duties.choices import ListKind
from apps.duties.models import ListItem, ResponsibilityList
from apps.territory.models import Organisation

from .helpers import ensure_default_categories

pytestmark = pytest.mark.django_db


def context(t: dict[str, Any], admin: Any, seed: int = 530326) -> Any:
    departments = {
        key: Organisation.objects.get_or_create(
            code=f"530326-{key}",
            defaults={"name": f"会泽县{name}", "kind": kind, "service_area": t["county"]},
        )[0]
        for key, name, kind in DEPARTMENTS
    }
    return SimpleNamespace(
        county=t["county"],
        home=t["t1"],
        departments=departments,
        admin=admin,
        rng=random.Random(seed),
        names=NameGenerator(random.Random(1)),
    )


@pytest.fixture
def ctx(tiny_county, make_staff) -> Any:
    ensure_default_categories()
    return context(tiny_county, make_staff(Role.COUNTY_ADMIN, tiny_county["county"]))


def test_demo_lists_have_the_practices_shape(ctx):
    started = time.perf_counter()
    counts = demo.load(ctx)
    assert time.perf_counter() - started < 15
    assert counts == {"responsibility_lists": 4, "list_items": 178 + 165 + 30 + 3}
    duty = ResponsibilityList.objects.get(kind=ListKind.DUTY, unit=ctx.county)
    territorial = ResponsibilityList.objects.get(kind=ListKind.TERRITORIAL, unit=ctx.county)
    admission = ResponsibilityList.objects.get(kind=ListKind.ADMISSION, unit=ctx.county)
    assert (duty.item_count, len(selectors.domains_of(duty))) == (178, 7)
    assert (territorial.item_count, len(selectors.domains_of(territorial))) == (165, 14)
    assert selectors.township_roles(territorial) == {"primary": 8, "supporting": 157}
    assert admission.item_count == 30
    assert not ListItem.objects.filter(responsibility_list=duty, person="").exists()
    assert ResponsibilityList.objects.filter(unit=ctx.home, kind=ListKind.TERRITORIAL).exists()


def test_every_default_category_gets_a_suggestion_everywhere(ctx, tiny_county):
    demo.load(ctx)
    for category in Category.objects.select_related("parent"):
        for place in (tiny_county["v11"], tiny_county["v21"]):
            s = routing.suggest(category, place)
            assert s is not None and s.primary is not None, (category.code, place.code)
    garbage = Category.objects.get(code="env-garbage")
    assert routing.suggest(garbage, tiny_county["v11"]).basis.startswith("娜姑镇属地责任清单")
    assert routing.suggest(garbage, tiny_county["v21"]).primary.label == "迤车镇"
    routing.admission_check(garbage, tiny_county["v21"])
    with pytest.raises(Exception, match="不在村级工作准入清单内"):
        routing.admission_check(Category.objects.get(code="housing-illegal"), tiny_county["v21"])


def test_a_second_run_adds_nothing_and_draws_the_same_randomness(ctx, tiny_county):
    demo.load(ctx)
    state = ctx.rng.getstate()
    again = context(tiny_county, ctx.admin)
    assert demo.load(again) == {}
    assert again.rng.getstate() == state
    assert ResponsibilityList.objects.count() == 4


def test_the_demo_is_deterministic(ctx, tiny_county):
    first = demo.duty_rows(ctx, random.Random(7), set(Category.objects.values_list("code", flat=True)))
    second = demo.duty_rows(ctx, random.Random(7), set(Category.objects.values_list("code", flat=True)))
    assert first == second
