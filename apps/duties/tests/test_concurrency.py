"""Six imports of the same list at the same moment, with real threads on PostgreSQL: they become
six consecutive versions, exactly one of them current, none lost."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from apps.accounts.choices import Role
from apps.duties import services
from apps.duties.choices import ListKind
from apps.duties.models import ResponsibilityList

from .helpers import ensure_default_categories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 6


def test_simultaneous_imports_queue_into_versions(tiny_county, make_staff) -> None:
    ensure_default_categories()
    admin = make_staff(Role.COUNTY_ADMIN, tiny_county["county"])
    barrier = threading.Barrier(THREADS)
    results: list[Any] = []
    errors: list[Exception] = []
    lock = threading.Lock()

    def publish(n: int) -> None:
        try:
            barrier.wait()
            lst = services.responsibility_list_publish(
                actor=admin,
                kind=ListKind.TERRITORIAL,
                unit=tiny_county["county"],
                title=f"第{n}次导入",
                rows=[{"number": 1, "matter": f"事项{n}", "primary": "乡镇", "categories": "env"}],
            )
            with lock:
                results.append(lst)
        except Exception as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=publish, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert not errors, errors
    versions = sorted(ResponsibilityList.objects.values_list("version", flat=True))
    assert versions == list(range(1, THREADS + 1))
    current = ResponsibilityList.objects.get(is_current=True)
    assert current.version == THREADS
    assert all(lst.items.count() == 1 for lst in ResponsibilityList.objects.all())
