"""Shared vocabulary of the permission matrix: the roles, a matrix case, and the role sets.

A module adds its own rows in `apps/<module>/tests/matrix.py`, which defines PAGES, API,
PUBLIC_PAGES, API_COVERED_ELSEWHERE (any may be omitted) and `records(t, users) -> dict` making the
objects its URLs name (through the services); the central test (apps/core/tests/
test_permission_matrix.py) discovers those files, so every module is walked by every role.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ADMIN, LEADER, OFFICER, HANDLER = "county_admin", "leader", "township_officer", "department_handler"
CADRE, GRIDDER, SUPERVISOR, AUDITOR = "village_cadre", "gridder", "supervisor", "auditor"
OPERATOR, KEEPER, SHOPKEEPER = "operator", "points_keeper", "shopkeeper"
NOROLE, RESIDENT = "no_role", "resident"
STAFF_ROLES = [
    ADMIN,
    LEADER,
    OFFICER,
    HANDLER,
    CADRE,
    GRIDDER,
    SUPERVISOR,
    AUDITOR,
    OPERATOR,
    KEEPER,
    SHOPKEEPER,
]
EVERYONE = [*STAFF_ROLES, NOROLE, RESIDENT]
# Whose territory covers 迤车镇 (the township next door): the county-wide roles.
COUNTY_WIDE = {ADMIN, LEADER, HANDLER, OPERATOR}


@dataclass(frozen=True)
class Case:
    name: str  # the URL name (pages) or "METHOD path" (API)
    url: str
    allowed: frozenset[str]
    method: str = "get"
    data: dict[str, Any] = field(default_factory=dict)
    api: bool = False


def case(name: str, url: str, allowed: set[str] | list[str], **kw: Any) -> Case:
    return Case(name=name, url=url, allowed=frozenset(allowed), **kw)
