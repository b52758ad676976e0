"""The module navigation: one entry per module, shown only where the user holds its permission.

Later modules (people, cases, votes, points…) add their entry to MODULES for staff, and to
RESIDENT_SERVICES for the residents' home page (report a case, my points, village disclosure…).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from apps.accounts import access
from apps.accounts.choices import Role
from apps.accounts.permissions import Perm


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    url_name: str
    perm: Perm | None
    icon: str = ""
    role: str = ""  # shown only to holders of this role (a gridder's own pages)


MODULES: list[NavItem] = [
    NavItem("home", "首页", "core:home", None, "⌂"),
    NavItem("my_grid", "我的网格", "people:my_grid", Perm.PEOPLE_VIEW, "◉", role=Role.GRIDDER),
    NavItem("cases", "诉求办理", "cases:inbox", Perm.CASE_VIEW, "✉"),
    NavItem("owned", "我的包案", "cases:owned", Perm.CASE_OWN, "⚑", role=Role.LEADER),
    NavItem("case_stats", "诉求统计", "cases:dashboard", Perm.CASE_VIEW, "▥"),
    NavItem("records", "民情档案", "people:household_list", Perm.PEOPLE_VIEW, "☷"),
    NavItem("territory", "区划网格", "territory:browser", Perm.TERRITORY_VIEW, "▦"),
    NavItem("grids", "网格", "territory:grid_list", Perm.TERRITORY_VIEW, "▣"),
    NavItem("people", "人员角色", "accounts:staff_list", Perm.ACCOUNTS_VIEW, "☺"),
    NavItem("lists", "责任清单", "duties:list_index", Perm.TERRITORY_VIEW, "☑"),
    NavItem("audit", "审计日志", "audit:search", Perm.AUDIT_VIEW, "☰"),
    NavItem("hotline", "12345工单导入", "hotline:import_start", Perm.CASE_IMPORT, "☎"),
    NavItem("points", "积分制", "points:index", Perm.POINTS_VIEW, "★"),
    NavItem("voting", "阳光票决", "voting:motion_list", Perm.VOTE_VIEW, "☑"),
    NavItem("calendar", "工作日历", "workdays:index", Perm.CASE_CONFIGURE, "▤"),
]


# Entries on a resident's home page. A resident holds no staff role, so these carry no permission;
# each page checks the resident's own rights itself.
RESIDENT_SERVICES: list[NavItem] = [
    NavItem("report", "随手拍", "cases:report", None, "📷"),
    NavItem("my_cases", "我的诉求", "cases:my_cases", None, "✉"),
    NavItem("my_points", "我的积分", "points:my", None, "★"),
    NavItem("voting", "云票决与议事", "voting:my_voting", None, "☑"),
]


def _visible(user: Any, items: list[NavItem]) -> list[dict[str, str]]:
    visible = []
    for item in items:
        if item.perm is not None and not access.has_perm(user, item.perm):
            continue
        if item.role and item.role not in access.roles_of(user):
            continue
        visible.append(
            {"key": item.key, "label": item.label, "url": reverse(item.url_name), "icon": item.icon}
        )
    return visible


def navigation_for(user: Any) -> list[dict[str, str]]:
    return _visible(user, MODULES)


def resident_services_for(user: Any) -> list[dict[str, str]]:
    return _visible(user, RESIDENT_SERVICES)
