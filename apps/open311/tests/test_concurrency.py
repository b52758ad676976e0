"""Three task workers draining the Open311 queue at the same moment, with real threads on
PostgreSQL: every queued request becomes exactly one case (a row one drain holds is skipped by
the others, not waited for and not made twice)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings

from apps.cases.models import Case
from apps.open311 import services
from apps.open311.choices import SubmissionStatus
from apps.open311.models import Open311Submission

# `postgres`: skipped on SQLite by the shared hook in conftest.py, with its reason.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 3
REQUESTS = 24


@override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})
def test_simultaneous_drains_make_each_case_once(world: dict[str, Any]) -> None:
    for n in range(REQUESTS):
        services.open311_request_queue(
            client=world["api"],
            service_code="env-garbage",
            description=f"第{n}条：村口垃圾池满了，请清运。",
            address="娜姑镇娜姑村",
            phone="13812345678",
        )
    assert Open311Submission.objects.filter(status=SubmissionStatus.QUEUED).count() == REQUESTS
    barrier = threading.Barrier(THREADS)
    results: list[dict[str, int]] = []
    errors: list[Exception] = []
    lock = threading.Lock()

    def drain() -> None:
        try:
            barrier.wait()
            counts = services.open311_queue_drain()
            with lock:
                results.append(counts)
        except Exception as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=drain) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert not errors, errors
    assert sum(r["created"] for r in results) == REQUESTS
    assert not any(r["failed"] for r in results)
    assert Case.objects.count() == REQUESTS
    made = Open311Submission.objects.filter(status=SubmissionStatus.CREATED, case__isnull=False)
    assert made.count() == REQUESTS
