"""End to end in headless Chromium on a phone-sized screen: an admin binds the TOTP second factor
from the QR page, a resident logs in with an SMS code through the htmx button. The pages must
run under the CSP (no inline script or style)."""

from __future__ import annotations

import base64
import re
import time
from pathlib import Path
from typing import Any

import pytest
from django_otp.oath import TOTP

from apps.accounts.choices import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


def _watch_csp(page: Any) -> list[str]:
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: (
            problems.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None
        ),
    )
    return problems


def test_admin_binds_totp_on_a_phone(live_server, phone_page, tiny_county, make_staff) -> None:
    make_staff(Role.COUNTY_ADMIN, tiny_county["county"], username="countyadmin", full_name="孙县管")
    page = phone_page
    csp = _watch_csp(page)
    page.goto(f"{live_server.url}/territory/")
    page.fill("#id_username", "countyadmin")
    page.fill("#id_password", "Passw0rd-Test")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/otp/"))
    assert "绑定动态口令" in page.inner_text("main")
    qr = page.locator("[data-testid=otp-qr] svg")
    assert qr.is_visible() and qr.bounding_box()["width"] > 100
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "otp-setup.png"), full_page=True)

    secret = page.inner_text("[data-testid=otp-secret]").replace(" ", "")
    key = base64.b32decode(secret)
    page.fill("#id_token", "000000")
    page.click("main button[type=submit] >> text=确认绑定")
    assert "动态口令不正确" in page.inner_text("main")
    time.sleep(1.1)  # django-otp throttling: one second after the first wrong code
    page.fill("#id_token", f"{TOTP(key).token():06d}")
    page.click("main button[type=submit] >> text=确认绑定")
    page.wait_for_url(re.compile(r"/territory/$"))
    assert "动态口令绑定成功" in page.inner_text("main")
    assert csp == []


def test_resident_logs_in_with_an_sms_code_on_a_phone(live_server, phone_page, outbox) -> None:
    from apps.accounts.choices import UserKind
    from apps.accounts.models import User

    User.objects.create_user(
        "resident1", None, full_name="王村民", phone="13800001111", kind=UserKind.RESIDENT
    )
    page = phone_page
    csp = _watch_csp(page)
    page.goto(f"{live_server.url}/accounts/phone/")
    page.fill("#id_phone", "13800001111")
    page.click("text=获取验证码")
    page.wait_for_selector("[data-testid=code-status]")
    assert "验证码已通过短信发送" in page.inner_text("[data-testid=code-status]")
    page.click("text=获取验证码")
    page.locator("[data-testid=code-status]", has_text="秒后").wait_for()
    page.screenshot(path=str(SHOTS / "phone-login.png"), full_page=True)
    code = re.search(r"验证码 (\d{6})", outbox[-1].text).group(1)
    page.fill("#id_code", code)
    page.click("main button[type=submit] >> text=登录")
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_text("王村民").count() > 0
    assert csp == []
