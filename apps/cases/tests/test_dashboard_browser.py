"""The dashboard in headless Chromium, on a 390×844 phone and a desktop window: the four ECharts
charts draw under the CSP (no inline script or style, no console error), the page fits the phone,
and a township row drills down to its villages. Screenshots go to var/screenshots/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from apps.accounts.choices import Role
from apps.cases import services
from apps.cases.choices import Channel, Rating, Triage
from apps.cases.models import Category

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"
REPLY = "已到现场处理完毕，情况已向群众说明。"


def _watch_console(page: Any) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    return problems


def _cases(t: dict[str, Any], officer: Any, cadre: Any, resident: Any) -> None:
    garbage = Category.objects.get(code="env-garbage")
    road = Category.objects.get(code="road-damage")
    for n, (unit, channel, rating) in enumerate(
        [
            (t["v11"], Channel.PHOTO, Rating.SATISFIED),
            (t["v11"], Channel.MAILBOX, Rating.BASIC),
            (t["v12"], Channel.PHOTO, Rating.SATISFIED),
            (t["v11"], Channel.PHOTO, None),
        ]
    ):
        case = services.case_submit(
            actor=resident,
            channel=channel,
            category=garbage,
            title=f"垃圾清运 {n}",
            description="村口垃圾池满了没人清运。",
            unit=unit,
        )
        if rating is None:
            continue
        dispatcher = cadre if unit == t["v11"] else officer
        case = services.case_accept(actor=dispatcher, case=case)
        case = services.case_triage(actor=dispatcher, case=case, triage=Triage.MAJOR)
        case = services.case_dispatch(
            actor=dispatcher, case=case, unit=t["v11"] if unit == t["v11"] else t["t1"]
        )
        case = services.case_sign(actor=dispatcher, case=case)
        case = services.case_reply(actor=dispatcher, case=case, reply=REPLY)
        case = services.case_follow_up(actor=dispatcher, case=case, rating=rating)
        services.case_close(actor=dispatcher, case=case)
    services.case_submit(
        actor=officer,
        channel=Channel.HOTLINE,
        category=road,
        title="村道塌方",
        description="村道塌了一段，车辆无法通行。",
        unit=t["v12"],
    )


def _login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/")
    page.fill("#id_username", username)
    page.fill("#id_password", "Passw0rd-Test")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_dashboard_draws_on_a_phone_and_drills_down(
    live_server: Any, browser: Any, phone_page: Any, tiny_county: dict[str, Any], make_staff: Any
) -> None:
    from apps.accounts.models import User

    t = tiny_county
    officer = make_staff(Role.TOWNSHIP_OFFICER, t["t1"], username="dash_officer")
    cadre = make_staff(Role.VILLAGE_CADRE, t["v11"], username="dash_cadre")
    resident = User.objects.create_user("dash_resident", None, kind="resident", phone="13900000001")
    _cases(t, officer, cadre, resident)
    SHOTS.mkdir(parents=True, exist_ok=True)
    cache.clear()  # the pages serve a cached computation; another test may have left one

    page = phone_page
    problems = _watch_console(page)
    _login(page, live_server.url, "dash_officer")
    page.goto(f"{live_server.url}/cases/dashboard/")
    expect(page.locator("[data-testid=dashboard-unit]")).to_have_text("娜姑镇")
    expect(page.locator("[data-chart-ready]")).to_have_count(4)
    assert page.locator("[data-chart] canvas").count() == 4
    expect(page.locator("[data-testid=kpi-received] .stat-value")).to_have_text("5")
    expect(page.locator("[data-testid=kpi-closed] .stat-value")).to_contain_text("3")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    heights = page.eval_on_selector_all("[data-chart]", "els => els.map(e => e.clientHeight)")
    assert all(240 <= h <= 360 for h in heights), heights
    page.screenshot(path=str(SHOTS / "cases_dashboard_phone.png"), full_page=True)

    # Drill down: 娜姑村's row opens the village dashboard, with its grids.
    page.locator("[data-testid=child-table] a", has_text="娜姑村").click()
    page.wait_for_url(re.compile(r"unit=530326102201"))
    expect(page.locator("[data-testid=dashboard-unit]")).to_have_text("娜姑村")
    expect(page.locator("[data-testid=kpi-received] .stat-value")).to_have_text("3")
    expect(page.locator("[data-chart-ready]")).to_have_count(4)
    assert not problems, problems

    desktop = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN").new_page()
    desktop_problems = _watch_console(desktop)
    _login(desktop, live_server.url, "dash_officer")
    desktop.goto(f"{live_server.url}/cases/dashboard/")
    expect(desktop.locator("[data-chart-ready]")).to_have_count(4)
    desktop.screenshot(path=str(SHOTS / "cases_dashboard_desktop.png"), full_page=True)
    assert not desktop_problems, desktop_problems
