"""Shared test fixtures: a small real-shaped territory and users holding each role.

`tiny_county` builds 会泽县 (530326) with two townships, two villages each and grids in two
levels; `make_staff(role, unit, ...)` returns a user holding one role there.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

from apps.accounts.choices import Role


@pytest.fixture
def tiny_county(db: Any) -> dict[str, Any]:
    from apps.territory.choices import Level, OrgKind, UnitKind
    from apps.territory.models import Grid, Organisation, Unit

    def unit(code: str, name: str, level: int, kind: str, parent: Unit | None) -> Unit:
        return Unit.objects.create(
            code=code, name=name, short_name=name, level=level, kind=kind, parent=parent
        )

    province = unit("53", "云南省", Level.PROVINCE, UnitKind.PROVINCE, None)
    city = unit("5303", "曲靖市", Level.CITY, UnitKind.CITY, province)
    county = unit("530326", "会泽县", Level.COUNTY, UnitKind.COUNTY, city)
    t1 = unit("530326102", "娜姑镇", Level.TOWNSHIP, UnitKind.TOWN, county)
    t2 = unit("530326103", "迤车镇", Level.TOWNSHIP, UnitKind.TOWN, county)
    v11 = unit("530326102201", "娜姑村", Level.VILLAGE, UnitKind.VILLAGE, t1)
    v12 = unit("530326102202", "白雾村", Level.VILLAGE, UnitKind.VILLAGE, t1)
    v21 = unit("530326103201", "迤车村", Level.VILLAGE, UnitKind.VILLAGE, t2)
    v22 = unit("530326103202", "小营村", Level.VILLAGE, UnitKind.VILLAGE, t2)
    g1 = Grid.objects.create(code="NG-01", name="娜姑镇一级网格", level=1, unit=t1)
    g11 = Grid.objects.create(code="NG-01-01", name="娜姑村网格", level=2, unit=v11, parent=g1)
    g2 = Grid.objects.create(code="YC-01", name="迤车镇一级网格", level=1, unit=t2)
    g21 = Grid.objects.create(code="YC-01-01", name="迤车村网格", level=2, unit=v21, parent=g2)
    dept = Organisation.objects.create(
        code="HZ-ZRZY", name="县自然资源局", kind=OrgKind.DEPARTMENT, service_area=county
    )
    return {
        "province": province,
        "city": city,
        "county": county,
        "t1": t1,
        "t2": t2,
        "v11": v11,
        "v12": v12,
        "v21": v21,
        "v22": v22,
        "g1": g1,
        "g11": g11,
        "g2": g2,
        "g21": g21,
        "dept": dept,
    }


@pytest.fixture
def make_staff(db: Any) -> Callable[..., Any]:
    from apps.accounts.models import RoleAssignment, User

    counter = {"n": 0}

    def make(
        role: str | None,
        unit: Any = None,
        *,
        grid: Any = None,
        organisation: Any = None,
        username: str | None = None,
        password: str = "Passw0rd-Test",
        **extra: Any,
    ) -> Any:
        counter["n"] += 1
        user = User.objects.create_user(
            username or f"{role or 'user'}{counter['n']}",
            password,
            full_name=extra.pop("full_name", f"测试{counter['n']}"),
            **extra,
        )
        if role is not None:
            if role == Role.GRIDDER and grid is not None:
                unit = grid.unit
            if role == Role.DEPARTMENT_HANDLER and organisation is not None:
                unit = organisation.service_area
            RoleAssignment.objects.create(
                user=user, role=role, unit=unit, grid=grid, organisation=organisation
            )
        return user

    return make


@pytest.fixture
def verified_client(client: Any) -> Callable[[Any], Any]:
    """Log a user in as if the second factor had been passed (admins need it)."""

    def login(user: Any) -> Any:
        client.force_login(user)
        session = client.session
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device, _ = TOTPDevice.objects.get_or_create(user=user, name="test", defaults={"confirmed": True})
        session["otp_device_id"] = device.persistent_id
        session.save()
        return client

    return login


@pytest.fixture(autouse=True, scope="session")
def _client_login_passes_request() -> Any:
    """django-axes refuses authenticate() without a request (it must count failures per request);
    the test client's login() passes none. Give it one, so `client.login(...)` keeps working with
    axes enabled as in production. `force_login` does not authenticate and needs nothing."""
    from django.http import HttpRequest
    from django.test import Client

    original = Client.login

    def login(self: Any, **credentials: Any) -> bool:
        credentials.setdefault("request", HttpRequest())
        return original(self, **credentials)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Client, "login", login)
        yield


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """Tests marked `postgres` need PostgreSQL's row locks and triggers; on SQLite they are skipped
    with the reason (CI runs the suite on both databases)."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (run with DATABASE_URL=postgres://…)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fresh_geometry_index() -> Any:
    """The point→grid index lives in the process and the cache; a test starts without one."""
    from django.core.cache import cache

    from apps.territory import geo

    geo._index = None
    cache.delete(geo.VERSION_KEY)
    yield
    geo._index = None


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture
def browser() -> Any:
    """Headless Debian Chromium driven by Playwright. Missing Chromium fails under CI (which must
    install it) and skips elsewhere with the reason."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed: bin/setup-system installs it")
        pytest.skip("Chromium is not installed (apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def phone_page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


# The default special groups and fact definitions come from a data migration. A transactional test
# (any browser test, in any app) ends by emptying every table, and with --reuse-db or a shared
# xdist worker the next test would start without them; a database test puts them back first.
def seed_configuration() -> None:
    """Install the default groups and facts the data migration installs (idempotent)."""
    import importlib

    from django.apps import apps

    importlib.import_module("apps.people.migrations.0002_default_groups_and_facts").seed(apps, None)


@pytest.fixture(autouse=True)
def _default_people_configuration(request: Any) -> None:
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return  # pure tests (ID number properties) need no database
    transactional = marker.kwargs.get("transaction", False)
    request.getfixturevalue("transactional_db" if transactional else "db")
    from apps.people.models import FactDefinition, SpecialGroup

    if not FactDefinition.objects.exists() or not SpecialGroup.objects.exists():
        seed_configuration()
    # The default case categories come from a data migration too (apps/cases/migrations/0002).
    from apps.cases.models import Category

    if not Category.objects.exists():
        import importlib

        from django.apps import apps

        importlib.import_module("apps.cases.migrations.0002_default_categories").forwards(apps, None)


@pytest.fixture(autouse=True)
def _working_calendar(request: Any) -> Any:
    """The working calendar lives in the process and the cache; a test starts without a loaded
    copy. A transactional test empties the tables the data migration seeded (holidays from
    chinese-calendar); a database test puts them back first, so deadlines see the real holidays."""
    from apps.workdays import calendar

    calendar.invalidate()
    marker = request.node.get_closest_marker("django_db")
    names = request.fixturenames
    transactional = "transactional_db" in names or bool(marker and marker.kwargs.get("transaction"))
    if marker is not None or transactional or "db" in names:
        request.getfixturevalue("transactional_db" if transactional else "db")
        from apps.workdays.models import CalendarDay, CalendarYear
        from apps.workdays.seeding import seed

        if not CalendarYear.objects.exists():
            seed(CalendarDay, CalendarYear)
        from apps.cases.defaults import seed_categories
        from apps.cases.models import Category

        if not Category.objects.exists():  # a transactional test flushed the default tree
            seed_categories(Category)
    yield
    calendar.invalidate()
