"""Permission-matrix rows of the case dashboard (apps/cases/dashboard.py), appended by
apps/cases/tests/matrix.py. In the matrix's world 娜姑镇 (530326102) and 娜姑村 (530326102201) are
every role's home, 迤车镇 (530326103) the township next door.

The dashboard needs CASE_VIEW over the unit: not points keepers, shopkeepers, users without a
role or residents. Without ?unit= each role opens its own root (a department handler: the county,
its department's service area, counting only its department's cases)."""

from __future__ import annotations

from apps.core.tests.matrix_support import (
    ADMIN,
    AUDITOR,
    CADRE,
    COUNTY_WIDE,
    GRIDDER,
    HANDLER,
    LEADER,
    OFFICER,
    OPERATOR,
    SUPERVISOR,
    case,
)

CASE_VIEWERS = {ADMIN, LEADER, OFFICER, HANDLER, CADRE, GRIDDER, SUPERVISOR, AUDITOR, OPERATOR}
# Over 娜姑镇 as a whole: not the village-bound roles (cadre, gridder, supervisor of 娜姑村).
TOWNSHIP_VIEWERS = {ADMIN, LEADER, OFFICER, HANDLER, AUDITOR, OPERATOR}

PAGES = [
    case("cases:dashboard", "/cases/dashboard/", CASE_VIEWERS),
    case("cases:dashboard", "/cases/dashboard/?unit=530326102201", CASE_VIEWERS),
    case("cases:dashboard", "/cases/dashboard/?unit=530326102", TOWNSHIP_VIEWERS),
    case("cases:dashboard", "/cases/dashboard/?unit=530326103", COUNTY_WIDE),
    case("cases:dashboard_data", "/cases/dashboard/data.json", CASE_VIEWERS),
    case("cases:dashboard_data", "/cases/dashboard/data.json?unit=530326102", TOWNSHIP_VIEWERS),
    case("cases:dashboard_data", "/cases/dashboard/data.json?unit=530326103", COUNTY_WIDE),
]
