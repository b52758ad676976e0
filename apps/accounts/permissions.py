"""What each role may do. The matrix is data; `access.py` is the only code that reads it.

A permission granted by a role applies inside the unit subtree of that role assignment.
"""

from __future__ import annotations

from enum import StrEnum

from .choices import Role


class Perm(StrEnum):
    TERRITORY_VIEW = "territory.view"  # browse units, grids, organisations
    TERRITORY_MANAGE = "territory.manage"  # add villager groups, rename units, set boundaries
    GRID_MANAGE = "grid.manage"  # create/edit grids and their boundaries
    GRID_ASSIGN = "grid.assign"  # assign gridders to grids
    ORG_MANAGE = "org.manage"  # departments and other organisations
    ACCOUNTS_VIEW = "accounts.view"  # see staff and their roles
    ACCOUNTS_MANAGE = "accounts.manage"  # create staff, grant and revoke roles
    HISTORY_VIEW = "history.view"  # an object's change history and events
    AUDIT_VIEW = "audit.view"  # search the whole audit log
    DASHBOARD_VIEW = "dashboard.view"


_ALL_VIEW = {Perm.TERRITORY_VIEW, Perm.DASHBOARD_VIEW}

ROLE_PERMS: dict[str, frozenset[Perm]] = {
    Role.COUNTY_ADMIN: frozenset(Perm),
    Role.LEADER: frozenset(_ALL_VIEW | {Perm.ACCOUNTS_VIEW, Perm.HISTORY_VIEW}),
    Role.TOWNSHIP_OFFICER: frozenset(
        _ALL_VIEW
        | {
            Perm.TERRITORY_MANAGE,
            Perm.GRID_MANAGE,
            Perm.GRID_ASSIGN,
            Perm.ACCOUNTS_VIEW,
            Perm.ACCOUNTS_MANAGE,
            Perm.HISTORY_VIEW,
        }
    ),
    Role.DEPARTMENT_HANDLER: frozenset(_ALL_VIEW),
    Role.VILLAGE_CADRE: frozenset(_ALL_VIEW | {Perm.GRID_ASSIGN, Perm.ACCOUNTS_VIEW, Perm.HISTORY_VIEW}),
    Role.GRIDDER: frozenset(_ALL_VIEW),
    Role.SUPERVISOR: frozenset(_ALL_VIEW | {Perm.HISTORY_VIEW}),
    Role.AUDITOR: frozenset(_ALL_VIEW | {Perm.ACCOUNTS_VIEW, Perm.HISTORY_VIEW, Perm.AUDIT_VIEW}),
}

# Which roles a holder of ACCOUNTS_MANAGE may grant (always inside their own scope).
GRANTABLE: dict[str, frozenset[str]] = {
    Role.COUNTY_ADMIN: frozenset(Role),
    Role.TOWNSHIP_OFFICER: frozenset(
        {Role.TOWNSHIP_OFFICER, Role.VILLAGE_CADRE, Role.GRIDDER, Role.SUPERVISOR}
    ),
}
