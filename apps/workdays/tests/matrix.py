"""Permission matrix rows of the working calendar: everyone who handles or oversees cases reads
it; only county admins (CASE_CONFIGURE) open the editor and confirm a year."""

from __future__ import annotations

from typing import Any

from apps.core.tests.matrix_support import (
    ADMIN,
    AUDITOR,
    CADRE,
    GRIDDER,
    HANDLER,
    LEADER,
    OFFICER,
    OPERATOR,
    SUPERVISOR,
    case,
)

READERS = {ADMIN, LEADER, OFFICER, HANDLER, CADRE, GRIDDER, SUPERVISOR, AUDITOR, OPERATOR}
EDITORS = {ADMIN}
NEW_YEAR = {"holidays": [{"name": "元旦", "start": "2027-01-01", "end": "2027-01-03"}]}

PAGES = [
    case("workdays:index", "/calendar/", READERS),
    case("workdays:year", "/calendar/2027/", READERS),
    case("workdays:trial", "/calendar/trial/?start=2026-12-28&days=5", READERS),
    case("workdays:edit", "/calendar/2027/edit/", EDITORS),
    case("workdays:edit", "/calendar/2027/edit/", EDITORS, method="post", data={"text": "元旦 2027-01-01"}),
    case(
        "workdays:confirm",
        "/calendar/2027/confirm/",
        EDITORS,
        method="post",
        data={"text": "元旦 2027-01-01 至 2027-01-03", "version": ""},
    ),
]

API = [
    case("GET /api/calendar/{year}", "/api/calendar/2026", READERS),
    case("POST /api/calendar/{year}", "/api/calendar/2027", EDITORS, method="post", data=NEW_YEAR),
]


def records(t: dict[str, Any], users: dict[str, Any]) -> dict[str, int]:
    return {}  # the calendar's URLs name years, which need no objects
