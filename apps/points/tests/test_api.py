"""The points API: balances and ledger, the idempotent award, goods and counter redemption,
and refusals in the platform's error shape."""

from __future__ import annotations

import pytest

from apps.points.models import LedgerEntry

from .conftest import grant, open_store

pytestmark = pytest.mark.django_db


def test_award_is_idempotent_over_the_api(world, client) -> None:
    client.force_login(world.keeper)
    url = f"/api/points/households/{world.h1.pk}/awards"
    body = {"item_code": "garbage", "idempotency_key": "vote:12:attended"}
    first = client.post(url, body, content_type="application/json")
    again = client.post(url, body, content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and first.json()["item_code"] == "garbage"
    assert LedgerEntry.objects.count() == 1
    bad = client.post(
        url,
        {"amount": -5, "reason": "x", "idempotency_key": "neg"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["code"] == "points_not_positive"


def test_balance_and_ledger(world, client) -> None:
    entry = grant(world, world.h1, 25)
    client.force_login(world.supervisor)
    accounts = client.get("/api/points/accounts?q=001").json()
    assert accounts["count"] == 1 and accounts["items"][0]["balance"] == 25
    ledger = client.get(f"/api/points/accounts/{entry.account_id}/ledger").json()
    assert ledger["items"][0]["amount"] == 25 and ledger["items"][0]["balance_after"] == 25
    client.force_login(world.cadre_out)
    assert client.get(f"/api/points/accounts/{entry.account_id}").status_code == 403


def test_redemption_over_the_api(world, client) -> None:
    store, goods = open_store(world, stock=1, price=20)
    grant(world, world.h1, 50)
    client.force_login(world.shopkeeper)
    assert client.get(f"/api/points/stores/{store.pk}/goods").json()[0]["stock"] == 1
    url = f"/api/points/goods/{goods.pk}/redemptions"
    body = {"household_number": "001", "quantity": 1}
    ok = client.post(url, body, content_type="application/json")
    assert ok.status_code == 201 and ok.json()["balance_after"] == 30
    out = client.post(url, body, content_type="application/json")
    assert out.status_code == 400 and out.json()["code"] == "insufficient_stock"
