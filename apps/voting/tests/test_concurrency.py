"""Fifty threads cast the same representative's ballot at the same moment on PostgreSQL, half
online and half as paper ballots by a teller: exactly one ballot is stored, every other caller is
told clearly that this person has already voted, and the ballot box stays a valid chain. And many
voters at once with the close racing them (the meeting's lock is taken last; no deadlock)."""

from __future__ import annotations

import datetime
import threading
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from apps.core.errors import Conflict
from apps.people import services as people
from apps.people.idnumber import make
from apps.voting import box, services
from apps.voting.choices import Choice, MeetingKind
from apps.voting.models import Ballot, Meeting

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


VOTERS = 24


def test_many_voters_at_once_and_the_close_racing_them(village: dict[str, Any]) -> None:
    """Twenty-four villagers cast online at once while the chair closes the box: no deadlock, each
    ballot either stored and chained before the close or refused with the window's message, and
    the closed chain, the stored ballots and the stored tally agree."""
    v = village
    today = timezone.localdate()
    people_ = []
    for i in range(VOTERS):
        household = people.household_create(
            actor=v["admin"], unit=v["v11"], grid=v["g11"], number=f"2{i:02d}", address=f"娜姑村 2{i:02d} 号"
        )
        people_.append(
            people.resident_create(
                actor=v["admin"],
                household=household,
                name=f"村民{i:02d}",
                relation="head",
                id_number=make("530326", datetime.date(1970 + i, 5, 1 + i), 100 + i),
            )
        )
    logins = [resident_login(r, f"13911{i:06d}") for i, r in enumerate(people_)]
    motion = walk_to(v, "filed")
    now = timezone.now()
    motion = services.vote_open(
        actor=v["cadre"],
        motion=motion,
        kind=MeetingKind.VILLAGERS,
        held_on=today,
        opens_at=now - datetime.timedelta(minutes=1),
        closes_at=now + datetime.timedelta(hours=1),
    )
    barrier = threading.Barrier(VOTERS + 1)
    stored: list[Any] = []
    errors: list[Exception] = []
    lock = threading.Lock()

    def cast(i: int) -> None:
        try:
            barrier.wait()
            r = people_[i]
            ballot = services.ballot_cast_online(
                actor=logins[i],
                motion=motion,
                choice=Choice.FOR if i % 3 else Choice.AGAINST,
                name=r.name,
                id_tail=r.id_tail,
            )
            with lock:
                stored.append(ballot)
        except Exception as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    def close() -> None:
        try:
            barrier.wait()
            services.vote_close(actor=v["cadre"], motion=motion)
        except Exception as exc:
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=cast, args=(i,)) for i in range(VOTERS)]
    threads.insert(VOTERS // 2, threading.Thread(target=close))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert all(isinstance(e, Conflict) and e.code in ("window_closed", "not_voting") for e in errors), errors
    assert len(stored) + len(errors) == VOTERS
    meeting = Meeting.objects.get(motion=motion)
    assert meeting.closed_at is not None
    assert (
        Ballot.objects.filter(motion=motion).count()
        == len(stored)
        == meeting.votes_for + meeting.votes_against
    )
    check = box.verify(motion)
    assert check.ok, check.problems
    assert check.recomputed["attended"] == meeting.attended == len(stored)
