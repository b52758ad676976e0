"""Data of the 12345 hotline import: an upload of the hotline's work-order export run as a
background job, and the outcome of each work order in it (created, skipped because it was already
imported, or rejected with the reason). The cases themselves live in apps.cases (channel
"hotline", external_id = 工单编号)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from .choices import ImportStatus, RowOutcome


class HotlineImportJob(models.Model):
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(
        "territory.Unit", verbose_name="导入范围", on_delete=models.PROTECT, related_name="+"
    )
    default_category = models.ForeignKey(
        "cases.Category", verbose_name="默认类别", on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(upload_to="hotline/%Y/%m/")
    filename = models.CharField("文件名", max_length=200)
    status = models.CharField(
        "状态", max_length=12, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    total_rows = models.PositiveIntegerField("工单数", default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_rows = models.PositiveIntegerField("新登记", default=0)
    skipped_rows = models.PositiveIntegerField("已存在", default=0)
    rejected_rows = models.PositiveIntegerField("有错误", default=0)
    warning_rows = models.PositiveIntegerField("有提示", default=0)
    message = models.CharField("说明", max_length=300, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField("上传时间", default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    scope_path = "unit__code"

    class Meta:
        verbose_name = "12345工单导入"
        verbose_name_plural = "12345工单导入"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.filename

    @property
    def scope_value(self) -> str:
        return self.unit.code

    @property
    def progress_percent(self) -> int:
        return 100 if not self.total_rows else min(100, self.processed_rows * 100 // self.total_rows)

    @property
    def is_running(self) -> bool:
        return self.status in (ImportStatus.PENDING, ImportStatus.RUNNING)


class HotlineImportRow(models.Model):
    """One work order of a job: what became of it and why. Holds no caller name or phone."""

    job = models.ForeignKey(HotlineImportJob, on_delete=models.CASCADE, related_name="rows")
    row = models.PositiveIntegerField("行号")
    external_id = models.CharField("工单编号", max_length=40, blank=True)
    outcome = models.CharField("结果", max_length=10, choices=RowOutcome.choices)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    column = models.CharField("列", max_length=40, blank=True)
    reason = models.CharField("原因", max_length=300, blank=True)
    warning = models.CharField("提示", max_length=300, blank=True)

    class Meta:
        verbose_name = "12345工单导入结果"
        verbose_name_plural = "12345工单导入结果"
        ordering = ["job_id", "row", "id"]
        indexes = [models.Index(fields=["job", "outcome"], name="hotline_row_job_outcome")]

    def __str__(self) -> str:
        return f"{self.row} {self.external_id} {self.get_outcome_display()}"
