"""The permission matrix: every role against every page and API operation, allowed and denied,
inside and outside its territory. The expectations are written out by hand from the role table
in DOMAIN.md, not derived from permissions.py, so a wrong entry there fails here.

Every named URL and every API operation must be listed (see the completeness tests at the end):
a new view cannot slip past the chokepoint unnoticed.
"""

from __future__ import annotations

import importlib
import pathlib
from typing import Any

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver

from apps.accounts.choices import Role, UserKind

from .matrix_support import (
    ADMIN,
    AUDITOR,
    CADRE,
    COUNTY_WIDE,
    EVERYONE,
    GRIDDER,
    HANDLER,
    KEEPER,
    LEADER,
    NOROLE,
    OFFICER,
    OPERATOR,
    RESIDENT,
    SHOPKEEPER,
    STAFF_ROLES,
    SUPERVISOR,
    Case,
    case,
)

pytestmark = pytest.mark.django_db

TRIANGLE = '{"type":"Polygon","coordinates":[[[103.1,26.1],[103.2,26.1],[103.2,26.2],[103.1,26.1]]]}'
VIEW_ALL = set(STAFF_ROLES)
HISTORY = {ADMIN, LEADER, OFFICER, CADRE, SUPERVISOR, AUDITOR}
ACCOUNTS_VIEW = {ADMIN, LEADER, OFFICER, CADRE, AUDITOR}
MANAGE = {ADMIN, OFFICER}
ASSIGN = {ADMIN, OFFICER, CADRE}
PEOPLE_VIEW = {ADMIN, LEADER, OFFICER, CADRE, GRIDDER, SUPERVISOR, AUDITOR, KEEPER, SHOPKEEPER}
KEEPERS = {ADMIN, OFFICER, CADRE, GRIDDER}
IMPORTERS = {ADMIN, OFFICER, CADRE}  # import and export spreadsheets

# In scope = 娜姑镇 / 娜姑村 (every role's home in the fixture); out = 迤车镇 / 迤车村.
PAGES = [
    case("core:home", "/", EVERYONE),
    case("accounts:profile", "/accounts/profile/", EVERYONE),
    case("territory:browser", "/territory/", VIEW_ALL),
    case("territory:unit_search", "/territory/search/?q=娜姑", VIEW_ALL),
    case("territory:unit_detail", "/territory/units/530326102201/", VIEW_ALL),
    case("territory:unit_detail", "/territory/units/530326103201/", COUNTY_WIDE),
    case(
        "territory:unit_children",
        "/territory/units/530326102/children/",
        {ADMIN, LEADER, OFFICER, HANDLER, AUDITOR, OPERATOR},
    ),
    case("territory:unit_children", "/territory/units/530326103/children/", COUNTY_WIDE),
    case("territory:grid_list", "/territory/grids/", VIEW_ALL),
    case("territory:grid_detail", "/territory/grids/NG-01-01/", VIEW_ALL),
    case("territory:grid_detail", "/territory/grids/YC-01-01/", COUNTY_WIDE),
    case("territory:grid_locate", "/territory/locate/?lat=26.4&lng=103.3", VIEW_ALL),
    case("territory:grid_create", "/territory/new-grid/?unit=530326102202", MANAGE),
    case(
        "territory:unit_add_group",
        "/territory/units/530326102201/groups/",
        MANAGE,
        method="post",
        data={"name": "新一组"},
    ),
    case(
        "territory:unit_add_group",
        "/territory/units/530326103201/groups/",
        {ADMIN},
        method="post",
        data={"name": "新一组"},
    ),
    case(
        "territory:grid_boundary",
        "/territory/grids/NG-01-01/boundary/",
        MANAGE,
        method="post",
        data={"geojson": TRIANGLE},
    ),
    case(
        "territory:grid_boundary",
        "/territory/grids/YC-01-01/boundary/",
        {ADMIN},
        method="post",
        data={"geojson": TRIANGLE},
    ),
    case(
        "territory:grid_gridder_add",
        "/territory/grids/NG-01-01/gridders/",
        ASSIGN,
        method="post",
        data={"username": "candidate"},
    ),
    case(
        "territory:grid_gridder_add",
        "/territory/grids/YC-01-01/gridders/",
        {ADMIN},
        method="post",
        data={"username": "candidate"},
    ),
    case(
        "territory:grid_gridder_remove",
        "/territory/grids/NG-01-01/gridders/remove/",
        ASSIGN,
        method="post",
        data={"username": "gridder"},
    ),
    case(
        "territory:grid_gridder_remove",
        "/territory/grids/YC-01-01/gridders/remove/",
        {ADMIN},
        method="post",
        data={"username": "gridder_yc"},
    ),
    case("accounts:staff_list", "/accounts/staff/", ACCOUNTS_VIEW),
    # candidate works in 白雾村: inside the township, outside the 娜姑村 cadre's village
    case("accounts:staff_detail", "/accounts/staff/{candidate}/", ACCOUNTS_VIEW - {CADRE}),
    case("accounts:staff_detail", "/accounts/staff/{gridder_yc}/", {ADMIN, LEADER}),
    case("accounts:staff_create", "/accounts/staff/new/", MANAGE),
    case(
        "accounts:role_grant",
        "/accounts/staff/{candidate}/roles/",
        MANAGE,
        method="post",
        data={"role": GRIDDER, "grid": "NG-01-01", "unit": "530326102201"},
    ),
    case(
        "accounts:role_revoke",
        "/accounts/staff/{gridder}/roles/{gridder_role}/revoke/",
        MANAGE,
        method="post",
    ),
    case("accounts:staff_unlock", "/accounts/staff/{candidate}/unlock/", MANAGE, method="post"),
    # resident records: every role but department handlers reads them inside its area
    case("people:household_list", "/people/", PEOPLE_VIEW),
    case("people:household_detail", "/people/households/{h_in}/", PEOPLE_VIEW),
    case("people:household_detail", "/people/households/{h_out}/", {ADMIN, LEADER}),
    case("people:household_create", "/people/households/new/", KEEPERS),
    case("people:household_edit", "/people/households/{h_in}/edit/", KEEPERS),
    case("people:household_edit", "/people/households/{h_out}/edit/", {ADMIN}),
    case("people:resident_create", "/people/households/{h_in}/members/new/", KEEPERS),
    case("people:resident_list", "/people/residents/", PEOPLE_VIEW),
    case("people:resident_detail", "/people/residents/{r_in}/", PEOPLE_VIEW),
    case("people:resident_detail", "/people/residents/{r_out}/", {ADMIN, LEADER}),
    case("people:resident_edit", "/people/residents/{r_in}/edit/", KEEPERS),
    case(
        "people:resident_reveal", "/people/residents/{r_in}/reveal/?field=id_number", {ADMIN, OFFICER, CADRE}
    ),
    case("people:resident_reveal", "/people/residents/{r_out}/reveal/?field=id_number", {ADMIN}),
    case("people:my_grid", "/people/my-grid/", PEOPLE_VIEW),
    case("people:patrol_list", "/people/patrols/", PEOPLE_VIEW),
    case("people:patrol_create", "/people/patrols/new/", {ADMIN, CADRE, GRIDDER}),
    case("people:patrol_photo", "/people/patrols/{patrol}/photo/", PEOPLE_VIEW),
    case("people:config", "/people/settings/", {ADMIN}),
    case("people:import_start", "/people/import/", IMPORTERS),
    case("people:import_template", "/people/import/template.xlsx", IMPORTERS),
    case("people:import_detail", "/people/import/{job_in}/", IMPORTERS),
    case("people:import_detail", "/people/import/{job_out}/", {ADMIN}),
    case("people:import_progress", "/people/import/{job_in}/progress/", IMPORTERS),
    case("people:import_report", "/people/import/{job_in}/report.xlsx", IMPORTERS),
    case("people:import_report", "/people/import/{job_out}/report.xlsx", {ADMIN}),
    case("people:export_residents", "/people/export/residents.xlsx?unit=530326102201", IMPORTERS),
    case("people:export_residents", "/people/export/residents.xlsx?unit=530326103201", {ADMIN}),
    case("people:export_households", "/people/export/households.xlsx?unit=530326102201", IMPORTERS),
    case("people:export_households", "/people/export/households.xlsx?unit=530326103201", {ADMIN}),
    case("audit:search", "/audit/", {ADMIN, AUDITOR}),
    case("audit:history", "/audit/history/territory/grid/NG-01-01/", HISTORY),
    case("audit:history", "/audit/history/territory/grid/YC-01-01/", {ADMIN, LEADER}),
    case("audit:history", "/audit/history/territory/unit/530326102/", HISTORY - {CADRE, SUPERVISOR}),
]

API = [
    case("GET /api/accounts/me", "/api/accounts/me", EVERYONE),
    case("GET /api/accounts/tokens", "/api/accounts/tokens", EVERYONE),
    case("GET /api/territory/units", "/api/territory/units", VIEW_ALL),
    case("GET /api/territory/units/{code}", "/api/territory/units/530326102201", VIEW_ALL),
    case("GET /api/territory/units/{code}", "/api/territory/units/530326103201", COUNTY_WIDE),
    case("GET /api/territory/units/{code}/children", "/api/territory/units/530326103/children", COUNTY_WIDE),
    case("GET /api/territory/units/{code}/counts", "/api/territory/units/530326103/counts", COUNTY_WIDE),
    case(
        "POST /api/territory/units/{code}/groups",
        "/api/territory/units/530326102201/groups",
        MANAGE,
        method="post",
        data={"name": "新一组"},
    ),
    case(
        "POST /api/territory/units/{code}/groups",
        "/api/territory/units/530326103201/groups",
        {ADMIN},
        method="post",
        data={"name": "新一组"},
    ),
    case("GET /api/territory/grids", "/api/territory/grids", VIEW_ALL),
    case("GET /api/territory/grids/{code}", "/api/territory/grids/NG-01-01", VIEW_ALL),
    case("GET /api/territory/grids/{code}", "/api/territory/grids/YC-01-01", COUNTY_WIDE),
    case(
        "POST /api/territory/grids",
        "/api/territory/grids",
        MANAGE,
        method="post",
        data={"unit_code": "530326102202", "code": "BW-NEW", "name": "白雾新网格", "level": 2},
    ),
    case(
        "POST /api/territory/grids",
        "/api/territory/grids",
        {ADMIN},
        method="post",
        data={"unit_code": "530326103202", "code": "XY-NEW", "name": "小营新网格", "level": 2},
    ),
    case(
        "PATCH /api/territory/grids/{code}",
        "/api/territory/grids/NG-01-01",
        MANAGE,
        method="patch",
        data={"name": "改名"},
    ),
    case(
        "PATCH /api/territory/grids/{code}",
        "/api/territory/grids/YC-01-01",
        {ADMIN},
        method="patch",
        data={"name": "改名"},
    ),
    case(
        "PUT /api/territory/grids/{code}/boundary",
        "/api/territory/grids/NG-01-01/boundary",
        MANAGE,
        method="put",
        data={"boundary": None},
    ),
    case(
        "POST /api/territory/grids/{code}/gridders",
        "/api/territory/grids/NG-01-01/gridders",
        ASSIGN,
        method="post",
        data={"username": "candidate"},
    ),
    case(
        "POST /api/territory/grids/{code}/gridders",
        "/api/territory/grids/YC-01-01/gridders",
        {ADMIN},
        method="post",
        data={"username": "candidate"},
    ),
    case(
        "DELETE /api/territory/grids/{code}/gridders/{username}",
        "/api/territory/grids/NG-01-01/gridders/gridder",
        ASSIGN,
        method="delete",
    ),
    case("GET /api/territory/locate", "/api/territory/locate?lat=26.4&lng=103.3", VIEW_ALL),
    case("GET /api/territory/organisations", "/api/territory/organisations", VIEW_ALL),
    case("GET /api/audit/records", "/api/audit/records", {ADMIN, AUDITOR}),
    case("GET /api/audit/events", "/api/audit/events", {ADMIN, AUDITOR}),
    case(
        "GET /api/audit/history/{app_label}/{model}/{object_id}",
        "/api/audit/history/territory/grid/NG-01-01",
        HISTORY,
    ),
    case(
        "GET /api/audit/history/{app_label}/{model}/{object_id}",
        "/api/audit/history/territory/grid/YC-01-01",
        {ADMIN, LEADER},
    ),
]
# Resident records API (apps/people/api.py): {h_in}/{r_in} in 娜姑村, {h_out}/{r_out} in 迤车村.
PEOPLE_EDIT = KEEPERS
PII_REVEAL = {ADMIN, OFFICER, CADRE}
PATROL = {ADMIN, CADRE, GRIDDER}
HOUSEHOLD_API = "/api/people/households/{household_id}"
RESIDENT_API = "/api/people/residents/{resident_id}"
API += [
    case("GET /api/people/households", "/api/people/households", PEOPLE_VIEW),
    case(f"GET {HOUSEHOLD_API}", "/api/people/households/{h_in}", PEOPLE_VIEW),
    case(f"GET {HOUSEHOLD_API}", "/api/people/households/{h_out}", {ADMIN, LEADER}),
    case(
        "POST /api/people/households",
        "/api/people/households",
        PEOPLE_EDIT,
        method="post",
        data={"unit_code": "530326102201", "number": "N-1", "address": "娜姑村一组 2 号"},
    ),
    case(
        "POST /api/people/households",
        "/api/people/households",
        {ADMIN},
        method="post",
        data={"unit_code": "530326103201", "number": "N-1", "address": "迤车村一组 2 号"},
    ),
    case(
        f"PATCH {HOUSEHOLD_API}",
        "/api/people/households/{h_in}",
        PEOPLE_EDIT,
        method="patch",
        data={"address": "改"},
    ),
    case(
        f"PATCH {HOUSEHOLD_API}",
        "/api/people/households/{h_out}",
        {ADMIN},
        method="patch",
        data={"address": "改"},
    ),
    case("GET /api/people/residents", "/api/people/residents", PEOPLE_VIEW),
    case(f"GET {RESIDENT_API}", "/api/people/residents/{r_in}", PEOPLE_VIEW),
    case(f"GET {RESIDENT_API}", "/api/people/residents/{r_out}", {ADMIN, LEADER}),
    case(
        f"POST {HOUSEHOLD_API}/residents",
        "/api/people/households/{h_in}/residents",
        PEOPLE_EDIT,
        method="post",
        data={"name": "新人"},
    ),
    case(
        f"POST {HOUSEHOLD_API}/residents",
        "/api/people/households/{h_out}/residents",
        {ADMIN},
        method="post",
        data={"name": "新人"},
    ),
    case(
        f"PATCH {RESIDENT_API}",
        "/api/people/residents/{r_in}",
        PEOPLE_EDIT,
        method="patch",
        data={"notes": "x"},
    ),
    case(
        f"PATCH {RESIDENT_API}", "/api/people/residents/{r_out}", {ADMIN}, method="patch", data={"notes": "x"}
    ),
    case(
        f"POST {RESIDENT_API}/reveal",
        "/api/people/residents/{r_in}/reveal",
        PII_REVEAL,
        method="post",
        data={"field": "id_number", "reason": "核实身份"},
    ),
    case(
        f"POST {RESIDENT_API}/reveal",
        "/api/people/residents/{r_out}/reveal",
        {ADMIN},
        method="post",
        data={"field": "id_number", "reason": "核实身份"},
    ),
    case("GET /api/people/patrols", "/api/people/patrols", PEOPLE_VIEW),
    case(
        "POST /api/people/patrols",
        "/api/people/patrols",
        PATROL,
        method="post",
        data={"grid_code": "NG-01-01", "place": "娜姑村一组", "note": "走访"},
    ),
    case(
        "POST /api/people/patrols",
        "/api/people/patrols",
        {ADMIN},
        method="post",
        data={"grid_code": "YC-01-01", "place": "迤车村一组", "note": "走访"},
    ),
    case("GET /api/people/special-groups", "/api/people/special-groups", PEOPLE_VIEW),
    case("GET /api/people/facts", "/api/people/facts", PEOPLE_VIEW),
]
# Token routes need a token of the caller's own; they are covered in apps/accounts/tests/test_api.py.
API_COVERED_ELSEWHERE = {"POST /api/accounts/tokens", "DELETE /api/accounts/tokens/{token_id}"}
# Pages anyone may open (login, second factor, phone login) or that are not about data.
PUBLIC_PAGES = {
    "core:healthz",
    "accounts:login",
    "accounts:logout",
    "accounts:otp",
    "accounts:phone_login",
    "accounts:phone_code",
    "set_language",
    # the user's own password and tokens: covered in apps/accounts/tests
    "accounts:password_change",
    "accounts:token_create",
    "accounts:token_revoke",
    "accounts:staff_password_reset",
}


def _module_matrices() -> list[Any]:
    """Each module's own rows: apps/<module>/tests/matrix.py (see matrix_support)."""
    apps_dir = pathlib.Path(__file__).resolve().parents[2]
    found = sorted(apps_dir.glob("*/tests/matrix.py"))
    return [importlib.import_module(f"apps.{path.parent.parent.name}.tests.matrix") for path in found]


MODULE_MATRICES = _module_matrices()
for _module in MODULE_MATRICES:
    PAGES += getattr(_module, "PAGES", [])
    API += getattr(_module, "API", [])
    PUBLIC_PAGES |= getattr(_module, "PUBLIC_PAGES", set())
    API_COVERED_ELSEWHERE |= getattr(_module, "API_COVERED_ELSEWHERE", set())


@pytest.fixture
def world(tiny_county: dict[str, Any], make_staff: Any) -> dict[str, Any]:
    from apps.accounts.models import RoleAssignment, User

    t = tiny_county
    users = {
        ADMIN: make_staff(Role.COUNTY_ADMIN, t["county"]),
        LEADER: make_staff(Role.LEADER, t["county"]),
        OFFICER: make_staff(Role.TOWNSHIP_OFFICER, t["t1"]),
        HANDLER: make_staff(Role.DEPARTMENT_HANDLER, organisation=t["dept"]),
        CADRE: make_staff(Role.VILLAGE_CADRE, t["v11"]),
        GRIDDER: make_staff(Role.GRIDDER, grid=t["g11"], username="gridder"),
        SUPERVISOR: make_staff(Role.SUPERVISOR, t["v11"]),
        AUDITOR: make_staff(Role.AUDITOR, t["t1"]),
        OPERATOR: make_staff(Role.OPERATOR, t["county"]),
        KEEPER: make_staff(Role.POINTS_KEEPER, t["v11"]),
        SHOPKEEPER: make_staff(Role.SHOPKEEPER, t["v11"]),
        NOROLE: make_staff(None),
        RESIDENT: User.objects.create_user("resident", None, kind=UserKind.RESIDENT, phone="13800000001"),
    }
    gridder_yc = make_staff(Role.GRIDDER, grid=t["g21"], username="gridder_yc")
    candidate = make_staff(Role.VILLAGE_CADRE, t["v12"], username="candidate")
    ids = {
        **_people_page_records(t, users[ADMIN]),
        "candidate": candidate.pk,
        "gridder": users[GRIDDER].pk,
        "gridder_yc": gridder_yc.pk,
        "gridder_role": RoleAssignment.objects.get(user=users[GRIDDER]).pk,
    }
    for module in MODULE_MATRICES:
        if hasattr(module, "records"):
            ids.update(module.records(t, users))
    return {"users": users, "ids": ids}


def _people_page_records(t: dict[str, Any], admin: Any) -> dict[str, int]:
    """Households, residents and a patrol with a photo for the people pages, made through the services."""
    import datetime

    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.people import services as people
    from apps.people.idnumber import make

    h_in = people.household_create(
        actor=admin, unit=t["v11"], grid=t["g11"], number="001", address="娜姑村 1 号"
    )
    h_out = people.household_create(
        actor=admin, unit=t["v21"], grid=t["g21"], number="001", address="迤车村 1 号"
    )
    r_in = people.resident_create(
        actor=admin,
        household=h_in,
        name="张建国",
        relation="head",
        id_number=make("530326", datetime.date(1970, 1, 2), 11),
    )
    r_out = people.resident_create(
        actor=admin,
        household=h_out,
        name="李卫东",
        relation="head",
        id_number=make("530326", datetime.date(1971, 3, 4), 13),
    )
    photo = SimpleUploadedFile("p.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, content_type="image/png")
    patrol = people.patrol_record(
        actor=admin, grid=t["g11"], place="村口", note="巡查正常", household=h_in, photo=photo
    )
    from apps.people.choices import ImportStatus
    from apps.people.models import ImportJob

    jobs = {
        key: ImportJob.objects.create(
            created_by=admin, unit=unit, filename="名册.xlsx", status=ImportStatus.DONE
        )
        for key, unit in (("job_in", t["v11"]), ("job_out", t["v21"]))
    }
    return {
        "h_in": h_in.pk,
        "h_out": h_out.pk,
        "r_in": r_in.pk,
        "r_out": r_out.pk,
        "patrol": patrol.pk,
        **{key: job.pk for key, job in jobs.items()},
    }


def login(client: Any, verified_client: Any, user: Any, role: str) -> Any:
    if role == ADMIN:
        return verified_client(user)
    client.force_login(user)
    return client


def perform(client: Any, c: Case, ids: dict[str, int]) -> int:
    url = c.url.format(**ids)
    if c.api:
        call = getattr(client, c.method)
        response = call(url, data=c.data, content_type="application/json") if c.method != "get" else call(url)
    elif c.method == "post":
        response = client.post(url, data=c.data)
    else:
        response = client.get(url)
    return response.status_code


def _ids(cases: list[Case]) -> list[str]:
    return [f"{c.method} {c.url}" for c in cases]


def walk(c: Case, world: dict[str, Any], client: Any, verified_client: Any) -> list[str]:
    """Every role (and an anonymous visitor) tries the case; each try runs in a savepoint that is
    rolled back, so one role's write never changes what the next role meets. Returns the mismatches."""
    wrong: list[str] = []
    for role in [*EVERYONE, "anonymous"]:
        client.cookies.clear()
        savepoint = transaction.savepoint()
        try:
            if role != "anonymous":
                login(client, verified_client, world["users"][role], role)
            status = perform(client, c, world["ids"])
        finally:
            transaction.savepoint_rollback(savepoint)
        if role == "anonymous":
            expected = "401" if c.api else "302 to login"
            ok = status == (401 if c.api else 302)
        elif role in c.allowed:
            expected, ok = "allowed", status < 400
        else:
            expected, ok = "403", status == 403
        if not ok:
            wrong.append(f"{role}: expected {expected}, got {status}")
    return wrong


@pytest.mark.parametrize("c", PAGES, ids=_ids(PAGES))
def test_page(c: Case, world: dict[str, Any], client: Any, verified_client: Any) -> None:
    wrong = walk(c, world, client, verified_client)
    assert not wrong, f"{c.method} {c.url}: " + "; ".join(wrong)


@pytest.mark.parametrize("c", API, ids=_ids(API))
def test_api(c: Case, world: dict[str, Any], client: Any, verified_client: Any) -> None:
    c = Case(c.name, c.url, c.allowed, c.method, c.data, api=True)
    wrong = walk(c, world, client, verified_client)
    assert not wrong, f"{c.method} {c.url}: " + "; ".join(wrong)


def _named_urls(patterns: list[Any], ns: str = "") -> set[str]:
    names: set[str] = set()
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.namespace == "api":
                continue
            names |= _named_urls(p.url_patterns, p.namespace or ns)
        elif isinstance(p, URLPattern) and p.name:
            names.add(f"{ns}:{p.name}" if ns else p.name)
    return names


def test_every_page_is_in_the_matrix() -> None:
    missing = _named_urls(get_resolver().url_patterns) - {c.name for c in PAGES} - PUBLIC_PAGES
    assert not missing, f"add these views to the permission matrix: {sorted(missing)}"


def test_every_api_operation_is_in_the_matrix() -> None:
    from apps.core.api import api

    schema = api.get_openapi_schema()
    operations = {f"{m.upper()} {p}" for p, ops in schema["paths"].items() for m in ops}
    missing = operations - {c.name for c in API} - API_COVERED_ELSEWHERE
    assert not missing, f"add these API operations to the permission matrix: {sorted(missing)}"
