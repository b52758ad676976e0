"""The profile page: my roles, the password policy (Chinese messages), API tokens created once,
listed and revoked; the `create_api_token` command."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from apps.accounts import services
from apps.accounts.choices import Role
from apps.accounts.events import PASSWORD_CHANGED
from apps.accounts.models import ApiToken
from apps.audit.models import Event
from apps.core.errors import PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db

PASSWORD = "Passw0rd-Test"


@pytest.fixture
def officer(tiny_county, make_staff):
    return make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"], username="nagu", full_name="李娜姑")


def test_profile_lists_my_roles(client, officer) -> None:
    client.force_login(officer)
    body = client.get(reverse("accounts:profile")).content.decode()
    assert "乡镇（街道）干部" in body and "娜姑镇" in body and "530326102" in body
    assert "接口令牌" in body and "修改密码" in body


# --- Password policy -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("abc123", "密码太短：至少需要 10 个字符。"),
        ("8264913057", "密码不能全为数字。"),
        ("qzkvmwprtxyb", "密码须同时包含字母和数字。"),
        ("password123", "该密码过于常见"),
        ("nagu12345xyz", None),  # accepted
    ],
)
def test_password_policy_messages(officer, password, message) -> None:
    if message is None:
        services.user_set_password(actor=officer, user=officer, password=password, current_password=PASSWORD)
        officer.refresh_from_db()
        assert officer.check_password(password)
        return
    with pytest.raises(ValidationFailed) as exc:
        services.user_set_password(actor=officer, user=officer, password=password, current_password=PASSWORD)
    assert exc.value.code == "password_policy"
    assert message in exc.value.message


def test_policy_messages_stay_chinese_for_an_english_browser(client, officer) -> None:
    client.force_login(officer)
    response = client.post(
        reverse("accounts:password_change"),
        {"current_password": PASSWORD, "password": "abc123", "password_again": "abc123"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "密码太短：至少需要 10 个字符。" in body and "too short" not in body


def test_change_password_on_the_profile_page(client, officer) -> None:
    client.force_login(officer)
    url = reverse("accounts:password_change")
    response = client.post(
        url, {"current_password": "wrong", "password": "Neu-pass-2024", "password_again": "Neu-pass-2024"}
    )
    assert response.status_code == 400 and "当前密码不正确" in response.content.decode()
    response = client.post(
        url, {"current_password": PASSWORD, "password": "Neu-pass-2024", "password_again": "x"}
    )
    assert "两次输入的新密码不一致" in response.content.decode()
    response = client.post(
        url, {"current_password": PASSWORD, "password": "Neu-pass-2024", "password_again": "Neu-pass-2024"}
    )
    assert response.status_code == 302
    officer.refresh_from_db()
    assert officer.check_password("Neu-pass-2024")
    assert client.get(reverse("accounts:profile")).status_code == 200  # this session survives
    assert Event.objects.filter(event_type=PASSWORD_CHANGED, object_id=str(officer.pk)).exists()


def test_password_reset_by_a_manager_is_scoped(tiny_county, make_staff, officer) -> None:
    cadre = make_staff(Role.VILLAGE_CADRE, tiny_county["v11"])
    far_cadre = make_staff(Role.VILLAGE_CADRE, tiny_county["v21"])
    admin = make_staff(Role.COUNTY_ADMIN, tiny_county["county"])
    services.user_set_password(actor=officer, user=cadre, password="Reset-pass-01")
    cadre.refresh_from_db()
    assert cadre.check_password("Reset-pass-01")
    with pytest.raises(PermissionDenied):
        services.user_set_password(actor=officer, user=far_cadre, password="Reset-pass-01")
    with pytest.raises(PermissionDenied):
        services.user_set_password(actor=officer, user=admin, password="Reset-pass-01")
    services.user_set_password(actor=admin, user=officer, password="Reset-pass-02")


# --- API tokens --------------------------------------------------------------------------------------


def test_token_created_shown_once_listed_used_and_revoked(client, officer) -> None:
    client.force_login(officer)
    response = client.post(
        reverse("accounts:token_create"), {"name": "12345 热线对接", "days": "90"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and "明文只显示这一次" in body
    token = ApiToken.objects.get(user=officer)
    plaintext = f"jc_{token.prefix}_"
    start = body.index(plaintext)
    plaintext = body[start : body.index("<", start)].strip()
    assert services.api_token_authenticate(plaintext) == officer
    assert token.expires_at is not None
    assert abs((token.expires_at - timezone.now()) - datetime.timedelta(days=90)) < datetime.timedelta(
        minutes=1
    )

    # The plaintext never appears again; the list shows the prefix.
    page = client.get(reverse("accounts:profile")).content.decode()
    assert plaintext not in page and f"jc_{token.prefix}_…" in page and "12345 热线对接" in page

    api = client.get("/api/accounts/me", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert api.status_code == 200 and api.json()["username"] == "nagu"

    response = client.post(reverse("accounts:token_revoke", args=[token.pk]), HTTP_HX_REQUEST="true")
    assert "已吊销" in response.content.decode()
    assert services.api_token_authenticate(plaintext) is None
    client.logout()
    assert client.get("/api/accounts/me", HTTP_AUTHORIZATION=f"Bearer {plaintext}").status_code == 401


def test_token_name_required_in_chinese(client, officer) -> None:
    client.force_login(officer)
    response = client.post(reverse("accounts:token_create"), {"name": "", "days": "365"})
    assert response.status_code == 400 and "请填写令牌用途" in response.content.decode()


def test_cannot_revoke_someone_elses_token(client, tiny_county, make_staff, officer) -> None:
    other = make_staff(Role.VILLAGE_CADRE, tiny_county["v11"])
    token, _ = services.api_token_create(actor=other, name="村里的对接")
    client.force_login(officer)
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_token_authenticate_rules(officer) -> None:
    token, plaintext = services.api_token_create(actor=officer, name="测试", days=1)
    assert services.api_token_authenticate(plaintext) == officer
    assert services.api_token_authenticate(plaintext[:-2] + "xx") is None
    assert services.api_token_authenticate("not-a-token") is None
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert services.api_token_authenticate(plaintext) is None  # expired
    token2, plaintext2 = services.api_token_create(actor=officer, name="测试2", days=None)
    services.api_token_revoke(actor=officer, token=token2)
    assert services.api_token_authenticate(plaintext2) is None  # revoked
    officer.is_active = False
    officer.save(update_fields=["is_active"])
    _, plaintext3 = services.api_token_create(actor=officer, name="测试3")
    assert services.api_token_authenticate(plaintext3) is None  # user disabled


def test_create_api_token_command(officer) -> None:
    out, err = StringIO(), StringIO()
    call_command("create_api_token", "nagu", "数据同步", "--days", "30", stdout=out, stderr=err)
    plaintext = out.getvalue().strip()
    assert plaintext.startswith("jc_") and "明文只显示这一次" in err.getvalue()
    assert services.api_token_authenticate(plaintext) == officer
    token = ApiToken.objects.get(user=officer, name="数据同步")
    assert (token.expires_at - timezone.now()).days in (29, 30)
    assert Event.objects.filter(event_type="accounts.token_created", source="command").exists()
    with pytest.raises(CommandError, match="不存在"):
        call_command("create_api_token", "ghost", "x", stdout=out, stderr=err)
