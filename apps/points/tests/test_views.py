"""The points pages through the test client: every page renders for the role it is for, the
buttons call the services, and a refusal comes back as a message on the same page."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from apps.points import services
from apps.points.choices import ApplicationStatus, RedemptionStatus
from apps.points.models import Account, Application, Redemption

from .conftest import grant, open_store

pytestmark = pytest.mark.django_db


def test_staff_pages_render(world, client) -> None:
    w = world
    store, _goods = open_store(w)
    entry = grant(w, w.h1, 40)
    app = services.application_submit(
        actor=w.gridder, household=w.h2, item=w.item("garbage"), occurred_on=timezone.localdate()
    )
    now = timezone.now()
    activity = services.activity_create(
        actor=w.cadre,
        unit=w.t["v11"],
        title="敬老院服务",
        starts_at=now,
        ends_at=now + datetime.timedelta(hours=2),
    )
    client.force_login(w.cadre)
    pages = [
        "/points/",
        "/points/applications/",
        "/points/applications/?status=",
        f"/points/applications/{app.pk}/",
        "/points/applications/new/",
        f"/points/applications/new/?household={w.h2.pk}",
        "/points/accounts/",
        f"/points/accounts/?period={timezone.localdate():%Y-%m}",
        f"/points/accounts/{entry.account_id}/",
        "/points/rulebooks/",
        f"/points/rulebooks/{w.rulebook.pk}/",
        "/points/stores/",
        f"/points/stores/{store.pk}/",
        f"/points/stores/{store.pk}/reconciliation/",
        "/points/activities/",
        f"/points/activities/{activity.pk}/",
        "/points/board/",
        f"/points/v/{w.t['v11'].code}/",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert True


def test_keeper_and_supervisor_sign_from_the_pages(world, client) -> None:
    w = world
    app = services.application_submit(
        actor=w.villager, item=w.item("garbage"), occurred_on=timezone.localdate()
    )
    client.force_login(w.keeper)
    page = client.get(f"/points/applications/{app.pk}/")
    assert b'data-testid="approve"' in page.content and b'data-testid="countersign"' not in page.content
    client.post(f"/points/applications/{app.pk}/approve/")
    client.force_login(w.supervisor)
    response = client.post(f"/points/applications/{app.pk}/countersign/", follow=True)
    assert "积分已入账" in response.content.decode()
    app.refresh_from_db()
    assert app.status == ApplicationStatus.GRANTED


def test_refusal_is_a_message_on_the_same_page(world, client) -> None:
    app = services.application_submit(
        actor=world.keeper, household=world.h2, item=world.item("garbage"), occurred_on=timezone.localdate()
    )
    client.force_login(world.keeper)
    response = client.post(f"/points/applications/{app.pk}/approve/", follow=True)
    assert "不能审核或复核自己提交的申请" in response.content.decode()
    assert Application.objects.get(pk=app.pk).status == ApplicationStatus.SUBMITTED


def test_staff_applies_on_behalf_with_household_lookup(world, client) -> None:
    client.force_login(world.gridder)
    fragment = client.get("/points/applications/new/?q=李四", HTTP_HX_REQUEST="true")
    assert b'data-testid="household-choice"' in fragment.content and b"<html" not in fragment.content
    response = client.post(
        "/points/applications/new/",
        {
            "household": world.h2.pk,
            "item": world.item("garbage").pk,
            "occurred_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    assert Application.objects.get().applicant_kind == "gridder"


def test_resident_applies_from_the_my_pages(world, client) -> None:
    client.force_login(world.villager)
    assert client.get("/points/").url == "/points/my/"
    page = client.get("/points/my/")
    assert page.status_code == 200 and "我的积分" in page.content.decode()
    form = client.get("/points/applications/new/")
    assert "见义勇为" not in form.content.decode()  # staff-only items are not offered
    response = client.post(
        "/points/applications/new/",
        {"item": world.item("garbage").pk, "occurred_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 302 and response.url == "/points/my/"
    bad = client.post(
        "/points/applications/new/",
        {"item": world.item("volunteer").pk, "occurred_on": timezone.localdate().isoformat()},
    )
    assert bad.status_code == 400 and "须上传照片" in bad.content.decode()


def test_counter_lookup_and_redeem(world, client) -> None:
    w = world
    store, goods = open_store(w, stock=5, price=20)
    grant(w, w.h1, 50)
    client.force_login(w.shopkeeper)
    for q in ("001", "0001", "张建", f"JCHH:{w.h1.pk}"):
        fragment = client.get(f"/points/stores/{store.pk}/counter/?q={q}", HTTP_HX_REQUEST="true")
        assert fragment.content.count(b'data-testid="counter-hit"') == 1, q
        assert b'data-testid="hit-balance">50<' in fragment.content
    response = client.post(
        f"/points/stores/{store.pk}/counter/", {"household": w.h1.pk, "goods": goods.pk, "quantity": 2}
    )
    redemption = Redemption.objects.get()
    assert response.url == f"/points/redemptions/{redemption.pk}/"
    receipt = client.get(response.url).content.decode()
    assert redemption.receipt_no in receipt and "40 分" in receipt and "10 分" in receipt
    refused = client.post(
        f"/points/stores/{store.pk}/counter/", {"household": w.h1.pk, "goods": goods.pk, "quantity": 1}
    )
    assert refused.status_code == 400 and "积分余额不足" in refused.content.decode()


def test_resident_preorders_and_cancels(world, client) -> None:
    w = world
    _store, goods = open_store(w, stock=5, price=10)
    grant(w, w.h1, 30)
    client.force_login(w.villager)
    assert b'data-testid="shop-goods"' in client.get("/points/my/shop/").content
    response = client.post("/points/my/shop/", {"goods": goods.pk, "quantity": 1})
    order = Redemption.objects.get()
    assert order.status == RedemptionStatus.RESERVED and response.url == f"/points/redemptions/{order.pk}/"
    client.post(f"/points/redemptions/{order.pk}/cancel/")
    order.refresh_from_db()
    assert order.status == RedemptionStatus.CANCELLED
    assert Account.objects.get(household=w.h1).balance == 30


def test_unlinked_resident_is_told_why(world, client) -> None:
    from apps.accounts.choices import UserKind
    from apps.accounts.models import User

    stranger = User.objects.create_user("stranger", None, kind=UserKind.RESIDENT, phone="13900000000")
    client.force_login(stranger)
    response = client.get("/points/my/")
    assert response.status_code == 403 and "尚未关联居民档案" in response.content.decode()


def test_public_board_hides_warning_names_unless_allowed(world, client) -> None:
    w = world
    app = services.application_submit(
        actor=w.gridder, household=w.h2, item=w.item("dumping"), occurred_on=timezone.localdate()
    )
    services.application_approve(actor=w.keeper, application=app)
    services.application_countersign(actor=w.supervisor, application=app)
    page = client.get(f"/points/v/{w.t['v11'].code}/").content.decode()
    assert "李某户" in page and "李四" not in page
    services.rulebook_update(actor=w.cadre, rulebook=w.rulebook, publish_warning_names=True)
    assert "李四户" in client.get(f"/points/v/{w.t['v11'].code}/").content.decode()
