"""Demo data of the 阳光票决 module: the demo township's first villages keep a representatives'
meeting and a supervision committee, and run motions at every step of the procedure — suggested,
proposed, consulted, sent back, filed, voting now (the demo resident is a representative and can
vote online), decided but not yet published, under supervision, done, rejected, one invalid for
want of a quorum and one mandatory matter recorded as implemented without a vote (both warn).

Everything goes through apps.voting.services with the demo county admin as actor (who holds every
voting permission), so the audit trail and the hash-chained ballot boxes are real. Idempotent: a
village that already has motions is left alone. Deterministic: one draw from ctx.rng seeds the
ballots, made on every run so later modules meet the same random state.
"""

from __future__ import annotations

import datetime
import random
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from apps.people.choices import ResidentStatus
from apps.people.models import Resident
from apps.territory.paths import subtree_q
from apps.voting import rules, services
from apps.voting.choices import BodyKind, Choice, MotionKind
from apps.voting.models import Membership, Motion

if TYPE_CHECKING:
    from apps.demo.loader import DemoContext

VILLAGES = 4
REPRESENTATIVES = 15
SUPERVISORS = 3

# (village index, title, kind, how far it goes)
MOTIONS: list[tuple[int, str, str, str]] = [
    (0, "村道硬化及路灯安装工程", MotionKind.WELFARE, "voting"),
    (0, "2027 年村集体经济收益使用方案", MotionKind.INCOME, "supervising"),
    (0, "村文化礼堂修缮筹资筹劳方案", MotionKind.WELFARE, "done"),
    (0, "集体山林承包经营方案", MotionKind.COLLECTIVE_PROJECT, "consulted"),
    (0, "宅基地调整使用方案", MotionKind.HOMESTEAD, "direct"),
    (1, "村庄建设规划（2027—2030）", MotionKind.PLAN, "proposed"),
    (1, "村级误工补贴人员及标准", MotionKind.SUBSIDY, "decided"),
    (1, "闲置村小学校舍出租方案", MotionKind.PROPERTY, "closed"),
    (2, "征地补偿费分配方案", MotionKind.COMPENSATION, "returned"),
    (2, "土地承包经营权流转方案", MotionKind.LAND_CONTRACT, "invalid"),
    (3, "村级光伏项目立项", MotionKind.COLLECTIVE_PROJECT, "filed"),
    (3, "村民饮水工程建设方案", MotionKind.VITAL, "suggested"),
]
ORDER = ["suggested", "proposed", "consulted", "filed", "voting", "decided", "supervising", "done"]


def _adults(village: Any, today: datetime.date, count: int, skip: int = 0) -> list[Resident]:
    return list(
        Resident.objects.filter(
            subtree_q(village.code, "household__unit__code"),
            status=ResidentStatus.ACTIVE,
            birth_date__lte=rules.adult_cutoff(today) - datetime.timedelta(days=365 * 5),
        ).order_by("id")[skip : skip + count]
    )


def _bodies(ctx: DemoContext, village: Any, me: Resident | None) -> int:
    if Membership.objects.filter(body__unit=village).exists():
        return 0
    start = ctx.today - datetime.timedelta(days=700)
    reps = _adults(village, ctx.today, REPRESENTATIVES)
    if me is not None and me.household.unit.code.startswith(village.code) and me not in reps:
        reps = [me, *reps[: REPRESENTATIVES - 1]]
    supervisors = [r for r in _adults(village, ctx.today, SUPERVISORS + REPRESENTATIVES) if r not in reps]
    made = 0
    for r in reps:
        services.body_member_add(
            actor=ctx.admin, village=village, kind=BodyKind.REPRESENTATIVES, resident=r, starts_on=start
        )
        made += 1
    for i, r in enumerate(supervisors[:SUPERVISORS]):
        services.body_member_add(
            actor=ctx.admin,
            village=village,
            kind=BodyKind.SUPERVISION,
            resident=r,
            starts_on=start,
            title="主任" if i == 0 else "委员",
        )
        made += 1
    return made


def _run(
    ctx: DemoContext, rng: random.Random, village: Any, title: str, kind: str, goal: str, me: Any
) -> int:
    admin, today = ctx.admin, ctx.today
    days = iter(range(40, 0, -4))

    def day() -> datetime.date:
        return today - datetime.timedelta(days=next(days, 0))

    if goal == "direct":
        services.motion_record_direct(
            actor=admin,
            village=village,
            kind=kind,
            title=title,
            implemented_on=today - datetime.timedelta(days=20),
            description="村两委会议决定后直接实施，未提交村民代表会议票决。",
        )
        return 0
    motion = services.motion_suggest(
        actor=admin,
        village=village,
        kind=kind,
        title=title,
        description=f"{title}：由党员、村民通过议事箱和微信群提出，村两委汇总后形成。",
        held_on=day(),
        participants="党员 8 人、村民代表 10 人",
        minutes="收集党员群众建议 12 条，主要意见已汇总。",
        signatures="村党支部书记、村委会主任",
    )
    target = "decided" if goal in ("closed", "invalid") else goal
    if target == "returned":
        target = "consulted"
    steps = ORDER[: ORDER.index(target) + 1]
    if "proposed" in steps:
        motion = services.motion_propose(
            actor=admin,
            motion=motion,
            held_on=day(),
            participants="支部委员 5 人，村民代表 6 人列席",
            minutes="村党支部扩大会议讨论，同意提交村务联席会议商议。",
            signatures="村党支部书记",
        )
    if "consulted" in steps:
        motion = services.motion_consult(
            actor=admin,
            motion=motion,
            held_on=day(),
            participants="村两委成员 7 人",
            minutes="村务联席会议商议，形成实施方案并公示。",
            signatures="村党支部书记、村委会主任、村务监督委员会主任",
        )
    if goal == "returned":
        services.motion_review(
            actor=admin,
            motion=motion,
            approve=False,
            held_on=day(),
            opinion="分配方案未列明各户补偿标准依据，请补充后重新商议。",
        )
        return 0
    if "filed" in steps:
        motion = services.motion_review(
            actor=admin, motion=motion, approve=True, held_on=day(), opinion="程序完备，同意备案。"
        )
    if "voting" not in steps:
        return 0
    now = timezone.now()
    motion = services.vote_open(
        actor=admin,
        motion=motion,
        held_on=today,
        opens_at=now - datetime.timedelta(hours=1),
        closes_at=now + datetime.timedelta(days=3),
        place="村民议事大厅",
        secret=goal == "closed",
    )
    meeting = motion.meeting
    voters = list(rules.electorate(meeting.kind, village, meeting.held_on).order_by("id"))
    voters = [v for v in voters if me is None or v.pk != me.pk]  # the demo resident votes themselves
    if goal == "voting":
        share = 0.4
    elif goal == "invalid":
        share = 0.5
    else:
        share = 0.9
    present = voters[: max(1, int(len(voters) * share))]
    ballots = 0
    for voter in present:
        if goal == "closed":
            choice = rng.choices([Choice.FOR, Choice.AGAINST, Choice.ABSTAIN], [3, 6, 1])[0]
        else:
            choice = rng.choices([Choice.FOR, Choice.AGAINST, Choice.ABSTAIN], [8, 1, 1])[0]
        services.ballot_enter(
            actor=admin, motion=motion, voter=voter, choice=choice, channel=rng.choice(["paper", "hands"])
        )
        ballots += 1
    if goal == "voting":
        return ballots
    motion = services.vote_close(actor=admin, motion=motion)
    if goal in ("decided",):
        return ballots
    motion = services.motion_publish_result(actor=admin, motion=motion)
    if goal in ("supervising", "done"):
        motion = services.motion_report(
            actor=admin,
            motion=motion,
            held_on=today,
            participants="村务监督委员会 3 人",
            minutes="已完成招标，施工过半，资金使用与方案一致。",
            signatures="村务监督委员会主任",
        )
    if goal == "done":
        services.motion_report(
            actor=admin,
            motion=motion,
            held_on=today,
            minutes="工程已竣工验收，决算已公示。",
            signatures="村务监督委员会主任、委员",
            completed=True,
        )
    return ballots


def _demo_voter(ctx: DemoContext) -> Resident | None:
    """The demo resident login's record. The loader links it to a household head of the demo
    village; where the households sit in villager groups it finds none, so link one here (through
    the people service) to let the demo resident vote online."""
    from apps.accounts.models import User
    from apps.people import services as people_services

    me = Resident.objects.select_related("household__unit").filter(account__username="resident").first()
    login = User.objects.filter(username="resident").first()
    if me is not None or login is None:
        return me
    head = (
        Resident.objects.filter(
            subtree_q(ctx.demo_village.code, "household__unit__code"),
            status=ResidentStatus.ACTIVE,
            relation="head",
            account__isnull=True,
        )
        .order_by("id")
        .first()
    )
    if head is None:
        return None
    people_services.resident_link_account(actor=None, resident=head, account=login)
    return Resident.objects.select_related("household__unit").get(pk=head.pk)


def load(ctx: DemoContext) -> dict[str, int]:
    rng = random.Random(ctx.rng.getrandbits(64))  # drawn on every run: later modules see the same state
    villages = ctx.villages.get(ctx.home.pk, [])[:VILLAGES]
    if ctx.demo_village in villages:  # the demo village first: the named logins work there
        villages.remove(ctx.demo_village)
    villages = [ctx.demo_village, *villages][:VILLAGES]
    me = _demo_voter(ctx)
    created = {"voting_members": 0, "voting_motions": 0, "voting_ballots": 0}
    for index, village in enumerate(villages):
        if not Resident.objects.filter(subtree_q(village.code, "household__unit__code")).exists():
            continue  # a lite load without records here
        created["voting_members"] += _bodies(ctx, village, me)
        if Motion.objects.filter(village=village).exists():
            continue
        for where, title, kind, goal in MOTIONS:
            if where == index:
                created["voting_ballots"] += _run(ctx, rng, village, title, kind, goal, me)
                created["voting_motions"] += 1
    services.warnings_sweep()
    return {k: v for k, v in created.items() if v}
