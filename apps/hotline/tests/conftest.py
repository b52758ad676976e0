"""Fixtures of the hotline import tests: an operator of the tiny county, and workbooks made with
openpyxl the way the 12345 platform exports them."""

from __future__ import annotations

import datetime
import io
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from apps.accounts.choices import Role
from apps.open311 import places

HEADER = [
    "工单编号", "来电时间", "来电人", "联系电话", "诉求类型", "诉求标题", "诉求内容", "事发地址", "所属乡镇",
    "所属村（社区）", "紧急程度",
]  # fmt: skip


@pytest.fixture(autouse=True)
def _categories_and_names(db: Any) -> Any:
    """The default categories come from a data migration that a transactional test (in any app)
    empties; put them back. The place-name index lives in the process: start without it."""
    import importlib

    from django.apps import apps

    from apps.cases.models import Category

    if not Category.objects.exists():
        importlib.import_module("apps.cases.migrations.0002_default_categories").forwards(apps, None)
    places.forget()
    yield
    places.forget()


@pytest.fixture
def operator(tiny_county: dict[str, Any], make_staff: Any) -> Any:
    return make_staff(Role.OPERATOR, tiny_county["county"], username="h_operator")


def xlsx(
    rows: list[list[Any]], *, header: list[str] | None = None, above: list[list[Any]] | None = None
) -> bytes:
    """A workbook with optional title rows above the header (as real exports have)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "工单"
    for row in above or []:
        sheet.append(row)
    sheet.append(header or HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(data: bytes, name: str = "12345工单.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def called(days_ago: int = 1, hour: int = 9) -> datetime.datetime:
    day = timezone.localdate() - datetime.timedelta(days=days_ago)
    return datetime.datetime.combine(day, datetime.time(hour, 30))
