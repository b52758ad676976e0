"""Reads of sunshine voting: staff lists and details through the access chokepoint (VOTE_VIEW and
the stricter voting permissions), the live tally, the hall roster, the district summary, and the
public pages' reads, which expose only what the practice publishes (steps, results, receipts,
names on open ballots; never ID numbers or phones).
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from apps.accounts import access
from apps.accounts.permissions import Perm
from apps.core.errors import NotFound
from apps.people.models import Resident
from apps.people.selectors import resident_of
from apps.territory.choices import Level
from apps.territory.models import Unit
from apps.territory.paths import subtree_q

from . import rules
from .choices import (
    KIND_SHORT,
    BodyKind,
    Choice,
    MeetingKind,
    MotionKind,
    MotionStatus,
    Outcome,
    WarningKind,
)
from .models import (
    Attachment,
    Attendance,
    Ballot,
    Meeting,
    Membership,
    Motion,
    MotionWarning,
    Step,
    Suggestion,
)

_OPEN_WARNINGS = Prefetch(
    "warnings", queryset=MotionWarning.objects.filter(resolved_at=None), to_attr="open_warnings"
)


def motions_visible(user: Any) -> QuerySet[Motion]:
    return access.restrict(Motion.objects.select_related("village__parent"), user, Perm.VOTE_VIEW)


def motion_list(
    user: Any,
    *,
    status: str = "",
    kind: str = "",
    unit_code: str = "",
    warning: str = "",
    q: str = "",
) -> QuerySet[Motion]:
    qs = motions_visible(user).prefetch_related(_OPEN_WARNINGS)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if unit_code and unit_code.isdigit():
        qs = qs.filter(subtree_q(unit_code, "village__code"))
    if warning == "any":
        qs = qs.filter(warnings__resolved_at__isnull=True, warnings__isnull=False).distinct()
    elif warning:
        qs = qs.filter(warnings__kind=warning, warnings__resolved_at__isnull=True).distinct()
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(number__icontains=q) | Q(village__name__icontains=q))
    return qs.order_by("-created_at", "-id")


def motion_get(user: Any, pk: int, perm: Perm = Perm.VOTE_VIEW) -> Motion:
    return access.get_for(user, perm, Motion.objects.select_related("village__parent"), pk=pk)


def motion_steps(motion: Motion) -> list[Step]:
    return list(
        Step.objects.filter(motion=motion)
        .select_related("recorded_by")
        .prefetch_related("attachments")
        .order_by("recorded_at", "id")
    )


def attachment_get(user: Any, motion: Motion, pk: int) -> Attachment:
    return access.get_for(
        user,
        Perm.VOTE_VIEW,
        Attachment.objects.select_related("step__motion__village"),
        pk=pk,
        step__motion=motion,
    )


def meeting_of(motion: Motion) -> Meeting | None:
    return Meeting.objects.filter(motion=motion).first()


def open_warnings(motion: Motion) -> list[MotionWarning]:
    return list(MotionWarning.objects.filter(motion=motion, resolved_at=None))


def warning_history(motion: Motion) -> list[MotionWarning]:
    return list(MotionWarning.objects.filter(motion=motion).order_by("-raised_at"))


# --- Tally ------------------------------------------------------------------------------------------


@dataclass
class LiveTally:
    meeting: Meeting
    result: rules.Tally
    closed: bool
    open_now: bool
    online: int
    hall: int

    @property
    def turnout_percent(self) -> int:
        return round(100 * self.result.attended / self.meeting.electorate) if self.meeting.electorate else 0

    @property
    def outcome_label(self) -> str:
        return Outcome(self.result.outcome).label


def live_tally(motion: Motion) -> LiveTally | None:
    """The count as it stands: from the stored tally once closed, from the ballots while open."""
    meeting = meeting_of(motion)
    if meeting is None:
        return None
    counts = dict(
        Ballot.objects.filter(motion=motion)
        .values("choice")
        .annotate(n=Count("id"))
        .values_list("choice", "n")
    )
    channels = Counter(Attendance.objects.filter(motion=motion).values_list("channel", flat=True))
    attendance = Attendance.objects.filter(motion=motion)
    if meeting.closed_at is not None:
        votes = (meeting.votes_for, meeting.votes_against, meeting.votes_abstain)
        attended, households = meeting.attended, meeting.households_attended
    else:
        votes = (counts.get(Choice.FOR, 0), counts.get(Choice.AGAINST, 0), counts.get(Choice.ABSTAIN, 0))
        attended = sum(channels.values())
        households = attendance.values("household_id_at").distinct().count()
    result = rules.tally(
        kind=meeting.kind,
        rules=meeting.rules,
        electorate=meeting.electorate,
        households=meeting.households,
        attended=attended,
        households_attended=households,
        votes_for=votes[0],
        votes_against=votes[1],
        votes_abstain=votes[2],
    )
    return LiveTally(
        meeting=meeting,
        result=result,
        closed=meeting.closed_at is not None,
        open_now=meeting.is_open(),
        online=channels.get("online", 0),
        hall=channels.get("hall", 0),
    )


@dataclass
class RosterRow:
    resident: Resident
    attended: str  # "" | hall | online
    voted: str  # "" | paper | hands | online


def hall_roster(motion: Motion, meeting: Meeting, q: str = "") -> list[RosterRow]:
    """The electorate with who is present and who has voted (not how: tellers need no more)."""
    voters = rules.roll(meeting, motion.village).order_by("name", "id")
    if q:
        voters = voters.filter(name__icontains=q)
    present = dict(Attendance.objects.filter(motion=motion).values_list("resident_id", "channel"))
    voted = dict(Ballot.objects.filter(motion=motion).values_list("voter_id", "channel"))
    return [RosterRow(r, present.get(r.pk, ""), voted.get(r.pk, "")) for r in voters[:500]]


def roster_row(motion: Motion, voter: Resident) -> RosterRow:
    present = (
        Attendance.objects.filter(motion=motion, resident=voter).values_list("channel", flat=True).first()
    )
    voted = Ballot.objects.filter(motion=motion, voter=voter).values_list("channel", flat=True).first()
    return RosterRow(voter, present or "", voted or "")


def roster_voter(motion: Motion, meeting: Meeting, resident_id: int) -> Resident:
    voter = rules.roll(meeting, motion.village).filter(pk=resident_id).first()
    if voter is None:
        raise NotFound("该居民不是本次会议的表决人员。", code="not_member")
    return voter


def ballot_list(motion: Motion, meeting: Meeting | None) -> list[dict[str, Any]]:
    """The published ballot list: receipt, choice, channel; the name only on an open ballot."""
    rows = Ballot.objects.filter(motion=motion).select_related("voter").order_by("cast_at", "id")
    secret = meeting is None or meeting.secret
    return [
        {
            "receipt": b.receipt,
            "choice": b.get_choice_display(),
            "channel": b.get_channel_display(),
            "name": "" if secret else b.voter.name,
            "cast_at": b.cast_at,
        }
        for b in rows
    ]


# --- Bodies and suggestions -------------------------------------------------------------------------


def village_for(user: Any, code: str, perm: Perm = Perm.VOTE_VIEW) -> Unit:
    unit = Unit.objects.filter(code=code, level=Level.VILLAGE).first()
    if unit is None:
        raise NotFound("该村（社区）不存在。", code="village_not_found")
    access.require(user, perm, unit.code)
    return unit


def villages_for(user: Any, perm: Perm) -> QuerySet[Unit]:
    return access.restrict(Unit.objects.filter(level=Level.VILLAGE, is_active=True), user, perm).order_by(
        "code"
    )


def memberships(village: Unit) -> dict[str, list[Membership]]:
    seats = Membership.objects.filter(body__unit=village).select_related("resident", "body")
    today = timezone.localdate()
    out: dict[str, list[Membership]] = {k: [] for k in BodyKind.values}
    for seat in seats.order_by("resident__name"):
        seat.current = seat.starts_on <= today and (seat.ends_on is None or seat.ends_on >= today)  # type: ignore[attr-defined]
        out[seat.body.kind].append(seat)
    return out


def member_candidates(village: Unit, q: str) -> QuerySet[Resident]:
    """Adult active villagers matching a name, for the cadre picking a member."""
    return (
        rules.electorate(MeetingKind.VILLAGERS, village, timezone.localdate())
        .filter(name__icontains=q)
        .select_related("household")[:20]
    )


def membership_get(user: Any, pk: int) -> Membership:
    return access.get_for(user, Perm.VOTE_MANAGE, Membership.objects.select_related("body__unit"), pk=pk)


def suggestions_for(user: Any, village: Unit) -> QuerySet[Suggestion]:
    return access.restrict(Suggestion.objects.filter(village=village), user, Perm.VOTE_VIEW)


# --- Summary ----------------------------------------------------------------------------------------


def summary_root(user: Any, code: str = "") -> Unit | None:
    """The unit the summary is about: the one asked for if the user may see it, else the user's own
    widest voting scope (the county for a county-wide role)."""
    if code:
        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            raise NotFound("该区域不存在。", code="unit_not_found")
        access.require(user, Perm.VOTE_VIEW, unit.code)
        return unit
    scope = access.scope_of(user, Perm.VOTE_VIEW)
    if scope.everything:
        return Unit.objects.filter(level=Level.COUNTY).order_by("code").first()
    return Unit.objects.filter(code__in=scope.prefixes).order_by("level", "code").first()


def summary(user: Any, root: Unit) -> dict[str, Any]:
    """Motions by kind, stage, outcome and warning under `root`, and per child unit (township or
    village) one row each — what a township or county reads off the 阳光票决 system."""
    motions = motions_visible(user).filter(subtree_q(root.code, "village__code"))
    by_kind = dict(motions.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    by_status = dict(motions.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    by_outcome = dict(
        motions.exclude(outcome="").values_list("outcome").annotate(n=Count("id")).values_list("outcome", "n")
    )
    warnings = MotionWarning.objects.filter(motion__in=motions.values("pk"), resolved_at=None)
    by_warning = dict(warnings.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    children = (
        list(access.restrict(Unit.objects.filter(parent=root), user, Perm.VOTE_VIEW).order_by("code"))
        if root.level < Level.VILLAGE
        else []
    )
    rows = []
    for child in children:
        mine = motions.filter(subtree_q(child.code, "village__code"))
        counts = dict(mine.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
        outcomes = dict(
            mine.exclude(outcome="")
            .values_list("outcome")
            .annotate(n=Count("id"))
            .values_list("outcome", "n")
        )
        rows.append(
            {
                "unit": child,
                "total": sum(counts.values()),
                "in_progress": sum(
                    counts.get(s, 0)
                    for s in (
                        MotionStatus.SUGGESTED,
                        MotionStatus.PROPOSED,
                        MotionStatus.CONSULTED,
                        MotionStatus.RETURNED,
                        MotionStatus.FILED,
                    )
                ),
                "voting": counts.get(MotionStatus.VOTING, 0) + counts.get(MotionStatus.DECIDED, 0),
                "supervising": counts.get(MotionStatus.SUPERVISING, 0),
                "done": counts.get(MotionStatus.DONE, 0),
                "passed": outcomes.get(Outcome.PASSED, 0),
                "failed": outcomes.get(Outcome.REJECTED, 0) + outcomes.get(Outcome.INVALID, 0),
                "warnings": MotionWarning.objects.filter(
                    motion__in=mine.values("pk"), resolved_at=None
                ).count(),
            }
        )
    return {
        "root": root,
        "total": sum(by_status.values()),
        "by_kind": [(KIND_SHORT[MotionKind(k)], k, by_kind.get(k, 0)) for k in MotionKind.values],
        "by_status": [(MotionStatus(s).label, s, by_status.get(s, 0)) for s in MotionStatus.values],
        "by_outcome": [(Outcome(o).label, o, by_outcome.get(o, 0)) for o in Outcome.values],
        "by_warning": [(WarningKind(w).label, w, by_warning.get(w, 0)) for w in WarningKind.values],
        "warning_total": sum(by_warning.values()),
        "rows": rows,
        "recent_warnings": list(warnings.select_related("motion__village").order_by("-raised_at")[:30]),
    }


# --- Residents -------------------------------------------------------------------------------------


def my_voting(user: Any) -> dict[str, Any]:
    """A resident's page: motions open for their vote now, and their ballots with receipts."""
    resident = resident_of(user)
    if resident is None:
        return {"resident": None, "open": [], "ballots": []}
    unit = resident.household.unit
    village = unit.parent if unit.level > Level.VILLAGE and unit.parent is not None else unit
    now = timezone.now()
    meetings = Meeting.objects.filter(
        motion__village=village,
        motion__status=MotionStatus.VOTING,
        closed_at__isnull=True,
        closes_at__gt=now,
    ).select_related("motion")
    open_ = [m for m in meetings if rules.on_roll(m, village, resident.pk)]
    voted = set(Ballot.objects.filter(voter=resident).values_list("motion_id", flat=True))
    ballots = list(
        Ballot.objects.filter(voter=resident).select_related("motion__village").order_by("-cast_at")[:20]
    )
    return {
        "resident": resident,
        "village": village,
        "open": [(m, m.motion_id in voted) for m in open_],
        "ballots": ballots,
        "recent": list(Motion.objects.filter(village=village).order_by("-created_at")[:10]),
    }


# --- Public pages -----------------------------------------------------------------------------------


def public_village(code: str) -> Unit:
    unit = (
        Unit.objects.filter(code=code, level=Level.VILLAGE, is_active=True).select_related("parent").first()
    )
    if unit is None:
        raise NotFound("该村（社区）不存在。", code="village_not_found")
    return unit


def public_motions(village: Unit) -> QuerySet[Motion]:
    """Every motion of the village: each step is public from the moment it is recorded (公示)."""
    return Motion.objects.filter(village=village).order_by("-created_at", "-id")


def public_motion(village: Unit, pk: int) -> Motion:
    motion = Motion.objects.filter(village=village, pk=pk).select_related("village").first()
    if motion is None:
        raise NotFound("该票决事项不存在。", code="not_found")
    return motion


def today() -> datetime.date:
    return timezone.localdate()
