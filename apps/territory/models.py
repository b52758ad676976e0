"""Territory: administrative units (a tree keyed by statistical division codes), grids overlaying
it, and organisations (departments) serving an area.

The unit `code` is also its materialized path: every level extends its parent's code by a fixed
number of digits, so "everything under 黄升镇" is one indexed range scan on `code` (see
`apps.territory.paths`).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from .choices import Level, OrgKind, UnitKind
from .paths import subtree_q


class Unit(models.Model):
    code = models.CharField("区划代码", max_length=15, unique=True)
    name = models.CharField("名称", max_length=100)
    short_name = models.CharField("简称", max_length=60, blank=True)
    level = models.PositiveSmallIntegerField("层级", choices=Level.choices)
    kind = models.CharField("类型", max_length=16, choices=UnitKind.choices, default=UnitKind.OTHER)
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    latitude = models.FloatField("纬度", null=True, blank=True)
    longitude = models.FloatField("经度", null=True, blank=True)
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope_path = "code"
    audit_exclude = frozenset({"created_at", "updated_at"})

    class Meta:
        verbose_name = "行政单位"
        verbose_name_plural = "行政单位"
        ordering = ["code"]
        indexes = [models.Index(fields=["level", "code"], name="unit_level_code")]
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1) & Q(level__lte=6), name="unit_level_range"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    @property
    def statistical_code(self) -> str:
        """The 12-digit 统计用区划代码 (groups keep their 15 digits)."""
        return self.code.ljust(12, "0") if len(self.code) <= 12 else self.code

    @property
    def scope_value(self) -> str:
        return self.code

    def subtree_q(self, field: str = "code") -> Q:
        return subtree_q(self.code, field)


class Organisation(models.Model):
    """A department, enforcement team or other body that receives work inside its service area."""

    code = models.CharField("机构代码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=20, choices=OrgKind.choices, default=OrgKind.DEPARTMENT)
    service_area = models.ForeignKey(
        Unit, verbose_name="服务区域", on_delete=models.PROTECT, related_name="organisations"
    )
    phone = models.CharField("联系电话", max_length=20, blank=True)
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope_path = "service_area__code"
    audit_exclude = frozenset({"created_at", "updated_at"})

    class Meta:
        verbose_name = "机构"
        verbose_name_plural = "机构"
        ordering = ["service_area__code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["service_area", "name"], name="org_unique_name_in_area"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scope_value(self) -> str:
        return self.service_area.code


class Grid(models.Model):
    """A grid (网格) managed by gridders. Belongs to a unit; may nest in a parent grid (levels)."""

    code = models.CharField("网格编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=100)
    level = models.PositiveSmallIntegerField("网格层级", default=1)
    unit = models.ForeignKey(Unit, verbose_name="所属单位", on_delete=models.PROTECT, related_name="grids")
    parent = models.ForeignKey(
        "self",
        verbose_name="上级网格",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # GeoJSON Polygon/MultiPolygon geometry (WGS84 lon/lat), validated by the service.
    boundary = models.JSONField("边界", null=True, blank=True)
    min_lng = models.FloatField(null=True, blank=True, editable=False)
    min_lat = models.FloatField(null=True, blank=True, editable=False)
    max_lng = models.FloatField(null=True, blank=True, editable=False)
    max_lat = models.FloatField(null=True, blank=True, editable=False)
    households_hint = models.PositiveIntegerField("户数（估）", default=0)
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope_path = "unit__code"
    audit_exclude = frozenset({"created_at", "updated_at", "min_lng", "min_lat", "max_lng", "max_lat"})

    class Meta:
        verbose_name = "网格"
        verbose_name_plural = "网格"
        ordering = ["unit__code", "level", "code"]
        indexes = [models.Index(fields=["unit", "level"], name="grid_unit_level")]
        constraints = [
            models.CheckConstraint(condition=Q(level__gte=1) & Q(level__lte=5), name="grid_level_range"),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="grid_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scope_value(self) -> str:
        return self.unit.code
