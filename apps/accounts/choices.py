"""Roles a staff user can hold, each scoped to a unit subtree."""

from django.db import models


class Role(models.TextChoices):
    COUNTY_ADMIN = "county_admin", "县级管理员"
    LEADER = "leader", "领导"
    TOWNSHIP_OFFICER = "township_officer", "乡镇（街道）干部"
    DEPARTMENT_HANDLER = "department_handler", "部门办理人员"
    VILLAGE_CADRE = "village_cadre", "村（社区）干部"
    GRIDDER = "gridder", "网格员"
    SUPERVISOR = "supervisor", "村务监督委员会成员"
    AUDITOR = "auditor", "审计员"
    OPERATOR = "operator", "12345热线接线员"
    POINTS_KEEPER = "points_keeper", "积分管理员"
    SHOPKEEPER = "shopkeeper", "积分超市管理员"


class UserKind(models.TextChoices):
    STAFF = "staff", "工作人员"
    RESIDENT = "resident", "居民"


# Roles whose permissions hold only for the rows their organisation is party to (a department
# handler sees the cases sent to the department, not every case in its service area).
ORG_BOUND_ROLES = frozenset({Role.DEPARTMENT_HANDLER})

# Roles that must pass a TOTP second factor before they may act.
ADMIN_ROLES = frozenset({Role.COUNTY_ADMIN})
