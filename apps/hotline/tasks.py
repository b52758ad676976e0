"""Background task of the hotline import: the job runs in the task worker (`manage.py db_worker`),
so a file of thousands of work orders never holds a web request."""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from .models import HotlineImportJob


@task()
def run_import(job_id: int) -> str:
    """Run one pending job; returns its final status (the job row holds the rest)."""
    from .services import hotline_import_run

    return str(hotline_import_run(job_id).status)


def enqueue_import(job: HotlineImportJob) -> None:
    """Hand the job to the worker once the transaction that created it has committed."""

    def enqueue() -> None:
        result = run_import.enqueue(job.pk)
        HotlineImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])

    transaction.on_commit(enqueue)
