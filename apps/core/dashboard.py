"""What the home page shows each role: their assignments, counts under their root units, and
shortcuts into the pages their roles use most. The module menu itself is navigation.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from apps.accounts import access
from apps.accounts.choices import Role
from apps.accounts.models import RoleAssignment
from apps.accounts.permissions import Perm

# Root units shown as stat cards; a user holding roles in more places gets the first ones.
MAX_ROOT_CARDS = 5


@dataclass(frozen=True)
class Shortcut:
    label: str
    url: str
    hint: str = ""


def _url(name: str, *args: Any, **query: str) -> str:
    url = reverse(name, args=args)
    return f"{url}?{urlencode(query)}" if query else url


def shortcuts_for(user: Any, assignments: list[RoleAssignment]) -> list[Shortcut]:
    """Shortcuts by role, in the order of the user's assignments, without duplicates."""
    items: list[Shortcut] = []
    for a in assignments:
        unit = a.unit
        if a.role == Role.GRIDDER and a.grid is not None:
            items.append(
                Shortcut(f"我的网格：{a.grid.name}", _url("people:my_grid", grid=a.grid.code), "户、走访")
            )
            items.append(Shortcut("登记走访", _url("people:patrol_create", grid=a.grid.code), a.grid.name))
        elif a.role == Role.TOWNSHIP_OFFICER:
            items.append(
                Shortcut(
                    f"{unit.display_name}的网格", _url("territory:grid_list", unit=unit.code), "网格列表"
                )
            )
            items.append(
                Shortcut("添加网格", _url("territory:grid_create", unit=unit.code), unit.display_name)
            )
        elif a.role == Role.VILLAGE_CADRE:
            items.append(
                Shortcut(
                    f"{unit.display_name}的网格", _url("territory:grid_list", unit=unit.code), "网格列表"
                )
            )
            items.append(
                Shortcut(f"{unit.display_name}概况", _url("territory:unit_detail", unit.code), "村（社区）")
            )
        elif a.role == Role.DEPARTMENT_HANDLER and a.organisation is not None:
            items.append(
                Shortcut(
                    f"{a.organisation.name}服务区域",
                    _url("territory:unit_detail", unit.code),
                    unit.display_name,
                )
            )
        elif a.role == Role.COUNTY_ADMIN:
            items.append(Shortcut("审计日志", _url("audit:search"), "全部变更与事件"))
            items.append(
                Shortcut("添加网格", _url("territory:grid_create", unit=unit.code), unit.display_name)
            )
        elif a.role == Role.AUDITOR:
            items.append(Shortcut("审计检索", _url("audit:search"), unit.display_name))
            items.append(Shortcut("业务事件", _url("audit:search", tab="events"), unit.display_name))
        elif a.role in (Role.LEADER, Role.SUPERVISOR):
            items.append(
                Shortcut(
                    f"{unit.display_name}概况", _url("territory:unit_detail", unit.code), a.get_role_display()
                )
            )
    items = _case_shortcuts(user) + items
    if access.has_perm(user, Perm.TERRITORY_VIEW):
        items.append(Shortcut("按坐标查网格", _url("territory:grid_locate"), "定位"))
    seen: set[str] = set()
    unique = []
    for item in items:
        if item.url not in seen:
            seen.add(item.url)
            unique.append(item)
    return unique


def _case_shortcuts(user: Any) -> list[Shortcut]:
    """The case inboxes with work in them, first on the home page (待受理 3, 已超期 1 …)."""
    if not access.has_perm(user, Perm.CASE_VIEW):
        return []
    from apps.cases.selectors import INBOXES, inbox_counts

    boxes = ("to_accept", "to_dispatch", "to_sign", "handling", "to_follow_up", "red")
    counts = inbox_counts(user, boxes)
    items = [
        Shortcut(f"{INBOXES[box]} {counts[box]} 件", _url("cases:inbox", box=box), "诉求办理")
        for box in boxes
        if counts[box]
    ]
    if access.has_perm(user, Perm.CASE_INTAKE):
        items.append(Shortcut("登记诉求", _url("cases:intake"), "热线、接访、议事、巡查"))
    return items


def home_context(user: Any) -> dict[str, Any]:
    from apps.territory.selectors import root_units, unit_counts

    assignments = list(
        RoleAssignment.objects.filter(user=user, is_active=True)
        .select_related("unit", "grid", "organisation")
        .order_by("role", "unit__code")
    )
    roots = root_units(user)
    return {
        "assignments": assignments,
        "roots": [{"unit": unit, "counts": unit_counts(unit)} for unit in roots[:MAX_ROOT_CARDS]],
        "more_roots": max(0, len(roots) - MAX_ROOT_CARDS),
        "shortcuts": shortcuts_for(user, assignments),
        "can_manage_grids": access.has_perm(user, Perm.GRID_MANAGE),
        "can_audit": access.has_perm(user, Perm.AUDIT_VIEW),
        "is_gridder": any(a.role == Role.GRIDDER for a in assignments),
        "calendar_warnings": _calendar_warnings(user),
    }


def _calendar_warnings(user: Any) -> list[str]:
    """This (or next) year's holidays not entered: deadlines fall back to Monday–Friday. Shown to
    those who can enter them (CASE_CONFIGURE) and those whose dispatches it affects."""
    if not (access.has_perm(user, Perm.CASE_CONFIGURE) or access.has_perm(user, Perm.CASE_DISPATCH)):
        return []
    from django.utils import timezone

    from apps.workdays.calendar import calendar_warnings

    return calendar_warnings(timezone.localdate())
