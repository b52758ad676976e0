"""The motion state machine: every action from every state, allowed or refused with a message."""

from __future__ import annotations

import pytest

from apps.core.errors import Conflict
from apps.voting import machine
from apps.voting.choices import MotionStatus as S

EXPECTED = {
    ("propose", S.SUGGESTED): S.PROPOSED,
    ("consult", S.PROPOSED): S.CONSULTED,
    ("consult", S.RETURNED): S.CONSULTED,
    ("approve", S.CONSULTED): S.FILED,
    ("return", S.CONSULTED): S.RETURNED,
    ("open_vote", S.FILED): S.VOTING,
    ("close_vote", S.VOTING): S.DECIDED,
    ("publish_passed", S.DECIDED): S.SUPERVISING,
    ("publish_failed", S.DECIDED): S.CLOSED,
    ("report", S.SUPERVISING): S.SUPERVISING,
    ("complete", S.SUPERVISING): S.DONE,
    **{("withdraw", s): S.WITHDRAWN for s in (S.SUGGESTED, S.PROPOSED, S.CONSULTED, S.RETURNED, S.FILED)},
}
PAIRS = [(action, status) for action in machine.TRANSITIONS for status in S.values]


@pytest.mark.parametrize(("action", "status"), PAIRS, ids=[f"{a}-{s}" for a, s in PAIRS])
def test_every_transition(action: str, status: str) -> None:
    if (action, status) in EXPECTED:
        assert machine.allowed(status, action)
        assert machine.advance(status, action) == EXPECTED[(action, status)]
    else:
        assert not machine.allowed(status, action)
        with pytest.raises(Conflict) as err:
            machine.advance(status, action)
        assert err.value.code == "illegal_transition" and "无法" in err.value.message


def test_no_way_out_of_a_finished_motion() -> None:
    for status in (S.DONE, S.CLOSED, S.WITHDRAWN):
        assert machine.actions_from(status) == []
