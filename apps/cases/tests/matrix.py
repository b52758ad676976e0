"""Case pages and API operations in the permission matrix (see apps/core/tests/matrix_support.py).

The case in scope is reported in 娜姑村 (every role's home); the one out of scope in 迤车村.
"""

from __future__ import annotations

import importlib.util
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
    RESIDENT,
    SUPERVISOR,
    case,
)

VIEW = {ADMIN, LEADER, OFFICER, HANDLER, CADRE, GRIDDER, SUPERVISOR, AUDITOR, OPERATOR}
# Who sees the case in 娜姑村 (the department handler does not: not sent to them).
SEES_IN = VIEW - {HANDLER}
SEES_OUT = {ADMIN, LEADER, OPERATOR}
DISPATCH = {ADMIN, OFFICER, CADRE}
INTAKE = {ADMIN, OFFICER, CADRE, GRIDDER, OPERATOR}
SUPERVISE = {ADMIN, LEADER, OFFICER}
EVERYONE_LOGGED_IN = {*VIEW, RESIDENT, "no_role", "points_keeper", "shopkeeper"}

PAGES = [
    case("cases:inbox", "/cases/", VIEW),
    case("cases:inbox", "/cases/?box=to_dispatch", VIEW),
    case("cases:detail", "/cases/{case_in}/", SEES_IN),
    case("cases:detail", "/cases/{case_out}/", SEES_OUT),
    case("cases:action", "/cases/{case_in}/act/accept/", DISPATCH, method="post"),
    case("cases:action", "/cases/{case_out}/act/accept/", {ADMIN}, method="post"),
    case("cases:action", "/cases/{case_in}/act/urge/", SUPERVISE, method="post", data={"note": "请尽快"}),
    case(
        "cases:action",
        "/cases/{case_in}/act/own/",
        {ADMIN, LEADER},
        method="post",
        data={"deadline": "2099-01-01"},
    ),
    case("cases:whistle_action", "/cases/whistles/{whistle}/sign/", {ADMIN, HANDLER}, method="post"),
    case("cases:bulk_dispatch", "/cases/bulk-dispatch/", DISPATCH, method="post", data={"case": "{case_in}"}),
    case("cases:photo", "/cases/photos/{photo}/", SEES_IN | {RESIDENT}),  # the resident reported it
    case("cases:intake", "/cases/new/", INTAKE),
    case("cases:intake_records", "/cases/intake-records/", INTAKE),
    case("cases:owned", "/cases/owned/", {ADMIN, LEADER}),
    case("cases:notices", "/cases/notices/", EVERYONE_LOGGED_IN),
    case("cases:my_cases", "/cases/mine/", EVERYONE_LOGGED_IN),
    case("cases:categories", "/cases/categories/", {ADMIN}),
]

API = [
    case("GET /api/cases/categories", "/api/cases/categories", EVERYONE_LOGGED_IN),
    case("GET /api/cases/cases", "/api/cases/cases", VIEW),
    case("GET /api/cases/cases/{case_id}", "/api/cases/cases/{case_in}", SEES_IN),
    case("GET /api/cases/cases/{case_id}", "/api/cases/cases/{case_out}", SEES_OUT),
    case(
        "POST /api/cases/cases",
        "/api/cases/cases",
        INTAKE,
        method="post",
        data={
            "channel": "hotline",
            "category": "road-light",
            "title": "路灯不亮",
            "description": "主路路灯一周不亮了。",
            "unit": "530326102201",
        },
    ),
    case(
        "POST /api/cases/cases/{case_id}/{action}",
        "/api/cases/cases/{case_in}/accept",
        DISPATCH,
        method="post",
    ),
    case(
        "POST /api/cases/cases/{case_id}/{action}",
        "/api/cases/cases/{held}/urge",
        SUPERVISE,
        method="post",
        data={"note": "请尽快办理"},
    ),
    case(
        "POST /api/cases/extensions/{extension_id}/decide",
        "/api/cases/extensions/{extension}/decide",
        {ADMIN, LEADER, OFFICER},
        method="post",
        data={"approve": True},
    ),
    case(
        "POST /api/cases/whistles/{whistle_id}/{step}",
        "/api/cases/whistles/{whistle}/sign",
        {ADMIN, HANDLER},
        method="post",
    ),
]

# Anyone may report and follow a case by its tracking code (no personal data on those pages);
# the submitter's own rating is covered in apps/cases/tests/test_views.py.
PUBLIC_PAGES = {"cases:report", "cases:track", "cases:track_lookup", "cases:rate"}

if importlib.util.find_spec("apps.cases.tests.matrix_dashboard_rows") is not None:
    from . import matrix_dashboard_rows as _dashboard

    PAGES += getattr(_dashboard, "PAGES", [])
    API += getattr(_dashboard, "API", [])


def records(t: dict[str, Any], users: dict[str, Any]) -> dict[str, int]:
    """A submitted case in and out of scope; a case held by 娜姑镇 with a pending extension and a
    whistle to the department; a photo on the case in scope."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.cases import services
    from apps.cases.models import Category

    admin = users[ADMIN]
    garbage = Category.objects.get(code="env-garbage")
    photo = SimpleUploadedFile("p.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, content_type="image/png")
    common = {
        "channel": "photo",
        "category": garbage,
        "title": "垃圾堆积",
        "description": "村口垃圾三天没人清运。",
    }
    case_in = services.case_submit(actor=users[RESIDENT], unit=t["v11"], photos=[photo], **common)
    case_out = services.case_submit(actor=users[RESIDENT], unit=t["v21"], **common)
    held = services.case_submit(actor=users[RESIDENT], unit=t["v11"], **common)
    held = services.case_accept(actor=admin, case=held)
    held = services.case_triage(actor=admin, case=held, triage="major")
    held = services.case_dispatch(actor=admin, case=held, unit=t["t1"])
    held = services.case_sign(actor=admin, case=held)
    [whistle] = services.case_whistle(actor=admin, case=held, organisations=[t["dept"]], reason="需要执法")
    # A second township officer asks for the extension (nobody approves their own request); the
    # case was dispatched by the county admin, so make 娜姑村 the dispatcher: its superior, 娜姑镇,
    # decides (and the county above it).
    from apps.accounts.models import RoleAssignment, User
    from apps.cases.models import Case

    asker = User.objects.create_user("matrix_asker", None, full_name="申请人")
    RoleAssignment.objects.create(user=asker, role="township_officer", unit=t["t1"])
    Case.objects.filter(pk=held.pk).update(dispatcher_unit=t["v11"])
    extension = services.extension_request(actor=asker, case=held, days=2, reason="等待材料")
    return {
        "case_in": case_in.pk,
        "case_out": case_out.pk,
        "photo": case_in.photos.get().pk,
        "whistle": whistle.pk,
        "extension": extension.pk,
        "held": held.pk,
    }
