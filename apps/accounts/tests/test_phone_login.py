"""Residents' phone login: a code by SMS (MemorySMSBackend in tests), then authenticate() through
PhoneCodeBackend; wrong, expired and used-up codes, resend limits, staff phones refused."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.choices import Role
from apps.accounts.models import PhoneLoginCode
from apps.audit.events import USER_LOGGED_IN, USER_LOGIN_FAILED
from apps.audit.models import Event

pytestmark = pytest.mark.django_db

PHONE = "13800001111"
PAGE = "/accounts/phone/"
CODE_URL = "/accounts/phone/code/"


@pytest.fixture(autouse=True)
def _sms_on_commit(django_capture_on_commit_callbacks):
    """The SMS leaves on commit; the test transaction never commits, so run the callbacks."""
    global _capture
    _capture = django_capture_on_commit_callbacks


def _request_code(client, phone: str = PHONE, htmx: bool = True):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    with _capture(execute=True):
        return client.post(CODE_URL, {"phone": phone}, **headers)


def _sent_code(outbox) -> str:
    return re.search(r"验证码 (\d{6})", outbox[-1].text).group(1)


def _login(client, code: str, phone: str = PHONE):
    return client.post(PAGE, {"phone": phone, "code": code})


def test_resident_logs_in_with_the_code_sent_by_sms(client, resident, outbox) -> None:
    page = client.get(PAGE)
    assert page.status_code == 200 and "获取验证码" in page.content.decode()
    response = _request_code(client)
    assert response.status_code == 200
    assert "验证码已通过短信发送" in response.content.decode()
    assert "<html" not in response.content.decode()  # the htmx answer is the status line only
    assert len(outbox) == 1 and outbox[0].phone == PHONE
    response = _login(client, _sent_code(outbox))
    assert response.status_code == 302 and response["Location"] == reverse("core:home")
    assert int(client.session["_auth_user_id"]) == resident.pk
    event = Event.objects.get(event_type=USER_LOGGED_IN)
    assert event.actor_id == resident.pk and event.data == {"method": "phone"}
    assert client.get(reverse("core:home")).status_code == 200


def test_wrong_code_counts_attempts_and_locks_after_five(client, resident, outbox) -> None:
    _request_code(client)
    good = _sent_code(outbox)
    bad = "000000" if good != "000000" else "111111"
    for left in (4, 3, 2, 1):
        response = _login(client, bad)
        assert response.status_code == 400
        assert f"验证码不正确，还可尝试 {left} 次" in response.content.decode()
    response = _login(client, bad)
    assert "验证码错误次数过多，请重新获取" in response.content.decode()
    assert PhoneLoginCode.objects.get(phone=PHONE).attempts == 5
    # Locked: the right code no longer works.
    response = _login(client, good)
    assert response.status_code == 400 and "错误次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session
    failures = Event.objects.filter(event_type=USER_LOGIN_FAILED)
    assert failures.count() == 6
    assert all(e.data["phone"] == "138****1111" for e in failures)
    assert good not in str(list(failures.values_list("data", flat=True)))


def test_expired_code_is_refused(client, resident, outbox) -> None:
    _request_code(client)
    PhoneLoginCode.objects.filter(phone=PHONE).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = _login(client, _sent_code(outbox))
    assert "验证码已过期或不存在，请重新获取" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_code_is_single_use(client, resident, outbox) -> None:
    _request_code(client)
    code = _sent_code(outbox)
    assert _login(client, code).status_code == 302
    client.post(reverse("accounts:logout"))
    assert "已过期或不存在" in _login(client, code).content.decode()


def test_resend_too_soon_is_refused_with_the_wait(client, resident, outbox) -> None:
    _request_code(client)
    response = _request_code(client)
    assert response.status_code == 200  # htmx swaps only 2xx; the refusal is in the text
    assert response["X-Code-Status"] == "429"
    assert re.search(r"验证码已发送，请 \d+ 秒后再重新获取", response.content.decode())
    response = _request_code(client, htmx=False)
    assert response.status_code == 429 and "秒后再重新获取" in response.content.decode()
    assert len(outbox) == 1


def test_new_code_after_the_wait_retires_the_old_one(client, resident, outbox) -> None:
    _request_code(client)
    old = _sent_code(outbox)
    PhoneLoginCode.objects.update(created_at=timezone.now() - datetime.timedelta(seconds=61))
    _request_code(client)
    new = _sent_code(outbox)
    if old != new:
        assert "验证码不正确" in _login(client, old).content.decode()
    assert _login(client, new).status_code == 302


def test_hourly_limit(client, resident, outbox) -> None:
    for minutes in (50, 40, 30, 20, 10):
        PhoneLoginCode.objects.create(
            phone=PHONE,
            code_hash="x",
            created_at=timezone.now() - datetime.timedelta(minutes=minutes),
            expires_at=timezone.now(),
        )
    response = _request_code(client)
    assert "请一小时后再试" in response.content.decode()
    assert outbox == []


def test_bad_phone_format(client, db, outbox) -> None:
    response = _request_code(client, phone="12345")
    assert "手机号格式不正确" in response.content.decode()


def test_staff_phone_cannot_log_in_by_code(client, tiny_county, make_staff, outbox) -> None:
    staff = make_staff(Role.GRIDDER, grid=tiny_county["g11"], phone="13900002222")
    response = _request_code(client, phone="13900002222")
    # The same answer as for a resident (nothing tells which phones have accounts), but no SMS.
    assert "验证码已通过短信发送" in response.content.decode()
    assert outbox == []
    for code in ("123456", "654321"):
        response = _login(client, code, phone="13900002222")
        assert response.status_code == 400 and "验证码不正确" in response.content.decode()
    assert "_auth_user_id" not in client.session
    from django.contrib.auth import authenticate
    from django.test import RequestFactory

    from apps.accounts.services import _hash_code

    # Even with a code the server would accept for a resident, the backend does not log staff in.
    PhoneLoginCode.objects.filter(phone="13900002222").update(code_hash=_hash_code("13900002222", "999999"))
    request = RequestFactory().post(PAGE)
    assert authenticate(request, phone="13900002222", code="999999") is None
    assert staff.kind == "staff"


def test_unknown_phone_answers_like_a_real_one(client, db, outbox) -> None:
    first = _request_code(client, phone="13700003333")
    assert "验证码已通过短信发送" in first.content.decode()
    second = _request_code(client, phone="13700003333")
    assert "秒后再重新获取" in second.content.decode()  # same resend limit as for an account
    assert outbox == []


def test_logged_in_user_is_sent_on(client, resident) -> None:
    client.force_login(resident)
    assert client.get(PAGE)["Location"] == reverse("core:home")
