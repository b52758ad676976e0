"""The Open311 client page in headless Chromium on a phone-sized screen under the CSP: a county
admin passes the second factor, issues a key (the htmx panel shows it once) and stops it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.choices import Role
from apps.open311.models import Open311Client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


def test_admin_issues_and_stops_a_key_on_a_phone(
    live_server: Any, phone_page: Any, tiny_county: dict[str, Any], make_staff: Any
) -> None:
    from playwright.sync_api import expect

    admin = make_staff(Role.COUNTY_ADMIN, tiny_county["county"], username="o311admin")
    device = TOTPDevice.objects.create(user=admin, name="测试", confirmed=True)
    page = phone_page
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda err: problems.append(str(err)))
    page.on("dialog", lambda dialog: dialog.accept())  # hx-confirm
    page.goto(f"{live_server.url}/open311/clients/")
    page.fill("#id_username", "o311admin")
    page.fill("#id_password", "Passw0rd-Test")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/otp/"))
    page.fill("#id_token", f"{TOTP(device.bin_key).token():06d}")
    page.click("main button[type=submit]")
    page.wait_for_url(re.compile(r"/open311/clients/$"))

    page.fill("#id_name", "市民服务应用")
    page.click("[data-testid=client-form] button[type=submit]")
    key = page.locator("[data-testid=client-key] code")
    expect(key).to_contain_text("o311_")
    client = Open311Client.objects.get(name="市民服务应用")
    assert key.inner_text().startswith(f"o311_{client.prefix}_")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "open311-clients.png"), full_page=True)

    page.click("[data-testid=client-table] button >> text=停用")
    expect(page.locator("[data-testid=clients]")).to_contain_text("已停用，其 api_key 不再可用")
    client.refresh_from_db()
    assert not client.is_active
    assert problems == []
