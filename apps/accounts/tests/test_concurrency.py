"""Eight managers granting the same role to the same person at the same moment, with real threads
on PostgreSQL: exactly one assignment is made, the others are told it already exists."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from apps.accounts import services
from apps.accounts.choices import Role
from apps.accounts.models import RoleAssignment
from apps.core.errors import Conflict

# `postgres`: skipped on SQLite by the shared hook in conftest.py, with its reason.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8


def test_simultaneous_identical_grants_make_one_assignment(tiny_county, make_staff) -> None:
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"])
    person = make_staff(None)
    barrier = threading.Barrier(THREADS)
    results: list[Any] = []
    errors: list[Exception] = []
    lock = threading.Lock()

    def grant() -> None:
        try:
            barrier.wait()
            assignment = services.role_grant(
                actor=officer, user=person, role=Role.VILLAGE_CADRE, unit=tiny_county["v11"]
            )
            with lock:
                results.append(assignment)
        except Exception as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=grant) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert len(results) == 1
    assert len(errors) == THREADS - 1
    assert all(isinstance(e, Conflict) and e.code == "role_exists" for e in errors), errors
    assert RoleAssignment.objects.filter(user=person, role=Role.VILLAGE_CADRE, is_active=True).count() == 1
