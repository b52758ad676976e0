"""Choices of the case module: channels, kinds, the states of the one state machine, triage."""

from django.db import models


class Channel(models.TextChoices):
    PHOTO = "photo", "随手拍"
    MAILBOX = "mailbox", "村民信箱"
    HOTLINE = "hotline", "12345热线"
    LEADER_VISIT = "leader_visit", "周一夜访"
    RECEPTION = "reception", "来访接待"
    MEETING = "meeting", "百姓夜话/村民说事"
    PATROL = "patrol", "网格巡查"
    API = "api", "开放接口"


# Channels staff enter on a citizen's behalf (the rest are the citizen's own).
STAFF_CHANNELS = (Channel.HOTLINE, Channel.LEADER_VISIT, Channel.RECEPTION, Channel.MEETING, Channel.PATROL)


class CaseKind(models.TextChoices):
    CONSULT = "consult", "咨询"
    HELP = "help", "求助"
    COMPLAINT = "complaint", "投诉"
    SUGGESTION = "suggestion", "建议"
    EMERGENCY = "emergency", "紧急"


class Status(models.TextChoices):
    SUBMITTED = "submitted", "待受理"
    ACCEPTED = "accepted", "待分流"
    TRIAGED = "triaged", "待派单"
    DISPATCHED = "dispatched", "待签收"
    HANDLING = "handling", "办理中"
    REPLIED = "replied", "待回访"
    FOLLOWED_UP = "followed_up", "待办结"
    CLOSED = "closed", "已办结"
    REJECTED = "rejected", "不予受理"
    MERGED = "merged", "已合并"


OPEN_STATUSES = (
    Status.SUBMITTED,
    Status.ACCEPTED,
    Status.TRIAGED,
    Status.DISPATCHED,
    Status.HANDLING,
    Status.REPLIED,
    Status.FOLLOWED_UP,
)
FINAL_STATUSES = (Status.CLOSED, Status.REJECTED, Status.MERGED)


class Triage(models.TextChoices):
    """三事分流: major matters go to the township, minor ones to the village committee, private
    ones to neighbour coordination (四邻联动) under the village."""

    MAJOR = "major", "大事（乡镇）"
    MINOR = "minor", "小事（村）"
    PRIVATE = "private", "私事（四邻联动）"


class SlaState(models.TextChoices):
    NORMAL = "normal", "正常"
    YELLOW = "yellow", "即将超期"
    RED = "red", "已超期"


class Rating(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    BASIC = "basic", "基本满意"
    UNSATISFIED = "unsatisfied", "不满意"


class Action(models.TextChoices):
    """Every step on a case's timeline."""

    SUBMIT = "submit", "提交"
    ACCEPT = "accept", "受理"
    REJECT = "reject", "不予受理"
    TRIAGE = "triage", "分流"
    DISPATCH = "dispatch", "派单"
    SIGN = "sign", "签收"
    RETURN = "return", "退单"
    ESCALATE = "escalate", "上报"
    EXTENSION_REQUEST = "extension_request", "申请延期"
    EXTENSION_DECIDE = "extension_decide", "审批延期"
    URGE = "urge", "督办"
    PROGRESS = "progress", "办理进展"
    REPLY = "reply", "答复"
    FOLLOW_UP = "follow_up", "回访"
    REOPEN = "reopen", "重办"
    CLOSE = "close", "办结"
    MERGE = "merge", "合并"
    SPLIT = "split", "拆分"
    WHISTLE = "whistle", "吹哨"
    WHISTLE_SIGN = "whistle_sign", "部门报到"
    WHISTLE_DONE = "whistle_done", "部门办结"
    OWN = "own", "领导包案"
    WARN = "warn", "超期预警"


# Steps shown on the public progress page (by label and body, never a person's name or note).
PUBLIC_ACTIONS = frozenset(
    {
        Action.SUBMIT,
        Action.ACCEPT,
        Action.REJECT,
        Action.DISPATCH,
        Action.SIGN,
        Action.ESCALATE,
        Action.REPLY,
        Action.FOLLOW_UP,
        Action.REOPEN,
        Action.CLOSE,
        Action.MERGE,
        Action.WHISTLE,
        Action.WHISTLE_SIGN,
    }
)


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    REFUSED = "refused", "未批准"


class WhistleStatus(models.TextChoices):
    PENDING = "pending", "待报到"
    SIGNED = "signed", "已报到"
    DONE = "done", "已办结"


class ResolvedLevel(models.TextChoices):
    """Where a closed case was settled (微事不出格、小事不出村、大事不出乡)."""

    GRID = "grid", "网格"
    VILLAGE = "village", "村（社区）"
    TOWNSHIP = "township", "乡镇（街道）"
    COUNTY = "county", "县级部门"


class IntakeKind(models.TextChoices):
    LEADER_VISIT = "leader_visit", "周一夜访"
    RECEPTION = "reception", "来访接待"
    MEETING = "meeting", "百姓夜话/村民说事"
