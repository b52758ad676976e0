"""The ballot box as a hash chain: canonical event payloads, receipts, appending, and verifying.

Each event's hash is sha256(previous hash + canonical JSON of its payload); the first event links
to 64 zeros. A ballot's receipt is sha256("motion|voter token|choice|nonce"), shown to the voter
and published, so a voter finds their receipt in the list and anyone can recompute the chain, the
receipts and the tally from the published events (`verify`). Events are appended only by
services.py, inside its transaction and under the meeting's row lock.

Events: `open` (electorate, households, rules, window), `attend` (a person signed in without
voting yet: voter and household pseudonyms, channel), `ballot` (voter pseudonym, choice, channel,
nonce, receipt; with a `household_token` when this ballot is also the voter's sign-in, so a
voter who was not yet present costs one event, not two), `close` (the tally).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from .choices import BoxEventType, Choice
from .models import Ballot, BoxEvent, Meeting, Motion
from .rules import tally

GENESIS = "0" * 64


def canonical(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def link(prev_hash: str, payload: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(payload)).encode()).hexdigest()


def pseudonym(motion_id: int, kind: str, key: int) -> str:
    """A stable pseudonym of a voter (or household) for one motion: names never enter the chain."""
    message = f"voting:{kind}:{motion_id}:{key}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:32]


def receipt_of(motion_id: int, voter_token: str, choice: str, nonce: str) -> str:
    return hashlib.sha256(f"{motion_id}|{voter_token}|{choice}|{nonce}".encode()).hexdigest()


def chained(
    motion_id: int, count: int, head: str, event_type: str, at: str, data: dict[str, Any]
) -> tuple[int, str, dict[str, Any], str]:
    """The next event after a head of `count` events ending in `head`: (seq, prev, payload, hash)."""
    seq = count + 1
    prev = head or GENESIS
    payload = {"seq": seq, "type": event_type, "motion": motion_id, "at": at, **data}
    return seq, prev, payload, link(prev, payload)


def append(meeting: Meeting, event_type: str, at: str, data: dict[str, Any]) -> BoxEvent:
    """Add one event after the meeting's head. The caller holds the meeting row locked and saves
    `head_hash` and `event_count` afterwards. (Ballots and sign-ins append through
    `services._chain`, the same chain written by castpath's statements.)"""
    seq, prev, payload, digest = chained(
        meeting.motion_id, meeting.event_count, meeting.head_hash, event_type, at, data
    )
    event = BoxEvent.objects.create(
        motion_id=meeting.motion_id, seq=seq, type=event_type, payload=payload, prev_hash=prev, hash=digest
    )
    meeting.event_count = seq
    meeting.head_hash = event.hash
    return event


@dataclass
class Verification:
    ok: bool
    events: int
    head: str
    problems: list[str] = field(default_factory=list)
    recomputed: dict[str, Any] = field(default_factory=dict)


def replay(motion_id: int, events: list[dict[str, Any]]) -> Verification:
    """Check a list of published events (seq, type, payload, prev_hash, hash) on its own: the chain
    links, the receipts, and the tally the close event states against the one the events give."""
    problems: list[str] = []
    prev = GENESIS
    attended: set[str] = set()
    households: set[str] = set()
    voted: dict[str, str] = {}
    opened: dict[str, Any] = {}
    closed: dict[str, Any] | None = None
    for index, event in enumerate(events, start=1):
        payload = event["payload"]
        if event["seq"] != index or payload.get("seq") != index or payload.get("motion") != motion_id:
            problems.append(f"第 {index} 条事件的序号或事项不符")
        if event["prev_hash"] != prev:
            problems.append(f"第 {index} 条事件的前序哈希与上一条不符（链条断开）")
        if link(event["prev_hash"], payload) != event["hash"]:
            problems.append(f"第 {index} 条事件的内容与其哈希不符（记录被改动）")
        prev = event["hash"]
        kind = payload.get("type")
        if kind == BoxEventType.OPEN:
            opened = payload
        elif kind == BoxEventType.ATTEND:
            attended.add(payload["voter_token"])
            households.add(payload.get("household_token") or payload["voter_token"])
        elif kind == BoxEventType.BALLOT:
            token = payload["voter_token"]
            if "household_token" in payload:  # the ballot of someone not yet present signs them in
                attended.add(token)
                households.add(payload["household_token"])
            if token in voted:
                problems.append(f"第 {index} 条事件：同一人重复投票")
            if receipt_of(motion_id, token, payload["choice"], payload["nonce"]) != payload["receipt"]:
                problems.append(f"第 {index} 条事件：回执与选票内容不符")
            if token not in attended:
                problems.append(f"第 {index} 条事件：投票人未签到")
            voted[token] = payload["choice"]
        elif kind == BoxEventType.CLOSE:
            closed = payload
    counts = Counter(voted.values())
    recomputed: dict[str, Any] = {
        "attended": len(attended),
        "households_attended": len(households),
        "for": counts[Choice.FOR],
        "against": counts[Choice.AGAINST],
        "abstain": counts[Choice.ABSTAIN],
        "receipts": sorted(payload_receipt for payload_receipt in _receipts(events)),
    }
    if opened:
        result = tally(
            kind=opened["meeting_kind"],
            rules=opened["rules"],
            electorate=opened["electorate"],
            households=opened["households"],
            attended=recomputed["attended"],
            households_attended=recomputed["households_attended"],
            votes_for=recomputed["for"],
            votes_against=recomputed["against"],
            votes_abstain=recomputed["abstain"],
        )
        recomputed.update(result.as_dict())
    if closed is not None:
        stated = closed["tally"]
        for key in ("attended", "for", "against", "abstain", "outcome"):
            if stated.get(key) != recomputed.get(key):
                problems.append(f"计票结果“{key}”与票箱记录重算不符")
    return Verification(
        ok=not problems, events=len(events), head=prev, problems=problems, recomputed=recomputed
    )


def _receipts(events: list[dict[str, Any]]) -> list[str]:
    return [e["payload"]["receipt"] for e in events if e["payload"].get("type") == BoxEventType.BALLOT]


def published_events(motion: Motion) -> list[dict[str, Any]]:
    return [
        {"seq": e.seq, "type": e.type, "payload": e.payload, "prev_hash": e.prev_hash, "hash": e.hash}
        for e in BoxEvent.objects.filter(motion=motion).order_by("seq")
    ]


def verify(motion: Motion) -> Verification:
    """The published chain replayed, then held against the stored ballots and the meeting's tally:
    an edited ballot row, a deleted or inserted event, or a changed count is reported."""
    events = published_events(motion)
    result = replay(motion.pk, events)
    meeting = Meeting.objects.filter(motion=motion).first()
    if meeting is None:
        return result
    if events and (meeting.head_hash != result.head or meeting.event_count != len(events)):
        result.problems.append("票箱末端哈希与会议记录不符（有事件被增删）")
    by_receipt = {e["payload"]["receipt"]: e["payload"] for e in events if e["type"] == BoxEventType.BALLOT}
    rows = list(Ballot.objects.filter(motion=motion).values("receipt", "choice", "voter_token", "nonce"))
    if len(rows) != len(by_receipt):
        result.problems.append(f"选票 {len(rows)} 张，票箱记录 {len(by_receipt)} 张，数量不符")
    for row in rows:
        payload = by_receipt.get(row["receipt"])
        recomputed = receipt_of(motion.pk, row["voter_token"], row["choice"], row["nonce"])
        if payload is None or payload["choice"] != row["choice"] or recomputed != row["receipt"]:
            result.problems.append(f"回执 {row['receipt'][:12]}… 的选票与票箱记录不符（选票被改动）")
    if meeting.closed_at is not None:
        stored = {
            "attended": meeting.attended,
            "for": meeting.votes_for,
            "against": meeting.votes_against,
            "abstain": meeting.votes_abstain,
        }
        for key, value in stored.items():
            if result.recomputed.get(key) != value:
                result.problems.append(f"会议计票“{key}”与票箱重算不符")
    result.ok = not result.problems
    return result
