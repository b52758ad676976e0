"""Password login: Chinese errors, login events, lockout after repeated failures (django-axes),
cool-off and unlock, logout, and the idle session timeout."""

from __future__ import annotations

import datetime

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from apps.accounts.choices import Role
from apps.audit.events import USER_LOGGED_IN, USER_LOGIN_FAILED
from apps.audit.models import Event

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
PASSWORD = "Passw0rd-Test"


def _post_login(client, username: str, password: str):
    return client.post(LOGIN, {"username": username, "password": password})


def test_login_page_is_chinese(client) -> None:
    response = client.get(LOGIN)
    body = response.content.decode()
    assert response.status_code == 200
    assert "工作人员登录" in body and 'id="id_username"' in body and 'id="id_password"' in body
    assert reverse("accounts:phone_login") in body


def test_wrong_password_chinese_error_and_failure_event(client, tiny_county, make_staff) -> None:
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"], username="nagu")
    response = _post_login(client, "nagu", "wrong-password-1")
    assert response.status_code == 200
    assert "用户名或密码错误。" in response.content.decode()
    event = Event.objects.get(event_type=USER_LOGIN_FAILED)
    assert event.data["username"] == "nagu"
    assert "wrong-password-1" not in str(event.data) and "password" not in event.data
    assert event.object_id == str(officer.pk)
    assert event.scope_code == "530326102"  # the township's officers see attempts on their staff


def test_failure_for_unknown_username_is_recorded_without_object(client, db) -> None:
    response = _post_login(client, "nobody", "whatever-123")
    assert "用户名或密码错误。" in response.content.decode()
    event = Event.objects.get(event_type=USER_LOGIN_FAILED)
    assert event.data["username"] == "nobody" and event.object_id == ""


def test_successful_login_records_event_and_opens_home(client, tiny_county, make_staff) -> None:
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"], username="nagu")
    response = _post_login(client, "nagu", PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("core:home")
    event = Event.objects.get(event_type=USER_LOGGED_IN)
    assert event.actor_id == officer.pk and event.data == {"method": "password"}
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_login_keeps_safe_next_and_drops_foreign_next(client, tiny_county, make_staff) -> None:
    make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"], username="nagu")
    response = client.post(LOGIN, {"username": "nagu", "password": PASSWORD, "next": "/accounts/profile/"})
    assert response["Location"] == "/accounts/profile/"
    client.post(reverse("accounts:logout"))
    response = client.post(LOGIN, {"username": "nagu", "password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == reverse("core:home")


def test_admin_login_goes_to_second_factor(client, tiny_county, make_staff) -> None:
    make_staff(Role.COUNTY_ADMIN, tiny_county["county"], username="admin1")
    response = _post_login(client, "admin1", PASSWORD)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp") + "?next=")


def test_lockout_after_five_failures_then_cool_off(client, tiny_county, make_staff) -> None:
    assert settings.AXES_ENABLED and settings.AXES_FAILURE_LIMIT == 5
    make_staff(Role.VILLAGE_CADRE, tiny_county["v11"], username="cadre1")
    for _ in range(4):
        response = _post_login(client, "cadre1", "wrong-password-1")
        assert response.status_code == 200 and "用户名或密码错误" in response.content.decode()
    response = _post_login(client, "cadre1", "wrong-password-1")
    assert response.status_code == 429
    body = response.content.decode()
    assert "账号已锁定" in body and "30 分钟" in body and "联系" in body

    # Locked: even the right password is refused with the Chinese lockout page.
    response = _post_login(client, "cadre1", PASSWORD)
    assert response.status_code == 429 and "账号已锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session
    failed = Event.objects.filter(event_type=USER_LOGIN_FAILED, data__username="cadre1")
    assert failed.count() == 6

    # The lock is per username: another account logs in from the same address.
    make_staff(Role.VILLAGE_CADRE, tiny_county["v12"], username="cadre2")
    assert _post_login(client, "cadre2", PASSWORD).status_code == 302
    client.post(reverse("accounts:logout"))

    # After the cool-off (30 minutes since the last failure) the right password works again.
    AccessAttempt.objects.filter(username="cadre1").update(
        attempt_time=timezone.now() - datetime.timedelta(minutes=31)
    )
    response = _post_login(client, "cadre1", PASSWORD)
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="cadre1").exists()  # reset on success


def test_try_during_lockout_does_not_extend_it(client, tiny_county, make_staff) -> None:
    make_staff(Role.VILLAGE_CADRE, tiny_county["v11"], username="cadre1")
    for _ in range(5):
        _post_login(client, "cadre1", "wrong-password-1")
    locked_at = AccessAttempt.objects.get(username="cadre1").attempt_time
    _post_login(client, "cadre1", "wrong-password-2")
    assert AccessAttempt.objects.get(username="cadre1").attempt_time == locked_at


def test_axes_reset_lifts_the_lock(client, tiny_county, make_staff) -> None:
    from axes.utils import reset

    make_staff(Role.VILLAGE_CADRE, tiny_county["v11"], username="cadre1")
    for _ in range(5):
        _post_login(client, "cadre1", "wrong-password-1")
    assert _post_login(client, "cadre1", PASSWORD).status_code == 429
    reset(username="cadre1")
    assert _post_login(client, "cadre1", PASSWORD).status_code == 302


def test_officer_unlocks_a_locked_cadre_from_the_staff_page(client, tiny_county, make_staff) -> None:
    cadre = make_staff(Role.VILLAGE_CADRE, tiny_county["v11"], username="cadre1")
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"], username="nagu")
    for _ in range(5):
        _post_login(client, "cadre1", "wrong-password-1")
    assert AccessAttempt.objects.filter(username="cadre1").exists()
    client.force_login(officer)
    response = client.post(reverse("accounts:staff_unlock", args=[cadre.pk]))
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="cadre1").exists()
    assert Event.objects.filter(event_type="accounts.login_unlocked", object_id=str(cadre.pk)).exists()
    client.post(reverse("accounts:logout"))
    assert _post_login(client, "cadre1", PASSWORD).status_code == 302


def test_client_login_still_works_with_axes_enabled(client, tiny_county, make_staff) -> None:
    make_staff(Role.GRIDDER, grid=tiny_county["g11"], username="gridder1")
    assert client.login(username="gridder1", password=PASSWORD)
    assert not client.login(username="gridder1", password="wrong")


def test_logout_is_post_only(client, tiny_county, make_staff) -> None:
    client.force_login(make_staff(Role.GRIDDER, grid=tiny_county["g11"]))
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")
    assert client.get(reverse("core:home")).status_code == 302


# --- Idle timeout ------------------------------------------------------------------------------------


def test_session_lives_idle_minutes_and_is_renewed_each_request(client, tiny_county, make_staff) -> None:
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_MINUTES * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST
    client.force_login(make_staff(Role.GRIDDER, grid=tiny_county["g11"]))
    assert client.session.get_expiry_age() == settings.SESSION_IDLE_MINUTES * 60

    key = client.session.session_key
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + datetime.timedelta(seconds=60))
    assert client.get(reverse("accounts:profile")).status_code == 200
    renewed = Session.objects.get(pk=key).expire_date - timezone.now()
    assert renewed > datetime.timedelta(minutes=settings.SESSION_IDLE_MINUTES - 1)


def test_session_idle_longer_than_the_limit_is_logged_out(client, tiny_county, make_staff) -> None:
    client.force_login(make_staff(Role.GRIDDER, grid=tiny_county["g11"]))
    assert client.get(reverse("accounts:profile")).status_code == 200
    # The last request was more than SESSION_IDLE_MINUTES ago: its expiry has passed.
    Session.objects.filter(pk=client.session.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
