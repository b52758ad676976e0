"""End to end in headless Chromium on a 390×844 phone: a county admin finds 2027 not entered,
adds New Year's Day with the quick form, pastes the Spring Festival line of the notice, previews,
confirms, and the year-end case deadline moves. The pages must run under the CSP."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from apps.accounts.choices import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"
SPRING = (
    "二、春节：2月6日（农历除夕、周六）至14日（农历正月初八、周日）放假调休，共9天。2月20日（周六）上班。"
)


def _watch_console(page: Any) -> list[str]:
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: problems.append(msg.text) if msg.type == "error" else None,
    )
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    return problems


def test_admin_enters_next_year_on_a_phone(
    live_server: Any, phone_page: Any, tiny_county: Any, make_staff: Any, verified_client: Any
) -> None:
    admin = make_staff(Role.COUNTY_ADMIN, tiny_county["county"], full_name="王管理")
    session = verified_client(admin).cookies["sessionid"].value  # past the second factor
    page = phone_page
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    problems = _watch_console(page)
    SHOTS.mkdir(parents=True, exist_ok=True)

    page.goto(f"{live_server.url}/calendar/2027/")
    expect(page.locator("[data-testid=uncovered-banner]")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SHOTS / "workdays-2027-uncovered.png"), full_page=False)

    page.click("[data-testid=edit-year]")
    page.wait_for_url(re.compile(r"/calendar/2027/edit/"))
    page.fill("#h_name", "元旦")
    page.fill("#h_start", "2027-01-01")
    page.fill("#h_end", "2027-01-03")
    page.click("[data-testid=holiday-add] button[type=submit]")
    text = page.locator("[data-testid=notice-text]")
    expect(text).to_have_value("元旦 2027-01-01 至 2027-01-03")
    expect(page.locator("[data-testid=preview-ok]")).to_contain_text("共 1 段放假（3 天）")

    text.fill(text.input_value() + "\n" + SPRING)
    page.click("[data-testid=preview]")
    expect(page.locator("[data-testid=preview-ok]")).to_contain_text("共 2 段放假（12 天）、1 个调休上班日")
    expect(page.locator("td[data-date='2027-02-20']")).to_have_attribute("data-kind", "makeup")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / "workdays-2027-editor.png"), full_page=False)
    page.locator("[data-testid=plan-table]").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "workdays-2027-preview.png"), full_page=False)

    page.click("[data-testid=confirm]")
    page.wait_for_url(re.compile(r"/calendar/2027/$"))
    expect(page.locator("#messages")).to_contain_text("2027 年工作日历已确认")
    expect(page.locator("[data-testid=uncovered-banner]")).to_have_count(0)
    expect(page.locator("td[data-date='2027-01-01']")).to_have_attribute("data-kind", "holiday")
    expect(page.locator("[data-testid=coverage]")).to_contain_text("王管理")

    # The trial box gives the example its 2027 deadline.
    page.fill("#id_start", "2026-12-28")
    page.fill("#id_days", "5")
    page.click("[data-testid=trial-form] button[type=submit]")
    expect(page.locator("[data-testid=trial-result]")).to_contain_text("2027年1月5日")
    page.screenshot(path=str(SHOTS / "workdays-2027-confirmed.png"), full_page=False)

    # Year navigation by htmx keeps the page and pushes the URL.
    page.click("[data-testid=prev-year]")
    page.wait_for_url(re.compile(r"/calendar/2026/$"))
    expect(page.locator("h1")).to_have_text("2026 年工作日历")
    page.select_option("[data-year-picker]", "2027")
    page.wait_for_url(re.compile(r"/calendar/2027/$"))
    assert not problems, problems
