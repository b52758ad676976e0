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
    # Cases 诉求/事件/工单
    CASE_VIEW = "case.view"  # see cases (department handlers: only those sent to their department)
    CASE_INTAKE = "case.intake"  # enter cases from staff channels (hotline, receptions, meetings, patrol)
    CASE_DISPATCH = "case.dispatch"  # accept/reject, triage, dispatch, merge/split, follow-up, close
    CASE_HANDLE = "case.handle"  # sign, handle, reply, return, ask for an extension, escalate
    CASE_SUPERVISE = "case.supervise"  # urge, decide extensions
    CASE_OWN = "case.own"  # a leader takes ownership of a case (包案)
    CASE_IMPORT = "case.import"  # bulk import of hotline work orders
    CASE_CONFIGURE = "case.configure"  # categories, SLAs, the working calendar
    LISTS_MANAGE = "lists.manage"  # import and publish responsibility and admission lists
    # Sunshine voting 阳光票决
    VOTE_VIEW = "vote.view"
    VOTE_MANAGE = "vote.manage"  # a village runs its motions through the six steps
    VOTE_REVIEW = "vote.review"  # township review and filing (审议备案)
    VOTE_TELLER = "vote.teller"  # enter paper ballots and shows of hands in the hall
    VOTE_SUPERVISE = "vote.supervise"  # supervision committee: oversight and implementation reports
    # Points 积分制
    POINTS_VIEW = "points.view"
    POINTS_RULEBOOK = "points.rulebook"  # keep rulebooks, stores' settings, time-bank activities
    POINTS_APPLY = "points.apply"  # apply for points on a resident's behalf
    POINTS_APPROVE = "points.approve"  # points keeper: first approval
    POINTS_COUNTERSIGN = "points.countersign"  # supervisor: second signature
    STORE_OPERATE = "points.store"  # shopkeeper: redemptions at the counter, restocking, stock-taking


_ALL_VIEW = {Perm.TERRITORY_VIEW, Perm.DASHBOARD_VIEW}

# Keepers of the records: they edit, see minors and (cadres, officers) reveal full values.
_RECORD_KEEPER = {Perm.PEOPLE_VIEW, Perm.PEOPLE_EDIT, Perm.PEOPLE_VIEW_MINORS}

_MODULE_VIEW = {Perm.CASE_VIEW, Perm.VOTE_VIEW, Perm.POINTS_VIEW}

ROLE_PERMS: dict[str, frozenset[Perm]] = {
    Role.COUNTY_ADMIN: frozenset(Perm),
    Role.LEADER: frozenset(
        _ALL_VIEW
        | _MODULE_VIEW
        | {Perm.ACCOUNTS_VIEW, Perm.HISTORY_VIEW, Perm.PEOPLE_VIEW, Perm.CASE_SUPERVISE, Perm.CASE_OWN}
    ),
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
            *_MODULE_VIEW,
            Perm.CASE_INTAKE,
            Perm.CASE_DISPATCH,
            Perm.CASE_HANDLE,
            Perm.CASE_SUPERVISE,
            Perm.LISTS_MANAGE,
            Perm.VOTE_REVIEW,
            Perm.POINTS_RULEBOOK,
        }
    ),
    # Departments see residents only through the cases they handle; their case permissions hold
    # only for cases sent to their department (ORG_BOUND_ROLES).
    Role.DEPARTMENT_HANDLER: frozenset(_ALL_VIEW | {Perm.CASE_VIEW, Perm.CASE_HANDLE}),
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
            *_MODULE_VIEW,
            Perm.CASE_INTAKE,
            Perm.CASE_DISPATCH,
            Perm.CASE_HANDLE,
            Perm.VOTE_MANAGE,
            Perm.VOTE_TELLER,
            Perm.POINTS_RULEBOOK,
            Perm.POINTS_APPLY,
        }
    ),
    # Gridders keep records fresh from a phone; they enter ID numbers but never read them back in full.
    # They report and settle the smallest matters in their grid (微事不出格).
    Role.GRIDDER: frozenset(
        _ALL_VIEW
        | _RECORD_KEEPER
        | {Perm.PATROL_RECORD, Perm.CASE_VIEW, Perm.CASE_INTAKE, Perm.CASE_HANDLE}
        | {Perm.POINTS_VIEW, Perm.POINTS_APPLY}
    ),
    Role.SUPERVISOR: frozenset(
        _ALL_VIEW
        | _MODULE_VIEW
        | {Perm.HISTORY_VIEW, Perm.PEOPLE_VIEW, Perm.VOTE_SUPERVISE, Perm.POINTS_COUNTERSIGN}
    ),
    Role.AUDITOR: frozenset(
        _ALL_VIEW | _MODULE_VIEW | {Perm.ACCOUNTS_VIEW, Perm.HISTORY_VIEW, Perm.AUDIT_VIEW, Perm.PEOPLE_VIEW}
    ),
    # The 12345 hotline's operators take calls and import the hotline's work-order exports.
    Role.OPERATOR: frozenset(_ALL_VIEW | {Perm.CASE_VIEW, Perm.CASE_INTAKE, Perm.CASE_IMPORT}),
    Role.POINTS_KEEPER: frozenset(
        _ALL_VIEW | {Perm.PEOPLE_VIEW, Perm.POINTS_VIEW, Perm.POINTS_APPLY, Perm.POINTS_APPROVE}
    ),
    Role.SHOPKEEPER: frozenset(_ALL_VIEW | {Perm.PEOPLE_VIEW, Perm.POINTS_VIEW, Perm.STORE_OPERATE}),
}

# Which roles a holder of ACCOUNTS_MANAGE may grant (always inside their own scope).
GRANTABLE: dict[str, frozenset[str]] = {
    Role.COUNTY_ADMIN: frozenset(Role),
    Role.TOWNSHIP_OFFICER: frozenset(
        {
            Role.TOWNSHIP_OFFICER,
            Role.VILLAGE_CADRE,
            Role.GRIDDER,
            Role.SUPERVISOR,
            Role.POINTS_KEEPER,
            Role.SHOPKEEPER,
        }
    ),
}
