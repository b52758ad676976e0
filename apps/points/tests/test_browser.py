"""End to end in headless Chromium, the issue's "done when": a villager applies for points from a
390×844 phone, the points keeper approves, the supervisor countersigns, the villager redeems at
the store counter (the shopkeeper looks the household up by phone tail), and the ledger and the
stock agree on every page. The pages must run under the CSP (no inline script or style)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Sum
from playwright.sync_api import expect

from apps.points import selectors
from apps.points.models import Account, Goods, LedgerEntry, StockMovement

from .conftest import open_store

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"
PASSWORD = "Passw0rd-Test"


def _watch(page: Any) -> list[str]:
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: (
            problems.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None
        ),
    )
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    return problems


def _login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")


def _phone(browser: Any) -> Any:
    return browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()


def test_apply_approve_countersign_redeem_from_phones(live_server, browser, phone_page, world) -> None:
    w = world
    base = live_server.url
    store, goods = open_store(w, stock=6, price=5)
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []

    # 1. The villager applies from the phone: home page → 我的积分 → 申请积分.
    villager = phone_page
    problems += _watch(villager)
    _login(villager, base, "villager")
    villager.click("[data-testid=resident-services] >> text=我的积分")
    villager.wait_for_url(re.compile(r"/points/my/$"))
    expect(villager.locator("[data-testid=my-balance]")).to_have_text("0")
    villager.click("[data-testid=apply]")
    villager.select_option("#id_item", value=str(w.item("garbage").pk))
    villager.fill("#id_note", "本周按时分类投放")
    villager.click("[data-testid=submit]")
    villager.wait_for_url(re.compile(r"/points/my/$"))
    expect(villager.locator("[data-testid=my-application]").first).to_contain_text("待审核")
    assert villager.evaluate("document.documentElement.scrollWidth") <= 390
    villager.screenshot(path=str(SHOTS / "points-1-villager-applied.png"), full_page=True)

    # 2. The keeper approves from the to-do list.
    keeper = _phone(browser)
    problems += _watch(keeper)
    _login(keeper, base, "keeper")
    keeper.goto(f"{base}/points/")
    expect(keeper.locator("[data-testid=todo-count]")).to_have_text("1")
    keeper.click("[data-testid=todo-item]")
    keeper.click("[data-testid=approve]")
    expect(keeper.locator("[data-testid=message]")).to_contain_text("等待监督人员复核")
    expect(keeper.locator("[data-testid=countersign]")).to_have_count(0)  # never both signatures
    keeper.context.close()

    # 3. The supervisor countersigns: the points are booked.
    supervisor = _phone(browser)
    problems += _watch(supervisor)
    _login(supervisor, base, "supervisor")
    supervisor.goto(f"{base}/points/applications/")
    supervisor.click("[data-testid=application-row] a")
    supervisor.click("[data-testid=countersign]")
    expect(supervisor.locator("[data-testid=message]")).to_contain_text("积分已入账")
    expect(supervisor.locator("[data-testid=entry]")).to_contain_text("+5 分，余额 5")
    supervisor.screenshot(path=str(SHOTS / "points-2-countersigned.png"), full_page=True)
    supervisor.context.close()

    villager.reload()
    expect(villager.locator("[data-testid=my-balance]")).to_have_text("5")
    expect(villager.locator("[data-testid=my-application]").first).to_contain_text("已入账")

    # 4. At the counter the shopkeeper finds the household by the phone's last four digits.
    shop = _phone(browser)
    problems += _watch(shop)
    _login(shop, base, "shopkeeper")
    shop.goto(f"{base}/points/stores/{store.pk}/counter/")
    search = shop.locator("[data-testid=counter-search]")
    search.press_sequentially("0001", delay=40)
    hit = shop.locator("[data-testid=counter-hit]")
    expect(hit).to_have_count(1)
    expect(hit.locator("[data-testid=hit-balance]")).to_have_text("5")
    shop.screenshot(path=str(SHOTS / "points-3-counter.png"), full_page=True)
    hit.locator("[data-testid=redeem]").click()
    shop.wait_for_url(re.compile(r"/points/redemptions/\d+/$"))
    expect(shop.locator("[data-testid=receipt-goods]")).to_contain_text("洗衣液 × 1瓶")
    expect(shop.locator("[data-testid=receipt-points]")).to_have_text("5 分")
    expect(shop.locator("[data-testid=receipt-balance]")).to_have_text("0 分")
    assert shop.evaluate("document.documentElement.scrollWidth") <= 390
    shop.screenshot(path=str(SHOTS / "points-4-receipt.png"), full_page=True)

    # 5. Ledger and stock agree: on the pages and in the database.
    shop.goto(f"{base}/points/stores/{store.pk}/")
    expect(shop.locator("[data-testid=goods-row] [data-testid=stock]")).to_have_text("5瓶")
    shop.goto(f"{base}/points/stores/{store.pk}/reconciliation/")
    expect(shop.locator("[data-testid=balanced]")).to_be_visible()
    expect(shop.locator("[data-testid=ledger-points]")).to_have_text("5")
    shop.context.close()

    villager.reload()
    expect(villager.locator("[data-testid=my-balance]")).to_have_text("0")
    expect(villager.locator("[data-testid=my-entry]")).to_have_count(2)

    account = Account.objects.get(household=w.h1)
    goods = Goods.objects.get(pk=goods.pk)
    assert account.balance == 0
    assert LedgerEntry.objects.filter(account=account).aggregate(s=Sum("amount"))["s"] == 0
    assert goods.stock == 5 == StockMovement.objects.filter(goods=goods).aggregate(s=Sum("delta"))["s"]
    assert selectors.ledger_verify() == []
    assert not problems, problems
