"""Background tasks of resident records: the spreadsheet import runs in the task worker
(`manage.py db_worker`), so a 100k-row upload never holds a web request."""

from __future__ import annotations

from django.db import transaction
from django_tasks import task

from .models import ImportJob


@task()
def run_import(job_id: int) -> str:
    """Run one pending ImportJob; returns its final status (the job row holds the rest)."""
    from .importer import import_run

    return str(import_run(job_id).status)


def enqueue_import(job: ImportJob) -> None:
    """Hand the job to the worker once the transaction that created it has committed (before
    that, the worker could not see the row)."""

    def enqueue() -> None:
        result = run_import.enqueue(job.pk)
        ImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])

    transaction.on_commit(enqueue)
