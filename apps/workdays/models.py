"""Data of the working calendar (工作日历): the exceptions to Monday–Friday and the years entered.

Only exceptions are stored: a holiday (every day of a State Council holiday period, weekend days
inside it included so that the calendar can name them) and a make-up working day (调休上班) on a
weekend. Every other day is a workday from Monday to Friday. A year with entries is always a
confirmed year (CalendarYear): the services replace a year's entries and confirm it in one
transaction, so half-entered schedules never reach the deadlines.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from .choices import Source


class CalendarYear(models.Model):
    """A year whose State Council holiday schedule has been entered (seeded or by an admin)."""

    year = models.PositiveSmallIntegerField("年份", unique=True)
    source = models.CharField("来源", max_length=20, choices=Source.choices)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="确认人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    confirmed_at = models.DateTimeField("确认时间")
    notes = models.TextField("说明", blank=True)

    # The calendar belongs to no unit. The services set this to the acting admin's scope so the
    # audit rows of an edit are visible to whoever oversees that admin (audit.services reads it).
    scope_value: str = ""

    class Meta:
        verbose_name = "日历年度"
        verbose_name_plural = "日历年度"
        ordering = ["year"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(year__gte=1949, year__lte=2200), name="calendar_year_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} 年工作日历"

    def audit_extra(self) -> dict[str, Any]:
        """The year's entries, one "date name 休/班" string each: the audit diff shows what changed."""
        days = CalendarDay.objects.filter(date__year=self.year).order_by("date")
        return {"entries": [f"{d.date.isoformat()} {d.name} {'班' if d.is_workday else '休'}" for d in days]}


class CalendarDay(models.Model):
    """One exception to Monday–Friday: a holiday (is_workday False) or a make-up working day."""

    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("上班")
    name = models.CharField("名称", max_length=40)
    source = models.CharField("来源", max_length=20, choices=Source.choices)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="修改人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "节假日与调休"
        verbose_name_plural = "节假日与调休"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.name}（{'上班' if self.is_workday else '放假'}）"
