"""Two workers importing the same work orders at the same moment, with real threads on
PostgreSQL: every work order becomes exactly one case; the other job reports it as skipped."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from apps.cases.choices import Channel
from apps.cases.models import Case, Category
from apps.hotline import services
from apps.hotline.choices import ImportStatus, RowOutcome
from apps.hotline.models import HotlineImportRow

from .conftest import called, upload, xlsx

# `postgres`: skipped on SQLite by the shared hook in conftest.py, with its reason.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ORDERS = 12


def test_overlapping_imports_make_each_case_once(tiny_county: dict[str, Any], operator: Any) -> None:
    rows = [
        [f"P-{i}", called(2), "", "", "", "", f"娜姑村第 {i} 件需要处理的事情。", "", "娜姑镇", "娜姑村", ""]
        for i in range(ORDERS)
    ]
    consult = Category.objects.get(code="consult")
    jobs = [
        services.hotline_import_create(
            actor=operator, unit=tiny_county["county"], upload=upload(xlsx(rows)), default_category=consult
        )
        for _ in range(2)
    ]
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def work(job_id: int) -> None:
        try:
            barrier.wait()
            services.hotline_import_run(job_id)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(job.pk,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert not errors
    assert Case.objects.filter(channel=Channel.HOTLINE).count() == ORDERS
    outcomes = list(HotlineImportRow.objects.values_list("outcome", flat=True))
    assert outcomes.count(RowOutcome.CREATED) == ORDERS and outcomes.count(RowOutcome.SKIPPED) == ORDERS
    for job in jobs:
        job.refresh_from_db()
        assert job.status == ImportStatus.DONE
