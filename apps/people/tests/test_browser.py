"""End to end in headless Chromium on a 390×844 phone: a gridder opens 我的网格 from the menu,
finds a household by name as they type, edits a fact and the address, and sees the new values
and the change in the history. The pages must run under the CSP (no inline script or style)."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from apps.accounts.choices import Role
from apps.people import services
from apps.people.idnumber import make

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


def _watch_console(page: Any) -> list[str]:
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: (
            problems.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None
        ),
    )
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    return problems


def test_gridder_updates_a_household_from_a_phone(live_server, phone_page, tiny_county, make_staff) -> None:
    cadre = make_staff(Role.VILLAGE_CADRE, tiny_county["v11"])
    make_staff(Role.GRIDDER, grid=tiny_county["g11"], username="gridder_ng", full_name="李网格")
    homes = (("001", "张建国", "娜姑村一组 12 号", "2"), ("002", "李四", "娜姑村二组 5 号", "1"))
    for number, name, address, storeys in homes:
        household = services.household_create(
            actor=cadre,
            unit=tiny_county["v11"],
            number=number,
            address=address,
            grid=tiny_county["g11"],
            facts={"house_storeys": storeys},
        )
        services.resident_create(
            actor=cadre,
            household=household,
            name=name,
            relation="head",
            id_number=make("530326", datetime.date(1970, 1, int(number)), 11),
            phone=f"1381234{number}0",
        )

    page = phone_page
    problems = _watch_console(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{live_server.url}/")
    page.fill("#id_username", "gridder_ng")
    page.fill("#id_password", "Passw0rd-Test")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    # The menu is collapsed on a phone.
    page.click(".navbar-toggler")
    page.click("#mainnav >> text=我的网格")
    page.wait_for_url(re.compile(r"/people/my-grid/"))
    cards = page.locator("[data-testid=household-card]")
    expect(cards).to_have_count(2)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone

    search = page.locator("[data-testid=grid-search]")
    search.click()
    search.press_sequentially("张建", delay=60)
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("张建国")
    assert "q=" in page.url  # the search is in the address, so going back returns to it
    page.screenshot(path=str(SHOTS / "people-my-grid.png"), full_page=True)

    cards.first.locator("a.stretched-link").click()
    page.wait_for_url(re.compile(r"/people/households/\d+/$"))
    expect(page.locator("[data-testid=household-title]")).to_contain_text("张建国")
    assert "2 层" in page.inner_text("main")
    page.screenshot(path=str(SHOTS / "people-household.png"), full_page=True)

    page.click("[data-testid=edit-household]")
    page.wait_for_url(re.compile(r"/edit/$"))
    page.fill("#id_address", "娜姑村一组 18 号")
    storeys = page.locator("#id_fact_house_storeys")
    expect(storeys).to_be_visible()  # the first section (住房) is open
    storeys.fill("3")
    page.screenshot(path=str(SHOTS / "people-household-edit.png"), full_page=False)
    page.click("[data-testid=save]")
    page.wait_for_url(re.compile(r"/people/households/\d+/$"))
    main = page.inner_text("main")
    assert "已保存" in main and "3 层" in main and "娜姑村一组 18 号" in main

    page.click("[data-testid=history-link]")
    page.wait_for_url(re.compile(r"/audit/history/people/household/\d+/$"))
    history = page.inner_text("main")
    assert "修改户信息" in history and "娜姑村一组 12 号" in history and "娜姑村一组 18 号" in history
    assert "house_storeys" in history or "房屋层数" in history
    page.screenshot(path=str(SHOTS / "people-history.png"), full_page=True)
    assert problems == []
