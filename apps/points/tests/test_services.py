"""The points services: rulebook versions, two-person approval, the award service's idempotency,
the append-only ledger and its constraints, redemption, and every refusal the issue names."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.audit.models import Event
from apps.core.errors import Conflict, PermissionDenied, ValidationFailed
from apps.points import selectors, services
from apps.points.choices import AccountBasis, ApplicationStatus, Direction, EntryKind, RedemptionStatus
from apps.points.models import Account, AppendOnlyError, LedgerEntry

from .conftest import ALL, grant, open_store

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def png() -> SimpleUploadedFile:
    return SimpleUploadedFile("p.png", b"\x89PNG\r\n\x1a\n" + b"0" * 32, content_type="image/png")


def granted(w, application):
    services.application_approve(actor=w.keeper, application=application)
    return services.application_countersign(actor=w.supervisor, application=application)


# --- applications and two-person approval ------------------------------------------------------


def test_resident_applies_keeper_approves_supervisor_countersigns(world) -> None:
    w = world
    app = services.application_submit(actor=w.villager, item=w.item("garbage"), occurred_on=TODAY())
    assert app.status == ApplicationStatus.SUBMITTED and app.applicant_kind == "resident"
    assert app.account.household_id == w.h1.pk  # household accounts by default
    assert not LedgerEntry.objects.exists()  # nothing is booked before the second signature
    services.application_approve(actor=w.keeper, application=app)
    app = services.application_countersign(actor=w.supervisor, application=app)
    assert app.status == ApplicationStatus.GRANTED
    entry = app.entry
    assert (entry.amount, entry.kind, entry.item_id, entry.balance_after) == (
        5,
        EntryKind.CREDIT,
        app.item_id,
        5,
    )
    assert Account.objects.get(household=w.h1).balance == 5
    assert selectors.ledger_verify() == []
    assert Event.objects.filter(event_type="points.application_granted").count() == 1


def test_same_person_cannot_sign_twice_and_nobody_approves_their_own(world, make_staff) -> None:
    w = world
    from apps.accounts.choices import Role

    both = make_staff(Role.POINTS_KEEPER, w.t["v11"])
    from apps.accounts.models import RoleAssignment

    RoleAssignment.objects.create(user=both, role=Role.SUPERVISOR, unit=w.t["v11"])
    app = services.application_submit(actor=w.villager, item=w.item("garbage"), occurred_on=TODAY())
    services.application_approve(actor=both, application=app)
    with pytest.raises(ValidationFailed) as err:
        services.application_countersign(actor=both, application=app)
    assert err.value.code == "same_person"

    own = services.application_submit(
        actor=w.keeper, household=w.h2, item=w.item("garbage"), occurred_on=TODAY()
    )
    with pytest.raises(ValidationFailed) as err:
        services.application_approve(actor=w.keeper, application=own)
    assert err.value.code == "self_approval"


def test_database_refuses_one_person_signing_twice(world) -> None:
    app = services.application_submit(actor=world.villager, item=world.item("garbage"), occurred_on=TODAY())
    app.approved_by = app.countersigned_by = world.keeper
    with pytest.raises(IntegrityError), transaction.atomic():
        app.save()


def test_roles_are_checked(world) -> None:
    w = world
    app = services.application_submit(
        actor=w.gridder, household=w.h2, item=w.item("garbage"), occurred_on=TODAY()
    )
    with pytest.raises(PermissionDenied):
        services.application_approve(actor=w.supervisor, application=app)  # the keeper's step
    services.application_approve(actor=w.keeper, application=app)
    with pytest.raises(PermissionDenied):
        services.application_countersign(actor=w.cadre, application=app)  # the supervisor's step
    with pytest.raises(PermissionDenied):
        services.application_submit(
            actor=w.cadre_out, household=w.h2, item=w.item("garbage"), occurred_on=TODAY()
        )


def test_reject_with_reason_then_one_appeal(world) -> None:
    w = world
    app = services.application_submit(actor=w.villager, item=w.item("garbage"), occurred_on=TODAY())
    with pytest.raises(ValidationFailed) as err:
        services.application_reject(actor=w.keeper, application=app, reason=" ")
    assert err.value.code == "reject_reason_required"
    services.application_reject(actor=w.keeper, application=app, reason="照片看不清")
    app = services.application_appeal(actor=w.villager, application=app, reason="已补充说明")
    assert app.status == ApplicationStatus.APPEALED
    services.application_reject(actor=w.keeper, application=app, reason="仍不符合")
    with pytest.raises(Conflict) as err:
        services.application_appeal(actor=w.villager, application=app, reason="再申诉")
    assert err.value.code == "appeal_used"


def test_refusals_with_specific_codes(world) -> None:
    w = world
    cases = [
        # an item the rulebook does not open to residents
        (
            {"actor": w.villager, "item": w.item("heroism"), "occurred_on": TODAY(), "note": "x"},
            "applicant_not_allowed",
        ),
        # evidence required
        ({"actor": w.villager, "item": w.item("volunteer"), "occurred_on": TODAY()}, "evidence_photo"),
        (
            {"actor": w.gridder, "household": w.h2, "item": w.item("heroism"), "occurred_on": TODAY()},
            "evidence_note",
        ),
        # a date in the future
        (
            {
                "actor": w.villager,
                "item": w.item("garbage"),
                "occurred_on": TODAY() + datetime.timedelta(days=1),
            },
            "occurred_on_future",
        ),
        # a resident applying for someone else
        (
            {"actor": w.villager, "household": w.h2, "item": w.item("garbage"), "occurred_on": TODAY()},
            "apply_for_self_only",
        ),
    ]
    for kwargs, code in cases:
        with pytest.raises((ValidationFailed, PermissionDenied)) as err:
            services.application_submit(**kwargs)
        assert err.value.code == code, (code, err.value.message)


def test_item_from_another_village_is_refused(world) -> None:
    from .conftest import make_rulebook

    other = make_rulebook(world.cadre_out, world.t["v21"])
    foreign = other.current_version().items.get(code="garbage")
    with pytest.raises(ValidationFailed) as err:
        services.application_submit(actor=world.villager, item=foreign, occurred_on=TODAY())
    assert err.value.code == "item_other_village"


def test_limit_per_period(world) -> None:
    for _ in range(2):
        services.application_submit(actor=world.villager, item=world.item("garbage"), occurred_on=TODAY())
    with pytest.raises(ValidationFailed) as err:
        services.application_submit(actor=world.villager, item=world.item("garbage"), occurred_on=TODAY())
    assert err.value.code == "item_limit_reached"
    assert "每月最多 2 次" in err.value.message


def test_photo_evidence_is_kept(world) -> None:
    app = services.application_submit(
        actor=world.villager, item=world.item("volunteer"), occurred_on=TODAY(), photo=png()
    )
    assert app.photo.name.startswith("points/")
    with pytest.raises(ValidationFailed) as err:
        services.application_submit(
            actor=world.villager,
            item=world.item("volunteer"),
            occurred_on=TODAY(),
            photo=SimpleUploadedFile("x.png", b"not an image"),
        )
    assert err.value.code == "photo_type"


# --- rulebook versions ---------------------------------------------------------------------------


def test_new_version_never_rewrites_past_awards(world) -> None:
    w = world
    old_item = w.item("garbage")
    app = granted(w, services.application_submit(actor=w.villager, item=old_item, occurred_on=TODAY()))
    draft = services.version_draft(actor=w.cadre, rulebook=w.rulebook, note="提高垃圾分类分值")
    assert draft.items.count() == 4  # a copy of the current items
    services.item_save(
        actor=w.cadre,
        version=draft,
        code="garbage",
        name="垃圾分类",
        direction=Direction.CREDIT,
        points=8,
        applicants=ALL,
    )
    pending = services.application_submit(actor=w.villager, item=old_item, occurred_on=TODAY())
    services.version_publish(actor=w.cadre, version=draft)
    app.refresh_from_db()
    assert app.item.points == 5 and app.entry.amount == 5  # the past stays as granted
    assert w.item("garbage").points == 8
    with pytest.raises(ValidationFailed) as err:  # a new application must use the current version
        services.application_submit(actor=w.villager, item=old_item, occurred_on=TODAY())
    assert err.value.code == "item_outdated"
    # one already submitted under the old version is still granted at the old value
    assert granted(w, pending).entry.amount == 5
    with pytest.raises(Conflict) as err:
        services.item_save(
            actor=w.cadre,
            version=draft,
            code="x",
            name="x",
            direction=Direction.CREDIT,
            points=1,
            applicants=ALL,
        )
    assert err.value.code == "version_published"


def test_negative_or_zero_points_refused(world) -> None:
    draft = services.version_draft(actor=world.cadre, rulebook=world.rulebook)
    for bad in (-5, 0, "abc"):
        with pytest.raises(ValidationFailed) as err:
            services.item_save(
                actor=world.cadre,
                version=draft,
                code="bad",
                name="坏",
                direction=Direction.CREDIT,
                points=bad,
                applicants=ALL,
            )
        assert err.value.code == "points_not_positive"
    with pytest.raises(ValidationFailed) as err:
        services.points_award(
            actor=world.keeper, household=world.h1, amount=-3, reason="x", idempotency_key="neg"
        )
    assert err.value.code == "points_not_positive"


# --- award service and ledger --------------------------------------------------------------------


def test_award_replay_is_a_no_op(world) -> None:
    w = world
    first = services.points_award(
        actor=None,
        resident=w.r2,
        item_code="volunteer",
        idempotency_key="cases:case:7:accepted",
        cause_type="cases.case",
        cause_id="7",
        vouched_by="cases",
    )
    again = services.points_award(
        actor=None,
        resident=w.r2,
        item_code="volunteer",
        idempotency_key="cases:case:7:accepted",
        cause_type="cases.case",
        cause_id="7",
        vouched_by="cases",
    )
    assert again.pk == first.pk
    assert LedgerEntry.objects.count() == 1 and Account.objects.get(household=w.h2).balance == 10
    with pytest.raises(Conflict) as err:  # the same key for a different account is a bug upstream
        services.points_award(
            actor=None,
            resident=w.r1,
            item_code="volunteer",
            idempotency_key="cases:case:7:accepted",
            vouched_by="cases",
        )
    assert err.value.code == "idempotency_key_reused"


def test_award_requires_keeper_unless_vouched(world) -> None:
    with pytest.raises(PermissionDenied):
        services.points_award(
            actor=world.gridder, household=world.h1, amount=5, reason="x", idempotency_key="k1"
        )
    with pytest.raises(ValidationFailed) as err:
        services.points_award(actor=world.keeper, household=world.h1, item_code="nope", idempotency_key="k2")
    assert err.value.code == "item_unknown"


def test_debit_takes_what_is_there_and_records_the_rest(world) -> None:
    w = world
    grant(w, w.h2, 4)
    app = services.application_submit(
        actor=w.gridder, household=w.h2, item=w.item("dumping"), occurred_on=TODAY()
    )
    entry = granted(w, app).entry
    assert (entry.amount, entry.nominal, entry.balance_after) == (-4, -10, 0)
    assert Account.objects.get(household=w.h2).balance == 0
    assert selectors.ledger_verify() == []


def test_reversal_corrects_without_editing(world) -> None:
    w = world
    entry = grant(w, w.h1, 30)
    reversal = services.entry_reverse(actor=w.keeper, entry=entry, reason="重复录入")
    assert reversal.amount == -30 and reversal.reverses_id == entry.pk
    entry.refresh_from_db()
    assert entry.amount == 30  # the original row is unchanged
    with pytest.raises(Conflict) as err:
        services.entry_reverse(actor=w.keeper, entry=entry, reason="再来")
    assert err.value.code == "already_reversed"
    assert Account.objects.get(household=w.h1).balance == 0


def test_ledger_is_append_only(world) -> None:
    entry = grant(world, world.h1, 10)
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=999)
    with pytest.raises(AppendOnlyError):
        entry.delete()
    # Below the ORM too: the database trigger refuses a raw UPDATE.
    with pytest.raises(Exception), transaction.atomic(), connection.cursor() as cursor:  # noqa: B017
        cursor.execute("UPDATE points_ledgerentry SET amount = 999 WHERE id = %s", [entry.pk])
    entry.refresh_from_db()
    assert entry.amount == 10


def test_balance_cannot_go_negative_in_the_database(world) -> None:
    account = grant(world, world.h1, 10).account
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=account.pk).update(balance=-1)


def test_ledger_verify_finds_a_tampered_balance(world) -> None:
    account = grant(world, world.h1, 10).account
    Account.objects.filter(pk=account.pk).update(balance=7)
    wrong = selectors.ledger_verify()
    assert {"account": account.pk, "balance": 7, "ledger_sum": 10} in wrong
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="1 个积分账户"):
        call_command("points_verify")


def test_person_accounts_where_the_rulebook_says_so(world) -> None:
    w = world
    from .conftest import make_rulebook

    make_rulebook(w.cadre_out, w.t["v21"], account_basis=AccountBasis.PERSON)
    services.points_award(actor=w.admin, resident=w.r_out, amount=3, reason="测试", idempotency_key="p1")
    assert Account.objects.get(resident=w.r_out).balance == 3


# --- store ---------------------------------------------------------------------------------------


def test_counter_redemption_moves_points_and_stock_together(world) -> None:
    w = world
    store, goods = open_store(w, stock=3, price=20)
    account = grant(w, w.h1, 50).account
    r = services.redemption_create(
        actor=w.shopkeeper, store=store, goods=goods, account=account, quantity=2, redeemer=w.r1
    )
    goods.refresh_from_db()
    account.refresh_from_db()
    assert (r.points, r.status, goods.stock, account.balance) == (40, RedemptionStatus.COMPLETED, 1, 10)
    assert r.receipt_no.endswith(f"{r.pk:06d}")
    for quantity, code in (
        (1, "insufficient_balance"),
        (2, "insufficient_stock"),
        (0, "quantity_not_positive"),
    ):
        with pytest.raises(ValidationFailed) as err:
            services.redemption_create(
                actor=w.shopkeeper, store=store, goods=goods, account=account, quantity=quantity
            )
        assert err.value.code == code
    account.refresh_from_db()
    goods.refresh_from_db()
    assert (account.balance, goods.stock) == (10, 1)  # refusals changed nothing
    report = selectors.reconciliation(store, selectors.quarter_of(TODAY()))
    assert report.balanced and report.ledger_points == report.goods_points == 40


def test_redemption_outside_the_window_is_refused(world) -> None:
    w = world
    store = services.store_create(actor=w.cadre, unit=w.t["v11"], name="季末超市")
    later = TODAY() + datetime.timedelta(days=40)
    services.window_add(
        actor=w.cadre, store=store, opens_on=later, closes_on=later + datetime.timedelta(days=6)
    )
    goods = services.goods_save(actor=w.shopkeeper, store=store, name="肥皂", price=5, initial_stock=5)
    account = grant(w, w.h1, 50).account
    with pytest.raises(ValidationFailed) as err:
        services.redemption_create(actor=w.shopkeeper, store=store, goods=goods, account=account)
    assert err.value.code == "store_closed" and "下次开放" in err.value.message
    with pytest.raises(ValidationFailed) as err:  # 40 days ahead is too far for a pre-order
        services.redemption_preorder(actor=w.villager, goods=goods)
    assert err.value.code == "store_closed"


def test_preorder_then_pickup_or_cancel(world) -> None:
    w = world
    store, goods = open_store(w, stock=5, price=10)
    grant(w, w.h1, 30)
    order = services.redemption_preorder(actor=w.villager, goods=goods, quantity=2)
    assert order.status == RedemptionStatus.RESERVED
    goods.refresh_from_db()
    assert goods.stock == 3
    services.redemption_hand_over(actor=w.shopkeeper, redemption=order)
    other = services.redemption_preorder(actor=w.villager, goods=goods, quantity=1)
    services.redemption_cancel(actor=w.villager, redemption=other, reason="")
    goods.refresh_from_db()
    account = Account.objects.get(household=w.h1)
    assert (goods.stock, account.balance) == (3, 10)
    assert selectors.ledger_verify() == []
    report = selectors.reconciliation(store, selectors.quarter_of(TODAY()))
    assert report.balanced and report.goods_points == 20


def test_household_outside_the_store_and_goods_of_another_store(world) -> None:
    w = world
    store, goods = open_store(w)
    out_account = services.points_award(
        actor=w.admin, household=w.h_out, amount=100, reason="x", idempotency_key="o"
    )
    with pytest.raises(ValidationFailed) as err:
        services.redemption_create(actor=w.admin, store=store, goods=goods, account=out_account.account)
    assert err.value.code == "account_other_village"
    other = services.store_create(actor=w.cadre, unit=w.t["v11"], name="二号超市")
    account = grant(w, w.h1, 100).account
    with pytest.raises(ValidationFailed) as err:
        services.redemption_create(actor=w.admin, store=other, goods=goods, account=account)
    assert err.value.code == "goods_other_store"


def test_restock_and_stocktake(world) -> None:
    w = world
    store, goods = open_store(w, stock=10)
    services.goods_restock(actor=w.shopkeeper, goods=goods, quantity=5)
    with pytest.raises(ValidationFailed) as err:
        services.goods_stocktake(actor=w.shopkeeper, goods=goods, counted=13)
    assert err.value.code == "stocktake_reason"
    services.goods_stocktake(actor=w.shopkeeper, goods=goods, counted=13, note="破损 2 瓶")
    goods.refresh_from_db()
    assert goods.stock == 13
    line = selectors.reconciliation(store, selectors.quarter_of(TODAY())).lines[0]
    assert (line.restocked, line.adjusted, line.closing_stock) == (15, -2, 13)


# --- time bank -----------------------------------------------------------------------------------


def test_time_bank_verify_transfer_convert(world) -> None:
    w = world
    now = timezone.now()
    activity = services.activity_create(
        actor=w.cadre,
        unit=w.t["v11"],
        title="河道清理",
        starts_at=now - datetime.timedelta(hours=1),
        ends_at=now + datetime.timedelta(hours=2),
    )
    signup = services.signup_create(actor=w.villager, activity=activity, resident=w.r1)
    services.signup_check_in(actor=w.villager, signup=signup)
    services.signup_check_out(actor=w.villager, signup=signup)
    with pytest.raises(PermissionDenied) as err:
        services.signup_verify(actor=w.keeper, signup=signup, hours=2)
    assert err.value.code == "organiser_only"
    services.signup_verify(actor=w.cadre, signup=signup, hours=2)
    assert selectors.hour_account_of(w.r1).minutes == 120
    services.hours_transfer(actor=w.villager, from_resident=w.r1, to_resident=w.r1b, hours=0.5)
    with pytest.raises(ValidationFailed) as err:
        services.hours_transfer(actor=w.villager, from_resident=w.r1, to_resident=w.r2, hours=0.5)
    assert err.value.code == "transfer_outside_household"
    entry = services.hours_convert(actor=w.villager, resident=w.r1, hours=1)
    assert entry.kind == EntryKind.CONVERSION and entry.amount == 10  # 10 points an hour by default
    assert selectors.hour_account_of(w.r1).minutes == 30
    assert selectors.hour_account_of(w.r1b).minutes == 30
    with pytest.raises(ValidationFailed) as err:
        services.hours_convert(actor=w.villager, resident=w.r1, hours=1)
    assert err.value.code == "insufficient_hours"


# --- boards and statements -----------------------------------------------------------------------


def test_board_and_public_names(world) -> None:
    w = world
    grant(w, w.h1, 30)
    app = services.application_submit(
        actor=w.gridder, household=w.h2, item=w.item("dumping"), occurred_on=TODAY()
    )
    granted(w, app)
    result = selectors.board(w.t["v11"], selectors.quarter_of(TODAY()))
    assert [r.name for r in result.honour] == ["张建国户"]
    assert [(r.name, r.points) for r in result.warning] == [("李四户", -10)]
    assert result.names_public is False
    assert selectors.masked("李四户") == "李某户"


def test_monthly_statement(world) -> None:
    w = world
    grant(w, w.h1, 30)
    period = selectors.parse_period(TODAY().strftime("%Y-%m"))
    rows = {
        r["pk"]: r for r in selectors.monthly_statement(w.keeper, unit_code=w.t["v11"].code, period=period)
    }
    account = Account.objects.get(household=w.h1)
    assert (rows[account.pk]["opening"], rows[account.pk]["credited"], rows[account.pk]["spent"]) == (
        0,
        30,
        0,
    )


def test_expiry_clears_once(world) -> None:
    account = grant(world, world.h1, 35).account
    entry = services.points_expire(
        actor=world.keeper, account=account, reason="年度清零", idempotency_key="exp:2026:1"
    )
    again = services.points_expire(
        actor=world.keeper, account=account, reason="年度清零", idempotency_key="exp:2026:1"
    )
    assert entry is not None and again is not None and again.pk == entry.pk
    assert (entry.kind, entry.amount) == (EntryKind.EXPIRY, -35)
    account.refresh_from_db()
    assert account.balance == 0 and selectors.ledger_verify() == []
    with pytest.raises(PermissionDenied):
        services.points_expire(actor=world.gridder, account=account, reason="x", idempotency_key="exp:x")
