"""Choices of sunshine voting (阳光票决): the kinds of matter, the six steps, the meeting bodies,
ballot choices and channels, outcomes and warnings."""

from __future__ import annotations

from django.db import models


class MotionKind(models.TextChoices):
    """The ten kinds of matter 莲都 requires to be voted on (seed 004), plus ordinary matters."""

    PLAN = "plan", "村经济和社会发展规划及年度计划、村庄建设规划"
    WELFARE = "welfare", "公益事业的兴办和筹资筹劳方案及建设承包方案"
    SUBSIDY = "subsidy", "村级享受误工补贴的人员及补贴标准"
    INCOME = "income", "村集体经济所得收益的使用"
    LAND_CONTRACT = "land_contract", "土地承包经营方案"
    COLLECTIVE_PROJECT = "collective_project", "集体经济项目的立项、承包方案"
    HOMESTEAD = "homestead", "宅基地的使用方案"
    COMPENSATION = "compensation", "征地补偿费的使用、分配方案"
    PROPERTY = "property", "以借贷、租赁或者其他方式处分村集体财产"
    VITAL = "vital", "涉及村集体、村民切身利益的其他事项"
    ORDINARY = "ordinary", "一般村务事项（非必须票决）"


MANDATORY_KINDS = frozenset(set(MotionKind) - {MotionKind.ORDINARY})

# Short labels for tables and the summary (the full wording is in MotionKind).
KIND_SHORT = {
    MotionKind.PLAN: "发展规划",
    MotionKind.WELFARE: "公益事业",
    MotionKind.SUBSIDY: "误工补贴",
    MotionKind.INCOME: "集体收益",
    MotionKind.LAND_CONTRACT: "土地承包",
    MotionKind.COLLECTIVE_PROJECT: "集体项目",
    MotionKind.HOMESTEAD: "宅基地",
    MotionKind.COMPENSATION: "征地补偿",
    MotionKind.PROPERTY: "集体财产处分",
    MotionKind.VITAL: "其他切身利益",
    MotionKind.ORDINARY: "一般事项",
}


class MotionStatus(models.TextChoices):
    SUGGESTED = "suggested", "已建议"
    PROPOSED = "proposed", "已提议"
    CONSULTED = "consulted", "已商议，待审议备案"
    RETURNED = "returned", "乡镇退回，待重新商议"
    FILED = "filed", "已审议备案，待票决"
    VOTING = "voting", "票决中"
    DECIDED = "decided", "已表决，待公布"
    SUPERVISING = "supervising", "监督实施中"
    DONE = "done", "已实施完成"
    CLOSED = "closed", "未通过，已公布"
    WITHDRAWN = "withdrawn", "已撤回"


STATUS_COLOR = {
    MotionStatus.SUGGESTED: "secondary",
    MotionStatus.PROPOSED: "secondary",
    MotionStatus.CONSULTED: "info",
    MotionStatus.RETURNED: "warning",
    MotionStatus.FILED: "primary",
    MotionStatus.VOTING: "danger",
    MotionStatus.DECIDED: "primary",
    MotionStatus.SUPERVISING: "success",
    MotionStatus.DONE: "success",
    MotionStatus.CLOSED: "dark",
    MotionStatus.WITHDRAWN: "light",
}


class StepKind(models.IntegerChoices):
    SUGGEST = 1, "党员群众建议"
    PROPOSE = 2, "村党支部提议"
    CONSULT = 3, "村务联席会议商议"
    REVIEW = 4, "乡镇（街道）审议备案"
    VOTE = 5, "村民代表会议票决"
    SUPERVISE = 6, "村务监督委员会监督"


class ReviewDecision(models.TextChoices):
    APPROVE = "approve", "同意备案"
    RETURN = "return", "退回修改"


class BodyKind(models.TextChoices):
    """Standing bodies a village keeps a member list of."""

    REPRESENTATIVES = "representatives", "村民代表会议"
    SUPERVISION = "supervision", "村务监督委员会"


class MeetingKind(models.TextChoices):
    """Who votes on a motion (the electorate of the ballot box)."""

    REPRESENTATIVES = "representatives", "村民代表会议"
    VILLAGERS = "villagers", "村民会议"
    PARTY_MEMBERS = "party_members", "党员大会"


class Choice(models.TextChoices):
    FOR = "for", "同意"
    AGAINST = "against", "反对"
    ABSTAIN = "abstain", "弃权"


class Channel(models.TextChoices):
    PAPER = "paper", "现场纸质选票"
    HANDS = "hands", "现场举手表决"
    ONLINE = "online", "云票决（线上）"


class AttendanceChannel(models.TextChoices):
    HALL = "hall", "现场"
    ONLINE = "online", "线上"


class Outcome(models.TextChoices):
    PASSED = "passed", "通过"
    REJECTED = "rejected", "未通过"
    INVALID = "invalid", "会议无效（未达法定人数）"


class WarningKind(models.TextChoices):
    NO_VOTE = "no_vote", "必须票决事项未经票决即实施"
    STEP_ORDER = "step_order", "程序缺失或顺序颠倒"
    QUORUM = "quorum", "到会人数未达法定要求"
    FILING_OVERDUE = "filing_overdue", "审议备案超期"
    RESULT_UNPUBLISHED = "result_unpublished", "表决结果未按期公开"
    REPORT_OVERDUE = "report_overdue", "实施情况报告超期"


class BoxEventType(models.TextChoices):
    OPEN = "open", "开启票箱"
    ATTEND = "attend", "签到"
    BALLOT = "ballot", "投票"
    CLOSE = "close", "关闭票箱并计票"
