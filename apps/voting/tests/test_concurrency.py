"""Fifty threads cast the same representative's ballot at the same moment on PostgreSQL, half
online and half as paper ballots by a teller: exactly one ballot is stored, every other caller is
told clearly that this person has already voted, and the ballot box stays a valid chain."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from apps.core.errors import Conflict
from apps.voting import box, services
from apps.voting.choices import Choice
from apps.voting.models import Ballot

from .conftest import resident_login, walk_to

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 50


def test_fifty_simultaneous_ballots_of_one_person_store_one(village: dict[str, Any]) -> None:
    v = village
    motion = walk_to(v, "voting")
    rep = v["reps"][0]
    login = resident_login(rep, "13900000031")
    barrier = threading.Barrier(THREADS)
    stored: list[Any] = []
    errors: list[Exception] = []
    lock = threading.Lock()

    def cast(i: int) -> None:
        try:
            barrier.wait()
            if i % 2:
                ballot = services.ballot_cast_online(
                    actor=login, motion=motion, choice=Choice.FOR, name=rep.name, id_tail=rep.id_tail
                )
            else:
                ballot = services.ballot_enter(
                    actor=v["cadre"], motion=motion, voter=rep, choice=Choice.AGAINST
                )
            with lock:
                stored.append(ballot)
        except Exception as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=cast, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert len(stored) == 1
    assert len(errors) == THREADS - 1
    assert all(isinstance(e, Conflict) and e.code == "already_voted" for e in errors), errors
    assert all("每人只能投一票" in e.message for e in errors)  # type: ignore[attr-defined]
    assert Ballot.objects.filter(motion=motion, voter=rep).count() == 1
    check = box.verify(motion)
    assert check.ok, check.problems
    assert check.recomputed["attended"] == 1
