"""Demo data of the 积分制 module, in the demo township: a township-wide rulebook in two versions
(the second raises 垃圾分类, so earlier awards keep the old value), a quarter's applications in the
demo village at every state (granted after the keeper's and the supervisor's signatures, rejected,
appealed, waiting for either signature), direct awards in the township's other villages, a points
store with goods, an opening window this week and one at the quarter's end, counter redemptions
and a phone pre-order by the demo resident, and a volunteer activity whose hours were verified,
partly converted to points and partly given to family.

Everything goes through apps.points.services with the role that would do it in life (the demo
keeper approves, the supervisor countersigns, the shopkeeper redeems; the county admin stands in
where the demo has no such person), so the audit trail is real. Idempotent: a township that already
has a rulebook is left alone. Deterministic: every draw comes from one Random seeded from ctx.rng.
"""

from __future__ import annotations

import datetime
import random
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.core.errors import ApplicationError
from apps.people.choices import ResidentStatus
from apps.people.models import Household, Resident
from apps.people.selectors import resident_of
from apps.points import services
from apps.points.choices import Applicant, Direction, Evidence, LimitPeriod
from apps.points.models import Rulebook
from apps.territory.paths import subtree_q

if TYPE_CHECKING:
    from apps.demo.loader import DemoContext

R, G, C = Applicant.RESIDENT, Applicant.GRIDDER, Applicant.CADRE
# code, name, category, direction, points, limit per month, evidence, who may apply
ITEMS: list[tuple[str, str, str, str, int, int | None, str, list[str]]] = [
    ("garbage", "垃圾分类", "人居环境", Direction.CREDIT, 5, 4, Evidence.NONE, [R, G, C]),
    ("courtyard", "庭院整洁", "人居环境", Direction.CREDIT, 5, 2, Evidence.PHOTO, [R, G, C]),
    ("volunteer", "志愿服务", "志愿服务", Direction.CREDIT, 10, None, Evidence.NOTE, [R, G, C]),
    (
        "customs",
        "移风易俗（婚事新办、丧事简办）",
        "移风易俗",
        Direction.CREDIT,
        20,
        None,
        Evidence.NOTE,
        [G, C],
    ),
    ("filial", "孝老爱亲", "文明乡风", Direction.CREDIT, 10, 1, Evidence.NOTE, [G, C]),
    ("meeting", "参加村民会议", "基层治理", Direction.CREDIT, 3, 2, Evidence.NONE, [G, C]),
    ("heroism", "见义勇为", "文明乡风", Direction.CREDIT, 50, None, Evidence.NOTE, [C]),
    ("dumping", "乱堆乱放", "人居环境", Direction.DEBIT, 10, None, Evidence.PHOTO, [G, C]),
    ("illegal-build", "违规建房", "基层治理", Direction.DEBIT, 50, None, Evidence.NOTE, [C]),
    ("gambling", "聚众赌博", "文明乡风", Direction.DEBIT, 30, None, Evidence.NOTE, [C]),
]
NOTES = ["按时参加", "经网格员核实", "群众反映属实", "有照片为证", "村民小组长证明"]
GOODS = [("洗衣液", 30, "瓶", 60), ("肥皂", 10, "块", 120), ("牙膏", 12, "支", 80), ("毛巾", 15, "条", 80),
         ("食用油", 80, "桶", 20), ("大米（10斤）", 100, "袋", 15)]  # fmt: skip
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # a placeholder photo for items that need one


def _photo() -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("现场照片.png", PNG, content_type="image/png")


def _households(village: Any, count: int) -> list[Household]:
    return list(
        Household.objects.filter(subtree_q(village.code, "unit__code"), is_active=True, head__isnull=False)
        .select_related("unit__parent", "head")
        .order_by("id")[:count]
    )


def _rulebook(ctx: DemoContext, keeper_of_rules: User) -> Rulebook:
    rulebook = services.rulebook_create(
        actor=keeper_of_rules,
        unit=ctx.home,
        name=f"{ctx.home.display_name}乡村振兴积分制管理实施细则",
        points_per_hour=10,
    )
    first = rulebook.versions.get()
    for order, (code, name, category, direction, points, limit, evidence, who) in enumerate(ITEMS):
        services.item_save(
            actor=keeper_of_rules,
            version=first,
            code=code,
            name=name,
            category=category,
            direction=direction,
            points=points if code != "garbage" else 3,  # version 1 paid 3 for sorting rubbish
            limit_count=limit,
            limit_period=LimitPeriod.MONTH,
            evidence=evidence,
            applicants=who,
            order=order,
        )
    start = ctx.today - datetime.timedelta(days=120)
    services.version_publish(actor=keeper_of_rules, version=first, effective_from=start)
    return rulebook


def _revise(ctx: DemoContext, rulebook: Rulebook, keeper_of_rules: User) -> None:
    draft = services.version_draft(actor=keeper_of_rules, rulebook=rulebook, note="垃圾分类由 3 分调为 5 分")
    garbage = next(i for i in ITEMS if i[0] == "garbage")
    code, name, category, direction, points, limit, evidence, who = garbage
    services.item_save(
        actor=keeper_of_rules,
        version=draft,
        code=code,
        name=name,
        category=category,
        direction=direction,
        points=points,
        limit_count=limit,
        evidence=evidence,
        applicants=who,
        order=0,
    )
    services.version_publish(
        actor=keeper_of_rules, version=draft, effective_from=ctx.today - datetime.timedelta(days=30)
    )


def load(ctx: DemoContext) -> dict[str, int]:
    if Rulebook.objects.filter(unit=ctx.home).exists():
        return {}
    rng = random.Random(ctx.rng.getrandbits(64))
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=["keeper", "supervisor", "shopkeeper", "gridder", "cadre", "township", "resident"]
        )
    }
    admin = ctx.admin
    keeper, supervisor = users.get("keeper", admin), users.get("supervisor", admin)
    shopkeeper, gridder = users.get("shopkeeper", admin), users.get("gridder", admin)
    officer, cadre = users.get("township", admin), users.get("cadre", admin)
    counts = {"points_rulebooks": 1}
    with transaction.atomic():
        rulebook = _rulebook(ctx, officer)
        village = ctx.demo_village
        households = _households(village, 30)
        items = {i.code: i for i in rulebook.current_version().items.all()}

        # Last quarter under version 1: a few applications granted at the old value.
        early = 0
        for household in households[:6]:
            app = services.application_submit(
                actor=gridder,
                household=household,
                item=items["garbage"],
                occurred_on=ctx.today - datetime.timedelta(days=rng.randint(35, 60)),
            )
            services.application_approve(actor=keeper, application=app)
            services.application_countersign(actor=supervisor, application=app)
            early += 1
        _revise(ctx, rulebook, officer)
        items = {i.code: i for i in rulebook.current_version().items.all()}

        applications = early
        credit_codes = ["garbage", "garbage", "courtyard", "volunteer", "filial", "meeting", "customs"]
        for index, household in enumerate(households):
            for _ in range(rng.randint(1, 3)):
                code = (
                    rng.choice(credit_codes)
                    if rng.random() > 0.12
                    else rng.choice(["dumping", "illegal-build"])
                )
                item = items[code]
                try:
                    app = services.application_submit(
                        actor=gridder if G in item.applicants else cadre,
                        household=household,
                        item=item,
                        occurred_on=ctx.today - datetime.timedelta(days=rng.randint(0, 28)),
                        note=rng.choice(NOTES),
                        photo=_photo() if item.evidence in (Evidence.PHOTO, Evidence.PHOTO_NOTE) else None,
                    )
                except ApplicationError:
                    continue  # a limit reached or an applicant the item does not accept: life
                applications += 1
                fate = rng.random()
                if index % 13 == 5:
                    continue  # waiting for the keeper
                if fate < 0.08:
                    services.application_reject(
                        actor=keeper, application=app, reason="证明材料不足，请补充照片"
                    )
                    if rng.random() < 0.5:
                        services.application_appeal(actor=gridder, application=app, reason="已补充现场照片")
                    continue
                services.application_approve(actor=keeper, application=app)
                if fate < 0.15:
                    continue  # waiting for the supervisor
                services.application_countersign(actor=supervisor, application=app)
        counts["points_applications"] = applications

        # The demo resident applies for their own household too (one still waiting).
        resident_user = users.get("resident")
        me = resident_of(resident_user) if resident_user else None
        if me is not None:
            mine = services.application_submit(
                actor=resident_user, item=items["garbage"], occurred_on=ctx.today
            )
            services.application_approve(actor=keeper, application=mine)
            services.application_countersign(actor=supervisor, application=mine)
            services.points_award(
                actor=keeper,
                household=me.household,
                amount=60,
                reason="季度人居环境评比第一名",
                idempotency_key=f"demo:{me.household_id}:award",
            )
            services.application_submit(
                actor=resident_user, item=items["volunteer"], occurred_on=ctx.today, note="帮邻居收玉米"
            )
            counts["points_applications"] += 2

        # The township's other villages: awards booked by the county admin (no keeper there yet).
        awards = 0
        for other in [v for v in ctx.villages[ctx.home.pk] if v.pk != village.pk][:3]:
            for household in _households(other, 15):
                services.points_award(
                    actor=admin,
                    household=household,
                    item_code=rng.choice(["garbage", "volunteer", "meeting"]),
                    idempotency_key=f"demo:award:{household.pk}",
                )
                awards += 1
        counts["points_awards"] = awards

        # The village store: open this week and at the quarter's end.
        store = services.store_create(
            actor=officer, unit=village, name=f"{village.display_name}积分超市", address="村委会一楼"
        )
        services.window_add(
            actor=officer,
            store=store,
            opens_on=ctx.today - datetime.timedelta(days=2),
            closes_on=ctx.today + datetime.timedelta(days=4),
            note="本周集中兑换",
        )
        quarter_end = services.period_bounds(ctx.today, LimitPeriod.QUARTER)[1] - datetime.timedelta(days=1)
        last_week = quarter_end - datetime.timedelta(days=6)
        if last_week > ctx.today + datetime.timedelta(days=4):
            services.window_add(
                actor=officer, store=store, opens_on=last_week, closes_on=quarter_end, note="季度末开放"
            )
        goods = [
            services.goods_save(
                actor=shopkeeper, store=store, name=name, price=price, unit_label=unit, initial_stock=stock
            )
            for name, price, unit, stock in GOODS
        ]
        redemptions = 0
        for household in households:
            account = services.account_lookup(household=household)[1]
            if account is None or account.balance < 10:
                continue
            affordable = [g for g in goods if g.price <= account.balance]
            if not affordable or rng.random() < 0.4:
                continue
            choice = rng.choice(affordable)
            services.redemption_create(
                actor=shopkeeper, store=store, goods=choice, account=account, redeemer=household.head
            )
            redemptions += 1
        services.goods_restock(actor=shopkeeper, goods=goods[0], quantity=24, note="乡镇统一配送")
        soap = type(goods[1]).objects.get(pk=goods[1].pk)
        services.goods_stocktake(
            actor=shopkeeper, goods=soap, counted=max(soap.stock - 1, 0), note="破损一块"
        )
        if me is not None:
            services.redemption_preorder(actor=resident_user, goods=goods[1], quantity=2)
            redemptions += 1
        counts["points_redemptions"] = redemptions

        # Time bank: a river clean-up going on now, hours verified for most volunteers.
        now = timezone.now()
        activity = services.activity_create(
            actor=officer,
            unit=village,
            title="河道清理志愿活动",
            place="村口小河",
            starts_at=now - datetime.timedelta(hours=3),
            ends_at=now + datetime.timedelta(hours=1),
            capacity=20,
        )
        volunteers = list(
            Resident.objects.filter(
                household__in=households[:12], status=ResidentStatus.ACTIVE, relation="head"
            ).order_by("id")[:8]
        )
        if me is not None and me not in volunteers:
            volunteers.append(me)
        for person in volunteers:
            signup = services.signup_create(actor=admin, activity=activity, resident=person)
            services.signup_check_in(actor=officer, signup=signup)
            services.signup_check_out(actor=officer, signup=signup)
            services.signup_verify(actor=officer, signup=signup, hours=rng.choice([2, 2.5, 3]))
        if me is not None:
            family = [r for r in me.household.members.filter(status=ResidentStatus.ACTIVE) if r.pk != me.pk]
            services.hours_convert(actor=resident_user, resident=me, hours=1)
            if family:
                services.hours_transfer(
                    actor=resident_user, from_resident=me, to_resident=family[0], hours=0.5
                )
        services.activity_create(
            actor=officer,
            unit=village,
            title="敬老院探访",
            place="镇敬老院",
            starts_at=now + datetime.timedelta(days=3),
            ends_at=now + datetime.timedelta(days=3, hours=3),
            capacity=15,
        )
        counts["points_volunteers"] = len(volunteers)
    return counts
