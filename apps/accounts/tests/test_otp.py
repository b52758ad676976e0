"""The TOTP second factor for admins: the middleware gate, first-time setup with a QR code,
verification, throttling; other roles never see it."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.choices import Role
from apps.accounts.events import TOTP_ENROLLED
from apps.audit.models import Event

from .helpers import totp_code

pytestmark = pytest.mark.django_db

OTP = "/accounts/otp/"
GATED_PAGES = ["core:home", "territory:browser", "audit:search", "accounts:profile", "accounts:staff_list"]


@pytest.fixture
def admin(tiny_county, make_staff):
    return make_staff(Role.COUNTY_ADMIN, tiny_county["county"], username="countyadmin")


@pytest.mark.parametrize("name", GATED_PAGES)
def test_unverified_admin_is_sent_to_the_second_factor_from_every_page(client, admin, name) -> None:
    client.force_login(admin)
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{OTP}?next={url.replace('/', '%2F')}"


def test_unverified_superuser_is_gated_too(client, db) -> None:
    from apps.accounts.models import User

    client.force_login(User.objects.create_superuser("root1", "Passw0rd-Test"))
    assert client.get(reverse("core:home"))["Location"].startswith(OTP)


def test_unverified_admin_api_call_gets_403_json(client, admin) -> None:
    client.force_login(admin)
    response = client.get("/api/accounts/me")
    assert response.status_code == 403
    assert response.json()["code"] == "second_factor_required"
    assert "动态口令" in response.json()["message"]


def test_unverified_admin_htmx_request_redirects_the_whole_page(client, admin) -> None:
    client.force_login(admin)
    response = client.get(
        reverse("accounts:staff_list"),
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/territory/",
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"{OTP}?next=%2Fterritory%2F"


def test_login_logout_and_otp_pages_stay_open(client, admin) -> None:
    client.force_login(admin)
    assert client.get(OTP).status_code == 200
    assert client.post(reverse("accounts:logout")).status_code == 302


def test_setup_shows_inline_svg_qr_and_secret_then_confirms(client, admin) -> None:
    client.force_login(admin)
    response = client.get(OTP, {"next": "/territory/"})
    body = response.content.decode()
    assert response.status_code == 200 and "绑定动态口令" in body
    svg = re.search(r"<svg .*?</svg>", body, re.S)
    assert svg is not None and "<path" in svg.group(0)
    assert "style=" not in svg.group(0) and "<img" not in body
    device = TOTPDevice.objects.get(user=admin)
    assert not device.confirmed
    secret = re.search(r'data-testid="otp-secret">([A-Z2-7 ]+)<', body).group(1).replace(" ", "")
    import base64

    assert base64.b32decode(secret) == device.bin_key
    # Reloading shows the same key (the device is kept until confirmed).
    assert client.get(OTP).content.decode().count(secret[:4]) >= 1
    assert TOTPDevice.objects.filter(user=admin).count() == 1

    response = client.post(OTP, {"token": totp_code(device), "next": "/territory/"})
    assert response.status_code == 302 and response["Location"] == "/territory/"
    device.refresh_from_db()
    assert device.confirmed
    assert Event.objects.filter(event_type=TOTP_ENROLLED, actor=admin).exists()
    for name in GATED_PAGES:
        assert client.get(reverse(name)).status_code == 200, name
    assert client.get("/api/accounts/me").status_code == 200


def test_setup_with_a_wrong_code_is_refused_in_chinese(client, admin) -> None:
    client.force_login(admin)
    client.get(OTP)
    response = client.post(OTP, {"token": "000000"})
    body = response.content.decode()
    assert "动态口令不正确" in body
    assert not TOTPDevice.objects.get(user=admin).confirmed
    assert client.get(reverse("core:home")).status_code == 302


def test_token_format_is_checked_in_chinese(client, admin) -> None:
    client.force_login(admin)
    response = client.post(OTP, {"token": "12ab"})
    assert "动态口令为 6 位数字" in response.content.decode()


def _enrolled(admin) -> TOTPDevice:
    return TOTPDevice.objects.create(user=admin, name="动态口令", confirmed=True)


def test_verify_page_with_an_existing_device(client, admin) -> None:
    device = _enrolled(admin)
    client.force_login(admin)
    response = client.get(OTP)
    assert "动态口令验证" in response.content.decode() and "<svg" not in response.content.decode()
    response = client.post(OTP, {"token": totp_code(device), "next": "/audit/"})
    assert response.status_code == 302 and response["Location"] == "/audit/"
    assert client.get(reverse("audit:search")).status_code == 200
    # Verified: the 2FA page sends the admin on.
    assert client.get(OTP)["Location"] == reverse("core:home")


def test_wrong_code_then_throttled_in_chinese(client, admin) -> None:
    device = _enrolled(admin)
    client.force_login(admin)
    response = client.post(OTP, {"token": "000000"})
    assert response.status_code == 400 and "动态口令不正确" in response.content.decode()
    # django-otp throttling: after a failure the next try must wait (1 s, then 2, 4 …).
    response = client.post(OTP, {"token": totp_code(device)})
    assert response.status_code == 429
    assert "错误次数过多" in response.content.decode() and "秒后再试" in response.content.decode()
    assert client.get(reverse("core:home")).status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # the refused try while throttled is not a guess

    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - datetime.timedelta(seconds=5)
    )
    response = client.post(OTP, {"token": totp_code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_a_code_cannot_be_used_twice(client, admin) -> None:
    from apps.accounts import services
    from apps.core.errors import ValidationFailed

    device = _enrolled(admin)
    code = totp_code(device)
    services.totp_verify(actor=admin, token=code)
    with pytest.raises(ValidationFailed):
        services.totp_verify(actor=admin, token=code)


def test_verified_client_fixture_opens_pages(verified_client, admin) -> None:
    client = verified_client(admin)
    assert client.get(reverse("accounts:staff_list")).status_code == 200


@pytest.mark.parametrize("role", [Role.TOWNSHIP_OFFICER, Role.LEADER, Role.AUDITOR, Role.VILLAGE_CADRE])
def test_other_roles_never_see_the_second_factor(client, tiny_county, make_staff, role) -> None:
    unit = tiny_county["county"] if role in (Role.LEADER, Role.AUDITOR) else tiny_county["t1"]
    make_staff(role, unit, username="someone")
    response = client.post("/accounts/login/", {"username": "someone", "password": "Passw0rd-Test"})
    assert response["Location"] == reverse("core:home")
    assert client.get(reverse("core:home")).status_code == 200
    assert client.get(OTP)["Location"] == reverse("core:home")
    assert not TOTPDevice.objects.exists()
