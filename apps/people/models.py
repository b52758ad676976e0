"""Resident records (民情档案): households with typed facts, residents with encrypted ID numbers and
phones, configurable special groups and fact definitions, gridders' patrol visits, import jobs.

Personal data: the ID number and phone are stored encrypted (apps/core/crypto.py) with a keyed
hash for exact lookup and the few characters the masked form shows; the plaintext exists only in
memory, when a role that needs it asks and the reveal is logged.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.accounts.permissions import Perm
from apps.core import crypto

from .choices import (
    ColorGrade,
    FactKind,
    Gender,
    HukouType,
    ImportMode,
    ImportStatus,
    IncomeBand,
    PoliticalStatus,
    Relation,
    ResidentStatus,
)

ADULT_AGE = 18


class SpecialGroup(models.Model):
    """A special-group tag a county configures (低保户, 留守儿童, 重点人员…)."""

    code = models.SlugField("代码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=30, unique=True)
    # Sensitive groups (e.g. 重点人员) are seen only by roles holding PEOPLE_VIEW_SENSITIVE.
    sensitive = models.BooleanField("敏感", default=False)
    color = models.CharField("颜色", max_length=16, default="secondary")
    order = models.PositiveSmallIntegerField("排序", default=100)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "特殊群体"
        verbose_name_plural = "特殊群体"
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class FactDefinition(models.Model):
    """A typed household fact a county keeps (宅基地面积, 外出务工地…), validated by its kind."""

    key = models.SlugField("键", max_length=40, unique=True)
    label = models.CharField("名称", max_length=40)
    kind = models.CharField("类型", max_length=16, choices=FactKind.choices, default=FactKind.TEXT)
    choices = models.JSONField("选项", default=list, blank=True)
    unit_label = models.CharField("单位", max_length=10, blank=True)
    min_value = models.DecimalField("最小值", max_digits=14, decimal_places=4, null=True, blank=True)
    max_value = models.DecimalField("最大值", max_digits=14, decimal_places=4, null=True, blank=True)
    required = models.BooleanField("必填", default=False)
    section = models.CharField("分组", max_length=20, default="基本情况")
    order = models.PositiveSmallIntegerField("排序", default=100)
    help_text = models.CharField("说明", max_length=200, blank=True)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "档案字段"
        verbose_name_plural = "档案字段"
        ordering = ["section", "order", "key"]

    def __str__(self) -> str:
        return self.label


class Household(models.Model):
    unit = models.ForeignKey(
        "territory.Unit", verbose_name="所属村（组）", on_delete=models.PROTECT, related_name="households"
    )
    grid = models.ForeignKey(
        "territory.Grid",
        verbose_name="所属网格",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="households",
    )
    number = models.CharField("户号", max_length=32)
    address = models.CharField("住址", max_length=200)
    hukou_type = models.CharField(
        "户口类型", max_length=20, choices=HukouType.choices, default=HukouType.AGRICULTURAL
    )
    contracted_land_mu = models.DecimalField(
        "承包地（亩）", max_digits=8, decimal_places=2, null=True, blank=True
    )
    house_permit_no = models.CharField("建房审批号", max_length=40, blank=True)
    migrant_workers = models.PositiveSmallIntegerField("外出务工人数", default=0)
    income_band = models.CharField(
        "收入档次", max_length=16, choices=IncomeBand.choices, blank=True, default=""
    )
    color_grade = models.CharField(
        "联户等级", max_length=8, choices=ColorGrade.choices, blank=True, default=""
    )
    facts = models.JSONField("其他信息", default=dict, blank=True)
    head = models.ForeignKey(
        "people.Resident",
        verbose_name="户主",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_active = models.BooleanField("在册", default=True)
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope_path = "unit__code"
    audit_exclude = frozenset({"created_at", "updated_at", "version", "updated_by"})

    class Meta:
        verbose_name = "户"
        verbose_name_plural = "户"
        ordering = ["unit__code", "number"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "number"], name="household_unique_number_in_unit"),
            models.CheckConstraint(
                condition=Q(contracted_land_mu__isnull=True) | Q(contracted_land_mu__gte=0),
                name="household_land_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["grid", "number"], name="household_grid")]

    def __str__(self) -> str:
        return f"{self.number} {self.address}"

    @classmethod
    def audit_display(cls, attname: str, raw: Any) -> str | None:
        """The facts as "label：value" for the history page (keys alone mean nothing to a cadre)."""
        if attname != "facts" or not isinstance(raw, dict):
            return None
        labels = dict(FactDefinition.objects.filter(key__in=list(raw)).values_list("key", "label"))
        parts = []
        for key, value in raw.items():
            shown = "、".join(map(str, value)) if isinstance(value, list) else value
            shown = {True: "是", False: "否"}.get(shown, shown) if isinstance(shown, bool) else shown
            parts.append(f"{labels.get(key, key)}：{shown}")
        return "；".join(parts) or "—"

    @property
    def scope_value(self) -> str:
        return self.unit.code


def _adult_cutoff(today: datetime.date | None = None) -> datetime.date:
    today = today or timezone.localdate()
    try:
        return today.replace(year=today.year - ADULT_AGE)
    except ValueError:  # 29 February
        return today.replace(year=today.year - ADULT_AGE, day=28)


class Resident(models.Model):
    household = models.ForeignKey(
        Household, verbose_name="户", on_delete=models.PROTECT, related_name="members"
    )
    name = models.CharField("姓名", max_length=50)
    id_number_enc = models.TextField(blank=True, default="")
    id_number_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    id_prefix = models.CharField(max_length=4, blank=True, default="")
    id_tail = models.CharField("身份证后四位", max_length=4, blank=True, default="", db_index=True)
    gender = models.CharField("性别", max_length=8, choices=Gender.choices, blank=True, default="")
    birth_date = models.DateField("出生日期", null=True, blank=True, db_index=True)
    phone_enc = models.TextField(blank=True, default="")
    phone_hash = models.CharField(max_length=64, blank=True, default="", db_index=True)
    phone_prefix = models.CharField(max_length=3, blank=True, default="")
    phone_tail = models.CharField("手机后四位", max_length=4, blank=True, default="", db_index=True)
    relation = models.CharField("与户主关系", max_length=16, choices=Relation.choices, default=Relation.OTHER)
    political_status = models.CharField(
        "政治面貌", max_length=20, choices=PoliticalStatus.choices, default=PoliticalStatus.MASSES
    )
    occupation = models.CharField("职业", max_length=40, blank=True)
    living_away = models.BooleanField("外出", default=False)
    away_place = models.CharField("外出地点", max_length=60, blank=True)
    special_groups = models.ManyToManyField(
        SpecialGroup, verbose_name="特殊群体", blank=True, related_name="residents"
    )
    status = models.CharField(
        "状态", max_length=12, choices=ResidentStatus.choices, default=ResidentStatus.ACTIVE
    )
    notes = models.CharField("备注", max_length=200, blank=True)
    # The resident's own login (phone + SMS code), when they have one: who "I" am on the
    # resident pages (my cases, my points, my ballots).
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="居民账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resident_record",
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope_path = "household__unit__code"
    # Read by apps.accounts.access: these rows need a stricter permission than PEOPLE_VIEW.
    restricted_rows = ((Perm.PEOPLE_VIEW_MINORS, "minor_q"), (Perm.PEOPLE_VIEW_SENSITIVE, "sensitive_q"))
    audit_exclude = frozenset(
        {"created_at", "updated_at", "version", "id_number_enc", "id_number_hash", "phone_enc", "phone_hash"}
    )

    class Meta:
        verbose_name = "居民"
        verbose_name_plural = "居民"
        ordering = ["household_id", "id"]
        indexes = [models.Index(fields=["household", "status"], name="resident_household_status")]

    def __str__(self) -> str:
        return self.name

    @property
    def scope_value(self) -> str:
        return self.household.unit.code

    # --- restricted rows, applied by apps.accounts.access.restrict ------------------------------
    @classmethod
    def minor_q(cls) -> Q:
        return Q(birth_date__gt=_adult_cutoff())

    @classmethod
    def sensitive_q(cls) -> Q:
        # An uncorrelated IN: PostgreSQL hashes the (small) set of tagged residents once, whatever
        # its statistics say; a correlated EXISTS was planned as a per-row loop on fresh tables.
        tagged = Resident.special_groups.through.objects.filter(specialgroup__sensitive=True)
        return Q(pk__in=tagged.values("resident_id"))

    @property
    def is_minor(self) -> bool:
        return self.birth_date is not None and self.birth_date > _adult_cutoff()

    @property
    def age(self) -> int | None:
        if self.birth_date is None:
            return None
        today = timezone.localdate()
        born = self.birth_date
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))

    # --- personal data -------------------------------------------------------------------------------
    @property
    def id_number_masked(self) -> str:
        if not self.id_tail:
            return ""
        return crypto.mask_id_number(self.id_prefix + "0" * 10 + self.id_tail)

    @property
    def phone_masked(self) -> str:
        if not self.phone_tail:
            return ""
        return crypto.mask_phone(self.phone_prefix + "0000" + self.phone_tail)

    audit_labels = {"id_number": "身份证号", "phone": "手机号", "special_groups": "特殊群体"}

    @classmethod
    def audit_display(cls, attname: str, raw: Any) -> str | None:
        if attname == "special_groups" and isinstance(raw, list):
            names = dict(SpecialGroup.objects.filter(code__in=raw).values_list("code", "name"))
            return "、".join(str(names.get(code, code)) for code in raw) or "—"
        return None

    def audit_extra(self) -> dict[str, Any]:
        """What the audit trail shows for the encrypted fields: masked values only."""
        return {"id_number": self.id_number_masked, "phone": self.phone_masked}


class PatrolVisit(models.Model):
    """A gridder's patrol record (巡查走访): when, where, what was seen, optional photo."""

    gridder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="patrol_visits"
    )
    grid = models.ForeignKey("territory.Grid", on_delete=models.PROTECT, related_name="patrol_visits")
    household = models.ForeignKey(
        Household, null=True, blank=True, on_delete=models.PROTECT, related_name="patrol_visits"
    )
    visited_at = models.DateTimeField("走访时间", default=timezone.now, db_index=True)
    place = models.CharField("地点", max_length=120)
    latitude = models.FloatField("纬度", null=True, blank=True)
    longitude = models.FloatField("经度", null=True, blank=True)
    note = models.TextField("情况记录", max_length=2000)
    photo = models.FileField("照片", upload_to="patrols/%Y/%m/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_path = "grid__unit__code"

    class Meta:
        verbose_name = "巡查走访"
        verbose_name_plural = "巡查走访"
        ordering = ["-visited_at"]

    def __str__(self) -> str:
        return f"{self.visited_at:%Y-%m-%d %H:%M} {self.place}"

    @property
    def scope_value(self) -> str:
        return self.grid.unit.code


class ImportJob(models.Model):
    """An upload of households and residents from a village spreadsheet, run as a background task."""

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        "territory.Unit", verbose_name="导入范围", on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(upload_to="imports/%Y/%m/")
    filename = models.CharField("文件名", max_length=200)
    mode = models.CharField("方式", max_length=20, choices=ImportMode.choices, default=ImportMode.PARTIAL)
    status = models.CharField(
        "状态", max_length=12, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    households_created = models.PositiveIntegerField(default=0)
    residents_created = models.PositiveIntegerField(default=0)
    residents_updated = models.PositiveIntegerField(default=0)
    rejected_rows = models.PositiveIntegerField(default=0)
    message = models.CharField("说明", max_length=300, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    scope_path = "unit__code"

    class Meta:
        verbose_name = "导入任务"
        verbose_name_plural = "导入任务"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.filename

    @property
    def scope_value(self) -> str:
        return self.unit.code

    @property
    def progress_percent(self) -> int:
        return 100 if not self.total_rows else min(100, self.processed_rows * 100 // self.total_rows)


class ImportIssue(models.Model):
    """One rejected cell of an import: row number, column, value and the reason (Chinese)."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="issues")
    row = models.PositiveIntegerField("行号")
    column = models.CharField("列", max_length=40)
    value = models.CharField("值", max_length=200, blank=True)
    reason = models.CharField("原因", max_length=200)

    class Meta:
        ordering = ["job_id", "row", "id"]

    def __str__(self) -> str:
        return f"{self.row} {self.column}: {self.reason}"
