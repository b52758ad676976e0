"""Permission-matrix rows of the 12345 hotline import: county admins and the hotline's operators
(Perm.CASE_IMPORT) only. The upload itself (POST) is covered in test_views.py: a file cannot be
sent twice from one matrix row."""

from __future__ import annotations

from typing import Any

from apps.core.tests.matrix_support import ADMIN, OPERATOR, case

IMPORTERS = {ADMIN, OPERATOR}

PAGES = [
    case("hotline:import_start", "/hotline/", IMPORTERS),
    case("hotline:import_template", "/hotline/template/", IMPORTERS),
    case("hotline:import_detail", "/hotline/jobs/{hotline_job}/", IMPORTERS),
    case("hotline:import_progress", "/hotline/jobs/{hotline_job}/progress/", IMPORTERS),
    case("hotline:import_report", "/hotline/jobs/{hotline_job}/report/", IMPORTERS),
]


def records(t: dict[str, Any], users: dict[str, Any]) -> dict[str, int]:
    import io

    import openpyxl
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.cases.models import Category
    from apps.hotline import services

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["工单编号", "来电时间", "诉求内容", "所属村（社区）"])
    sheet.append(["M-1", "2026-11-20 09:30", "娜姑村路灯坏了一个月。", "娜姑村"])
    data = io.BytesIO()
    workbook.save(data)
    job = services.hotline_import_create(
        actor=users[OPERATOR],
        unit=t["county"],
        upload=SimpleUploadedFile("矩阵.xlsx", data.getvalue()),
        default_category=Category.objects.get(code="consult"),
    )
    return {"hotline_job": job.pk}
