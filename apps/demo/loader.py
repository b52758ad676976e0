"""The demo data loader: one real county from the national table, dressed with synthetic grids,
departments and staff so that every role has something to log in to.

Deterministic (every random choice comes from `random.Random` seeded with the county code, all
drawn before anything is written) and idempotent: a second run finds every object by its code
or username, creates nothing and returns the same logins.

Writes go through the services (units, grids, groups, organisations, users, roles), so the demo
has the same audit trail as real work, with the demo county admin as the actor where the service
needs one. The resident records (`people`, tens of thousands of rows) are bulk-created with values
prepared by the services' own functions and one `people.demo_loaded` event. Two more writes do not
go through a service: the admin's TOTP device (no service creates a device with a chosen
key; an `accounts.totp_enrolled` event is recorded instead) and the shared password hash, set on
the new demo users in one update because hashing the same password 150 times would take minutes.

The boundaries are synthetic demo geometry (see `layout`), never real village boundaries.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import importlib
import importlib.util
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts import events as account_events
from apps.accounts import services as account_services
from apps.accounts.choices import Role, UserKind
from apps.accounts.models import RoleAssignment, User
from apps.audit.services import record_event
from apps.people import services as people_services
from apps.people.models import Household, Resident
from apps.territory import services as territory_services
from apps.territory.choices import Level, OrgKind, UnitKind
from apps.territory.importer import import_divisions
from apps.territory.models import Grid, Organisation, Unit

from .layout import Rect, county_rect, split
from .names import NameGenerator
from .people import load_people

DEFAULT_COUNTY = "530326"
# Shared by every demo login; passes the password validators in settings (length ≥ 10, letters
# and digits). "Demo@2026" would be one character short.
DEMO_PASSWORD = "Jiceng@2026"  # noqa: S105 — a published demo password, by design
DEMO_PHONE = "13800000001"
TOTP_DEVICE_NAME = "演示动态口令"
# The township the named demo logins ("township", "cadre", "gridder", "supervisor") work in.
DEMO_TOWNSHIPS = {"530326": "530326102"}  # 娜姑镇
GROUP_VILLAGES = 3  # villages of the demo township that get villager groups
EXTRA_GRIDDER_TOWNSHIPS = 3  # townships after the demo one whose first village gets gridders too
CN_NUMBERS = "一二三四五六七八九十"

DEPARTMENTS: tuple[tuple[str, str, str], ...] = (
    ("ZRZY", "自然资源局", OrgKind.DEPARTMENT),
    ("ZJ", "住房和城乡建设局", OrgKind.DEPARTMENT),
    ("STHJ", "生态环境局", OrgKind.DEPARTMENT),
    ("NYNC", "农业农村局", OrgKind.DEPARTMENT),
    ("MZ", "民政局", OrgKind.DEPARTMENT),
    ("RSSB", "人力资源和社会保障局", OrgKind.DEPARTMENT),
    ("ZHZF", "综合行政执法局", OrgKind.ENFORCEMENT),
    ("GA", "公安局", OrgKind.ENFORCEMENT),
    ("XF", "信访局", OrgKind.DEPARTMENT),
    ("SW", "水务局", OrgKind.DEPARTMENT),
)


@dataclass(frozen=True)
class Login:
    role: str
    username: str
    password: str
    scope: str


@dataclass
class DemoResult:
    county: Unit
    logins: list[Login]
    totp_secret: str
    created: Counter[str] = field(default_factory=Counter)
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class _GridPlan:
    code: str
    name: str
    level: int
    unit: Unit
    rect: Rect
    parent_code: str | None
    households: int


@dataclass
class _Plan:
    unit_points: list[tuple[Unit, float, float]] = field(default_factory=list)
    grids: list[_GridPlan] = field(default_factory=list)  # parents before children
    group_counts: list[tuple[Unit, int]] = field(default_factory=list)


def totp_key(county_code: str, username: str = "admin") -> bytes:
    """The demo admin's TOTP key: derived, so the printed secret is the same on every machine.
    Anyone can derive it: a reason more never to load the demo into a production database."""
    return hmac.new(b"jiceng-demo-totp", f"{county_code}:{username}".encode(), hashlib.sha256).digest()[:20]


def totp_secret(county_code: str, username: str = "admin") -> str:
    return base64.b32encode(totp_key(county_code, username)).decode()


def demo_township(county: Unit, townships: list[Unit]) -> Unit:
    wanted = DEMO_TOWNSHIPS.get(county.code)
    for t in townships:
        if t.code == wanted:
            return t
    towns = [t for t in townships if t.kind == UnitKind.TOWN]
    return (towns or townships)[0]


def _plan(
    county: Unit,
    townships: list[Unit],
    villages: dict[int, list[Unit]],
    rng: random.Random,
    lite_codes: set[str] | None,
) -> _Plan:
    """Every coordinate, polygon and count of the demo, drawn from `rng` in a fixed order."""
    plan = _Plan()
    total_villages = sum(len(v) for v in villages.values())
    crect = county_rect(county.code, total_villages)
    plan.unit_points.append((county, *crect.centre))
    for township, trect in zip(townships, split(crect, len(townships), rng), strict=True):
        plan.unit_points.append((township, *trect.centre))
        in_lite = lite_codes is None or township.code in lite_codes
        t_code = f"{township.code}-G1"
        t_grid = _GridPlan(t_code, f"{township.display_name}网格", 1, township, trect, None, 0)
        if in_lite:
            plan.grids.append(t_grid)
        for village, vrect in zip(
            villages[township.pk], split(trect, len(villages[township.pk]), rng), strict=True
        ):
            cells = split(vrect, rng.randint(2, 5), rng)
            households = [rng.randint(60, 260) for _ in cells]
            if not in_lite:
                continue
            plan.unit_points.append((village, *vrect.centre))
            v_code = f"{village.code}-G2"
            plan.grids.append(
                _GridPlan(v_code, f"{village.display_name}网格", 2, village, vrect, t_code, sum(households))
            )
            for i, (cell, hh) in enumerate(zip(cells, households, strict=True), start=1):
                plan.grids.append(
                    _GridPlan(
                        f"{village.code}-G3-{i:02d}",
                        f"{village.display_name}第{CN_NUMBERS[i - 1]}网格",
                        3,
                        village,
                        cell,
                        v_code,
                        hh,
                    )
                )
            t_grid.households += sum(households)
    return plan


# Modules with demo data of their own, loaded in this order (each apps/demo/<name>.py has load(ctx)).
MODULE_DEMOS = ("workdays", "duties", "cases", "voting", "points")


@dataclass
class DemoContext:
    """What a module's demo loader gets: the county as loaded so far and the loader's helpers
    (`loader.user(...)`, `loader.role(...)`, `loader.login(...)` create demo logins idempotently)."""

    loader: _Loader
    county: Unit
    townships: list[Unit]
    villages: dict[int, list[Unit]]  # township pk -> its villages
    home: Unit  # the demo township (the named logins work here)
    demo_village: Unit  # the village of the named cadre, gridder, supervisor and resident
    departments: dict[str, Organisation]
    admin: User
    names: Any  # NameGenerator: names() -> a plausible Chinese name
    rng: random.Random
    today: datetime.date
    lite: bool


class _Loader:
    def __init__(self, county_code: str, lite: bool) -> None:
        self.county_code = county_code
        self.lite = lite
        self.rng = random.Random(int(county_code))
        self.created: Counter[str] = Counter()
        self.logins: list[Login] = []
        self.new_user_ids: list[int] = []
        self.admin: User | None = None

    # --- helpers -----------------------------------------------------------------------------------

    def user(
        self,
        username: str,
        full_name: str,
        title: str = "",
        *,
        kind: str = UserKind.STAFF,
        phone: str | None = None,
    ) -> User:
        existing = User.objects.filter(username=username).first()
        if existing is not None:
            return existing
        user = account_services.user_create(
            actor=None, username=username, full_name=full_name, title=title, kind=kind, phone=phone
        )
        self.new_user_ids.append(user.pk)
        self.created["users"] += 1
        return user

    def role(
        self,
        user: User,
        role: str,
        unit: Unit,
        *,
        grid: Grid | None = None,
        organisation: Organisation | None = None,
    ) -> None:
        if role == Role.GRIDDER and grid is not None:
            unit = grid.unit
        if role == Role.DEPARTMENT_HANDLER and organisation is not None:
            unit = organisation.service_area
        if RoleAssignment.objects.filter(
            user=user, role=role, unit=unit, grid=grid, organisation=organisation, is_active=True
        ).exists():
            return
        account_services.role_grant(
            actor=None, user=user, role=role, unit=unit, grid=grid, organisation=organisation
        )
        self.created["roles"] += 1

    def login(self, role: str, user: User, scope: str) -> None:
        password = (
            DEMO_PASSWORD if user.kind == UserKind.STAFF else f"{DEMO_PASSWORD}（或手机 {DEMO_PHONE} 验证码）"
        )
        self.logins.append(Login(role, user.username, password, scope))

    # --- the load --------------------------------------------------------------------------------

    def run(self) -> DemoResult:
        started = time.perf_counter()
        validate_password(DEMO_PASSWORD)
        imported = import_divisions([self.county_code])
        self.created["units"] += imported.total_created
        county = Unit.objects.get(code=self.county_code)
        townships = list(Unit.objects.filter(parent=county, level=Level.TOWNSHIP).order_by("code"))
        villages: dict[int, list[Unit]] = {t.pk: [] for t in townships}
        for v in Unit.objects.filter(parent__in=townships, level=Level.VILLAGE).order_by("code"):
            if v.parent_id is not None:  # always, by the filter; says so to the type checker
                villages[v.parent_id].append(v)
        home = demo_township(county, townships)
        after = [t for t in townships if t.code > home.code] + [t for t in townships if t.code < home.code]
        cadre_townships = [home, *after[:1]]
        gridder_townships = after[:EXTRA_GRIDDER_TOWNSHIPS]
        lite_codes = {t.code for t in [home, *after[:EXTRA_GRIDDER_TOWNSHIPS]]} if self.lite else None

        plan = _plan(county, townships, villages, self.rng, lite_codes)
        # The named logins work in a village (村) rather than a community: votes, points and the
        # supervision committee are village matters.
        rural = [v for v in villages[home.pk] if v.kind == UnitKind.VILLAGE] or villages[home.pk]
        demo_village = rural[0]
        group_villages = rural[:GROUP_VILLAGES]
        group_counts = [self.rng.randint(3, 5) for _ in group_villages]
        names = NameGenerator(random.Random(self.rng.getrandbits(64)))

        admin = self.user("admin", names(), f"{county.name}县级管理员")
        self.role(admin, Role.COUNTY_ADMIN, county)
        self.admin = admin
        self._totp(admin)
        self.login("县级管理员（需动态口令）", admin, county.display_name)

        self._coordinates(plan, admin)
        grids = self._grids(plan, admin, county)
        self._groups(group_villages, group_counts, admin)
        departments = self._organisations(county, townships, admin)

        leader = self.user("leader", names(), f"{county.name}副县长")
        self.role(leader, Role.LEADER, county)
        self.login("县领导", leader, county.display_name)

        officer = self.user("township", names(), f"{home.display_name}党委副书记")
        self.role(officer, Role.TOWNSHIP_OFFICER, home)
        self.login("乡镇（街道）干部", officer, home.display_name)
        for township in townships:
            person = self.user(f"township_{township.code[-3:]}", names(), f"{township.display_name}干部")
            self.role(person, Role.TOWNSHIP_OFFICER, township)
        first, last = townships[0], townships[-1]
        self.logins.append(
            Login(
                f"乡镇（街道）干部 ×{len(townships)}",
                f"township_{first.code[-3:]} … township_{last.code[-3:]}",
                DEMO_PASSWORD,
                "各乡镇（街道），用户名后三位为乡镇代码末三位",
            )
        )

        for township in cadre_townships:
            for village in villages[township.pk]:
                username = "cadre" if village == demo_village else f"cadre_{village.code[6:]}"
                cadre = self.user(username, names(), f"{village.display_name}党支部书记")
                self.role(cadre, Role.VILLAGE_CADRE, village)
                if username == "cadre":
                    self.login("村（社区）干部", cadre, f"{home.display_name}{village.display_name}")
        self.logins.append(
            Login(
                "村（社区）干部",
                "cadre_<村代码后六位>",
                DEMO_PASSWORD,
                "、".join(t.display_name for t in cadre_townships) + "的每个村（社区）",
            )
        )

        gridder_grids = [g for g in grids if g.level == 3 and g.unit_id == demo_village.pk]
        gridder_grids += [
            g for g in grids if g.level == 3 and g.unit.parent_id == home.pk and g not in gridder_grids
        ]
        for township in gridder_townships:
            if villages[township.pk]:
                first_village = villages[township.pk][0]
                gridder_grids += [g for g in grids if g.level == 3 and g.unit_id == first_village.pk]
        for index, grid in enumerate(gridder_grids):
            suffix = grid.code[6:].replace("-G3-", "_")
            username = "gridder" if index == 0 else f"gridder_{suffix}"
            gridder = self.user(username, names(), "专职网格员")
            self.role(gridder, Role.GRIDDER, grid.unit, grid=grid)
            if index == 0:
                self.login("网格员", gridder, f"{grid.name}（{grid.code}）")
        if gridder_grids:
            self.logins.append(
                Login(
                    f"网格员 ×{len(gridder_grids)}",
                    "gridder_<村代码后六位>_<序号>",
                    DEMO_PASSWORD,
                    f"{home.display_name}全部三级网格及另外几个村",
                )
            )

        handler_org = departments["ZRZY"]
        handler = self.user("handler", names(), "自然资源局业务股工作人员")
        self.role(handler, Role.DEPARTMENT_HANDLER, county, organisation=handler_org)
        self.login("部门办理人员", handler, handler_org.name)

        supervised = demo_village
        supervisor = self.user("supervisor", names(), f"{supervised.display_name}村务监督委员会主任")
        self.role(supervisor, Role.SUPERVISOR, supervised)
        self.login("村务监督委员会成员", supervisor, f"{home.display_name}{supervised.display_name}")

        auditor = self.user("auditor", names(), "县纪委监委审计员")
        self.role(auditor, Role.AUDITOR, county)
        self.login("审计员", auditor, county.display_name)

        operator = self.user("operator", names(), f"{county.name}12345热线接线员")
        self.role(operator, Role.OPERATOR, county)
        self.login("12345热线接线员", operator, county.display_name)

        keeper = self.user("keeper", names(), f"{demo_village.display_name}积分管理员")
        self.role(keeper, Role.POINTS_KEEPER, demo_village)
        self.login("积分管理员", keeper, f"{home.display_name}{demo_village.display_name}")

        shopkeeper = self.user("shopkeeper", names(), f"{demo_village.display_name}积分超市管理员")
        self.role(shopkeeper, Role.SHOPKEEPER, demo_village)
        self.login("积分超市管理员", shopkeeper, f"{home.display_name}{demo_village.display_name}")

        resident = self.user("resident", names(), "", kind=UserKind.RESIDENT, phone=DEMO_PHONE)
        self.login("居民", resident, f"{home.display_name}{supervised.display_name}")

        if self.new_user_ids:
            User.objects.filter(pk__in=self.new_user_ids).update(password=make_password(DEMO_PASSWORD))

        # Resident records last: households go into the level-3 grids and villager groups above.
        # Lite: the demo township's villages only (its grids exist in a lite load).
        all_villages = [v for t in townships for v in villages[t.pk]]
        people = load_people(
            county=county,
            villages=all_villages,
            write={v.pk for v in villages[home.pk]} if self.lite else None,
            actor=admin,
            today=timezone.localdate(),
        )
        self.created["households"] += people.households_created
        self.created["residents"] += people.residents_created
        in_county = Household.objects.filter(unit__code__startswith=county.code)

        # The demo resident's login is a villager of the demo village.
        me = (
            Resident.objects.filter(
                household__unit__code__startswith=demo_village.code, status="active", relation="head"
            )
            .order_by("pk")
            .first()
        )
        if me is not None and not Resident.objects.filter(account=resident).exists():
            people_services.resident_link_account(actor=None, resident=me, account=resident)

        # Later modules add their demo data in apps/demo/<module>.py: load(ctx) -> counts created.
        ctx = DemoContext(
            loader=self,
            county=county,
            townships=townships,
            villages=villages,
            home=home,
            demo_village=demo_village,
            departments=departments,
            admin=admin,
            names=names,
            rng=random.Random(self.rng.getrandbits(64)),
            today=timezone.localdate(),
            lite=self.lite,
        )
        for module in MODULE_DEMOS:
            if importlib.util.find_spec(f"apps.demo.{module}") is None:
                continue
            counts = importlib.import_module(f"apps.demo.{module}").load(ctx)
            self.created.update(counts)
        if self.new_user_ids:
            User.objects.filter(pk__in=self.new_user_ids).update(password=make_password(DEMO_PASSWORD))

        return DemoResult(
            county=county,
            logins=self.logins,
            totp_secret=totp_secret(self.county_code),
            created=self.created,
            counts={
                "townships": len(townships),
                "villages": sum(len(v) for v in villages.values()),
                "grids": Grid.objects.filter(unit__code__startswith=county.code).count(),
                "organisations": Organisation.objects.filter(
                    service_area__code__startswith=county.code
                ).count(),
                "users": User.objects.filter(role_assignments__unit__code__startswith=county.code)
                .distinct()
                .count(),
                "households": in_county.count(),
                "residents": Resident.objects.filter(household__in=in_county).count(),
                "people_seconds": round(people.seconds),
            },
            seconds=time.perf_counter() - started,
        )

    def _totp(self, admin: User) -> None:
        key = totp_key(self.county_code).hex()
        device = TOTPDevice.objects.filter(user=admin, name=TOTP_DEVICE_NAME).first()
        if device is None:
            TOTPDevice.objects.create(user=admin, name=TOTP_DEVICE_NAME, key=key, confirmed=True)
            record_event(
                actor=None,
                event_type=account_events.TOTP_ENROLLED,
                obj=admin,
                data={"device": TOTP_DEVICE_NAME, "demo": True},
            )
            self.created["totp_devices"] += 1
        elif device.key != key or not device.confirmed:
            device.key, device.confirmed = key, True
            device.save(update_fields=["key", "confirmed"])

    def _coordinates(self, plan: _Plan, actor: User) -> None:
        for unit, lat, lng in plan.unit_points:
            if unit.latitude == lat and unit.longitude == lng:
                continue
            territory_services.unit_update(actor=actor, unit=unit, latitude=lat, longitude=lng)
            self.created["coordinates"] += 1

    def _grids(self, plan: _Plan, actor: User, county: Unit) -> list[Grid]:
        by_code = {
            g.code: g for g in Grid.objects.filter(unit__code__startswith=county.code).select_related("unit")
        }
        result: list[Grid] = []
        for p in plan.grids:
            grid = by_code.get(p.code)
            if grid is None:
                grid = territory_services.grid_create(
                    actor=actor,
                    unit=p.unit,
                    code=p.code,
                    name=p.name,
                    level=p.level,
                    parent=by_code[p.parent_code] if p.parent_code else None,
                    boundary=p.rect.geojson(),
                    households_hint=p.households,
                )
                by_code[p.code] = grid
                self.created["grids"] += 1
            result.append(grid)
        return result

    def _groups(self, group_villages: list[Unit], group_counts: list[int], actor: User) -> None:
        for village, count in zip(group_villages, group_counts, strict=True):
            existing = set(
                Unit.objects.filter(parent=village, level=Level.GROUP).values_list("code", flat=True)
            )
            for number in range(1, count + 1):
                if f"{village.code}{number:03d}" in existing:
                    continue
                territory_services.unit_create_group(
                    actor=actor, village=village, name=f"第{CN_NUMBERS[number - 1]}村民小组", number=number
                )
                self.created["groups"] += 1

    def _organisations(self, county: Unit, townships: list[Unit], actor: User) -> dict[str, Organisation]:
        wanted: list[tuple[str, str, str, Unit, str]] = [
            (key, f"{county.code}-{key}", f"{county.name}{name}", county, kind)
            for key, name, kind in DEPARTMENTS
        ]
        wanted += [
            (t.code, f"{t.code}-BMFW", f"{t.display_name}便民服务中心", t, OrgKind.SERVICE_CENTRE)
            for t in townships
        ]
        existing = {o.code: o for o in Organisation.objects.filter(code__in=[w[1] for w in wanted])}
        result: dict[str, Organisation] = {}
        for key, code, name, area, kind in wanted:
            org = existing.get(code)
            if org is None:
                org = territory_services.organisation_create(
                    actor=actor, service_area=area, code=code, name=name, kind=kind
                )
                self.created["organisations"] += 1
            result[key] = org
        return result


@transaction.atomic
def load_demo(*, county_code: str = DEFAULT_COUNTY, lite: bool = False) -> DemoResult:
    """Load (or find again) the demo for one county; all or nothing.

    `lite=True` (tests only) gives villages coordinates and grids only in the demo township and
    the few townships that get gridders, not in the whole county."""
    return _Loader(county_code, lite).run()


def format_logins(result: DemoResult) -> list[str]:
    """The demo logins as aligned text lines (for the command and the README)."""
    header = ("角色", "用户名", "密码", "范围")
    rows = [header, *((x.role, x.username, x.password, x.scope) for x in result.logins)]
    widths = [max(_width(r[i]) for r in rows) for i in range(3)]
    lines = []
    for r in rows:
        cells = [r[i] + " " * (widths[i] - _width(r[i])) for i in range(3)]
        lines.append("  ".join([*cells, r[3]]))
    return lines


def _width(text: Any) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in str(text))
