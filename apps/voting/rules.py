"""Quorum, majority and electorate rules of a vote (村民委员会组织法 art. 22 and 26 by default).

Pure rules and the queries that say who may vote on a given date; services and selectors use them,
nothing here writes. A rule is `[numerator, denominator, strict]`: strict means "more than" the
fraction, otherwise "at least".
"""

from __future__ import annotations

import copy
import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from apps.people.choices import PoliticalStatus, ResidentStatus
from apps.people.models import ADULT_AGE, Household, Resident
from apps.territory.models import Unit
from apps.territory.paths import subtree_q

from .choices import BodyKind, MeetingKind, Outcome
from .models import Elector

# The law's defaults. Representatives' meeting (art. 26): at least 2/3 of members attend, more
# than half of those attending approve. Villagers' meeting (art. 22): more than half of villagers
# aged 18+, or representatives of at least 2/3 of households, attend; more than half of attendees
# approve. Party members' meeting (where the county uses it): at least 2/3 attend, more than 1/2.
DEFAULT_RULES: dict[str, dict[str, list[Any]]] = {
    MeetingKind.REPRESENTATIVES: {"quorum": [2, 3, False], "majority": [1, 2, True]},
    MeetingKind.VILLAGERS: {
        "quorum": [1, 2, True],
        "quorum_households": [2, 3, False],
        "majority": [1, 2, True],
    },
    MeetingKind.PARTY_MEMBERS: {"quorum": [2, 3, False], "majority": [1, 2, True]},
}
DEFAULT_DAYS = {"filing_days": 15, "publish_days": 3, "report_days": 30}


def reaches(count: int, total: int, rule: list[Any]) -> bool:
    """Whether `count` of `total` reaches the fraction of `rule` (nobody of nobody never does)."""
    num, den, strict = int(rule[0]), int(rule[1]), bool(rule[2])
    if total <= 0:
        return False
    return count * den > total * num if strict else count * den >= total * num


def rule_text(rule: list[Any]) -> str:
    return f"{'超过' if rule[2] else '不少于'} {rule[0]}/{rule[1]}"


def merged_rules(overrides: dict[str, Any] | None) -> dict[str, dict[str, list[Any]]]:
    rules = copy.deepcopy(DEFAULT_RULES)
    for kind, parts in (overrides or {}).items():
        if kind in rules and isinstance(parts, dict):
            for key, value in parts.items():
                if key in rules[kind]:
                    rules[kind][key] = list(value)
    return rules


def validate_rule(rule: Any) -> list[Any]:
    """A rule as stored, or ValueError with the reason in Chinese."""
    if not isinstance(rule, list | tuple) or len(rule) != 3:
        raise ValueError("规则须为 [分子, 分母, 是否须超过]")
    num, den, strict = rule
    if not isinstance(num, int) or not isinstance(den, int) or not 0 < num < den <= 100:
        raise ValueError("比例须为 0 到 1 之间的分数，如 2/3")
    return [num, den, bool(strict)]


@dataclass(frozen=True)
class Tally:
    electorate: int
    households: int
    attended: int
    households_attended: int
    votes_for: int
    votes_against: int
    votes_abstain: int
    quorum_met: bool
    majority_met: bool
    outcome: str

    @property
    def voted(self) -> int:
        return self.votes_for + self.votes_against + self.votes_abstain

    def as_dict(self) -> dict[str, Any]:
        return {
            "electorate": self.electorate,
            "households": self.households,
            "attended": self.attended,
            "households_attended": self.households_attended,
            "for": self.votes_for,
            "against": self.votes_against,
            "abstain": self.votes_abstain,
            "quorum_met": self.quorum_met,
            "majority_met": self.majority_met,
            "outcome": self.outcome,
        }


def tally(
    *,
    kind: str,
    rules: dict[str, Any],
    electorate: int,
    households: int,
    attended: int,
    households_attended: int,
    votes_for: int,
    votes_against: int,
    votes_abstain: int,
) -> Tally:
    own = merged_rules(rules).get(kind, DEFAULT_RULES[MeetingKind.REPRESENTATIVES])
    quorum = reaches(attended, electorate, own["quorum"])
    if "quorum_households" in own:
        quorum = quorum or reaches(households_attended, households, own["quorum_households"])
    # The majority is of those attending (art. 22, 26), not of those who cast a ballot.
    majority = reaches(votes_for, attended, own["majority"])
    outcome = Outcome.INVALID if not quorum else (Outcome.PASSED if majority else Outcome.REJECTED)
    return Tally(
        electorate=electorate,
        households=households,
        attended=attended,
        households_attended=households_attended,
        votes_for=votes_for,
        votes_against=votes_against,
        votes_abstain=votes_abstain,
        quorum_met=quorum,
        majority_met=majority,
        outcome=str(outcome),
    )


# --- Electorate ------------------------------------------------------------------------------------


def adult_cutoff(on: datetime.date) -> datetime.date:
    try:
        return on.replace(year=on.year - ADULT_AGE)
    except ValueError:  # 29 February
        return on.replace(year=on.year - ADULT_AGE, day=28)


def _in_village(village: Unit) -> Q:
    return subtree_q(village.code, "household__unit__code") & Q(
        status=ResidentStatus.ACTIVE, household__is_active=True
    )


def seat_q(village: Unit, on: datetime.date, kind: str = BodyKind.REPRESENTATIVES) -> Q:
    """Residents holding a seat in the village's body on that date (the Q is on Resident)."""
    return Q(
        voting_seats__body__unit=village,
        voting_seats__body__kind=kind,
        voting_seats__starts_on__lte=on,
    ) & (Q(voting_seats__ends_on__isnull=True) | Q(voting_seats__ends_on__gte=on))


def electorate_q(kind: str, village: Unit, on: datetime.date) -> Q:
    """Who may vote at a meeting of `kind` held on `on`. Residents with no birth date recorded are
    left out of the villagers' and party members' meetings: their age cannot be shown to be 18+."""
    adult = Q(birth_date__lte=adult_cutoff(on))
    if kind == MeetingKind.REPRESENTATIVES:
        return _in_village(village) & seat_q(village, on)
    if kind == MeetingKind.PARTY_MEMBERS:
        return _in_village(village) & adult & Q(political_status=PoliticalStatus.PARTY_MEMBER)
    return _in_village(village) & adult


def electorate(kind: str, village: Unit, on: datetime.date) -> Any:
    return Resident.objects.filter(electorate_q(kind, village, on)).distinct()


def is_eligible(kind: str, village: Unit, on: datetime.date, resident: Resident) -> bool:
    return Resident.objects.filter(electorate_q(kind, village, on), pk=resident.pk).exists()


def roll(meeting: Any, village: Unit) -> Any:
    """Who may vote at this meeting: the electorate stored when its box opened (`Elector`), or,
    for a meeting opened before the roll was kept, the rules on its date."""
    if meeting.electorate_fixed:
        stored = Elector.objects.filter(motion_id=meeting.motion_id).values("resident_id")
        return Resident.objects.filter(pk__in=stored)
    return electorate(meeting.kind, village, meeting.held_on)


def on_roll(meeting: Any, village: Unit, resident_id: int) -> bool:
    return roll(meeting, village).filter(pk=resident_id).exists()


def household_count(village: Unit) -> int:
    return Household.objects.filter(subtree_q(village.code, "unit__code"), is_active=True).count()
