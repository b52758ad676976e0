"""Two people pressing the same button at once, with real threads on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from apps.accounts.choices import Role
from apps.accounts.models import RoleAssignment
from apps.audit.models import AuditRecord
from apps.core.errors import Conflict
from apps.territory import services
from apps.territory.models import Grid

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(n: int, action: Callable[[int], Any]) -> tuple[list[Any], list[Exception]]:
    barrier = threading.Barrier(n)
    results: list[Any] = []
    errors: list[Exception] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        try:
            barrier.wait()
            value = action(i)
            with lock:
                results.append(value)
        except Exception as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results, errors


def test_same_grid_code_created_at_once_keeps_exactly_one(tiny_county, make_staff) -> None:
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"])
    unit = tiny_county["v12"]
    results, errors = race(
        8,
        lambda i: services.grid_create(
            actor=officer, unit=unit, code="BW-RACE", name=f"白雾网格{i}", level=2
        ),
    )
    assert len(results) == 1
    assert len(errors) == 7 and all(
        isinstance(e, Conflict) and e.code == "duplicate_grid_code" for e in errors
    )
    assert Grid.objects.filter(code="BW-RACE").count() == 1
    # Only the winner left an audit trail.
    grid = Grid.objects.get(code="BW-RACE")
    assert AuditRecord.objects.filter(object_id=str(grid.pk), action="create").count() == 1


def test_same_gridder_assigned_at_once_keeps_exactly_one(tiny_county, make_staff) -> None:
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"])
    person = make_staff(None)
    grid = tiny_county["g11"]
    results, errors = race(8, lambda i: services.grid_assign_gridder(actor=officer, grid=grid, user=person))
    assert len(results) == 1
    assert len(errors) == 7 and all(isinstance(e, Conflict) for e in errors)
    assert (
        RoleAssignment.objects.filter(user=person, role=Role.GRIDDER, grid=grid, is_active=True).count() == 1
    )
