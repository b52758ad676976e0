"""Data of the 责任清单 module: published responsibility lists and their items.

A list is published by a county or a township (`unit`) and is immutable once published: an import
creates a new version and makes it current; the versions before it stay, read-only, for the
record. One item table serves the three kinds so that an item id is unambiguous wherever it is
quoted (a case's routing basis, the API); which columns a kind uses:

- duty list 职责任务清单: domain, matter, owning body (`primary_*`), post, person, categories;
- territorial list 属地责任清单: domain, matter, primary body (`primary_*`), supporting bodies
  (`supporting_orgs` + `supporting_levels`), categories, basis;
- admission list 村级工作准入清单: matter, basis, categories.

A body is either an organisation (a department) or a level word (乡镇/村) resolved per place by
`routing`; `primary_label`/`supporting_label` keep the words as published, for display.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from .choices import BodyLevel, ListKind


class ResponsibilityList(models.Model):
    kind = models.CharField("清单类型", max_length=16, choices=ListKind.choices)
    unit = models.ForeignKey(
        "territory.Unit",
        verbose_name="发布单位",
        on_delete=models.PROTECT,
        related_name="responsibility_lists",
    )
    title = models.CharField("标题", max_length=120)
    version = models.PositiveIntegerField("版本")
    is_current = models.BooleanField("现行", default=True)
    published_at = models.DateTimeField("发布时间")
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发布人", on_delete=models.PROTECT, related_name="+"
    )
    source_filename = models.CharField("来源文件", max_length=200, blank=True)
    item_count = models.PositiveIntegerField("事项数", default=0)
    withdrawn_at = models.DateTimeField("停用时间", null=True, blank=True)

    scope_path = "unit__code"

    class Meta:
        verbose_name = "责任清单"
        verbose_name_plural = "责任清单"
        ordering = ["unit__code", "kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "unit", "version"], name="duties_list_version_unique"),
            # One current version per kind and publisher: routing reads exactly one list from each.
            models.UniqueConstraint(
                fields=["kind", "unit"], condition=Q(is_current=True), name="duties_one_current_list"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="duties_list_version_positive"),
        ]
        indexes = [models.Index(fields=["is_current", "kind", "unit"], name="duties_list_current")]

    def __str__(self) -> str:
        return f"{self.unit.name}{self.get_kind_display()}（第{self.version}版）"

    @property
    def scope_value(self) -> str:
        return self.unit.code

    @property
    def reference(self) -> str:
        """How a refusal or a routing basis cites the list."""
        return f"{self.unit.name}《{self.title}》第{self.version}版"


class ListItem(models.Model):
    responsibility_list = models.ForeignKey(
        ResponsibilityList, verbose_name="清单", on_delete=models.CASCADE, related_name="items"
    )
    number = models.PositiveIntegerField("序号")
    domain = models.CharField("领域", max_length=60, blank=True)
    matter = models.CharField("事项", max_length=300)
    primary_org = models.ForeignKey(
        "territory.Organisation",
        verbose_name="责任单位（主体）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    primary_level = models.PositiveSmallIntegerField(
        "责任层级（主体）", choices=BodyLevel.choices, null=True, blank=True
    )
    primary_label = models.CharField("责任单位（原文）", max_length=120, blank=True)
    supporting_orgs = models.ManyToManyField(
        "territory.Organisation", verbose_name="配合责任单位", blank=True, related_name="+"
    )
    supporting_levels = models.JSONField("配合责任层级", default=list, blank=True)
    supporting_label = models.CharField("配合责任单位（原文）", max_length=300, blank=True)
    post = models.CharField("责任岗位", max_length=80, blank=True)
    person = models.CharField("责任人", max_length=60, blank=True)
    basis = models.CharField("依据", max_length=300, blank=True)
    categories = models.ManyToManyField(
        "cases.Category", verbose_name="对应诉求类别", blank=True, related_name="list_items"
    )

    scope_path = "responsibility_list__unit__code"

    class Meta:
        verbose_name = "清单事项"
        verbose_name_plural = "清单事项"
        ordering = ["responsibility_list", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["responsibility_list", "number"], name="duties_item_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(primary_org__isnull=True) | Q(primary_level__isnull=True),
                name="duties_item_one_primary_body",
            ),
        ]

    def __str__(self) -> str:
        return f"第{self.number}项：{self.matter}"

    @property
    def scope_value(self) -> str:
        return self.responsibility_list.unit.code

    @property
    def township_is_primary(self) -> bool:
        return self.primary_level == BodyLevel.TOWNSHIP

    def audit_extra(self) -> dict[str, Any]:
        return {"categories": sorted(c.code for c in self.categories.all())}
