"""Scheduled jobs of the hotline import (run by `manage.py sweep`)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone

from apps.core.sweeps import register

from .choices import FINISHED_STATUSES
from .models import HotlineImportJob


@register("hotline_import_files", "删除已完成的12345工单导入文件（含来电人电话）")
def purge_import_files() -> str:
    """The uploaded exports hold callers' names and phones in plain text; once a job has been
    finished for HOTLINE_IMPORT_FILE_DAYS (default 7, long enough to download the error report,
    which then lists the problems without the original cells) the file goes. The job and its
    per-row results (no names, no phones) stay."""
    days = int(getattr(settings, "HOTLINE_IMPORT_FILE_DAYS", 7))
    cutoff = timezone.now() - datetime.timedelta(days=days)
    removed = 0
    for job in HotlineImportJob.objects.filter(status__in=FINISHED_STATUSES, finished_at__lt=cutoff).exclude(
        file=""
    ):
        job.file.delete(save=False)
        HotlineImportJob.objects.filter(pk=job.pk).update(file="")
        removed += 1
    return f"删除 {removed} 个超过 {days} 天的12345工单文件"
