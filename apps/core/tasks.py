"""Background tasks of the core (Django Tasks API through the django-tasks backport).

The default backend is the database (django_tasks_db); a worker runs `manage.py db_worker`.
"""

from __future__ import annotations

from django_tasks import task


@task()
def run_sweeps_task(names: list[str] | None = None) -> list[list[str]]:
    from .sweeps import run_sweeps

    return [list(pair) for pair in run_sweeps(names)]
