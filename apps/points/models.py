"""Data of the 积分制 module: rulebooks and their versions, applications, the points ledger, the
points store (积分超市), the time bank (时间银行).

Money-like invariants live in the database: an account's cached balance can never go below zero,
a ledger row is never updated or deleted (model guards here, triggers in migration 0002), every
ledger row carries a unique idempotency key, and an application's countersigner can never be its
approver nor its approver its applicant.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from .choices import (
    AccountBasis,
    ActivityStatus,
    Applicant,
    ApplicationStatus,
    Direction,
    EntryKind,
    Evidence,
    HourKind,
    LimitPeriod,
    RedemptionChannel,
    RedemptionStatus,
    StockKind,
    VersionStatus,
)


class AppendOnlyError(RuntimeError):
    pass


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("账目只能追加，不能修改；更正请做冲正。")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("账目只能追加，不能删除；更正请做冲正。")


class AppendOnly(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("账目只能追加，不能修改；更正请做冲正。")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("账目只能追加，不能删除；更正请做冲正。")


# --- Rulebook ------------------------------------------------------------------------------------


class Rulebook(models.Model):
    """A village's (or a township's, for all its villages) points rulebook and points policy."""

    unit = models.ForeignKey(
        "territory.Unit", verbose_name="适用范围", on_delete=models.PROTECT, related_name="rulebooks"
    )
    name = models.CharField("名称", max_length=80)
    account_basis = models.CharField(
        "记分方式", max_length=10, choices=AccountBasis.choices, default=AccountBasis.HOUSEHOLD
    )
    publish_warning_names = models.BooleanField(
        "黑榜公开姓名", default=False, help_text="村规民约明确同意时才在公开页显示黑榜姓名"
    )
    points_per_hour = models.PositiveSmallIntegerField("志愿时长折算（分/小时）", default=10)
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_path = "unit__code"
    audit_exclude = frozenset({"created_at"})

    class Meta:
        verbose_name = "积分细则"
        verbose_name_plural = "积分细则"
        ordering = ["unit__code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["unit"], condition=Q(is_active=True), name="rulebook_one_active"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scope_value(self) -> str:
        return self.unit.code

    def current_version(self) -> RulebookVersion | None:
        return self.versions.filter(status=VersionStatus.PUBLISHED).order_by("-number").first()


class RulebookVersion(models.Model):
    """A numbered version of a rulebook. Items are edited only while it is a draft; publishing
    freezes it, so an award always points at the exact item text and points it was granted under."""

    rulebook = models.ForeignKey(Rulebook, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField("版本号")
    status = models.CharField(
        "状态", max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    effective_from = models.DateField("生效日期", null=True, blank=True)
    note = models.CharField("修订说明", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    scope_path = "rulebook__unit__code"
    audit_exclude = frozenset({"created_at"})

    class Meta:
        verbose_name = "细则版本"
        verbose_name_plural = "细则版本"
        ordering = ["rulebook_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["rulebook", "number"], name="version_unique_number"),
            models.UniqueConstraint(
                fields=["rulebook"], condition=Q(status="draft"), name="version_one_draft"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rulebook.name} 第{self.number}版"

    @property
    def scope_value(self) -> str:
        return self.rulebook.unit.code


class RuleItem(models.Model):
    """A credit or debit item of one rulebook version. `code` stays the same across versions."""

    version = models.ForeignKey(RulebookVersion, on_delete=models.PROTECT, related_name="items")
    code = models.SlugField("代码", max_length=40)
    name = models.CharField("项目", max_length=60)
    category = models.CharField("类别", max_length=30, blank=True)
    direction = models.CharField("类型", max_length=8, choices=Direction.choices)
    points = models.PositiveIntegerField("分值")
    limit_count = models.PositiveSmallIntegerField("次数上限", null=True, blank=True)
    limit_period = models.CharField(
        "上限周期", max_length=10, choices=LimitPeriod.choices, default=LimitPeriod.MONTH
    )
    evidence = models.CharField("所需材料", max_length=12, choices=Evidence.choices, default=Evidence.NONE)
    applicants = models.JSONField("可申请人", default=list)
    description = models.CharField("说明", max_length=200, blank=True)
    order = models.PositiveSmallIntegerField("排序", default=100)

    scope_path = "version__rulebook__unit__code"

    class Meta:
        verbose_name = "积分项目"
        verbose_name_plural = "积分项目"
        ordering = ["version_id", "direction", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="item_unique_code_in_version"),
            models.CheckConstraint(condition=Q(points__gt=0), name="item_points_positive"),
        ]

    def __str__(self) -> str:
        sign = "+" if self.direction == Direction.CREDIT else "−"
        return f"{self.name}（{sign}{self.points}）"

    @property
    def scope_value(self) -> str:
        return self.version.rulebook.unit.code

    @property
    def signed_points(self) -> int:
        return self.points if self.direction == Direction.CREDIT else -self.points

    def allows(self, applicant: str) -> bool:
        return applicant in (self.applicants or [])

    @property
    def applicant_labels(self) -> str:
        labels = dict(Applicant.choices)
        return "、".join(str(labels.get(a, a)) for a in self.applicants or [])


# --- Accounts and the ledger ---------------------------------------------------------------------


class Account(models.Model):
    """A points account: a household's (default) or one person's. `balance` is a cache of the sum
    of its ledger, guarded non-negative by the database and checked by `selectors.ledger_verify`."""

    village = models.ForeignKey(
        "territory.Unit", verbose_name="村（社区）", on_delete=models.PROTECT, related_name="+"
    )
    household = models.OneToOneField(
        "people.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="points_account"
    )
    resident = models.OneToOneField(
        "people.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="points_account"
    )
    balance = models.IntegerField("余额", default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope_path = "village__code"
    audit_exclude = frozenset({"created_at", "updated_at"})

    class Meta:
        verbose_name = "积分账户"
        verbose_name_plural = "积分账户"
        ordering = ["village__code", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="account_balance_not_negative"),
            models.CheckConstraint(
                condition=(Q(household__isnull=False) & Q(resident__isnull=True))
                | (Q(household__isnull=True) & Q(resident__isnull=False)),
                name="account_one_holder",
            ),
        ]

    def __str__(self) -> str:
        return self.holder_label

    @property
    def scope_value(self) -> str:
        return self.village.code

    @property
    def holder_label(self) -> str:
        if self.household_id is not None:
            head = self.household.head  # type: ignore[union-attr]
            return f"{head.name if head else '户'}户（{self.household.number}）"  # type: ignore[union-attr]
        return self.resident.name  # type: ignore[union-attr]


class LedgerEntry(AppendOnly):
    """One movement of points. Never edited: a correction is a reversing entry (`reverses`).

    `amount` is what the balance moved; for a debit item on an account with too little left it is
    what could be taken, and `nominal` keeps what the rulebook said (the warning board counts it).
    """

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField("类型", max_length=12, choices=EntryKind.choices)
    amount = models.IntegerField("变动")
    nominal = models.IntegerField("应计分值")
    balance_after = models.IntegerField("变动后余额")
    reason = models.CharField("事由", max_length=200)
    at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    idempotency_key = models.CharField(max_length=120, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The cause: typed where this module knows it, generic ("cases.case", "42") for other modules.
    item = models.ForeignKey(RuleItem, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    application = models.OneToOneField(
        "points.Application", null=True, blank=True, on_delete=models.PROTECT, related_name="entry"
    )
    redemption = models.ForeignKey(
        "points.Redemption", null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    cause_type = models.CharField(max_length=40, blank=True)
    cause_id = models.CharField(max_length=64, blank=True)

    scope_path = "account__village__code"

    class Meta:
        verbose_name = "积分账目"
        verbose_name_plural = "积分账目"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["account", "at"], name="ledger_account_at"),
            models.Index(fields=["cause_type", "cause_id"], name="ledger_cause"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="ledger_balance_after_not_negative"
            ),
            # A debit on an empty account moves nothing but is still recorded (nominal < 0).
            models.CheckConstraint(condition=~Q(amount=0) | Q(kind="debit"), name="ledger_amount_not_zero"),
            models.CheckConstraint(
                condition=Q(kind__in=["credit", "conversion"], amount__gt=0)
                | Q(kind__in=["debit", "redemption", "expiry"], amount__lte=0)
                | Q(kind="reversal", reverses__isnull=False),
                name="ledger_sign_by_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind="debit", nominal__lt=0, amount__gte=F("nominal")) | ~Q(kind="debit"),
                name="ledger_debit_within_nominal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount:+d}"

    @property
    def scope_value(self) -> str:
        return self.account.village.code


# --- Applications --------------------------------------------------------------------------------


class Application(models.Model):
    """An application for a rulebook item, by a resident or by staff on their behalf, approved by
    the points keeper and countersigned by a supervisor (two different people)."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="applications")
    resident = models.ForeignKey(
        "people.Resident",
        verbose_name="当事人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    item = models.ForeignKey(RuleItem, verbose_name="积分项目", on_delete=models.PROTECT, related_name="+")
    occurred_on = models.DateField("发生日期")
    note = models.CharField("情况说明", max_length=500, blank=True)
    photo = models.FileField("照片", upload_to="points/%Y/%m/", blank=True)
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    applicant_kind = models.CharField("申请人", max_length=10, choices=Applicant.choices)
    status = models.CharField(
        "状态", max_length=10, choices=ApplicationStatus.choices, default=ApplicationStatus.SUBMITTED
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    countersigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    countersigned_at = models.DateTimeField(null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rejected_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.CharField("驳回理由", max_length=200, blank=True)
    appeal_reason = models.CharField("申诉理由", max_length=200, blank=True)
    appealed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_path = "account__village__code"
    audit_exclude = frozenset({"created_at"})

    class Meta:
        verbose_name = "积分申请"
        verbose_name_plural = "积分申请"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="application_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(countersigned_by__isnull=True) | ~Q(countersigned_by=F("approved_by")),
                name="application_two_people",
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("applicant")),
                name="application_no_self_approval",
            ),
            models.CheckConstraint(
                condition=~Q(status="granted") | Q(countersigned_by__isnull=False, approved_by__isnull=False),
                name="application_granted_signed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.name} · {self.account}"

    @property
    def scope_value(self) -> str:
        return self.account.village.code


# --- Points store (积分超市) -----------------------------------------------------------------------


class Store(models.Model):
    unit = models.ForeignKey(
        "territory.Unit",
        verbose_name="所属村（乡镇）",
        on_delete=models.PROTECT,
        related_name="points_stores",
    )
    name = models.CharField("名称", max_length=60)
    address = models.CharField("地址", max_length=120, blank=True)
    is_active = models.BooleanField("营业", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_path = "unit__code"
    audit_exclude = frozenset({"created_at"})

    class Meta:
        verbose_name = "积分超市"
        verbose_name_plural = "积分超市"
        ordering = ["unit__code", "name"]
        constraints = [models.UniqueConstraint(fields=["unit", "name"], name="store_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def scope_value(self) -> str:
        return self.unit.code


class OpeningWindow(models.Model):
    """Days the store opens for redemption (沾化: the last week of each quarter), inclusive."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="windows")
    opens_on = models.DateField("开放日期")
    closes_on = models.DateField("结束日期")
    note = models.CharField("说明", max_length=60, blank=True)

    scope_path = "store__unit__code"

    class Meta:
        verbose_name = "开放时段"
        verbose_name_plural = "开放时段"
        ordering = ["store_id", "opens_on"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_on__gte=F("opens_on")), name="window_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.opens_on:%m月%d日}–{self.closes_on:%m月%d日}"

    @property
    def scope_value(self) -> str:
        return self.store.unit.code


class Goods(models.Model):
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="goods")
    name = models.CharField("名称", max_length=60)
    unit_label = models.CharField("单位", max_length=6, default="件")
    price = models.PositiveIntegerField("兑换积分")
    stock = models.IntegerField("库存", default=0)
    photo = models.FileField("图片", upload_to="points/goods/", blank=True)
    is_active = models.BooleanField("上架", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_path = "store__unit__code"
    audit_exclude = frozenset({"created_at"})

    class Meta:
        verbose_name = "商品"
        verbose_name_plural = "商品"
        ordering = ["store_id", "price", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(stock__gte=0), name="goods_stock_not_negative"),
            models.CheckConstraint(condition=Q(price__gt=0), name="goods_price_positive"),
            models.UniqueConstraint(fields=["store", "name"], name="goods_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scope_value(self) -> str:
        return self.store.unit.code


class Redemption(models.Model):
    """Goods handed over (or reserved by a phone pre-order) for points; one receipt."""

    receipt_no = models.CharField("小票号", max_length=24, unique=True)
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="redemptions")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="redemptions")
    goods = models.ForeignKey(Goods, on_delete=models.PROTECT, related_name="redemptions")
    quantity = models.PositiveIntegerField("数量")
    unit_price = models.PositiveIntegerField("单价")
    points = models.PositiveIntegerField("积分")
    channel = models.CharField("方式", max_length=10, choices=RedemptionChannel.choices)
    status = models.CharField("状态", max_length=10, choices=RedemptionStatus.choices)
    redeemer = models.ForeignKey(
        "people.Resident",
        verbose_name="领取人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handed_over_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    scope_path = "store__unit__code"

    class Meta:
        verbose_name = "兑换记录"
        verbose_name_plural = "兑换记录"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="redemption_quantity_positive"),
            models.CheckConstraint(
                condition=Q(points=F("quantity") * F("unit_price")), name="redemption_points_match"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.receipt_no} {self.goods.name}×{self.quantity}"

    @property
    def scope_value(self) -> str:
        return self.store.unit.code


class StockMovement(AppendOnly):
    """Every change of a goods' stock, with the points value at the time (for reconciliation)."""

    goods = models.ForeignKey(Goods, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField("类型", max_length=12, choices=StockKind.choices)
    delta = models.IntegerField("数量变动")
    stock_after = models.IntegerField("变动后库存")
    unit_price = models.PositiveIntegerField("单价")
    redemption = models.ForeignKey(
        Redemption, null=True, blank=True, on_delete=models.PROTECT, related_name="movements"
    )
    note = models.CharField("说明", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now, db_index=True)

    scope_path = "goods__store__unit__code"

    class Meta:
        verbose_name = "库存变动"
        verbose_name_plural = "库存变动"
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(stock_after__gte=0), name="movement_stock_after_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.delta:+d}"


# --- Time bank (时间银行) ---------------------------------------------------------------------------


class Activity(models.Model):
    """A volunteer activity with sign-up, check-in/out and hours verified by the organiser."""

    unit = models.ForeignKey(
        "territory.Unit", verbose_name="村（社区）", on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField("活动名称", max_length=80)
    description = models.CharField("内容", max_length=500, blank=True)
    place = models.CharField("地点", max_length=80, blank=True)
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间")
    capacity = models.PositiveSmallIntegerField("人数上限", default=30)
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="组织人", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        "状态", max_length=10, choices=ActivityStatus.choices, default=ActivityStatus.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)

    scope_path = "unit__code"
    audit_exclude = frozenset({"created_at"})

    class Meta:
        verbose_name = "志愿活动"
        verbose_name_plural = "志愿活动"
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="activity_ordered"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def scope_value(self) -> str:
        return self.unit.code


class Signup(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="signups")
    resident = models.ForeignKey(
        "people.Resident", verbose_name="志愿者", on_delete=models.PROTECT, related_name="+"
    )
    signed_up_at = models.DateTimeField(default=timezone.now)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_out_at = models.DateTimeField(null=True, blank=True)
    minutes_verified = models.PositiveIntegerField("核定时长（分钟）", null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)

    scope_path = "activity__unit__code"

    class Meta:
        verbose_name = "活动报名"
        verbose_name_plural = "活动报名"
        ordering = ["activity_id", "signed_up_at"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "resident"], name="signup_once"),
            models.CheckConstraint(
                condition=Q(checked_out_at__isnull=True) | Q(checked_in_at__isnull=False),
                name="signup_out_after_in",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity} · {self.resident}"

    @property
    def scope_value(self) -> str:
        return self.activity.unit.code

    @property
    def minutes_attended(self) -> int:
        if self.checked_in_at is None or self.checked_out_at is None:
            return 0
        return max(0, int((self.checked_out_at - self.checked_in_at).total_seconds() // 60))


class HourAccount(models.Model):
    """A person's banked volunteer time, in minutes (cache of the sum of HourEntry)."""

    resident = models.OneToOneField("people.Resident", on_delete=models.PROTECT, related_name="hour_account")
    village = models.ForeignKey("territory.Unit", on_delete=models.PROTECT, related_name="+")
    minutes = models.IntegerField("余额（分钟）", default=0)
    updated_at = models.DateTimeField(auto_now=True)

    scope_path = "village__code"

    class Meta:
        verbose_name = "时间银行账户"
        verbose_name_plural = "时间银行账户"
        constraints = [models.CheckConstraint(condition=Q(minutes__gte=0), name="hours_not_negative")]

    def __str__(self) -> str:
        return f"{self.resident} {self.minutes / 60:.1f} 小时"

    @property
    def scope_value(self) -> str:
        return self.village.code

    @property
    def hours(self) -> float:
        return self.minutes / 60


class HourEntry(AppendOnly):
    account = models.ForeignKey(HourAccount, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField("类型", max_length=20, choices=HourKind.choices)
    minutes = models.IntegerField("变动（分钟）")
    minutes_after = models.IntegerField("变动后（分钟）")
    signup = models.OneToOneField(
        Signup, null=True, blank=True, on_delete=models.PROTECT, related_name="entry"
    )
    counterpart = models.ForeignKey(
        "people.Resident", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField("说明", max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=120, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now, db_index=True)

    scope_path = "account__village__code"

    class Meta:
        verbose_name = "时间银行账目"
        verbose_name_plural = "时间银行账目"
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(minutes=0), name="hour_entry_not_zero"),
            models.CheckConstraint(condition=Q(minutes_after__gte=0), name="hour_entry_after_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.minutes:+d} 分钟"
