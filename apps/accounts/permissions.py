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
    PEOPLE_VIEW = "people.view"  # households and residents (adults, non-sensitive)
    PEOPLE_EDIT = "people.edit"  # create and update records
    PEOPLE_IMPORT = "people.import"  # spreadsheet import
    PEOPLE_EXPORT = "people.export"  # spreadsheet export (masked unless PII_REVEAL too)
    PEOPLE_VIEW_MINORS = "people.view_minors"  # residents under 18
    PEOPLE_VIEW_SENSITIVE = "people.view_sensitive"  # residents in sensitive groups (重点人员)
    PII_REVEAL = "people.reveal"  # full ID numbers and phones, each reveal logged with a reason
    PEOPLE_CONFIGURE = "people.configure"  # fact definitions and special-group tags
    PATROL_RECORD = "people.patrol"  # record patrol visits


_ALL_VIEW = {Perm.TERRITORY_VIEW, Perm.DASHBOARD_VIEW}

# Keepers of the records: they edit, see minors and (cadres, officers) reveal full values.
_RECORD_KEEPER = {Perm.PEOPLE_VIEW, Perm.PEOPLE_EDIT, Perm.PEOPLE_VIEW_MINORS}

ROLE_PERMS: dict[str, frozenset[Perm]] = {
    Role.COUNTY_ADMIN: frozenset(Perm),
    Role.LEADER: frozenset(_ALL_VIEW | {Perm.ACCOUNTS_VIEW, Perm.HISTORY_VIEW, Perm.PEOPLE_VIEW}),
    Role.TOWNSHIP_OFFICER: frozenset(
        _ALL_VIEW
        | {
            Perm.TERRITORY_MANAGE,
            Perm.GRID_MANAGE,
            Perm.GRID_ASSIGN,
            Perm.ACCOUNTS_VIEW,
            Perm.ACCOUNTS_MANAGE,
            Perm.HISTORY_VIEW,
            *_RECORD_KEEPER,
            Perm.PEOPLE_IMPORT,
            Perm.PEOPLE_EXPORT,
            Perm.PEOPLE_VIEW_SENSITIVE,
            Perm.PII_REVEAL,
        }
    ),
    # Departments see residents only through the cases they handle (later modules).
    Role.DEPARTMENT_HANDLER: frozenset(_ALL_VIEW),
    Role.VILLAGE_CADRE: frozenset(
        _ALL_VIEW
        | _RECORD_KEEPER
        | {
            Perm.GRID_ASSIGN,
            Perm.ACCOUNTS_VIEW,
            Perm.HISTORY_VIEW,
            Perm.PEOPLE_IMPORT,
            Perm.PEOPLE_EXPORT,
            Perm.PII_REVEAL,
            Perm.PATROL_RECORD,
        }
    ),
    # Gridders keep records fresh from a phone; they enter ID numbers but never read them back in full.
    Role.GRIDDER: frozenset(_ALL_VIEW | _RECORD_KEEPER | {Perm.PATROL_RECORD}),
    Role.SUPERVISOR: frozenset(_ALL_VIEW | {Perm.HISTORY_VIEW, Perm.PEOPLE_VIEW}),
    Role.AUDITOR: frozenset(
        _ALL_VIEW | {Perm.ACCOUNTS_VIEW, Perm.HISTORY_VIEW, Perm.AUDIT_VIEW, Perm.PEOPLE_VIEW}
    ),
}

# Which roles a holder of ACCOUNTS_MANAGE may grant (always inside their own scope).
GRANTABLE: dict[str, frozenset[str]] = {
    Role.COUNTY_ADMIN: frozenset(Role),
    Role.TOWNSHIP_OFFICER: frozenset(
        {Role.TOWNSHIP_OFFICER, Role.VILLAGE_CADRE, Role.GRIDDER, Role.SUPERVISOR}
    ),
}
