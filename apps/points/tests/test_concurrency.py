"""Fifty shopkeepers' requests redeeming the same item for the same household at the same moment,
with real threads on PostgreSQL: exactly min(balance // price, stock) succeed, the balance never
goes below zero, the ledger sums to the balance and the stock movements to the stock. The same
for replayed awards: one event, one entry."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum

from apps.core.errors import ValidationFailed
from apps.points import selectors, services
from apps.points.models import Account, Goods, LedgerEntry, Redemption, StockMovement

from .conftest import grant, open_store

# `postgres`: skipped on SQLite by the shared hook in conftest.py, with its reason.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 50


def _race(target: Any) -> tuple[list[Any], list[Exception]]:
    barrier = threading.Barrier(THREADS)
    results: list[Any] = []
    errors: list[Exception] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            barrier.wait()
            outcome = target()
            with lock:
                results.append(outcome)
        except Exception as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results, errors


@pytest.mark.parametrize(("balance", "price", "stock"), [(230, 20, 40), (1000, 20, 7)])
def test_fifty_concurrent_redemptions(world, balance: int, price: int, stock: int) -> None:
    w = world
    store, goods = open_store(w, stock=stock, price=price)
    account = grant(w, w.h1, balance).account
    expected = min(balance // price, stock)

    results, errors = _race(
        lambda: services.redemption_create(actor=w.shopkeeper, store=store, goods=goods, account=account)
    )

    assert len(results) == expected
    assert len(errors) == THREADS - expected
    assert all(isinstance(e, ValidationFailed) for e in errors), errors
    assert {e.code for e in errors} <= {"insufficient_balance", "insufficient_stock"}
    account.refresh_from_db()
    goods = Goods.objects.get(pk=goods.pk)
    assert account.balance == balance - expected * price >= 0
    assert goods.stock == stock - expected >= 0
    ledger_sum = LedgerEntry.objects.filter(account=account).aggregate(s=Sum("amount"))["s"]
    assert ledger_sum == account.balance
    assert not LedgerEntry.objects.filter(balance_after__lt=0).exists()
    assert StockMovement.objects.filter(goods=goods).aggregate(s=Sum("delta"))["s"] == goods.stock
    assert Redemption.objects.filter(account=account).count() == expected
    assert selectors.ledger_verify() == []


def test_replayed_award_under_concurrency_pays_once(world) -> None:
    w = world
    results, errors = _race(
        lambda: services.points_award(
            actor=None,
            resident=w.r2,
            item_code="volunteer",
            idempotency_key="voting:vote:3:attended",
            vouched_by="voting",
        )
    )
    assert not errors, errors
    assert len({entry.pk for entry in results}) == 1
    assert LedgerEntry.objects.count() == 1
    assert Account.objects.get(household=w.h2).balance == 10


def test_database_refuses_changing_a_ledger_row(world) -> None:
    entry = grant(world, world.h1, 10)
    with pytest.raises(Exception, match="append-only"), connection.cursor() as cursor:
        cursor.execute("DELETE FROM points_ledgerentry WHERE id = %s", [entry.pk])
    with pytest.raises(Exception, match="append-only"), connection.cursor() as cursor:
        cursor.execute("UPDATE points_ledgerentry SET amount = 1 WHERE id = %s", [entry.pk])
