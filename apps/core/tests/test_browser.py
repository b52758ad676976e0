"""End to end in headless Chromium: a township officer browses their territory on a phone and is
refused, in Chinese, a unit outside their township."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from apps.accounts.choices import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


def test_township_officer_browses_own_township_and_is_refused_another(
    live_server, phone_page, tiny_county, make_staff
) -> None:
    make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"], username="naguofficer", full_name="李娜姑")
    page = phone_page
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", "naguofficer")
    page.fill("#id_password", "Passw0rd-Test")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert page.get_by_text("李娜姑").count() > 0

    page.goto(f"{live_server.url}/territory/")
    page.get_by_role("link", name=re.compile("娜姑镇")).first.click()
    page.wait_for_url(re.compile(r"/territory/units/530326102/"))
    body = page.inner_text("body")
    assert "娜姑村" in body and "白雾村" in body
    assert "迤车" not in body  # nothing of the neighbouring township leaks onto the page

    page.get_by_role("link", name=re.compile("娜姑村")).first.click()
    page.wait_for_url(re.compile(r"/territory/units/530326102201/"))
    assert "娜姑村网格" in page.inner_text("body")

    response = page.goto(f"{live_server.url}/territory/units/530326103/")
    assert response is not None and response.status == 403
    error = page.get_by_test_id("error-page")
    assert "无权访问" in error.inner_text()
    assert "不在您的管辖范围内" in error.inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "township-officer-403.png"), full_page=True)
