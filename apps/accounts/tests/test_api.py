"""Accounts API: the caller and their roles; personal API tokens (list, create once, revoke)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from apps.accounts.choices import Role
from apps.accounts.models import ApiToken
from apps.accounts.services import api_token_create
from apps.audit.models import AuditRecord, Event

pytestmark = pytest.mark.django_db

JSON_TYPE = "application/json"


def bearer(user: Any, name: str = "测试") -> dict[str, str]:
    _, plaintext = api_token_create(actor=user, name=name)
    return {"Authorization": f"Bearer {plaintext}"}


def csrf_client(user: Any) -> tuple[Client, dict[str, str]]:
    """A browser-like client: logged in, CSRF enforced, with the header a page's JS would send."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    browser.get("/api/docs")  # sets the CSRF cookie
    return browser, {"X-CSRFToken": browser.cookies["csrftoken"].value}


def test_me_lists_active_roles(client: Client, tiny_county, make_staff) -> None:
    from apps.accounts.models import RoleAssignment

    gridder = make_staff(Role.GRIDDER, grid=tiny_county["g11"], username="wanggrid", full_name="王网格")
    RoleAssignment.objects.create(
        user=gridder, role=Role.SUPERVISOR, unit=tiny_county["v12"], is_active=False
    )
    body = client.get("/api/accounts/me", headers=bearer(gridder)).json()
    assert body["username"] == "wanggrid" and body["full_name"] == "王网格" and body["kind"] == "staff"
    assert body["roles"] == [
        {
            "role": "gridder",
            "role_label": "网格员",
            "unit_code": "530326102201",
            "unit_name": "娜姑村",
            "grid_code": "NG-01-01",
            "organisation": None,
        },
    ]


def test_token_list_shows_only_my_tokens_and_no_secrets(client: Client, make_staff) -> None:
    me, other = make_staff(None), make_staff(None)
    headers = bearer(me, "对接一")
    api_token_create(actor=me, name="对接二")
    api_token_create(actor=other, name="别人的")
    response = client.get("/api/accounts/tokens", headers=headers)
    body = response.json()
    assert body["count"] == 2
    assert {t["name"] for t in body["items"]} == {"对接一", "对接二"}
    assert all(t["is_usable"] and t["revoked_at"] is None for t in body["items"])
    assert b"key_hash" not in response.content and b"plaintext" not in response.content


def test_token_create_returns_plaintext_once_and_it_works(make_staff) -> None:
    user = make_staff(None)
    browser, csrf = csrf_client(user)
    response = browser.post(
        "/api/accounts/tokens",
        {"name": "12345 热线对接", "days": 30},
        content_type="application/json",
        headers=csrf,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    plaintext = body["plaintext"]
    assert plaintext.startswith(f"jc_{body['token']['prefix']}_")
    token = ApiToken.objects.get(pk=body["token"]["id"])
    assert token.user == user and token.name == "12345 热线对接"
    assert plaintext.split("_", 2)[2] not in token.key_hash  # only a hash is stored
    machine = Client()
    assert (
        machine.get("/api/accounts/me", headers={"Authorization": f"Bearer {plaintext}"}).json()["id"]
        == user.pk
    )
    listed = browser.get("/api/accounts/tokens").content.decode()
    assert plaintext not in listed and plaintext.split("_", 2)[2] not in listed
    record = AuditRecord.objects.get(content_type__model="apitoken", object_id=str(token.pk))
    assert record.source == "api" and record.request_id == response["X-Request-ID"]
    assert Event.objects.filter(event_type="accounts.token_created", object_id=str(token.pk)).exists()


def test_token_create_without_expiry(make_staff) -> None:
    browser, csrf = csrf_client(make_staff(None))
    response = browser.post(
        "/api/accounts/tokens", {"name": "长期", "days": None}, content_type="application/json", headers=csrf
    )
    assert response.status_code == 201
    assert response.json()["token"]["expires_at"] is None


def test_token_cannot_create_tokens(client: Client, make_staff) -> None:
    user = make_staff(None)
    response = client.post(
        "/api/accounts/tokens", {"name": "再生"}, content_type="application/json", headers=bearer(user)
    )
    assert response.status_code == 403
    assert response.json()["code"] == "session_required"
    assert ApiToken.objects.filter(user=user).count() == 1


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"name": "  "}, 400, "name_required"),
        ({"name": "x", "days": 0}, 400, "token_days_range"),
        ({"name": "x", "days": 4000}, 400, "token_days_range"),
        ({"days": 10}, 422, "invalid_request"),
        ({"name": "x" * 61}, 422, "invalid_request"),
    ],
)
def test_token_create_refusals(make_staff, payload: dict[str, Any], status: int, code: str) -> None:
    browser, csrf = csrf_client(make_staff(None))
    response = browser.post("/api/accounts/tokens", payload, content_type="application/json", headers=csrf)
    assert response.status_code == status, response.content
    assert response.json()["code"] == code


def test_token_revoke(client: Client, make_staff) -> None:
    user = make_staff(None)
    keep = bearer(user, "保留")
    doomed, plaintext = api_token_create(actor=user, name="作废")
    response = client.delete(f"/api/accounts/tokens/{doomed.pk}", headers=keep)
    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None and response.json()["is_usable"] is False
    assert client.get("/api/accounts/me", headers={"Authorization": f"Bearer {plaintext}"}).status_code == 401
    again = client.delete(f"/api/accounts/tokens/{doomed.pk}", headers=keep)
    assert again.status_code == 409 and again.json()["code"] == "already_revoked"


def test_token_revoke_self_ends_the_token(client: Client, make_staff) -> None:
    user = make_staff(None)
    token, plaintext = api_token_create(actor=user, name="自毁")
    headers = {"Authorization": f"Bearer {plaintext}"}
    assert client.delete(f"/api/accounts/tokens/{token.pk}", headers=headers).status_code == 200
    assert client.get("/api/accounts/tokens", headers=headers).status_code == 401


def test_token_revoke_of_someone_else_or_missing_is_404(client: Client, make_staff) -> None:
    me, other = make_staff(None), make_staff(None)
    theirs, _ = api_token_create(actor=other, name="别人的")
    headers = bearer(me)
    for token_id in (theirs.pk, 999999):
        response = client.delete(f"/api/accounts/tokens/{token_id}", headers=headers)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert client.delete("/api/accounts/tokens/abc", headers=headers).status_code == 422


def test_token_endpoints_need_authentication(client: Client) -> None:
    assert client.get("/api/accounts/tokens").status_code == 401
    assert (
        client.post("/api/accounts/tokens", {"name": "x"}, content_type="application/json").status_code == 401
    )
    assert client.delete("/api/accounts/tokens/1").status_code == 401


def test_admin_without_second_factor_cannot_mint_tokens(tiny_county, make_staff, verified_client) -> None:
    """A stolen admin password must not buy a token that skips the second factor for good."""
    admin = make_staff(Role.COUNTY_ADMIN, tiny_county["county"])
    browser = Client()
    browser.force_login(admin)
    response = browser.post("/api/accounts/tokens", {"name": "偷来的"}, content_type=JSON_TYPE)
    assert response.status_code == 403 and response.json()["code"] == "second_factor_required"
    assert not ApiToken.objects.filter(user=admin).exists()
    verified = verified_client(admin)
    assert verified.post("/api/accounts/tokens", {"name": "正当"}, content_type=JSON_TYPE).status_code == 201
