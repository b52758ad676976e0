"""The dashboard numbers (apps.cases.stats) on a small set of cases made through the services:
each KPI, the breakdowns, the child-unit table, whistles, scope per role, and the period."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.cases import services, stats
from apps.cases.choices import Channel, Rating, Triage
from apps.cases.models import Case, Category
from apps.cases.sweeps import sweep_sla
from apps.core.errors import NotFound, PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db

REPLY = "已到现场处理完毕，情况已向群众说明。"


def _village_close(p: dict[str, Any], case: Case, rating: str = Rating.SATISFIED) -> Case:
    """The village settles it itself (小事不出村)."""
    case = services.case_accept(actor=p["cadre"], case=case)
    case = services.case_triage(actor=p["cadre"], case=case, triage=Triage.MINOR)
    case = services.case_dispatch(actor=p["cadre"], case=case, unit=p["v11"])
    case = services.case_sign(actor=p["cadre"], case=case)
    case = services.case_reply(actor=p["cadre"], case=case, reply=REPLY)
    case = services.case_follow_up(actor=p["cadre"], case=case, rating=rating)
    return services.case_close(actor=p["cadre"], case=case)


def _to_township(p: dict[str, Any], case: Case) -> Case:
    case = services.case_accept(actor=p["officer"], case=case)
    case = services.case_triage(actor=p["officer"], case=case, triage=Triage.MAJOR)
    case = services.case_dispatch(actor=p["officer"], case=case, unit=p["t1"])
    return services.case_sign(actor=p["officer"], case=case)


@pytest.fixture
def world(people: dict[str, Any], submit: Any) -> dict[str, Any]:
    """Eight cases of 娜姑镇 (t1), one of 迤车镇 (t2):
    a  娜姑村 photo  closed at village level, satisfied
    b  娜姑村 photo  closed at village level, basic, urged on the way
    c  白雾村 hotline road  closed at township level, satisfied, after a whistle signed on time
    d  娜姑村 mailbox  to the department, unsatisfied → reopened → closed (county), satisfied
    e  娜姑村 photo  rejected
    f  娜姑村 patrol  open, handling at the village, red after the sweep
    g  娜姑村 photo  merged into a (not counted)
    h  白雾村 photo  open, submitted three months ago and never accepted (red since)
    x  迤车村 photo  open (outside 娜姑镇)
    """
    p = people
    road = Category.objects.get(code="road-damage")
    cases: dict[str, Case] = {}
    cases["a"] = _village_close(p, submit())
    b = submit(title="路边垃圾")
    b = services.case_accept(actor=p["cadre"], case=b)
    b = services.case_urge(actor=p["officer"], case=b, note="请尽快处理")
    b = services.case_triage(actor=p["cadre"], case=b, triage=Triage.MINOR)
    b = services.case_dispatch(actor=p["cadre"], case=b, unit=p["v11"])
    b = services.case_sign(actor=p["cadre"], case=b)
    b = services.case_reply(actor=p["cadre"], case=b, reply=REPLY)
    b = services.case_follow_up(actor=p["cadre"], case=b, rating=Rating.BASIC)
    cases["b"] = services.case_close(actor=p["cadre"], case=b)

    c = submit(
        actor=p["operator"],
        channel=Channel.HOTLINE,
        category=road,
        title="村道塌方",
        description="白雾村到镇上的村道塌了一段，车辆无法通行。",
        unit=p["v12"],
        submitter_phone="13912340000",
    )
    c = _to_township(p, c)
    [whistle] = services.case_whistle(
        actor=p["officer"], case=c, organisations=[p["dept"]], reason="需部门现场勘查"
    )
    services.whistle_sign(actor=p["handler"], whistle=whistle)
    c = services.case_reply(actor=p["officer"], case=c, reply=REPLY)
    c = services.case_follow_up(actor=p["officer"], case=c, rating=Rating.SATISFIED)
    cases["c"] = services.case_close(actor=p["officer"], case=c)

    d = submit(
        channel=Channel.MAILBOX, title="宅基地界址", description="宅基地界址与邻居有争议，请国土部门确认。"
    )
    d = services.case_accept(actor=p["officer"], case=d)
    d = services.case_triage(actor=p["officer"], case=d, triage=Triage.MAJOR)
    d = services.case_dispatch(actor=p["officer"], case=d, organisation=p["dept"])
    d = services.case_sign(actor=p["handler"], case=d)
    d = services.case_reply(actor=p["handler"], case=d, reply=REPLY)
    d = services.case_follow_up(actor=p["resident"], case=d, rating=Rating.UNSATISFIED, note="没有来现场")
    d = services.case_reply(actor=p["handler"], case=d, reply="已到现场重新测量并确认界址。")
    d = services.case_follow_up(actor=p["resident"], case=d, rating=Rating.SATISFIED)
    cases["d"] = services.case_close(actor=p["officer"], case=d)

    cases["e"] = services.case_reject(
        actor=p["cadre"], case=submit(title="无关事项"), reason="不属于受理范围"
    )
    f = submit(
        actor=p["gridder"],
        channel=Channel.PATROL,
        title="路灯不亮",
        description="村口路灯坏了一周。",
        grid=p["g11"],
    )
    f = services.case_accept(actor=p["cadre"], case=f)
    f = services.case_triage(actor=p["cadre"], case=f, triage=Triage.MINOR)
    f = services.case_dispatch(actor=p["cadre"], case=f, unit=p["v11"])
    cases["f"] = services.case_sign(actor=p["cadre"], case=f)
    cases["g"] = services.case_merge(actor=p["cadre"], case=submit(), original=cases["a"])
    earlier = timezone.now() - datetime.timedelta(days=92)
    cases["h"] = submit(unit=p["v12"], submitted_at=earlier)
    cases["x"] = submit(unit=p["v21"])
    # The sweep runs as if f's reply deadline had passed: f turns red (h, never accepted, was
    # overdue from the start; x waits in the other township).
    assert cases["f"].reply_due is not None
    sweep_sla(now=cases["f"].reply_due + datetime.timedelta(minutes=1))
    return {**p, "cases": cases}


def _board(user: Any, unit: Any, **kw: Any) -> stats.Dashboard:
    since, until = stats.default_period(timezone.localdate())
    return stats.unit_dashboard(user, unit, kw.get("since", since), kw.get("until", until))


def test_kpis_of_a_township(world: dict[str, Any]) -> None:
    board = _board(world["officer"], world["t1"])
    k = board.kpis
    assert k["received"] == 7  # a b c d e f h; g is a merged duplicate, x another township
    assert k["closed"] == 4 and k["rejected"] == 1 and k["open"] == 2
    assert k["replied"] == 4 and k["on_time"] == 4
    assert k["overdue_now"] == 2 and k["was_overdue"] == 2  # f and h
    assert (k["rated"], k["satisfied"], k["basic"], k["unsatisfied"]) == (4, 3, 1, 0)
    assert (k["level_village"], k["level_township"], k["level_county"], k["level_grid"]) == (2, 1, 1, 0)
    assert k["urged"] == 1 and k["reopened"] == 1
    rates = k.rates
    assert rates["closed"] == round(100 * 4 / 6, 1)  # rejected cases are not "to be closed"
    assert rates["on_time"] == 100.0 and rates["satisfaction"] == 100.0
    assert rates["village_level"] == 50.0 and rates["township_level"] == 75.0


def test_breakdowns_children_and_whistles(world: dict[str, Any]) -> None:
    board = _board(world["officer"], world["t1"])
    children = {row.key: row for row in board.children}
    assert set(children) == {"530326102201", "530326102202"}
    assert children["530326102201"].kpis["received"] == 5  # a b d e f
    assert children["530326102202"].kpis["received"] == 2  # c h
    assert children["530326102202"].unit_code == "530326102202" and board.child_label == "村（社区）"

    channels = {c["code"]: c["received"] for c in board.channels}
    assert channels == {"photo": 4, "hotline": 1, "mailbox": 1, "patrol": 1}
    categories = {c["code"]: (c["received"], c["closed"]) for c in board.categories}
    assert categories == {"env": (6, 3), "road": (1, 1)}  # top-level: 垃圾清运 → 环境卫生
    this_month = f"{timezone.localdate():%Y-%m}"
    months = {m["month"]: m["received"] for m in board.months}
    assert len(board.months) == 12 and months[this_month] == 6 and sum(months.values()) == 7
    levels = {level["code"]: level["closed"] for level in board.levels}
    assert levels == {"grid": 0, "village": 2, "township": 1, "county": 1}

    [dept] = board.departments
    assert (dept.name, dept.total, dept.on_time, dept.late, dept.pending) == ("县自然资源局", 1, 1, 0, 0)
    [whistler] = board.whistlers
    assert whistler.key == "530326102" and whistler.total == 1

    data = board.as_dict()
    assert data["kpis"]["received"] == 7 and data["kpis"]["rates"]["township_level"] == 75.0
    assert data["whistles"]["departments"][0]["on_time_rate"] == 100.0


def test_county_rows_are_townships_and_sum_to_the_total(world: dict[str, Any]) -> None:
    board = _board(world["admin"], world["county"])
    rows = {row.key: row.kpis["received"] for row in board.children}
    assert rows == {"530326102": 7, "530326103": 1}
    assert board.kpis["received"] == 8 and board.child_label == "乡镇（街道）"


def test_village_rows_are_grids(world: dict[str, Any]) -> None:
    board = _board(world["cadre"], world["v11"])
    rows = {row.key: (row.name, row.kpis["received"]) for row in board.children}
    # Cases reported on the village page carry no grid; the gridder's patrol does.
    assert rows == {"NG-01-01": ("娜姑村网格", 1), stats.NO_GRID: ("未标注网格", 4)}


def test_scope_each_role_counts_only_what_it_sees(world: dict[str, Any]) -> None:
    p = world
    # The village cadre opens their village, not the township.
    assert _board(p["cadre"], p["v11"]).kpis["received"] == 5
    with pytest.raises(PermissionDenied):
        stats.dashboard_unit(p["cadre"], "530326102")
    # The other township's officer sees nothing of 娜姑镇 and only x at home.
    with pytest.raises(PermissionDenied):
        stats.dashboard_unit(p["officer2"], "530326102")
    assert _board(p["officer2"], p["t2"]).kpis["received"] == 1
    # The department handler: the county is their service area; they count c (whistled) and d.
    assert stats.dashboard_unit(p["handler"], None) == p["county"]
    board = _board(p["handler"], p["county"])
    assert board.kpis["received"] == 2 and board.kpis["level_county"] == 1
    assert [d.name for d in board.departments] == ["县自然资源局"]
    # The resident holds no staff role.
    with pytest.raises(PermissionDenied):
        stats.dashboard_unit(p["resident"], None)
    assert stats.dashboard_unit(p["officer"], None) == p["t1"]
    with pytest.raises(NotFound):
        stats.dashboard_unit(p["admin"], "530326999")


def test_period_bounds_and_validation(world: dict[str, Any]) -> None:
    today = timezone.localdate()
    since, until = stats.default_period(datetime.date(2026, 3, 15))
    assert (since, until) == (datetime.date(2025, 4, 1), datetime.date(2026, 3, 15))
    board = _board(world["officer"], world["t1"], since=today, until=today)
    assert board.kpis["received"] == 6 and len(board.months) == 1  # h was three months ago
    with pytest.raises(ValidationFailed) as err:
        stats.parse_period("2026-13-01", "", today)
    assert err.value.code == "invalid_date" and "2026-13-01" in err.value.message
    with pytest.raises(ValidationFailed) as err:
        stats.parse_period("2026-05-01", "2026-04-01", today)
    assert err.value.code == "period_reversed"
    with pytest.raises(ValidationFailed) as err:
        stats.parse_period("2020-01-01", "2026-01-01", today)
    assert err.value.code == "period_too_long"


def test_a_fixed_number_of_queries(world: dict[str, Any]) -> None:
    """Aggregates, not loops: the query count does not grow with the cases."""
    _board(world["admin"], world["county"])  # the user's roles and the calendar are cached after this
    with CaptureQueriesContext(connection) as first:
        _board(world["admin"], world["county"])
    for _ in range(5):
        services.case_submit(
            actor=world["resident"],
            channel=Channel.PHOTO,
            category=Category.objects.get(code="env-pile"),
            title="柴草乱堆",
            description="公路边柴草乱堆，影响通行。",
            unit=world["v22"],
        )
    with CaptureQueriesContext(connection) as second:
        board = _board(world["admin"], world["county"])
    assert board.kpis["received"] == 13
    assert len(second.captured_queries) == len(first.captured_queries) <= 10


def test_empty_unit_gives_zeros_not_errors(world: dict[str, Any]) -> None:
    board = _board(world["admin"], world["v22"])
    assert board.kpis["received"] == 0 and board.children == [] and board.categories == []
    assert board.kpis.rates["satisfaction"] is None and all(m["received"] == 0 for m in board.months)
