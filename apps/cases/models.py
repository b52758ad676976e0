"""Data of the case module (诉求/事件/工单): categories with their SLAs, cases, the timeline,
extensions, whistles (吹哨报到), photos, intake records and in-app notices.

A case's place (`unit`) decides who may see it (the chokepoint scopes on `unit__code`); the body
holding it (`holder_unit` or `holder_org`) decides who acts on it. Department handlers see the
cases their department holds or was whistled to (`org_q`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.core import crypto

from .choices import (
    Action,
    CaseKind,
    Channel,
    ExtensionStatus,
    IntakeKind,
    Rating,
    ResolvedLevel,
    SlaState,
    Status,
    Triage,
    WhistleStatus,
)


class Category(models.Model):
    """A node of the configurable category tree; its SLA applies to the cases filed under it.
    Categories are the Open311 services."""

    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=40)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级类别",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    kind = models.CharField("性质", max_length=12, choices=CaseKind.choices, default=CaseKind.HELP)
    default_triage = models.CharField(
        "默认分流", max_length=10, choices=Triage.choices, default=Triage.MINOR, blank=True
    )
    description = models.CharField("说明", max_length=200, blank=True)
    # Working days allowed per step (0 = the same day, for emergencies).
    accept_days = models.PositiveSmallIntegerField("受理时限（工作日）", default=1)
    sign_days = models.PositiveSmallIntegerField("签收时限（工作日）", default=1)
    reply_days = models.PositiveSmallIntegerField("办理时限（工作日）", default=5)
    return_days = models.PositiveSmallIntegerField("退单时限（工作日）", default=2)
    follow_up_days = models.PositiveSmallIntegerField("回访时限（工作日）", default=3)
    order = models.PositiveSmallIntegerField("排序", default=100)
    is_active = models.BooleanField("启用", default=True)
    updated_at = models.DateTimeField(auto_now=True)

    audit_exclude = frozenset({"updated_at"})

    class Meta:
        verbose_name = "诉求类别"
        verbose_name_plural = "诉求类别"
        ordering = ["order", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(reply_days__lte=365), name="category_reply_days_sane"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def full_name(self) -> str:
        return f"{self.parent.name}／{self.name}" if self.parent_id and self.parent else self.name


class IntakeRecord(models.Model):
    """A reception or meeting where cases were raised: 周一夜访, 来访接待, 百姓夜话/村民说事."""

    kind = models.CharField("类型", max_length=16, choices=IntakeKind.choices)
    unit = models.ForeignKey(
        "territory.Unit", verbose_name="地点", on_delete=models.PROTECT, related_name="+"
    )
    held_on = models.DateField("日期")
    place = models.CharField("场所", max_length=100, blank=True)
    host = models.CharField("主持/接访人", max_length=60, blank=True)
    attendees = models.PositiveIntegerField("参加人数", default=0)
    batches = models.PositiveIntegerField("接访批次", default=0)
    minutes = models.TextField("记录", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    scope_path = "unit__code"

    class Meta:
        verbose_name = "接访/议事记录"
        verbose_name_plural = "接访/议事记录"
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.held_on}"

    @property
    def scope_value(self) -> str:
        return self.unit.code


class Case(models.Model):
    tracking_code = models.CharField("查询码", max_length=16, unique=True)
    channel = models.CharField("渠道", max_length=16, choices=Channel.choices)
    category = models.ForeignKey(
        Category, verbose_name="类别", on_delete=models.PROTECT, related_name="cases"
    )
    kind = models.CharField("性质", max_length=12, choices=CaseKind.choices)
    title = models.CharField("标题", max_length=100)
    description = models.TextField("内容")
    # Where: decides the scope (who may see it).
    unit = models.ForeignKey(
        "territory.Unit", verbose_name="发生地", on_delete=models.PROTECT, related_name="cases"
    )
    grid = models.ForeignKey(
        "territory.Grid",
        verbose_name="网格",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    address = models.CharField("地址", max_length=200, blank=True)
    latitude = models.FloatField("纬度", null=True, blank=True)
    longitude = models.FloatField("经度", null=True, blank=True)
    # Who: the submitter's contact is for staff only; anonymous cases hide it from handlers too.
    submitter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="submitted_cases",
    )
    submitter_name = models.CharField("提交人", max_length=50, blank=True)
    submitter_phone_enc = models.TextField(blank=True, default="")
    submitter_phone_hash = models.CharField(max_length=64, blank=True, default="", db_index=True)
    submitter_phone_tail = models.CharField(max_length=4, blank=True, default="")
    is_anonymous = models.BooleanField("匿名", default=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    intake_record = models.ForeignKey(
        IntakeRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    external_id = models.CharField("外部工单号", max_length=40, blank=True, default="")
    # State.
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.SUBMITTED)
    triage = models.CharField("分流", max_length=10, choices=Triage.choices, blank=True, default="")
    dispatcher_unit = models.ForeignKey(
        "territory.Unit",
        verbose_name="派单单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    holder_unit = models.ForeignKey(
        "territory.Unit",
        verbose_name="承办单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    holder_org = models.ForeignKey(
        "territory.Organisation",
        verbose_name="承办部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="held_cases",
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="签收人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name="主诉求",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name="合并到",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    # Deadlines: the current step's (due_at/warn_at, read by the sweep) and each step's own.
    due_at = models.DateTimeField("当前时限", null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True)
    sla_state = models.CharField(max_length=8, choices=SlaState.choices, default=SlaState.NORMAL)
    was_overdue = models.BooleanField("曾超期", default=False)
    sign_due = models.DateTimeField("签收时限", null=True, blank=True)
    reply_due = models.DateTimeField("办理时限", null=True, blank=True)
    return_until = models.DateTimeField("可退单至", null=True, blank=True)
    # Counters and marks.
    urge_count = models.PositiveSmallIntegerField("督办次数", default=0)
    reopen_count = models.PositiveSmallIntegerField("重办次数", default=0)
    return_count = models.PositiveSmallIntegerField("退单次数", default=0)
    escalation_count = models.PositiveSmallIntegerField("上报次数", default=0)
    extension_days = models.PositiveSmallIntegerField("已延期（工作日）", default=0)
    # 包案
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="包案领导",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_cases",
    )
    owner_deadline = models.DateField("包案承诺办结", null=True, blank=True)
    # Outcome.
    reply = models.TextField("答复", blank=True)
    rating = models.CharField("满意度", max_length=12, choices=Rating.choices, blank=True, default="")
    rating_note = models.CharField("回访意见", max_length=200, blank=True)
    resolved_level = models.CharField(
        "办结层级", max_length=10, choices=ResolvedLevel.choices, blank=True, default=""
    )
    on_time = models.BooleanField("按时办结", null=True, blank=True)
    # Times.
    submitted_at = models.DateTimeField("提交时间", default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    scope_path = "unit__code"
    audit_exclude = frozenset({"updated_at", "version", "submitter_phone_enc", "submitter_phone_hash"})

    class Meta:
        verbose_name = "诉求"
        verbose_name_plural = "诉求"
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="case_status_due"),
            # Not on sla_state: the SLA sweep updates colours in place (migration 0003_bench_indexes).
            models.Index(fields=["status", "warn_at"], name="case_status_warn"),
            models.Index(fields=["unit", "submitted_at"], name="case_unit_submitted"),
            models.Index(fields=["status", "closed_at"], name="case_status_closed"),
            models.Index(fields=["unit", "status"], name="case_unit_status"),
            models.Index(fields=["holder_unit", "status"], name="case_holder_unit_status"),
            models.Index(fields=["holder_org", "status"], name="case_holder_org_status"),
            models.Index(fields=["category", "submitted_at"], name="case_category_submitted"),
            models.Index(fields=["submitted_at"], name="case_submitted"),
            models.Index(fields=["owner", "status"], name="case_owner_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=Status.MERGED) | Q(merged_into__isnull=False),
                name="case_merged_has_target",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[Status.DISPATCHED, Status.HANDLING, Status.REPLIED])
                | Q(holder_unit__isnull=False)
                | Q(holder_org__isnull=False),
                name="case_held_when_dispatched",
            ),
            models.CheckConstraint(
                condition=Q(holder_unit__isnull=True) | Q(holder_org__isnull=True), name="case_one_holder"
            ),
            # An outside work order (12345 hotline, Open311 client) is registered once per channel.
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~Q(external_id=""),
                name="case_unique_external_id",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.CLOSED) | Q(closed_at__isnull=False), name="case_closed_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_code} {self.title}"

    @property
    def scope_value(self) -> str:
        return self.unit.code

    # Read by apps.accounts.access for organisation-bound roles (department handlers).
    @classmethod
    def org_q(cls, org_ids: list[int]) -> Q:
        whistled = Whistle.objects.filter(organisation_id__in=org_ids).values("case_id")
        return Q(holder_org_id__in=org_ids) | Q(pk__in=whistled)

    def organisation_ids(self) -> set[int]:
        ids = set(Whistle.objects.filter(case_id=self.pk).values_list("organisation_id", flat=True))
        if self.holder_org_id:
            ids.add(self.holder_org_id)
        return ids

    @property
    def is_open(self) -> bool:
        return self.status not in (Status.CLOSED, Status.REJECTED, Status.MERGED)

    @property
    def holder_name(self) -> str:
        if self.holder_org_id and self.holder_org:
            return self.holder_org.name
        if self.holder_unit_id and self.holder_unit:
            return self.holder_unit.display_name
        return ""

    @property
    def submitter_phone(self) -> str:
        return crypto.decrypt(self.submitter_phone_enc) if self.submitter_phone_enc else ""

    @property
    def submitter_phone_masked(self) -> str:
        return f"1**-****-{self.submitter_phone_tail}" if self.submitter_phone_tail else ""

    @property
    def is_urged(self) -> bool:
        return self.urge_count > 0


class CaseStep(models.Model):
    """One line of the timeline (全程留痕): who did what, when, with what note."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="steps")
    action = models.CharField("动作", max_length=20, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=60, blank=True)
    body = models.CharField("单位", max_length=100, blank=True)  # the acting body, shown publicly
    from_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    note = models.TextField("说明", blank=True)
    data: models.JSONField[Any] = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "办理步骤"
        verbose_name_plural = "办理步骤"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_action_display()}"


def case_photo_path(instance: CasePhoto, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"cases/{timezone.now():%Y/%m}/{instance.case_id}-{timezone.now():%H%M%S%f}.{ext}"


class CasePhoto(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="photos")
    image = models.FileField("照片", upload_to=case_photo_path)
    stage = models.CharField(max_length=12, default="submit")  # submit / reply
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "诉求照片"
        verbose_name_plural = "诉求照片"
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} 照片 {self.pk}"


class Extension(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="extensions")
    days = models.PositiveSmallIntegerField("延期（工作日）")
    reason = models.CharField("理由", max_length=200)
    status = models.CharField(max_length=10, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = "延期申请"
        verbose_name_plural = "延期申请"
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(status="pending"), name="extension_one_pending_per_case"
            ),
            models.CheckConstraint(condition=Q(days__gte=1, days__lte=30), name="extension_days_range"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} 延期 {self.days} 天（{self.get_status_display()}）"


class Whistle(models.Model):
    """吹哨报到: a township or village calls a department to a case; the department must report
    (sign) within its window. Both sides are scored on it."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="whistles")
    organisation = models.ForeignKey(
        "territory.Organisation", on_delete=models.PROTECT, related_name="whistles"
    )
    whistler_unit = models.ForeignKey("territory.Unit", on_delete=models.PROTECT, related_name="+")
    whistled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField("事由", max_length=200)
    whistled_at = models.DateTimeField(default=timezone.now)
    sign_due = models.DateTimeField("报到时限")
    status = models.CharField(max_length=10, choices=WhistleStatus.choices, default=WhistleStatus.PENDING)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    result = models.TextField("办理情况", blank=True)

    class Meta:
        verbose_name = "吹哨报到"
        verbose_name_plural = "吹哨报到"
        ordering = ["whistled_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "organisation"], condition=~Q(status="done"), name="whistle_one_open_per_org"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} 吹哨 {self.organisation_id}"

    @property
    def signed_on_time(self) -> bool | None:
        if self.signed_at is None:
            return None
        return self.signed_at <= self.sign_due


class Notice(models.Model):
    """An in-app notice to one user (also sent through the SMS backend when they have a phone)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="case_notices"
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=20)
    text = models.CharField(max_length=200)
    due_at = models.DateTimeField(null=True, blank=True)  # the deadline a warning is about
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "消息"
        verbose_name_plural = "消息"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notice_recipient_unread")]
        constraints = [
            # One warning of each kind per deadline and person: the sweep may run twice.
            models.UniqueConstraint(
                fields=["recipient", "case", "kind", "due_at"],
                condition=Q(kind__in=["yellow", "red"]),
                name="notice_one_warning_each",
            ),
        ]

    def __str__(self) -> str:
        return self.text
