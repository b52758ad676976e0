"""Routing advice: which item wins, how level words resolve per place, versions, and the
admission check (the API the case module calls)."""

from __future__ import annotations

from typing import Any

import pytest

from apps.core.errors import ValidationFailed
from apps.duties import services
from apps.duties.choices import ListKind
from apps.duties.routing import Body, Suggestion, admission_check, admission_item, suggest
from apps.territory.choices import Level, UnitKind
from apps.territory.models import Unit

pytestmark = pytest.mark.django_db

T, D, A = ListKind.TERRITORIAL, ListKind.DUTY, ListKind.ADMISSION


def row(number: int, matter: str, primary: str = "", categories: str = "", **kw: Any) -> dict[str, Any]:
    return {"number": number, "matter": matter, "primary": primary, "categories": categories, **kw}


def test_nothing_published_means_no_suggestion_and_everything_admitted(world, cat):
    assert suggest(cat("env-garbage"), world["v11"]) is None
    admission_check(cat("dispute-neighbour"), world["v11"])  # a county that has not adopted the list


def test_territorial_item_resolves_level_words_to_the_places_own_bodies(world, cat, publish):
    lst = publish(
        T,
        world["county"],
        [
            row(
                12,
                "河道垃圾清理",
                "乡镇",
                "env",
                domain="生态环境",
                supporting="会泽县生态环境局、村（社区）、县自然资源局",
            )
        ],
    )
    s = suggest(cat("env-garbage"), world["v11"])
    assert isinstance(s, Suggestion)
    assert s.primary == Body(organisation=None, unit=world["t1"])
    assert s.primary.label == "娜姑镇"
    assert s.supporting == [
        Body(organisation=None, unit=world["v11"]),
        Body(organisation=world["env"], unit=None),
        Body(organisation=world["dept"], unit=None),
    ]  # levels first, then departments in the organisations' own order
    assert s.basis == (
        "属地责任清单 · 生态环境 · 第12项：河道垃圾清理"
        "（主体责任：乡镇；配合责任：会泽县生态环境局、村（社区）、县自然资源局）"
    )
    assert s.item_id == lst.items.get().pk
    assert s.kind == T
    # The same item at a village of the other township names that township and village.
    other = suggest(cat("env-garbage"), world["v21"])
    assert other is not None and other.primary == Body(None, world["t2"])
    assert other.supporting[0] == Body(None, world["v21"])


def test_child_category_match_beats_parent_match(world, cat, publish):
    publish(
        T,
        world["county"],
        [
            row(1, "环境卫生综合整治", "乡镇", "env"),
            row(2, "生活垃圾清运", "会泽县住房和城乡建设局", "env-garbage"),
        ],
    )
    assert suggest(cat("env-garbage"), world["v11"]).primary == Body(world["housing"], None)
    assert suggest(cat("env-sewage"), world["v11"]).primary == Body(None, world["t1"])
    assert suggest(cat("env"), world["v11"]).primary == Body(None, world["t1"])


def test_territorial_list_before_duty_list_and_duty_list_fills_the_gaps(world, cat, publish):
    publish(T, world["county"], [row(1, "环境卫生综合整治", "乡镇", "env")])
    publish(
        D,
        world["county"],
        [
            row(
                1,
                "生活垃圾收运",
                "会泽县住房和城乡建设局",
                "env-garbage",
                domain="城乡建设",
                post="环卫股长",
                person="李明",
            ),
            row(2, "路灯维护", "会泽县住房和城乡建设局", "road-light", domain="城乡建设", post="市政股"),
        ],
    )
    garbage = suggest(cat("env-garbage"), world["v11"])
    assert garbage.kind == T and garbage.primary == Body(None, world["t1"])
    light = suggest(cat("road-light"), world["v12"])
    assert light.kind == D
    assert light.primary == Body(world["housing"], None)
    assert light.supporting == []
    assert (
        light.basis
        == "职责任务清单 · 城乡建设 · 第2项：路灯维护（责任单位：会泽县住房和城乡建设局；责任岗位：市政股）"
    )
    assert suggest(cat("road-damage"), world["v12"]) is None  # neither list names it


def test_township_list_overrides_the_countys_where_it_has_an_item(world, cat, publish):
    publish(
        T,
        world["county"],
        [
            row(1, "生活垃圾清运", "会泽县住房和城乡建设局", "env-garbage"),
            row(2, "污水", "会泽县生态环境局", "env-sewage"),
        ],
    )
    publish(T, world["t1"], [row(1, "村内垃圾清运", "村委会", "env-garbage", domain="人居环境")])
    in_t1 = suggest(cat("env-garbage"), world["v11"])
    assert in_t1.primary == Body(None, world["v11"])
    assert in_t1.basis.startswith("娜姑镇属地责任清单 · 人居环境 · 第1项")
    assert suggest(cat("env-garbage"), world["v21"]).primary == Body(world["housing"], None)
    # Where the township's list says nothing, the county's still applies.
    assert suggest(cat("env-sewage"), world["v11"]).primary == Body(world["env"], None)


def test_a_body_above_the_place_cannot_be_resolved(world, cat, publish):
    publish(T, world["county"], [row(1, "村内垃圾", "村", "env-garbage", supporting="乡镇、村")])
    at_township = suggest(cat("env-garbage"), world["t1"])
    assert at_township.primary is None  # no village to name: the dispatcher chooses
    assert at_township.supporting == [Body(None, world["t1"])]
    at_county = suggest(cat("env-garbage"), world["county"])
    assert at_county.primary is None and at_county.supporting == []
    assert at_county.basis.endswith("（主体责任：村；配合责任：乡镇、村）")


def test_places_below_a_village_resolve_to_their_village(world, cat, publish):
    group = Unit.objects.create(
        code="530326102201001", name="一组", level=Level.GROUP, kind=UnitKind.GROUP, parent=world["v11"]
    )
    publish(T, world["county"], [row(1, "村内垃圾", "村", "env-garbage")])
    assert suggest(cat("env-garbage"), group).primary == Body(None, world["v11"])


def test_a_new_version_replaces_the_old_for_routing_and_withdrawal_falls_back(world, cat, publish):
    v1 = publish(T, world["t1"], [row(1, "垃圾", "村", "env-garbage")])
    v2 = publish(T, world["t1"], [row(1, "垃圾", "会泽县生态环境局", "env-garbage")])
    v1.refresh_from_db()
    assert (v1.version, v1.is_current, v2.version, v2.is_current) == (1, False, 2, True)
    assert suggest(cat("env-garbage"), world["v11"]).primary == Body(world["env"], None)
    publish(T, world["county"], [row(1, "垃圾", "乡镇", "env-garbage")])
    services.responsibility_list_withdraw(actor=world["officer"], responsibility_list=v2, reason="并入县清单")
    assert suggest(cat("env-garbage"), world["v11"]).primary == Body(None, world["t1"])


def test_another_countys_lists_never_apply(world, cat, publish):
    other = Unit.objects.create(
        code="530325", name="富源县", level=Level.COUNTY, kind=UnitKind.COUNTY, parent=world["city"]
    )
    from apps.accounts.choices import Role
    from apps.accounts.models import RoleAssignment

    RoleAssignment.objects.create(user=world["admin"], role=Role.COUNTY_ADMIN, unit=other)
    publish(T, other, [row(1, "垃圾", "乡镇", "env-garbage")])
    publish(A, other, [row(1, "人居环境", categories="env")])
    assert suggest(cat("env-garbage"), world["v11"]) is None
    admission_check(cat("dispute-neighbour"), world["v11"])


def test_suggest_costs_a_few_queries(world, cat, publish, django_assert_max_num_queries):
    publish(T, world["county"], [row(1, "垃圾", "乡镇", "env", supporting="会泽县生态环境局、村")])
    publish(D, world["county"], [row(1, "垃圾", "会泽县住房和城乡建设局", "env-garbage")])
    publish(T, world["t1"], [row(1, "垃圾", "村", "env-sewage")])
    category = cat("env-garbage")
    with django_assert_max_num_queries(5):
        s = suggest(category, world["v11"])
        assert [b.label for b in s.supporting] == ["娜姑村", "会泽县生态环境局"]


def test_admission_check_refuses_with_the_reason_and_admits_by_ancestor(world, cat, publish):
    lst = publish(
        A,
        world["county"],
        [
            row(1, "人居环境整治", categories="env", basis="县委办〔2024〕12号"),
            row(2, "矛盾纠纷排查", categories="dispute-neighbour"),
        ],
        title="会泽县村级工作准入清单",
    )
    admission_check(cat("env-garbage"), world["v11"])  # parent env is on the list
    admission_check(cat("dispute-neighbour"), world["v11"])
    with pytest.raises(ValidationFailed) as refused:
        admission_check(cat("land-compensation"), world["v11"])
    error = refused.value
    assert error.code == "not_on_admission_list"
    assert error.message.startswith(
        "「征地补偿」不在村级工作准入清单内，不能派给村（社区）。依据：会泽县《会泽县村级工作准入清单》第1版"
    )
    assert error.extra == {"list_id": lst.pk, "category": "land-compensation", "unit": "530326102201"}
    assert admission_item(cat("env-pile"), world["v12"])[1].number == 1


def test_a_townships_admission_list_is_the_one_that_binds_its_villages(world, cat, publish):
    publish(A, world["county"], [row(1, "人居环境整治", categories="env")])
    publish(A, world["t1"], [row(1, "邻里纠纷调处", categories="dispute")], actor=world["officer"])
    admission_check(cat("dispute-family"), world["v11"])
    with pytest.raises(ValidationFailed, match="娜姑镇《娜姑镇村级工作准入清单》第1版"):
        admission_check(cat("env-garbage"), world["v11"])
    admission_check(cat("env-garbage"), world["v21"])
    with pytest.raises(ValidationFailed):
        admission_check(cat("dispute-family"), world["v21"])
