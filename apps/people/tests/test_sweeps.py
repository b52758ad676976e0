"""The import-file sweep removes old uploads (they hold full ID numbers) and keeps the jobs."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from apps.accounts.choices import Role
from apps.core.sweeps import run_sweeps
from apps.people.choices import ImportStatus
from apps.people.models import ImportJob

pytestmark = pytest.mark.django_db


def test_old_finished_uploads_are_deleted_and_jobs_kept(tiny_county, make_staff) -> None:
    cadre = make_staff(Role.VILLAGE_CADRE, tiny_county["v11"])
    now = timezone.now()

    def job(status: str, age_days: int) -> ImportJob:
        made = ImportJob(
            created_by=cadre,
            unit=tiny_county["v11"],
            filename="名册.csv",
            status=status,
            finished_at=now - datetime.timedelta(days=age_days),
        )
        made.file.save(
            "名册.csv", ContentFile("姓名,身份证号\n张三,530326197001021234\n".encode()), save=True
        )
        return made

    old, recent, running = job(ImportStatus.DONE, 8), job(ImportStatus.DONE, 1), job(ImportStatus.RUNNING, 30)
    old_name = old.file.name
    [(_, summary)] = run_sweeps(["people_import_files"])
    assert "删除 1 个" in summary
    old.refresh_from_db()
    assert old.file.name == "" and not old.file.storage.exists(old_name)
    assert ImportJob.objects.filter(pk=old.pk).exists()
    recent.refresh_from_db()
    running.refresh_from_db()
    assert recent.file.name and running.file.name
