"""The motion's state machine: every transition of the six-step procedure, in one table.

Services name the action they perform; `advance()` refuses an action the motion's state does not
allow with a Chinese message that says what has to happen first. Nothing else changes
`Motion.status`.
"""

from __future__ import annotations

from dataclasses import dataclass

from apps.core.errors import Conflict

from .choices import MotionStatus as S


@dataclass(frozen=True)
class Transition:
    label: str
    sources: frozenset[str]
    target: str


def _t(label: str, sources: set[S], target: str) -> Transition:
    return Transition(label, frozenset(sources), target)


_BEFORE_VOTE = {S.SUGGESTED, S.PROPOSED, S.CONSULTED, S.RETURNED, S.FILED}

TRANSITIONS: dict[str, Transition] = {
    "propose": _t("村党支部提议", {S.SUGGESTED}, S.PROPOSED),
    "consult": _t("村务联席会议商议", {S.PROPOSED, S.RETURNED}, S.CONSULTED),
    "approve": _t("乡镇审议备案", {S.CONSULTED}, S.FILED),
    "return": _t("乡镇退回", {S.CONSULTED}, S.RETURNED),
    "open_vote": _t("开启票决", {S.FILED}, S.VOTING),
    "close_vote": _t("结束票决并计票", {S.VOTING}, S.DECIDED),
    "publish_passed": _t("公布表决结果", {S.DECIDED}, S.SUPERVISING),
    "publish_failed": _t("公布表决结果", {S.DECIDED}, S.CLOSED),
    "report": _t("报告实施情况", {S.SUPERVISING}, S.SUPERVISING),
    "complete": _t("实施完成", {S.SUPERVISING}, S.DONE),
    "withdraw": _t("撤回事项", _BEFORE_VOTE, S.WITHDRAWN),
}

# What has to happen before an action, said to the user when the state forbids it.
_HINT: dict[str, str] = {
    S.SUGGESTED: "该事项尚待村党支部提议",
    S.PROPOSED: "该事项尚待村务联席会议商议",
    S.CONSULTED: "该事项正等待乡镇审议备案",
    S.RETURNED: "该事项已被乡镇退回，须重新商议",
    S.FILED: "该事项已备案，等待召开票决会议",
    S.VOTING: "该事项正在票决中",
    S.DECIDED: "该事项已表决，等待公布结果",
    S.SUPERVISING: "该事项处于监督实施阶段",
    S.DONE: "该事项已实施完成",
    S.CLOSED: "该事项未获通过，已办结",
    S.WITHDRAWN: "该事项已撤回",
}


def allowed(status: str, action: str) -> bool:
    return status in TRANSITIONS[action].sources


def actions_from(status: str) -> list[str]:
    return [name for name, t in TRANSITIONS.items() if status in t.sources]


def advance(status: str, action: str) -> str:
    """The state after `action`, or Conflict saying why the action is not possible now."""
    transition = TRANSITIONS[action]
    if status not in transition.sources:
        raise Conflict(
            f"无法“{transition.label}”：{_HINT.get(status, '当前状态不允许该操作')}。",
            code="illegal_transition",
            extra={"status": status, "action": action},
        )
    return transition.target
