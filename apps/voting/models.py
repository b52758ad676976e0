"""Data of sunshine voting (阳光票决): a village's standing bodies and their members, motions with
the record of each of the six steps, the meeting that votes on a motion (its attendance, ballots
and the hash-chained ballot box), warnings raised by the sweep, and the county's voting rules.

One person, one vote is the database's job: `Ballot` is unique on (motion, voter) whatever the
channel (paper, hands, online), and so is `Attendance`. Ballot-box events form a hash chain per
motion (`BoxEvent.prev_hash`/`hash`, unique seq), so an edit to a stored ballot or event after the
fact is detected by `box.verify`. The electorate of a meeting is stored when its box opens
(`Elector`), so who may vote does not move under a running vote.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .choices import (
    KIND_SHORT,
    MANDATORY_KINDS,
    STATUS_COLOR,
    AttendanceChannel,
    BodyKind,
    BoxEventType,
    Channel,
    Choice,
    MeetingKind,
    MotionKind,
    MotionStatus,
    Outcome,
    ReviewDecision,
    StepKind,
    WarningKind,
)


class VotingPolicy(models.Model):
    """A county's (or township's) quorum, majority and deadline rules; the nearest ancestor's
    policy applies, and the law's defaults (services.DEFAULT_RULES) where none is kept."""

    unit = models.OneToOneField(
        "territory.Unit", verbose_name="适用区域", on_delete=models.PROTECT, related_name="voting_policy"
    )
    # {"representatives": {"quorum": [2, 3, false], "majority": [1, 2, true]}, ...}: see services.
    rules = models.JSONField("法定人数与表决规则", default=dict, blank=True)
    filing_days = models.PositiveSmallIntegerField("审议备案时限（天）", default=15)
    publish_days = models.PositiveSmallIntegerField("结果公开时限（天）", default=3)
    report_days = models.PositiveSmallIntegerField("实施情况报告周期（天）", default=30)
    updated_at = models.DateTimeField(auto_now=True)

    scope_path = "unit__code"
    audit_exclude = frozenset({"updated_at"})

    class Meta:
        verbose_name = "票决规则"
        verbose_name_plural = "票决规则"

    def __str__(self) -> str:
        return f"{self.unit} 票决规则"

    @property
    def scope_value(self) -> str:
        return self.unit.code


class Body(models.Model):
    """A village's representatives' meeting or supervision committee (its member list)."""

    unit = models.ForeignKey(
        "territory.Unit", verbose_name="村（社区）", on_delete=models.PROTECT, related_name="voting_bodies"
    )
    kind = models.CharField("机构", max_length=20, choices=BodyKind.choices)

    scope_path = "unit__code"

    class Meta:
        verbose_name = "村级议事机构"
        verbose_name_plural = "村级议事机构"
        ordering = ["unit__code", "kind"]
        constraints = [models.UniqueConstraint(fields=["unit", "kind"], name="voting_body_unique_kind")]

    def __str__(self) -> str:
        return f"{self.unit}{self.get_kind_display()}"

    @property
    def scope_value(self) -> str:
        return self.unit.code


class Membership(models.Model):
    """A resident's seat in a body from `starts_on` to `ends_on` (inclusive; open when null)."""

    body = models.ForeignKey(Body, verbose_name="机构", on_delete=models.PROTECT, related_name="members")
    resident = models.ForeignKey(
        "people.Resident", verbose_name="成员", on_delete=models.PROTECT, related_name="voting_seats"
    )
    title = models.CharField("职务", max_length=20, blank=True)
    starts_on = models.DateField("任期开始")
    ends_on = models.DateField("任期结束", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_path = "body__unit__code"
    audit_exclude = frozenset({"created_at"})

    class Meta:
        verbose_name = "成员"
        verbose_name_plural = "成员"
        ordering = ["body_id", "ends_on", "resident__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["body", "resident"], condition=Q(ends_on__isnull=True), name="voting_member_one_open"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="voting_member_dates",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.body} · {self.resident}"

    @property
    def scope_value(self) -> str:
        return self.body.unit.code


class Suggestion(models.Model):
    """A suggestion from a villager or party member (建议), sent online or taken from the 议事箱."""

    village = models.ForeignKey(
        "territory.Unit", verbose_name="村（社区）", on_delete=models.PROTECT, related_name="+"
    )
    resident = models.ForeignKey(
        "people.Resident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_label = models.CharField("建议人", max_length=50, blank=True)
    source = models.CharField("来源", max_length=20, default="online")
    text = models.TextField("建议内容", max_length=2000)
    motion = models.ForeignKey(
        "voting.Motion", null=True, blank=True, on_delete=models.SET_NULL, related_name="suggestions"
    )
    created_at = models.DateTimeField(default=timezone.now)

    scope_path = "village__code"

    class Meta:
        verbose_name = "议事建议"
        verbose_name_plural = "议事建议"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.text[:30]

    @property
    def scope_value(self) -> str:
        return self.village.code


class Motion(models.Model):
    """A matter put to the village (票决事项), moved through the six steps by services.py."""

    village = models.ForeignKey(
        "territory.Unit", verbose_name="村（社区）", on_delete=models.PROTECT, related_name="motions"
    )
    number = models.CharField("编号", max_length=20)
    kind = models.CharField("事项类别", max_length=24, choices=MotionKind.choices)
    title = models.CharField("事项名称", max_length=120)
    description = models.TextField("事项内容", max_length=5000, blank=True)
    status = models.CharField(
        "状态", max_length=16, choices=MotionStatus.choices, default=MotionStatus.SUGGESTED, db_index=True
    )
    outcome = models.CharField("表决结果", max_length=10, choices=Outcome.choices, blank=True, default="")
    # Recorded as already implemented without going through the procedure (登记未经票决的事项).
    bypassed = models.BooleanField("未经票决直接实施", default=False)
    result_published_at = models.DateTimeField("结果公开时间", null=True, blank=True)
    done_at = models.DateTimeField("实施完成时间", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    scope_path = "village__code"
    audit_exclude = frozenset({"updated_at"})

    class Meta:
        verbose_name = "票决事项"
        verbose_name_plural = "票决事项"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["village", "number"], name="voting_motion_unique_number"),
        ]
        indexes = [models.Index(fields=["village", "status"], name="voting_motion_village_status")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def scope_value(self) -> str:
        return self.village.code

    @property
    def mandatory(self) -> bool:
        return self.kind in MANDATORY_KINDS

    @property
    def kind_short(self) -> str:
        return KIND_SHORT.get(MotionKind(self.kind), self.kind)

    @property
    def status_color(self) -> str:
        return STATUS_COLOR.get(MotionStatus(self.status), "secondary")


class Step(models.Model):
    """The record of one step (建议/提议/商议/审议备案/票决/监督): when, who, minutes, signers.
    Published on the village's public page the moment it is recorded (公示)."""

    motion = models.ForeignKey(Motion, on_delete=models.PROTECT, related_name="steps")
    kind = models.PositiveSmallIntegerField("步骤", choices=StepKind.choices)
    held_on = models.DateField("日期")
    participants = models.TextField("参加人员", max_length=2000, blank=True)
    minutes = models.TextField("会议记录/情况", max_length=10000, blank=True)
    signatures = models.JSONField("签字人", default=list, blank=True)
    decision = models.CharField("审议意见", max_length=10, choices=ReviewDecision.choices, blank=True)
    completed = models.BooleanField("实施完成", default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    scope_path = "motion__village__code"

    class Meta:
        verbose_name = "程序记录"
        verbose_name_plural = "程序记录"
        ordering = ["motion_id", "recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.motion.number} {self.get_kind_display()} {self.held_on}"

    @property
    def scope_value(self) -> str:
        return self.motion.village.code


class Attachment(models.Model):
    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField("附件", upload_to="voting/%Y/%m/")
    name = models.CharField("文件名", max_length=200)
    size = models.PositiveIntegerField(default=0)

    scope_path = "step__motion__village__code"

    class Meta:
        verbose_name = "附件"
        verbose_name_plural = "附件"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def scope_value(self) -> str:
        return self.step.motion.village.code


class Meeting(models.Model):
    """Step 5: the meeting that votes on a motion, its voting window and, once closed, the tally."""

    motion = models.OneToOneField(Motion, on_delete=models.PROTECT, related_name="meeting")
    kind = models.CharField("会议类型", max_length=20, choices=MeetingKind.choices)
    held_on = models.DateField("会议日期")
    place = models.CharField("地点", max_length=100, blank=True)
    opens_at = models.DateTimeField("投票开始")
    closes_at = models.DateTimeField("投票截止")
    secret = models.BooleanField("无记名投票", default=False)
    rules = models.JSONField("适用规则", default=dict)  # the policy in force when the box opened
    electorate = models.PositiveIntegerField("应到人数", default=0)
    households = models.PositiveIntegerField("户数", default=0)
    closed_at = models.DateTimeField("计票时间", null=True, blank=True)
    attended = models.PositiveIntegerField("实到人数", default=0)
    households_attended = models.PositiveIntegerField("到会户数", default=0)
    votes_for = models.PositiveIntegerField("同意", default=0)
    votes_against = models.PositiveIntegerField("反对", default=0)
    votes_abstain = models.PositiveIntegerField("弃权", default=0)
    quorum_met = models.BooleanField("达到法定人数", default=False)
    majority_met = models.BooleanField("过半数同意", default=False)
    head_hash = models.CharField("票箱哈希链末端", max_length=64, blank=True)
    event_count = models.PositiveIntegerField(default=0)
    # True when the box opened with its electorate stored as `Elector` rows (every meeting opened
    # since they exist); older meetings check eligibility against the rules on each ballot.
    electorate_fixed = models.BooleanField(default=False)

    scope_path = "motion__village__code"

    class Meta:
        verbose_name = "票决会议"
        verbose_name_plural = "票决会议"
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")), name="voting_window"),
        ]

    def __str__(self) -> str:
        return f"{self.motion.number} {self.get_kind_display()} {self.held_on}"

    @property
    def scope_value(self) -> str:
        return self.motion.village.code

    def is_open(self, now: object = None) -> bool:
        moment = now or timezone.now()
        return self.closed_at is None and self.opens_at <= moment < self.closes_at  # type: ignore[operator]


class Elector(models.Model):
    """A person entitled to vote at a motion's meeting (应到人员), fixed when the box opens, so the
    electorate counted then (`Meeting.electorate`) and the people allowed to vote are one set."""

    motion = models.ForeignKey(Motion, on_delete=models.PROTECT, related_name="electors")
    resident = models.ForeignKey("people.Resident", on_delete=models.PROTECT, related_name="+")

    scope_path = "motion__village__code"

    class Meta:
        verbose_name = "应到人员"
        verbose_name_plural = "应到人员"
        constraints = [models.UniqueConstraint(fields=["motion", "resident"], name="voting_elector_once")]

    def __str__(self) -> str:
        return f"{self.motion_id} {self.resident_id}"

    @property
    def scope_value(self) -> str:
        return self.motion.village.code


class Attendance(models.Model):
    """A person present at the meeting (in the hall or online); counts for the quorum."""

    motion = models.ForeignKey(Motion, on_delete=models.PROTECT, related_name="attendance")
    resident = models.ForeignKey("people.Resident", on_delete=models.PROTECT, related_name="+")
    household_id_at = models.BigIntegerField("户", null=True)
    channel = models.CharField("方式", max_length=10, choices=AttendanceChannel.choices)
    at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    scope_path = "motion__village__code"

    class Meta:
        verbose_name = "到会"
        verbose_name_plural = "到会"
        ordering = ["motion_id", "at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["motion", "resident"], name="voting_attendance_once"),
        ]

    def __str__(self) -> str:
        return f"{self.motion_id} {self.resident_id}"

    @property
    def scope_value(self) -> str:
        return self.motion.village.code


class Ballot(models.Model):
    """One person's vote on one motion, from whichever channel. Never changed after it is cast."""

    motion = models.ForeignKey(Motion, on_delete=models.PROTECT, related_name="ballots")
    voter = models.ForeignKey("people.Resident", on_delete=models.PROTECT, related_name="+")
    choice = models.CharField("表决意见", max_length=10, choices=Choice.choices)
    channel = models.CharField("方式", max_length=10, choices=Channel.choices)
    # A pseudonym of the voter for this motion (HMAC), published with the receipt instead of a
    # name on secret ballots.
    voter_token = models.CharField(max_length=32)
    nonce = models.CharField(max_length=32)
    receipt = models.CharField("回执", max_length=64, unique=True)
    cast_at = models.DateTimeField(default=timezone.now)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    scope_path = "motion__village__code"
    # A secret ballot's choice must not sit in the audit log next to the voter's id.
    audit_exclude = frozenset({"choice", "nonce"})

    class Meta:
        verbose_name = "选票"
        verbose_name_plural = "选票"
        ordering = ["motion_id", "cast_at", "id"]
        constraints = [
            # One person, one vote across the hall and online: the database decides, not the code.
            models.UniqueConstraint(fields=["motion", "voter"], name="voting_ballot_one_per_voter"),
        ]

    def __str__(self) -> str:
        return f"{self.motion_id} {self.receipt[:12]}"

    @property
    def scope_value(self) -> str:
        return self.motion.village.code


class BoxEvent(models.Model):
    """One event of the ballot box, chained: hash = sha256(prev_hash + canonical payload)."""

    motion = models.ForeignKey(Motion, on_delete=models.PROTECT, related_name="box_events")
    seq = models.PositiveIntegerField()
    type = models.CharField(max_length=10, choices=BoxEventType.choices)
    payload = models.JSONField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    scope_path = "motion__village__code"

    class Meta:
        verbose_name = "票箱事件"
        verbose_name_plural = "票箱事件"
        ordering = ["motion_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["motion", "seq"], name="voting_box_seq")]

    def __str__(self) -> str:
        return f"{self.motion_id}#{self.seq} {self.type}"

    @property
    def scope_value(self) -> str:
        return self.motion.village.code


class MotionWarning(models.Model):
    """A warning the sweep raised on a motion; resolved (not deleted) when the cause goes away."""

    motion = models.ForeignKey(Motion, on_delete=models.PROTECT, related_name="warnings")
    kind = models.CharField("预警类型", max_length=20, choices=WarningKind.choices)
    detail = models.CharField("说明", max_length=200, blank=True)
    raised_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    scope_path = "motion__village__code"

    class Meta:
        verbose_name = "票决预警"
        verbose_name_plural = "票决预警"
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["motion", "kind"], condition=Q(resolved_at__isnull=True), name="voting_warning_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.motion.number} {self.get_kind_display()}"

    @property
    def scope_value(self) -> str:
        return self.motion.village.code
