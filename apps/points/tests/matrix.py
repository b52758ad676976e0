"""The points module's rows in the permission matrix (apps/core/tests/test_permission_matrix.py).

Objects named `*_in` sit in 娜姑村 (v11, every role's home), `*_out` in 迤车村 (v21). The roles:
POINTS_VIEW for every staff role but department handlers and hotline operators; the rulebook for
officers and cadres; applying on someone's behalf for cadres, gridders and the keeper; the first
signature for the keeper, the second for the supervisor; the counter for the shopkeeper. The
matrix's resident login is a villager of 娜姑村 (linked here by phone, or by another module's
records explicitly) and owns none of the objects below, so it meets only its own pages.
"""

from __future__ import annotations

import datetime
from typing import Any

from apps.core.tests.matrix_support import (
    ADMIN,
    AUDITOR,
    CADRE,
    GRIDDER,
    KEEPER,
    LEADER,
    OFFICER,
    RESIDENT,
    SHOPKEEPER,
    SUPERVISOR,
    case,
)

VIEW = {ADMIN, LEADER, OFFICER, CADRE, GRIDDER, SUPERVISOR, AUDITOR, KEEPER, SHOPKEEPER}
OUT = {ADMIN, LEADER}
RULEBOOK = {ADMIN, OFFICER, CADRE}
APPLY = {ADMIN, CADRE, GRIDDER, KEEPER}
APPROVE = {ADMIN, KEEPER}
COUNTERSIGN = {ADMIN, SUPERVISOR}
STORE = {ADMIN, SHOPKEEPER}
TOMORROW = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()

PAGES = [
    case("points:index", "/points/", VIEW | {RESIDENT}),
    case("points:application_list", "/points/applications/", VIEW),
    case("points:application_create", "/points/applications/new/", APPLY | {RESIDENT}),
    case("points:application_detail", "/points/applications/{pt_app_in}/", VIEW),
    case("points:application_detail", "/points/applications/{pt_app_out}/", OUT),
    case("points:application_approve", "/points/applications/{pt_app_in}/approve/", APPROVE, method="post"),
    case("points:application_approve", "/points/applications/{pt_app_out}/approve/", {ADMIN}, method="post"),
    case(
        "points:application_countersign",
        "/points/applications/{pt_app_approved}/countersign/",
        COUNTERSIGN,
        method="post",
    ),
    case(
        "points:application_reject",
        "/points/applications/{pt_app_in}/reject/",
        APPROVE,
        method="post",
        data={"reason": "材料不全"},
    ),
    case(
        "points:application_appeal",
        "/points/applications/{pt_app_rejected}/appeal/",
        APPLY,
        method="post",
        data={"reason": "已补充"},
    ),
    case("points:application_photo", "/points/applications/{pt_app_in}/photo/", VIEW),
    case("points:account_list", "/points/accounts/", VIEW),
    case("points:account_detail", "/points/accounts/{pt_account_in}/", VIEW),
    case("points:account_detail", "/points/accounts/{pt_account_out}/", OUT),
    case(
        "points:entry_reverse",
        "/points/entries/{pt_entry_in}/reverse/",
        APPROVE,
        method="post",
        data={"reason": "录错"},
    ),
    case("points:rulebook_list", "/points/rulebooks/", VIEW),
    case(
        "points:rulebook_list",
        "/points/rulebooks/",
        {ADMIN, OFFICER},
        method="post",
        data={"unit": "530326102202", "name": "白雾村积分细则"},
    ),
    case("points:rulebook_detail", "/points/rulebooks/{pt_rulebook_in}/", VIEW),
    case("points:rulebook_detail", "/points/rulebooks/{pt_rulebook_out}/", OUT),
    case("points:version_draft", "/points/rulebooks/{pt_rulebook_in}/draft/", RULEBOOK, method="post"),
    case("points:version_draft", "/points/rulebooks/{pt_rulebook_out}/draft/", {ADMIN}, method="post"),
    case(
        "points:item_save",
        "/points/versions/{pt_draft_in}/items/",
        RULEBOOK,
        method="post",
        data={
            "code": "tidy",
            "name": "庭院整洁",
            "direction": "credit",
            "points": "3",
            "applicants": "resident",
        },
    ),
    case("points:version_publish", "/points/versions/{pt_draft_in}/publish/", RULEBOOK, method="post"),
    case("points:store_list", "/points/stores/", VIEW),
    case(
        "points:store_list",
        "/points/stores/",
        RULEBOOK,
        method="post",
        data={"unit": "530326102201", "name": "二号积分超市"},
    ),
    case("points:store_detail", "/points/stores/{pt_store_in}/", VIEW),
    case("points:store_detail", "/points/stores/{pt_store_out}/", OUT),
    case(
        "points:window_add",
        "/points/stores/{pt_store_in}/windows/",
        RULEBOOK,
        method="post",
        data={"opens_on": "2030-03-25", "closes_on": "2030-03-31"},
    ),
    case(
        "points:goods_create",
        "/points/stores/{pt_store_in}/goods/",
        RULEBOOK | STORE,
        method="post",
        data={"name": "肥皂", "price": "5", "stock": "10"},
    ),
    case("points:counter", "/points/stores/{pt_store_in}/counter/?q=PT-1", STORE),
    case("points:counter", "/points/stores/{pt_store_out}/counter/", {ADMIN}),
    case("points:reconciliation", "/points/stores/{pt_store_in}/reconciliation/", VIEW),
    case("points:reconciliation", "/points/stores/{pt_store_out}/reconciliation/", OUT),
    case(
        "points:goods_stock",
        "/points/goods/{pt_goods_in}/stock/",
        STORE,
        method="post",
        data={"action": "restock", "quantity": "5"},
    ),
    case("points:receipt", "/points/redemptions/{pt_redemption_in}/", VIEW),
    case("points:receipt", "/points/redemptions/{pt_redemption_out}/", OUT),
    case(
        "points:redemption_hand_over", "/points/redemptions/{pt_reserved_in}/hand-over/", STORE, method="post"
    ),
    case(
        "points:redemption_cancel",
        "/points/redemptions/{pt_redemption_in}/cancel/",
        STORE,
        method="post",
        data={"reason": "退货"},
    ),
    case("points:activity_list", "/points/activities/", VIEW),
    case(
        "points:activity_list",
        "/points/activities/",
        RULEBOOK,
        method="post",
        data={
            "unit": "530326102201",
            "title": "清扫村道",
            "starts_at": f"{TOMORROW}T09:00",
            "ends_at": f"{TOMORROW}T11:00",
        },
    ),
    case("points:activity_detail", "/points/activities/{pt_activity_in}/", VIEW | {RESIDENT}),
    case("points:activity_detail", "/points/activities/{pt_activity_out}/", OUT),
    case(
        "points:activity_signup",
        "/points/activities/{pt_activity_in}/signup/?resident={pt_resident_in}",
        APPLY | {RESIDENT},
        method="post",
    ),
    case(
        "points:signup_action",
        "/points/signups/{pt_signup_in}/",
        RULEBOOK,
        method="post",
        data={"action": "check_in"},
    ),
    case("points:board", "/points/board/", VIEW),
    case("points:my", "/points/my/", {RESIDENT}),
    case("points:shop", "/points/my/shop/", {RESIDENT}),
    case(
        "points:my_hours",
        "/points/my/hours/",
        {RESIDENT},
        method="post",
        data={"action": "convert", "hours": "1"},
    ),
]

ACCOUNT_API = "/api/points/accounts/{account_id}"
AWARD_API = "POST /api/points/households/{household_id}/awards"
API = [
    case("GET /api/points/accounts", "/api/points/accounts", VIEW),
    case(f"GET {ACCOUNT_API}", "/api/points/accounts/{pt_account_in}", VIEW),
    case(f"GET {ACCOUNT_API}", "/api/points/accounts/{pt_account_out}", OUT),
    case(f"GET {ACCOUNT_API}/ledger", "/api/points/accounts/{pt_account_in}/ledger", VIEW),
    case(
        AWARD_API,
        "/api/points/households/{pt_household_in}/awards",
        APPROVE,
        method="post",
        data={"amount": 5, "reason": "测试", "idempotency_key": "matrix-1"},
    ),
    case(
        AWARD_API,
        "/api/points/households/{pt_household_out}/awards",
        {ADMIN},
        method="post",
        data={"amount": 5, "reason": "测试", "idempotency_key": "matrix-2"},
    ),
    case("GET /api/points/stores/{store_id}/goods", "/api/points/stores/{pt_store_in}/goods", VIEW),
    case("GET /api/points/stores/{store_id}/goods", "/api/points/stores/{pt_store_out}/goods", OUT),
    case(
        "POST /api/points/goods/{goods_id}/redemptions",
        "/api/points/goods/{pt_goods_in}/redemptions",
        STORE,
        method="post",
        data={"household_number": "PT-1", "quantity": 1},
    ),
    case(
        "POST /api/points/goods/{goods_id}/redemptions",
        "/api/points/goods/{pt_goods_out}/redemptions",
        {ADMIN},
        method="post",
        data={"household_number": "PT-2", "quantity": 1},
    ),
]

# The village's public honour board needs no login.
PUBLIC_PAGES = {"points:public_board"}


def records(t: dict[str, Any], users: dict[str, Any]) -> dict[str, int]:
    """The objects the rows above name, made through the services."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from apps.accounts.choices import UserKind
    from apps.accounts.models import User
    from apps.people import services as people
    from apps.points import services
    from apps.points.choices import Applicant, Direction, Evidence

    admin, cadre, keeper = users[ADMIN], users[CADRE], users[KEEPER]
    today = timezone.localdate()
    every = [Applicant.RESIDENT, Applicant.GRIDDER, Applicant.CADRE]

    def rulebook(unit: Any) -> Any:
        book = services.rulebook_create(actor=admin, unit=unit, name=f"{unit}积分细则")
        version = book.versions.get()
        services.item_save(
            actor=admin,
            version=version,
            code="garbage",
            name="垃圾分类",
            direction=Direction.CREDIT,
            points=5,
            applicants=every,
            evidence=Evidence.NONE,
        )
        services.version_publish(actor=admin, version=version)
        return book

    book_in, book_out = rulebook(t["v11"]), rulebook(t["v21"])
    draft = services.version_draft(actor=admin, rulebook=book_in, note="修订")
    homes = []
    for unit, number, name in ((t["v11"], "PT-1", "积分甲"), (t["v21"], "PT-2", "积分乙")):
        household = people.household_create(
            actor=admin, unit=unit, number=number, address=f"积分测试 {number}"
        )
        resident = people.resident_create(actor=admin, household=household, name=name, relation="head")
        homes.append((household, resident))
    (h_in, r_in), (h_out, _r_out) = homes
    # The matrix's resident login finds a villager of 娜姑村 by its phone (unless another module's
    # records link it to one explicitly, which wins): its own pages open, nobody else's objects.
    spare = people.household_create(actor=admin, unit=t["v11"], number="PT-3", address="积分测试 PT-3")
    people.resident_create(actor=admin, household=spare, name="积分丙", relation="head", phone="13800000001")
    # A villager of our own, owning the pre-order below.
    own_login = User.objects.create_user("pt_villager", None, kind=UserKind.RESIDENT, phone="13800000077")
    people.resident_link_account(actor=None, resident=r_in, account=own_login)

    item_in = book_in.current_version().items.get(code="garbage")
    item_out = book_out.current_version().items.get(code="garbage")
    photo = SimpleUploadedFile("p.png", b"\x89PNG\r\n\x1a\n" + b"0" * 32, content_type="image/png")
    app_in = services.application_submit(
        actor=cadre, household=h_in, item=item_in, occurred_on=today, photo=photo
    )
    app_out = services.application_submit(actor=admin, household=h_out, item=item_out, occurred_on=today)
    approved = services.application_submit(actor=cadre, household=h_in, item=item_in, occurred_on=today)
    services.application_approve(actor=keeper, application=approved)
    rejected = services.application_submit(actor=admin, household=h_in, item=item_in, occurred_on=today)
    services.application_reject(actor=keeper, application=rejected, reason="重复申请")

    entry_in = services.points_award(
        actor=admin, household=h_in, amount=500, reason="测试", idempotency_key="pt-in"
    )
    entry_out = services.points_award(
        actor=admin, household=h_out, amount=500, reason="测试", idempotency_key="pt-out"
    )

    stores = []
    for unit in (t["v11"], t["v21"]):
        store = services.store_create(actor=admin, unit=unit, name="积分超市")
        services.window_add(
            actor=admin,
            store=store,
            opens_on=today - datetime.timedelta(days=1),
            closes_on=today + datetime.timedelta(days=3),
        )
        goods = services.goods_save(actor=admin, store=store, name="洗衣液", price=10, initial_stock=50)
        stores.append((store, goods))
    (store_in, goods_in), (store_out, goods_out) = stores
    redemption_in = services.redemption_create(
        actor=admin, store=store_in, goods=goods_in, account=entry_in.account, quantity=1
    )
    redemption_out = services.redemption_create(
        actor=admin, store=store_out, goods=goods_out, account=entry_out.account, quantity=1
    )
    reserved = services.redemption_preorder(actor=own_login, goods=goods_in, quantity=1)

    now = timezone.now()
    activities = [
        services.activity_create(
            actor=who,
            unit=unit,
            title="志愿服务",
            starts_at=now - datetime.timedelta(minutes=30),
            ends_at=now + datetime.timedelta(hours=2),
        )
        for who, unit in ((cadre, t["v11"]), (admin, t["v21"]))
    ]
    signup = services.signup_create(actor=own_login, activity=activities[0], resident=r_in)
    return {
        "pt_app_in": app_in.pk,
        "pt_app_out": app_out.pk,
        "pt_app_approved": approved.pk,
        "pt_app_rejected": rejected.pk,
        "pt_account_in": entry_in.account_id,
        "pt_account_out": entry_out.account_id,
        "pt_entry_in": entry_in.pk,
        "pt_rulebook_in": book_in.pk,
        "pt_rulebook_out": book_out.pk,
        "pt_draft_in": draft.pk,
        "pt_store_in": store_in.pk,
        "pt_store_out": store_out.pk,
        "pt_goods_in": goods_in.pk,
        "pt_goods_out": goods_out.pk,
        "pt_redemption_in": redemption_in.pk,
        "pt_redemption_out": redemption_out.pk,
        "pt_reserved_in": reserved.pk,
        "pt_activity_in": activities[0].pk,
        "pt_activity_out": activities[1].pk,
        "pt_signup_in": signup.pk,
        "pt_resident_in": r_in.pk,
        "pt_household_in": h_in.pk,
        "pt_household_out": h_out.pk,
    }
