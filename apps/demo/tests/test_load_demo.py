"""The demo loader: what it builds for 会泽县, that its geometry nests, that every role can be
used, and that a second run adds nothing."""

from __future__ import annotations

import random
import re
from io import StringIO
from itertools import combinations
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from shapely.geometry import Point, shape

from apps.accounts import access
from apps.accounts.choices import Role, UserKind
from apps.accounts.models import RoleAssignment, User
from apps.accounts.permissions import Perm
from apps.audit.models import AuditRecord, Event
from apps.demo import layout
from apps.demo.loader import DEMO_PASSWORD, DEMO_PHONE, _plan, load_demo, totp_key, totp_secret
from apps.demo.management.commands.demo_totp import current_code
from apps.demo.names import NameGenerator
from apps.demo.people import PeopleResult
from apps.territory.choices import Level, OrgKind, UnitKind
from apps.territory.models import Grid, Organisation, Unit
from apps.territory.paths import subtree_q

pytestmark = pytest.mark.django_db

HUIZE = "530326"
NAMED = ("admin", "leader", "township", "cadre", "gridder", "handler", "supervisor", "auditor", "resident")


def _run(*args: str) -> str:
    out = StringIO()
    call_command("load_demo", "--force", *args, stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    models: list[Any] = [Unit, Grid, User, RoleAssignment, Organisation, TOTPDevice, AuditRecord, Event]
    return {m.__name__: m.objects.count() for m in models}


def _logins(output: str) -> str:
    return output[output.index("演示账号") :]


def test_full_demo_for_huize_and_second_run_adds_nothing(monkeypatch) -> None:
    # Without the ~50,000 resident records (about 30 s): test_people_demo covers them on the lite
    # load, docs/benchmarks.md has the full load's time.
    monkeypatch.setattr("apps.demo.loader.load_people", lambda **kwargs: PeopleResult())
    output = _run()

    county = Unit.objects.get(code=HUIZE)
    under = Unit.objects.filter(subtree_q(HUIZE))
    assert under.filter(level=Level.TOWNSHIP).count() == 25
    assert under.filter(level=Level.VILLAGE).count() == 381

    # Grids in three levels, one level-1 per township, one level-2 per village, 2–5 level-3 each.
    grids = {g.pk: g for g in Grid.objects.select_related("unit")}
    by_level = {lvl: [g for g in grids.values() if g.level == lvl] for lvl in (1, 2, 3)}
    assert len(by_level[1]) == 25 and len(by_level[2]) == 381
    assert 2 * 381 <= len(by_level[3]) <= 5 * 381
    assert 1000 <= len(grids) <= 2000
    assert Grid.objects.get(code="530326102-G1").unit.code == "530326102"
    assert Grid.objects.get(code="530326102201-G2").parent.code == "530326102-G1"
    assert Grid.objects.get(code="530326102201-G3-01").parent.code == "530326102201-G2"

    shapes = {pk: shape(g.boundary) for pk, g in grids.items()}
    assert all(s.is_valid for s in shapes.values())
    for grid in by_level[3]:
        parent = grids[grid.parent_id]
        assert parent.level == 2 and parent.unit_id == grid.unit_id
        assert shapes[grid.pk].within(shapes[parent.pk]), grid.code
    for grid in by_level[2]:
        parent = grids[grid.parent_id]
        assert parent.level == 1 and parent.unit_id == grid.unit.parent_id
        assert shapes[grid.pk].within(shapes[parent.pk]), grid.code
    # Level-1 grids tile the county without overlapping, around 会泽's real position.
    township_shapes = [shapes[g.pk] for g in by_level[1]]
    assert all(a.intersection(b).area < 1e-12 for a, b in combinations(township_shapes, 2))
    assert abs(county.latitude - 26.42) < 0.01 and abs(county.longitude - 103.30) < 0.01
    # Each village's point lies in its own village grid, and each level-3 grid's households add up.
    for grid in by_level[2]:
        assert shapes[grid.pk].covers(Point(grid.unit.longitude, grid.unit.latitude))
        assert grid.households_hint == sum(c.households_hint for c in by_level[3] if c.parent_id == grid.pk)

    # Written through the services: one creation audit record per grid.
    grid_type = ContentType.objects.get_for_model(Grid)
    assert AuditRecord.objects.filter(content_type=grid_type, action="create").count() == len(grids)

    # Villager groups, departments and service centres.
    groups = Unit.objects.filter(level=Level.GROUP, code__startswith="530326102")
    per_village: dict[int, int] = {}
    for parent_id in groups.values_list("parent_id", flat=True):
        per_village[parent_id] = per_village.get(parent_id, 0) + 1
    assert len(per_village) == 3 and all(3 <= n <= 5 for n in per_village.values())
    orgs = Organisation.objects.filter(service_area__code__startswith=HUIZE)
    assert orgs.filter(service_area=county).count() == 10
    assert orgs.filter(kind=OrgKind.SERVICE_CENTRE).count() == 25
    assert orgs.filter(kind=OrgKind.ENFORCEMENT, name="会泽县综合行政执法局").exists()

    # Users holding every role, the named logins among them.
    for role in Role:
        assert RoleAssignment.objects.filter(
            role=role, is_active=True, unit__code__startswith=HUIZE
        ).exists(), role
    assert set(User.objects.filter(username__in=NAMED).values_list("username", flat=True)) == set(NAMED)
    roles = dict(
        RoleAssignment.objects.filter(user__username__in=NAMED).values_list("user__username", "role")
    )
    assert roles == {
        "admin": Role.COUNTY_ADMIN,
        "leader": Role.LEADER,
        "township": Role.TOWNSHIP_OFFICER,
        "cadre": Role.VILLAGE_CADRE,
        "gridder": Role.GRIDDER,
        "handler": Role.DEPARTMENT_HANDLER,
        "supervisor": Role.SUPERVISOR,
        "auditor": Role.AUDITOR,
    }
    assert RoleAssignment.objects.get(user__username="township").unit.code == "530326102"
    assert (
        RoleAssignment.objects.filter(
            role=Role.TOWNSHIP_OFFICER, user__username__startswith="township_"
        ).count()
        == 25
    )
    gridded = RoleAssignment.objects.filter(role=Role.GRIDDER, grid__code__startswith="530326102")
    assert gridded.count() == Grid.objects.filter(level=3, code__startswith="530326102").count()
    handler = RoleAssignment.objects.get(user__username="handler")
    assert handler.organisation.name == "会泽县自然资源局"
    resident = User.objects.get(username="resident")
    assert (resident.kind, resident.phone) == (UserKind.RESIDENT, DEMO_PHONE)
    assert not resident.role_assignments.exists()
    full_names = list(User.objects.filter(username__in=NAMED).values_list("full_name", flat=True))
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,3}", n) for n in full_names) and len(set(full_names)) == len(
        NAMED
    )

    # The admin's TOTP device: confirmed, with the derived key, and its current code verifies.
    device = TOTPDevice.objects.get(user__username="admin")
    assert device.confirmed and device.key == totp_key(HUIZE).hex()
    assert device.verify_token(current_code(device))

    assert totp_secret(HUIZE) in output and "python manage.py demo_totp admin" in output
    for username in NAMED:
        assert username in _logins(output)
    assert DEMO_PASSWORD in output

    # A second run finds everything and adds nothing, not even an audit record or event.
    before = _counts()
    again = _run()
    assert _counts() == before
    assert "本次没有新建任何对象" in again
    assert _logins(again) == _logins(output)


def test_lite_load_and_gridder_can_log_in(client) -> None:
    result = load_demo(county_code=HUIZE, lite=True)
    # Lite (for tests): grids only in the demo township and the three that get extra gridders.
    townships_with_grids = set(Grid.objects.filter(level=1).values_list("unit__code", flat=True))
    assert "530326102" in townships_with_grids and len(townships_with_grids) == 4
    assert result.counts["villages"] == 381
    assert {login.username for login in result.logins} >= set(NAMED)

    response = client.post(reverse("accounts:login"), {"username": "gridder", "password": "wrong-password-1"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session  # the form again
    response = client.post(reverse("accounts:login"), {"username": "gridder", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    gridder = User.objects.get(username="gridder")
    assert int(client.session["_auth_user_id"]) == gridder.pk
    assert access.scope_of(gridder, Perm.TERRITORY_VIEW).prefixes == ("530326102201",)
    assert not access.has_perm(gridder, Perm.GRID_MANAGE, "530326102201")


def test_other_county_gets_a_stable_position_in_china() -> None:
    # 东城区 (Beijing) has only streets and communities: the named logins still find a home.
    result = load_demo(county_code="110101", lite=True)
    county = result.county
    county.refresh_from_db()
    assert county.kind == UnitKind.DISTRICT
    assert 24 <= county.latitude <= 38 and 104 <= county.longitude <= 118
    assert (county.latitude, county.longitude) == layout.county_centre("110101")
    assert User.objects.get(username="cadre").role_assignments.get().unit.kind == UnitKind.COMMUNITY


def test_plan_and_names_are_deterministic() -> None:
    from apps.territory.importer import import_divisions

    import_divisions([HUIZE])
    county = Unit.objects.get(code=HUIZE)
    townships = list(Unit.objects.filter(parent=county).order_by("code"))
    villages = {t.pk: list(Unit.objects.filter(parent=t).order_by("code")) for t in townships}

    def fingerprint() -> list[Any]:
        rng = random.Random(int(HUIZE))
        plan = _plan(county, townships, villages, rng, None)
        names = NameGenerator(random.Random(rng.getrandbits(64)))
        return [(g.code, g.rect, g.households) for g in plan.grids] + [names() for _ in range(50)]

    assert fingerprint() == fingerprint()


def test_split_tiles_the_rectangle_exactly() -> None:
    rect = layout.Rect(103.0, 26.0, 103.8, 26.6)
    for n in (1, 2, 3, 5, 7, 25):
        cells = layout.split(rect, n, random.Random(n))
        assert len(cells) == n
        assert sum((c.east - c.west) * (c.north - c.south) for c in cells) == pytest.approx(0.8 * 0.6)
        assert all(
            rect.west <= c.west < c.east <= rect.east and rect.south <= c.south < c.north <= rect.north
            for c in cells
        )


def test_load_demo_refuses_without_debug_or_force(settings) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("load_demo", stdout=StringIO())
    with pytest.raises(CommandError, match="未知的区划代码 999999"):
        call_command("load_demo", "--force", "--county", "999999", stdout=StringIO())
    assert not Unit.objects.exists()


def test_demo_totp_prints_the_current_code(settings, make_staff) -> None:
    admin = make_staff(None, username="admin")
    TOTPDevice.objects.create(user=admin, name="demo", key=totp_key(HUIZE).hex(), confirmed=True)
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo_totp", "admin", stdout=StringIO())
    out = StringIO()
    call_command("demo_totp", "admin", "--force", stdout=out, stderr=StringIO())
    code = out.getvalue().strip()
    assert re.fullmatch(r"\d{6}", code)
    assert TOTPDevice.objects.get(user=admin).verify_token(code)

    settings.DEBUG = True
    make_staff(None, username="leader")
    with pytest.raises(CommandError, match="没有已确认的动态口令设备"):
        call_command("demo_totp", "leader", stdout=StringIO())
    with pytest.raises(CommandError, match="不存在"):
        call_command("demo_totp", "nobody", stdout=StringIO())
