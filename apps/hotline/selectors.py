"""Reads of the hotline import, through the chokepoint (Perm.CASE_IMPORT)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from apps.accounts import access
from apps.accounts.permissions import Perm
from apps.cases.models import Category
from apps.territory.models import Unit

from .choices import RowOutcome
from .models import HotlineImportJob, HotlineImportRow
from .services import IMPORT_LEVELS


def import_jobs(user: Any) -> QuerySet[HotlineImportJob]:
    qs = HotlineImportJob.objects.select_related("unit", "created_by", "default_category")
    return access.restrict(qs, user, Perm.CASE_IMPORT).order_by("-created_at", "-id")


def import_job_get(user: Any, pk: int) -> HotlineImportJob:
    return access.get_for(
        user,
        Perm.CASE_IMPORT,
        HotlineImportJob.objects.select_related("unit", "created_by", "default_category"),
        pk=pk,
    )


def import_units(user: Any, limit: int = 100) -> list[Unit]:
    """Where the user may import: their county (or townships), widest first."""
    units = Unit.objects.filter(level__in=IMPORT_LEVELS, is_active=True)
    return list(access.restrict(units, user, Perm.CASE_IMPORT).order_by("level", "code")[:limit])


def job_rows(job: HotlineImportJob, *, problems_only: bool = False) -> QuerySet[HotlineImportRow]:
    rows = job.rows.select_related("case").order_by("row", "id")
    if problems_only:
        return rows.exclude(outcome=RowOutcome.CREATED, warning="")
    return rows


def categories() -> list[Category]:
    return list(Category.objects.filter(is_active=True).select_related("parent").order_by("order", "code"))
