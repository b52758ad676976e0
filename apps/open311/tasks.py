"""Background tasks of the Open311 module: the cases of queued service requests are made in the
task worker (`manage.py db_worker`), so POST requests answers after one INSERT
(OPEN311_ASYNC, the default; see services.open311_request_queue).

With the database queue (production) the requests are drained, not handed over one by one:
`create_cases` makes the case of every request queued when it starts. An app server process
enqueues one, to start DRAIN_DELAY seconds later, in the transaction of the first request it
stores after its previous one has started; the requests it stores until then are made by that
drain, which cannot start before they are committed (the worker does not run a task before its
run_after). A busy process thus writes one task row a second, not one per request: the task row
cost about as much as the whole rest of the request (docs/benchmarks.md, Open311 section).
A request whose commit came late (after its process's drain may have started) gets a drain of
its own right after its commit; the `open311_queue` sweep re-queues anything left behind anyway
(a worker killed mid-drain, clocks of app and worker hosts more than CLOCK_SLACK apart).

With any other backend (ImmediateBackend in tests) each request gets its own `create_case` task
once its transaction has committed.
"""

from __future__ import annotations

import datetime
import logging
import time

from django.conf import settings
from django.db import transaction
from django_tasks import task

from .models import Open311Submission

log = logging.getLogger(__name__)

# The worker's clock may run ahead of an app server's by up to this much, and a request's commit
# may take this long after it was decided the pending drain covers it.
CLOCK_SLACK = 0.25


def drain_delay() -> float:
    """Seconds between a drain's enqueue and its start: the longest a request waits for its drain
    to start (then for the worker to poll), and how often a busy process writes a task row."""
    return float(getattr(settings, "OPEN311_DRAIN_DELAY", 1.0))


@task()
def create_case(submission_id: int) -> str:
    """Make the case of one queued submission; returns the row's final status (the row holds the
    rest: the case, or the reason it failed)."""
    from . import services

    try:
        submission = services.open311_request_create(submission_id=submission_id)
    except Exception:
        # Not a refusal (those are recorded as the row's failure): a bug or the database. The row
        # is marked failed so the client stops waiting on its token; the task result keeps the
        # traceback.
        log.exception("open311: submission %s could not be processed", submission_id)
        services.open311_request_fail(submission_id=submission_id)
        raise
    return str(submission.status) if submission is not None else "missing"


@task()
def create_cases() -> dict[str, int]:
    """Make the cases of every submission queued when the drain starts; returns the count of
    each outcome."""
    from . import services

    return services.open311_queue_drain()


def database_queue() -> bool:
    """Whether the queue is a table of the database the submissions are written to: then a task
    row is written in the transaction of the submission that needs it (both or neither)."""
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(create_cases.get_backend(), DatabaseBackend)


# When the drain this process last enqueued may start (on _clock()); 0: none pending.
_drain_at = 0.0
_clock = time.time  # the wall clock the worker compares run_after with


def drain_covers_next_commit() -> bool:
    """Whether the drain this process enqueued last will start only after a request stored now
    has committed: then the request needs no task row of its own."""
    return database_queue() and _clock() < _drain_at - 2 * CLOCK_SLACK


def enqueue_drain() -> None:
    """A drain starting drain_delay() from now, written in the caller's transaction."""
    global _drain_at
    at = _clock() + drain_delay()
    create_cases.using(run_after=datetime.datetime.fromtimestamp(at, tz=datetime.UTC)).enqueue()
    _drain_at = at


def _drain_if_started() -> None:
    """After a covered request's commit: if that took so long that the drain may have started
    already (and missed the row), enqueue another."""
    if _clock() >= _drain_at - CLOCK_SLACK:
        enqueue_drain()


def cover_after_commit() -> None:
    """For a request stored without a task row (drain_covers_next_commit()): check once it has
    committed that the drain still starts after it."""
    transaction.on_commit(_drain_if_started)


def enqueue_create(submission: Open311Submission) -> None:
    """Hand a stored submission to the worker: with the database queue, a drain in the caller's
    transaction; with any other backend, its own task once that transaction has committed
    (before, the worker could not see the row)."""
    if database_queue():
        enqueue_drain()
    else:
        pk = submission.pk
        transaction.on_commit(lambda: create_case.enqueue(pk))


def forget() -> None:
    """No drain pending in this process (tests)."""
    global _drain_at
    _drain_at = 0.0
