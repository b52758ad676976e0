"""Open311 API clients: the services (who may issue keys, what is stored, audit and events), the
management page with its htmx panel, and the management command."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from apps.accounts.choices import Role
from apps.audit.models import AuditRecord, Event
from apps.core.errors import Conflict, PermissionDenied, ValidationFailed
from apps.open311 import events, services
from apps.open311.models import Open311Client

pytestmark = pytest.mark.django_db


def test_create_stores_only_a_hash_and_audits_without_it(world: dict[str, Any]) -> None:
    client, key = world["api"], world["key"]
    head, prefix, secret = key.split("_", 2)
    assert head == "o311" and prefix == client.prefix and len(secret) >= 40
    assert secret not in client.key_hash and client.key_hash != secret
    assert client.jurisdiction == world["county"] and client.created_by == world["admin"]
    record = AuditRecord.objects.get(content_type__model="open311client", object_id=str(client.pk))
    assert "key_hash" not in record.after and record.scope_code == "530326"
    event = Event.objects.get(event_type=events.CLIENT_CREATED)
    assert event.data == {"name": "市民服务应用", "prefix": client.prefix, "jurisdiction": "530326"}
    assert services.open311_client_authenticate(key) == client
    with pytest.raises(PermissionDenied):
        services.open311_client_authenticate(f"o311_{prefix}_{secret}x")


def test_who_may_issue_keys(world: dict[str, Any], make_staff: Any) -> None:
    for role, unit in ((Role.TOWNSHIP_OFFICER, world["t1"]), (Role.OPERATOR, world["county"])):
        with pytest.raises(PermissionDenied) as denied:
            services.open311_client_create(
                actor=make_staff(role, unit), name="外部", jurisdiction=world["county"]
            )
        assert denied.value.message == "您无权配置诉求类别、时限和工作日历。"
    with pytest.raises(ValidationFailed, match="须为县（区）"):
        services.open311_client_create(actor=world["admin"], name="乡镇", jurisdiction=world["t1"])
    with pytest.raises(ValidationFailed, match="至少 2 个字"):
        services.open311_client_create(actor=world["admin"], name=" ", jurisdiction=world["county"])


def test_deactivate(world: dict[str, Any], make_staff: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.open311_client_deactivate(
            actor=make_staff(Role.LEADER, world["county"]), client=world["api"]
        )
    client = services.open311_client_deactivate(actor=world["admin"], client=world["api"])
    assert not client.is_active and client.deactivated_at is not None
    assert Event.objects.filter(event_type=events.CLIENT_DEACTIVATED).count() == 1
    with pytest.raises(Conflict):
        services.open311_client_deactivate(actor=world["admin"], client=client)
    with pytest.raises(PermissionDenied, match="已停用"):
        services.open311_client_authenticate(world["key"])


def test_page_issues_a_key_once_and_stops_it(world: dict[str, Any], verified_client: Any) -> None:
    browser = verified_client(world["admin"])
    page = browser.get(reverse("open311_clients:list"))
    html = page.content.decode()
    assert page.status_code == 200 and "市民服务应用" in html and world["key"] not in html
    assert "http://testserver/open311/v2/discovery.json" in html

    response = browser.post(
        reverse("open311_clients:create"),
        {"name": "合作平台", "jurisdiction": "530326"},
        HTTP_HX_REQUEST="true",
    )
    fragment = response.content.decode()
    assert response.status_code == 200 and "<html" not in fragment
    new = Open311Client.objects.get(name="合作平台")
    key = fragment.split('user-select-all">')[1].split("</code>")[0]
    assert key.startswith(f"o311_{new.prefix}_") and services.open311_client_authenticate(key) == new
    assert key not in browser.get(reverse("open311_clients:list")).content.decode()  # shown once

    refused = browser.post(reverse("open311_clients:create"), {"name": "x", "jurisdiction": "530326"})
    assert refused.status_code == 400 and "至少 2 个字" in refused.content.decode()
    refused = browser.post(reverse("open311_clients:create"), {"name": "某平台", "jurisdiction": "530326102"})
    assert refused.status_code == 400 and "请选择管辖的县（区）" in refused.content.decode()

    stop = browser.post(reverse("open311_clients:deactivate", args=[new.pk]), HTTP_HX_REQUEST="true")
    assert "已停用，其 api_key 不再可用" in stop.content.decode()
    new.refresh_from_db()
    assert not new.is_active
    again = browser.post(reverse("open311_clients:deactivate", args=[new.pk]), HTTP_HX_REQUEST="true")
    assert "已停用。" in again.content.decode()

    body = urlencode({"api_key": key, "service_code": "consult", "description": "咨询医保报销政策问题。",
                      "address_string": "娜姑村"})  # fmt: skip
    response = browser.post(
        "/open311/v2/requests.json", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 403


def test_page_is_for_county_admins(world: dict[str, Any], client: Any, make_staff: Any) -> None:
    client.force_login(make_staff(Role.OPERATOR, world["county"]))
    assert client.get(reverse("open311_clients:list")).status_code == 403
    assert client.post(reverse("open311_clients:deactivate", args=[world["api"].pk])).status_code == 403
    client.logout()
    assert client.get(reverse("open311_clients:list")).status_code == 302


def test_management_command(world: dict[str, Any]) -> None:
    out = io.StringIO()
    call_command("open311_client", "--create", "县融媒体中心", "--county", "530326", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    client = services.open311_client_authenticate(key)
    assert client.name == "县融媒体中心" and client.created_by is None
    listing = io.StringIO()
    call_command("open311_client", "--list", stdout=listing)
    assert client.prefix in listing.getvalue() and "县融媒体中心" in listing.getvalue()
    call_command("open311_client", "--deactivate", client.prefix, stdout=io.StringIO())
    client.refresh_from_db()
    assert not client.is_active
    with pytest.raises(CommandError, match="区划代码 999999 不存在"):
        call_command("open311_client", "--create", "某", "--county", "999999")
    with pytest.raises(CommandError, match="--county"):
        call_command("open311_client", "--create", "某某")
    with pytest.raises(CommandError, match="已停用"):
        call_command("open311_client", "--deactivate", client.prefix)
