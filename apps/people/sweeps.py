"""Scheduled jobs of resident records (run by `manage.py sweep`)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone

from apps.core.sweeps import register

from .choices import ImportStatus
from .models import ImportJob


@register("people_import_files", "删除已完成导入任务的上传文件（含完整身份证号）")
def purge_import_files() -> str:
    """Uploaded spreadsheets hold full ID numbers in plain text; once a job has been finished for
    PEOPLE_IMPORT_FILE_DAYS (default 7, long enough to download the error report) the file goes.
    The job, its counts and its issues stay."""
    days = int(getattr(settings, "PEOPLE_IMPORT_FILE_DAYS", 7))
    cutoff = timezone.now() - datetime.timedelta(days=days)
    finished = [ImportStatus.DONE, ImportStatus.REJECTED, ImportStatus.FAILED]
    removed = 0
    for job in ImportJob.objects.filter(status__in=finished, finished_at__lt=cutoff).exclude(file=""):
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="")
        removed += 1
    return f"删除 {removed} 个超过 {days} 天的导入文件"
