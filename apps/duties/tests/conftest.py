"""Fixtures of the list tests: the tiny county with a few departments and a publisher per level."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from apps.accounts.choices import Role
from apps.cases.models import Category
from apps.duties import services
from apps.duties.models import ResponsibilityList
from apps.territory.choices import OrgKind
from apps.territory.models import Organisation

from .helpers import ensure_default_categories


@pytest.fixture
def world(tiny_county: dict[str, Any], make_staff: Any) -> dict[str, Any]:
    ensure_default_categories()
    t = tiny_county
    env = Organisation.objects.create(
        code="HZ-STHJ", name="会泽县生态环境局", kind=OrgKind.DEPARTMENT, service_area=t["county"]
    )
    housing = Organisation.objects.create(
        code="HZ-ZJ", name="会泽县住房和城乡建设局", kind=OrgKind.DEPARTMENT, service_area=t["county"]
    )
    centre = Organisation.objects.create(
        code="NG-BMFW", name="娜姑镇便民服务中心", kind=OrgKind.SERVICE_CENTRE, service_area=t["t1"]
    )
    return {
        **t,
        "env": env,
        "housing": housing,
        "centre": centre,
        "admin": make_staff(Role.COUNTY_ADMIN, t["county"], username="d_admin"),
        "officer": make_staff(Role.TOWNSHIP_OFFICER, t["t1"], username="d_officer"),
        "officer2": make_staff(Role.TOWNSHIP_OFFICER, t["t2"], username="d_officer2"),
        "cadre": make_staff(Role.VILLAGE_CADRE, t["v11"], username="d_cadre"),
        "handler": make_staff(Role.DEPARTMENT_HANDLER, organisation=t["dept"], username="d_handler"),
    }


@pytest.fixture
def cat() -> Callable[[str], Category]:
    def get(code: str) -> Category:
        return Category.objects.select_related("parent").get(code=code)

    return get


@pytest.fixture
def publish(world: dict[str, Any]) -> Callable[..., ResponsibilityList]:
    """publish(kind, unit, [row, …], actor=admin): rows as short tuples or dicts."""

    def run(
        kind: str, unit: Any, rows: list[dict[str, Any]], actor: Any = None, title: str = ""
    ) -> ResponsibilityList:
        return services.responsibility_list_publish(
            actor=actor or world["admin"], kind=kind, unit=unit, title=title, rows=rows
        )

    return run
