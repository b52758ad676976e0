"""Pages of the case dashboard (诉求统计): a unit's KPI cards, ECharts charts, the child-unit table
with drill-down links and the whistle tables; and the same numbers as JSON.

Who may open it: holders of CASE_VIEW over the unit — the permission every count is restricted
by (`stats` reads through `selectors.cases_visible`). DASHBOARD_VIEW is not enough on its own: it
is held by roles that see no cases at all (points keepers, shopkeepers), for whom a dashboard of
zeros would mislead. A department handler opens their department's service area and counts the
cases sent or whistled to their department there.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from apps.accounts import access
from apps.accounts.permissions import Perm
from apps.core.errors import ApplicationError
from apps.territory.models import Unit
from apps.territory.selectors import unit_ancestors

from . import stats

WHISTLER_ROWS = 12  # the busiest whistling units on the page; all of them in data.json


def _board(request: HttpRequest) -> stats.Dashboard:
    user: Any = request.user
    unit = stats.dashboard_unit(user, request.GET.get("unit"))
    today = timezone.localdate()
    since, until = stats.parse_period(request.GET.get("since"), request.GET.get("until"), today)
    return stats.dashboard(user, unit, since, until, today=today)


def _query(board: stats.Dashboard, unit_code: str) -> str:
    return urlencode({"unit": unit_code, "since": board.since.isoformat(), "until": board.until.isoformat()})


def _trail(user: Any, unit: Unit) -> list[Unit]:
    """The unit's ancestors the user may also open, top first (the way back up)."""
    return [u for u in unit_ancestors(unit) if access.has_perm(user, Perm.CASE_VIEW, u.code)]


def _charts(board: stats.Dashboard) -> dict[str, Any]:
    """What static/js/cases_dashboard.js draws (passed with json_script: no inline script)."""
    return {
        "months": board.months,
        "categories": board.categories,
        "channels": board.channels,
        "levels": [level for level in board.levels if level["closed"]],
    }


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    board = _board(request)
    rates = board.kpis.rates
    k = board.kpis
    cards: list[dict[str, Any]] = [
        {
            "key": "received",
            "label": "受理诉求",
            "value": k["received"],
            "hint": f"其中不予受理 {k['rejected']}",
        },
        {"key": "closed", "label": "已办结", "value": k["closed"], "rate": rates["closed"], "hint": "办结率"},
        {
            "key": "on_time",
            "label": "按时答复",
            "value": k["on_time"],
            "rate": rates["on_time"],
            "hint": "按时率",
        },
        {
            "key": "overdue_now",
            "label": "当前超期",
            "value": k["overdue_now"],
            "hint": f"即将超期 {k['warning_now']}",
        },
        {
            "key": "was_overdue",
            "label": "曾超期",
            "value": k["was_overdue"],
            "rate": rates["was_overdue"],
            "hint": "占受理",
        },
        {
            "key": "satisfaction",
            "label": "满意率",
            "rate": rates["satisfaction"],
            "hint": f"已评价 {k['rated']}，不满意 {k['unsatisfied']}",
        },
        {
            "key": "village_level",
            "label": "小事不出村",
            "rate": rates["village_level"],
            "hint": "网格、村（社区）办结占办结",
        },
        {
            "key": "township_level",
            "label": "大事不出乡",
            "rate": rates["township_level"],
            "hint": "乡镇（街道）及以下办结占办结",
        },
    ]
    for card in cards:
        card.setdefault("value", None)
        card.setdefault("rate", None)
    context = {
        "nav_active": "case_stats",
        "board": board,
        "cards": cards,
        "rates": rates,
        "trail": _trail(user, board.unit),
        "roots": stats.dashboard_roots(user),
        "children": [
            {
                "row": row,
                "rates": row.kpis.rates,
                "query": _query(board, row.unit_code) if row.unit_code else "",
            }
            for row in board.children
        ],
        "query": _query(board, board.unit.code),
        "charts": _charts(board),
        "whistlers": board.whistlers[:WHISTLER_ROWS],
        "more_whistlers": max(0, len(board.whistlers) - WHISTLER_ROWS),
        "open_count": k["open"],
    }
    return render(request, "cases/dashboard.html", context)


@login_required
def dashboard_data(request: HttpRequest) -> JsonResponse:
    """The dashboard's numbers as JSON (same unit/since/until parameters); refusals as
    {"message", "code", "extra"} with their status, like the API."""
    try:
        board = _board(request)
    except ApplicationError as err:
        return JsonResponse(err.as_dict(), status=err.http_status, json_dumps_params={"ensure_ascii": False})
    return JsonResponse(board.as_dict(), json_dumps_params={"ensure_ascii": False})
