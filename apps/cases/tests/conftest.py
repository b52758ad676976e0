"""Fixtures of the case tests: the tiny county with one person for each body a case meets."""

from __future__ import annotations

from typing import Any

import pytest

from apps.accounts.choices import Role, UserKind
from apps.cases import services
from apps.cases.choices import Channel
from apps.cases.models import Category


@pytest.fixture
def people(tiny_county: dict[str, Any], make_staff: Any) -> dict[str, Any]:
    from apps.accounts.models import User

    t = tiny_county
    return {
        **t,
        "admin": make_staff(Role.COUNTY_ADMIN, t["county"], username="c_admin"),
        "leader": make_staff(Role.LEADER, t["county"], username="c_leader"),
        "officer": make_staff(Role.TOWNSHIP_OFFICER, t["t1"], username="c_officer"),
        "officer2": make_staff(Role.TOWNSHIP_OFFICER, t["t2"], username="c_officer2"),
        "cadre": make_staff(Role.VILLAGE_CADRE, t["v11"], username="c_cadre"),
        "cadre12": make_staff(Role.VILLAGE_CADRE, t["v12"], username="c_cadre12"),
        "gridder": make_staff(Role.GRIDDER, grid=t["g11"], username="c_gridder"),
        "handler": make_staff(Role.DEPARTMENT_HANDLER, organisation=t["dept"], username="c_handler"),
        "handler2": make_staff(Role.DEPARTMENT_HANDLER, organisation=t["dept"], username="c_handler2"),
        "operator": make_staff(Role.OPERATOR, t["county"], username="c_operator"),
        "resident": User.objects.create_user(
            "c_resident", None, kind=UserKind.RESIDENT, phone="13900000009", full_name="王村民"
        ),
    }


@pytest.fixture
def garbage() -> Category:
    return Category.objects.get(code="env-garbage")


@pytest.fixture
def submit(people: dict[str, Any], garbage: Category) -> Any:
    def make(**kw: Any) -> Any:
        values: dict[str, Any] = {
            "actor": people["resident"],
            "channel": Channel.PHOTO,
            "category": garbage,
            "title": "村口垃圾堆积",
            "description": "村口垃圾池已经满了三天没人清运，气味很大。",
            "unit": people["v11"],
        }
        values.update(kw)
        return services.case_submit(**values)

    return make
