"""The statements of one ballot, in plain SQL: the cast path's reads and inserts (云票决 and the
hall alike), called only by services.py inside its transaction.

Why plain SQL here and nowhere else: a ballot is a handful of one-row statements, and building
them through the ORM cost about ten times what running them did (0.5–1.8 ms of CPU per query on
the 2-core box against 0.02–0.05 ms; see the voting section of docs/benchmarks.md). These are
the only statements a ballot runs besides its audit record, written once against the tables the
models define. Nothing here decides anything: services.py keeps every check and refusal, and the
database keeps one person one vote (the inserts target the unique constraints, they do not
replace them: `ON CONFLICT DO NOTHING` is the constraint answering "already there" without
aborting the transaction, so no savepoint is needed to ask afterwards).

Works on PostgreSQL and SQLite ≥ 3.35 (RETURNING); `FOR UPDATE` only where the database has it
(SQLite's IMMEDIATE transactions already hold the write lock from their first statement).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import connection


@dataclass(frozen=True)
class Voter:
    """The resident behind a login (or chosen by a teller), with what a ballot needs of them."""

    pk: int
    name: str
    id_tail: str
    household_id: int
    # On the meeting's stored roll (None: not asked, e.g. found by phone rather than by account).
    elector: bool | None = None


@dataclass(frozen=True)
class Box:
    """A meeting's ballot box as the cast path needs it, read without a lock."""

    meeting_id: int
    motion_id: int
    kind: str
    held_on: datetime.date
    electorate_fixed: bool
    status: str
    village_id: int
    village_code: str
    not_yet_open: bool
    closed: bool
    login_voter: Voter | None  # the resident linked to the login asked about, if any


@dataclass(frozen=True)
class Head:
    count: int
    hash: str
    closed: bool


def _now(value: datetime.datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def box_state(motion_id: int, now: datetime.datetime, login_id: int | None = None) -> Box | None:
    """The box of a motion, and the resident linked to `login_id` (Resident.account) with their
    place on the stored roll, in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT m.id, m.kind, m.held_on, m.electorate_fixed, mo.status, mo.village_id, u.code,"
            " m.opens_at > %s, (m.closes_at <= %s OR m.closed_at IS NOT NULL),"
            " r.id, r.name, r.id_tail, r.household_id,"
            " EXISTS (SELECT 1 FROM voting_elector e"
            "         WHERE e.motion_id = m.motion_id AND e.resident_id = r.id)"
            " FROM voting_meeting m"
            " JOIN voting_motion mo ON mo.id = m.motion_id"
            " JOIN territory_unit u ON u.id = mo.village_id"
            " LEFT JOIN people_resident r ON r.account_id = %s"
            " WHERE m.motion_id = %s",
            [_now(now), _now(now), login_id, motion_id],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    voter = None
    if row[9] is not None:
        voter = Voter(
            pk=row[9], name=row[10], id_tail=row[11] or "", household_id=row[12], elector=bool(row[13])
        )
    return Box(
        meeting_id=row[0],
        motion_id=motion_id,
        kind=row[1],
        held_on=row[2],
        electorate_fixed=bool(row[3]),
        status=row[4],
        village_id=row[5],
        village_code=row[6],
        not_yet_open=bool(row[7]),
        closed=bool(row[8]),
        login_voter=voter,
    )


def is_elector(motion_id: int, resident_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM voting_elector WHERE motion_id = %s AND resident_id = %s",
            [motion_id, resident_id],
        )
        return cursor.fetchone() is not None


def attend(
    *,
    motion_id: int,
    voter: Voter,
    channel: str,
    recorded_by: int,
    at: datetime.datetime,
) -> int | None:
    """Sign a person in; the new row's id, or None if they were already present (the unique
    (motion, resident) constraint says so, whichever channel signed them in)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO voting_attendance"
            " (motion_id, resident_id, household_id_at, channel, at, recorded_by_id)"
            " VALUES (%s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (motion_id, resident_id) DO NOTHING RETURNING id",
            [motion_id, voter.pk, voter.household_id, channel, _now(at), recorded_by],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def insert_ballot(
    *,
    motion_id: int,
    voter_id: int,
    choice: str,
    channel: str,
    voter_token: str,
    nonce: str,
    receipt: str,
    cast_at: datetime.datetime,
    entered_by: int,
) -> int | None:
    """Store a ballot; its id, or None when the person already has one for this motion — the
    unique (motion, voter) constraint decides, also between concurrent transactions (PostgreSQL
    makes the second wait for the first and then finds the conflict)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO voting_ballot"
            " (motion_id, voter_id, choice, channel, voter_token, nonce, receipt, cast_at, entered_by_id)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (motion_id, voter_id) DO NOTHING RETURNING id",
            [motion_id, voter_id, choice, channel, voter_token, nonce, receipt, _now(cast_at), entered_by],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


_LOCK_HEAD = (
    "SELECT event_count, head_hash, (closes_at <= %s OR closed_at IS NOT NULL)"
    " FROM voting_meeting WHERE id = %s"
)


def lock_head(meeting_id: int, now: datetime.datetime) -> Head:
    """Take the meeting's row lock (held to the end of the transaction: one appender per box) and
    read the chain's head, and whether the box has closed since it was first read."""
    sql = _LOCK_HEAD + (" FOR UPDATE" if connection.features.has_select_for_update else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, [_now(now), meeting_id])
        row = cursor.fetchone()
    return Head(count=int(row[0]), hash=row[1] or "", closed=bool(row[2]))


_INSERT_EVENT = (
    "INSERT INTO voting_boxevent (motion_id, seq, type, payload, prev_hash, hash)"
    " VALUES (%s, %s, %s, %s, %s, %s)"
)
_MOVE_HEAD = "UPDATE voting_meeting SET event_count = %s, head_hash = %s WHERE id = %s"


def append(
    *, meeting_id: int, motion_id: int, seq: int, type: str, payload: dict[str, Any], prev: str, digest: str
) -> None:
    """Write one chained event and move the meeting's head to it (under `lock_head`'s lock)."""
    event: list[Any] = [motion_id, seq, type, connection.ops.adapt_json_value(payload, None), prev, digest]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # one round trip less while the lock is held
            cursor.execute(f"WITH e AS ({_INSERT_EVENT}) {_MOVE_HEAD}", [*event, seq, digest, meeting_id])
            return
        cursor.execute(_INSERT_EVENT, event)
        cursor.execute(_MOVE_HEAD, [seq, digest, meeting_id])
