"""Demo cases (诉求): a realistic year of them for the demo county, so that inboxes, case pages,
the dashboard and the public progress page have a county's worth of work to show.

Shape, drawn from the seeds (会泽: 6,435 appeals collected in a year, 6,132 closed; 110 suggestions,
73 solved on the spot; 98% satisfied): about 6,500 cases over the twelve months before today, in
the villages of the whole county with the demo township weighted (about a fifth of them), across
every channel (随手拍, 信箱, 12345, 周一夜访, 来访接待, 百姓夜话/村民说事, 网格巡查, 开放接口) and every
category, with titles and descriptions drawn from templates per category and the place's names.
Each case walks the one state machine: accept (by the village for small matters, by the township
for major ones) → triage → dispatch (village, township or a county department by category) → sign
→ reply → follow-up with a rating → close; a few are rejected or merged as duplicates, some are
returned, escalated, urged, extended, whistled to departments (吹哨报到), reopened after an
unsatisfied rating, owned by the county leader (包案), solved on the spot at a meeting. Every step
happens at a plausible time; a case submitted recently simply has not got further than "now", which
leaves open cases in every inbox state, some of them yellow or red, as the SLA sweep would have
coloured them (with its 超期预警 lines on the timeline). The 周一夜访 records (every Monday, the demo
township and three others in rotation) and the 百姓夜话/村民说事 meetings the cases came from are
intake records. Submitters are the demo villagers of the place (their encrypted phone copied from
the resident record) where the people demo wrote them, otherwise generated names.

Writes: NOT through the services for the bulk. Six and a half thousand cases walked one transition
at a time, each with its lock, audit record, event and notices, would take minutes; this is a
loader, not a user action. The cases, their timeline steps (consistent with the state machine:
each step starts from the state the previous one left, as `services.ALLOWED_FROM` allows),
whistles, extensions and intake records are built in memory with the same deadline arithmetic the
services use (`apps.workdays.calendar.deadline`/`warn_at`) and bulk-created; notices are not
written (nobody missed them). ONE `demo.cases_loaded` event records the counts. Then a few dozen
recent cases are walked through the real services by the named demo logins (the resident reports,
the operator takes hotline calls, the cadre and the township officer accept and dispatch, the
department handler signs, the leader takes ownership…), so the audit log shows real transitions and
every named login finds fresh work in its inbox.

Deterministic: every draw comes from one `random.Random` split off `ctx.rng`, in a fixed order,
and times are laid out back from `ctx.today`. Idempotent: a county whose `demo.cases_loaded` event
exists is skipped.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import random
import time
from bisect import bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

from django.db import connection
from django.utils import timezone

from apps.accounts.choices import Role
from apps.accounts.models import RoleAssignment, User
from apps.audit.events import register
from apps.audit.models import Event
from apps.audit.services import record_event
from apps.cases import services
from apps.cases.choices import (
    Action,
    CaseKind,
    Channel,
    ExtensionStatus,
    IntakeKind,
    Rating,
    ResolvedLevel,
    SlaState,
    Status,
    Triage,
    WhistleStatus,
)
from apps.cases.models import Case, CaseStep, Category, Extension, IntakeRecord, Whistle
from apps.core import crypto
from apps.core.errors import ApplicationError
from apps.people.importer import allocate_ids, insert_rows
from apps.territory.choices import Level
from apps.territory.models import Grid, Organisation, Unit
from apps.workdays import calendar as workcal

from .names import NameGenerator

DEMO_LOADED = register("demo.cases_loaded", "加载演示诉求")

YEAR_TOTAL = 6500
LITE_TOTAL = 900
HOME_SHARE = 0.2  # of the cases, in the demo township
BATCH = 2000
TZ = datetime.timezone(datetime.timedelta(hours=8))
ALPHABET = services.TRACKING_ALPHABET

CHANNEL_WEIGHTS: tuple[tuple[str, float], ...] = (
    (Channel.PHOTO, 28),
    (Channel.HOTLINE, 22),
    (Channel.MAILBOX, 7),
    (Channel.LEADER_VISIT, 5),
    (Channel.RECEPTION, 9),
    (Channel.MEETING, 14),
    (Channel.PATROL, 13),
    (Channel.API, 2),
)

# Leaf categories by how often a county's 12345 and grid systems see them (per mille, roughly).
CATEGORY_WEIGHTS: dict[str, float] = {
    "env-garbage": 10,
    "env-sewage": 4,
    "env-pile": 5,
    "env-toilet": 3,
    "dispute-neighbour": 9,
    "dispute-family": 4,
    "dispute-land": 5,
    "dispute-wage": 4,
    "land-compensation": 3,
    "land-homestead": 4,
    "housing-illegal": 3,
    "housing-danger": 3,
    "housing-relocation": 1.5,
    "road-damage": 6,
    "road-light": 5,
    "water-supply": 6,
    "water-power": 4,
    "social-dibao": 5,
    "social-pension": 3,
    "social-medical": 3,
    "agri-irrigation": 4,
    "agri-subsidy": 3,
    "safety-fire": 1,
    "safety-geo": 0.6,
    "safety-food": 1.2,
    "village-affairs": 2,
    "suggestion": 1.7,
    "consult": 4,
}

# The department a township sends a major matter to, by category (key of ctx.departments).
DEPARTMENT_OF: dict[str, str] = {
    "env-sewage": "STHJ",
    "env-garbage": "ZHZF",
    "env-pile": "ZHZF",
    "dispute-land": "ZRZY",
    "dispute-wage": "RSSB",
    "land-compensation": "ZRZY",
    "land-homestead": "ZRZY",
    "housing-illegal": "ZHZF",
    "housing-danger": "ZJ",
    "housing-relocation": "ZJ",
    "road-damage": "ZJ",
    "water-supply": "SW",
    "social-dibao": "MZ",
    "social-pension": "RSSB",
    "social-medical": "RSSB",
    "agri-irrigation": "SW",
    "agri-subsidy": "NYNC",
    "safety-fire": "GA",
    "safety-geo": "ZRZY",
    "safety-food": "ZHZF",
}

PLACES = (
    "村口",
    "村委会旁",
    "小学门口",
    "老年活动中心附近",
    "水库边",
    "集市路口",
    "公路边",
    "文化广场",
    "卫生室旁",
    "后山脚",
    "桥头",
    "晒场边",
)
GROUPS = "一二三四五六七八"
WHO = ("邻居", "隔壁一户", "同组村民", "对门人家", "上户人家")

# (title, description); {v} village, {p} place, {g} villager group, {n} a number, {w} a neighbour.
TEMPLATES: dict[str, tuple[tuple[str, str], ...]] = {
    "env-garbage": (
        (
            "{p}垃圾池满了没人清运",
            "{v}{p}的垃圾池已经满了{n}天没人清运，垃圾堆到路上，气味很大，夏天蚊蝇多。",
        ),
        (
            "第{g}村民小组垃圾桶不够用",
            "{v}第{g}村民小组只有一个垃圾桶，每天都满出来，希望增加垃圾桶并按时清运。",
        ),
        ("河道里倾倒生活垃圾", "有人往{v}{p}附近的河道里倒生活垃圾，已经堆了一大片，下雨时冲到下游。"),
    ),
    "env-sewage": (
        ("养殖场污水直排", "{v}{p}的养殖场把污水直接排到沟里，臭味很大，沟水发黑，影响下游灌溉。"),
        ("生活污水漫到路面", "{v}第{g}村民小组的排污沟堵了，生活污水漫到路面上，行人车辆都没法走。"),
    ),
    "env-pile": (
        ("{p}柴草乱堆占道", "{v}{p}有人长期堆放柴草和建筑材料，占了半条路，晚上看不清容易出事。"),
        ("建筑垃圾乱倒", "有人把建房剩下的砖块渣土倒在{v}{p}，堆了{n}车，至今没有清理。"),
    ),
    "env-toilet": (
        ("改厕后化粪池漏", "去年改的卫生厕所化粪池渗漏，{v}第{g}村民小组好几户都有这个问题，请帮忙维修。"),
        ("公厕无人打扫", "{v}{p}的公共厕所长期没人打扫，水龙头也坏了，赶集时根本没法用。"),
    ),
    "dispute-neighbour": (
        (
            "与{w}因排水沟发生纠纷",
            "我家和{w}因为房后排水沟的走向吵了{n}次，雨水冲进我家院子，请村里出面调解。",
        ),
        ("{w}建房遮挡采光", "{w}加盖二层后挡住了我家堂屋的采光，多次协商不成，请求调解。"),
        ("宅前通道被占", "{w}在我家门前通道上砌了围墙，进出只能绕路，希望村里调解处理。"),
    ),
    "dispute-family": (
        ("老人赡养问题", "{v}第{g}村民小组一位八十多岁的老人，几个子女互相推诿赡养，老人生活困难，请调解。"),
        ("分家析产纠纷", "兄弟几人因老宅分配发生矛盾，已经动手{n}次，请村调委会介入调解。"),
    ),
    "dispute-land": (
        ("承包地界址不清", "我家承包地与{w}的地界有争议，对方把界桩往我家地里挪了一米多，请核实确权资料。"),
        ("林地权属争议", "{v}与邻村因{p}一片林地的权属发生争议，双方都说是自己的，请乡镇协调。"),
    ),
    "dispute-wage": (
        ("拖欠农民工工资", "在{p}工地干活{n}个月，包工头一直拖欠工资，{n}个工友都没拿到钱，请帮忙追讨。"),
        ("修路工钱未结清", "去年给村里修路的工钱还有一部分没结清，找了几次都说没钱，请帮忙协调。"),
    ),
    "land-compensation": (
        (
            "征地补偿款未到位",
            "{v}第{g}村民小组的土地去年被征用修路，补偿款到现在还没有全部发放，请给个说法。",
        ),
        ("青苗补偿标准有异议", "征地时地上的果树和青苗补偿标准太低，和邻村不一样，请核实。"),
    ),
    "land-homestead": (
        ("宅基地审批进度咨询", "今年{n}月提交了宅基地申请，到现在还没批下来，想问一下办到哪一步了。"),
        ("分户后能否申请宅基地", "儿子结婚后分户，想问能不能单独申请宅基地，需要准备哪些材料。"),
    ),
    "housing-illegal": (
        ("占用耕地建房", "{v}{p}有人在承包耕地上打地基建房，没有看到审批手续，请核查。"),
        ("违规加层", "{v}第{g}村民小组有户人家正在违规加盖第四层，存在安全隐患。"),
    ),
    "housing-danger": (
        ("土坯房墙体开裂", "{v}第{g}村民小组一户独居老人的土坯房墙体开裂，雨季怕倒塌，请纳入危房改造。"),
        ("危房改造补助咨询", "家里的房子被鉴定为C级危房，想了解危房改造补助怎么申请。"),
    ),
    "housing-relocation": (
        ("搬迁安置房分配", "易地扶贫搬迁的安置房分配方案没有公示，群众有意见，请公开分配结果。"),
        ("安置房漏水", "安置小区{n}栋顶楼漏水，找物业没人管，请帮忙协调维修。"),
    ),
    "road-damage": (
        ("{p}村道塌方", "{v}{p}的村道被雨水冲塌了一段，车辆无法通行，学生上学要绕很远。"),
        ("通组公路坑洼严重", "到第{g}村民小组的通组公路坑洼很多，拉农产品的车经常陷住，请安排修补。"),
        ("桥面护栏损坏", "{v}{p}小桥的护栏断了{n}米，晚上行人容易掉下去。"),
    ),
    "road-light": (
        ("{p}路灯不亮", "{v}{p}的{n}盏太阳能路灯已经坏了很久，晚上一片漆黑，老人孩子出门不安全。"),
        ("路灯白天也亮", "{v}第{g}村民小组的路灯白天也亮着，控制器可能坏了，请派人检修。"),
    ),
    "water-supply": (
        ("自来水停水{n}天", "{v}第{g}村民小组已经停水{n}天了，没有通知原因，生活用水很困难。"),
        ("饮用水浑浊", "最近{v}的自来水很浑浊，烧开后有沉淀，担心水质有问题，请检测。"),
        ("水管爆裂", "{v}{p}的主水管爆裂，水一直在流，请尽快派人维修。"),
    ),
    "water-power": (
        ("频繁停电", "{v}最近一周停电{n}次，冰箱里的东西都坏了，请供电部门查一下线路。"),
        ("电线杆倾斜", "{v}{p}的一根电线杆倾斜严重，电线垂得很低，存在安全隐患。"),
    ),
    "social-dibao": (
        ("低保申请咨询", "家里老人瘫痪在床，收入很低，想申请低保，请问需要什么材料、找谁办。"),
        ("低保评定不公", "{v}有户人家家里有车有楼房还吃低保，真正困难的却没评上，请核查。"),
    ),
    "social-pension": (
        ("养老金未按时发放", "本月的城乡居民养老金还没到账，往月都是{n}号前到，请帮忙查询。"),
        ("养老保险补缴咨询", "想给家里老人补缴养老保险，请问政策是怎样的、去哪里办理。"),
    ),
    "social-medical": (
        ("医保报销比例咨询", "在县医院住院{n}天，报销比例比去年低，想了解现在的报销政策。"),
        ("医保卡无法使用", "医保卡在镇卫生院刷不了，说信息有误，请帮忙核实。"),
    ),
    "agri-irrigation": (
        ("灌溉沟渠堵塞", "{v}{p}的灌溉沟渠被淤泥堵死，下游{n}亩地放不了水，请组织清淤。"),
        ("小水窖损坏", "第{g}村民小组的小水窖开裂漏水，旱季灌溉用水没有着落。"),
    ),
    "agri-subsidy": (
        ("耕地地力补贴未到账", "今年的耕地地力保护补贴还没到账，邻居都收到了，请帮忙查询。"),
        ("农机购置补贴咨询", "想买一台微耕机，请问农机购置补贴怎么申请。"),
    ),
    "safety-fire": (
        ("{p}电动车飞线充电", "{v}{p}有住户从楼上拉电线给电动车充电，电线就挂在柴堆旁边，很危险。"),
        ("山林边烧荒", "有人在{v}{p}的山林边烧荒，风大，担心引发山火，请马上制止。"),
    ),
    "safety-geo": (
        (
            "后山出现裂缝",
            "{v}后山出现一条长裂缝，下面就是第{g}村民小组的住户，担心雨季滑坡，请马上派人查看。",
        ),
        ("{p}落石", "{v}{p}的边坡有落石掉到路上，随时可能伤人，请设置警示并处理。"),
    ),
    "safety-food": (
        ("小卖部卖过期食品", "{v}{p}的小卖部在卖过期的饮料和零食，买的人多是学生，请查处。"),
        ("流动摊贩食品卫生", "赶集时{p}的流动摊贩卫生很差，没有健康证，请监管。"),
    ),
    "village-affairs": (
        ("村务公开不及时", "{v}的村务公开栏好几个月没有更新，集体收入和开支群众看不到，请督促公开。"),
        ("集体土地出租收益去向", "{v}的集体土地出租了好几年，租金用在哪里没有公示，请说明。"),
    ),
    "suggestion": (
        ("建议增设公交站点", "建议在{v}{p}增设一个农村客运招呼站，方便老人赶集看病。"),
        ("建议建设文化活动场所", "{v}没有像样的文化活动场地，建议利用闲置校舍建一个村民活动中心。"),
        ("建议安装减速带", "{v}{p}是学生上学必经的路口，车速很快，建议安装减速带和警示牌。"),
    ),
    "consult": (
        ("新农合缴费咨询", "想问今年的医保缴费标准和截止时间，在哪里可以交。"),
        ("残疾证办理咨询", "家里人腿脚残疾，想办残疾证，请问流程和需要的材料。"),
        ("外出务工证明办理", "在外务工需要开居住证明，请问村里能不能开、需要带什么。"),
    ),
}

REPLIES: dict[str, tuple[str, ...]] = {
    "env": (
        "已安排保洁员于当日清运完毕，并在{p}增设垃圾桶，纳入每日巡查。",
        "经现场核查情况属实，已责令当事人限期清理，现已清理完毕。",
    ),
    "dispute": (
        "村调委会组织双方现场调解，已达成调解协议，双方签字确认。",
        "经乡镇司法所、村调委会联合调解，双方就争议事项达成一致，矛盾已化解。",
    ),
    "land": (
        "经核实，相关补偿款已于本月拨付到户，具体明细已在村务公开栏公示。",
        "已向诉求人说明审批进度和相关政策，申请材料已报县自然资源局审核。",
    ),
    "housing": (
        "已组织人员现场核查，下达限期整改通知书，当事人已停工整改。",
        "已将该户纳入今年危房改造计划，近期将开工建设。",
    ),
    "road": (
        "已组织施工队对塌方路段进行清理修复，现已恢复通行。",
        "已更换损坏的路灯和控制器，经夜间复查运行正常。",
    ),
    "water": (
        "故障管道已抢修完毕，当日恢复供水；已要求供水站今后停水提前通知。",
        "已联系供电所检修线路，更换老化设备，近期未再出现停电。",
    ),
    "social": (
        "已入户核实家庭情况，指导诉求人提交申请材料，按程序办理。",
        "经查询，款项已于近日发放到账，已电话告知诉求人。",
    ),
    "agri": (
        "已组织村民投工投劳完成沟渠清淤，恢复灌溉。",
        "经查询，补贴已按批次发放，诉求人所在批次已于本周到账。",
    ),
    "safety": (
        "已第一时间派人到场处置，设置警示标志并疏散周边群众，隐患已排除。",
        "已会同相关部门现场检查，责令立即整改，后续纳入重点巡查。",
    ),
    "village-affairs": ("已督促村委会更新村务公开栏，并在村民代表会议上说明收支情况。",),
    "suggestion": ("感谢您的建议，已纳入乡镇年度民生实事计划统筹考虑。",),
    "consult": ("已电话向诉求人详细解答相关政策和办理流程，诉求人表示清楚。",),
}
RETURN_REASONS = ("该事项不属于本单位职责，请重新派单。", "诉求地址不在本辖区，请核实后改派。")
ESCALATE_REASONS = ("涉及多个部门，村级无法协调解决，申请上报乡镇。", "需要专业力量处置，超出村级能力。")
URGE_NOTES = (
    "群众反映强烈，请加快办理。",
    "已临近时限，请按时办结并反馈。",
    "请包村干部跟进，尽快答复群众。",
)
EXTENSION_REASONS = (
    "需等待施工队进场，申请延期。",
    "涉及多方协调，需延长办理时间。",
    "需上级部门审批，申请延期。",
)
WHISTLE_REASONS = ("需部门现场勘查认定。", "涉及执法事项，请部门到场处置。", "需部门专业力量支持。")
REJECT_REASONS = (
    "诉求内容不明确，多次联系不上诉求人。",
    "该事项已进入司法程序，不属于受理范围。",
    "重复提交的诉求，已告知原查询码。",
)
UNSATISFIED_NOTES = ("问题没有彻底解决。", "没有到现场核实。", "答复和实际情况不符。")
ON_THE_SPOT = "当场协调解决，群众表示满意。"


class _Step:
    """A timeline line before it is written (a plain row: 85,000 model instances cost seconds)."""

    __slots__ = ("action", "actor", "actor_name", "at", "body", "data", "from_status", "note", "to_status")

    def __init__(
        self,
        *,
        action: str,
        at: datetime.datetime,
        actor: User | None = None,
        actor_name: str = "",
        body: str = "",
        from_status: str = "",
        to_status: str = "",
        note: str = "",
        data: dict[str, Any] | None = None,
    ) -> None:
        self.action, self.at, self.actor, self.actor_name, self.body = action, at, actor, actor_name, body
        self.from_status, self.to_status, self.note, self.data = from_status, to_status, note, data or {}


@dataclass
class _Body:
    """Who acts: a unit (village or township) or a department, with the person acting for it."""

    name: str
    unit: Unit | None = None
    org: Organisation | None = None
    user: User | None = None
    person: str = ""

    @property
    def level(self) -> int:
        return self.unit.level if self.unit is not None else Level.COUNTY


@dataclass
class _Sim:
    """One case being built: the unsaved Case, its steps and satellites, and its clock."""

    case: Case
    category: Category
    steps: list[_Step] = field(default_factory=list)
    whistles: list[Whistle] = field(default_factory=list)
    extensions: list[Extension] = field(default_factory=list)
    original: _Sim | None = None
    t: datetime.datetime | None = None
    holder: _Body | None = None
    dispatcher: _Body | None = None
    mine: bool = False  # the demo resident's own


class _Stop(Exception):
    """The next step would happen after now: the case stays where it is."""


class _Planner:
    def __init__(self, ctx: Any, rng: random.Random, now: datetime.datetime) -> None:
        self.ctx = ctx
        self.rng = rng
        self.now = now
        self.names = NameGenerator(random.Random(rng.getrandbits(64)))
        self.codes: set[str] = set(Case.objects.values_list("tracking_code", flat=True))
        self.hotline_seq = 0
        self.counts: Counter[str] = Counter()
        self._load_world()

    # --- the county as loaded so far ----------------------------------------------------------------

    def _load_world(self) -> None:
        ctx = self.ctx
        lite_villages = None
        if ctx.lite:
            with_grids = set(
                Grid.objects.filter(level=3, unit__code__startswith=ctx.county.code).values_list(
                    "unit_id", flat=True
                )
            )
            lite_villages = with_grids
        self.townships: list[Unit] = list(ctx.townships)
        self.villages: list[Unit] = []
        for township in self.townships:
            for village in ctx.villages[township.pk]:
                if lite_villages is None or village.pk in lite_villages:
                    self.villages.append(village)
        self.township_of: dict[int, Unit] = {v.pk: t for t in self.townships for v in ctx.villages[t.pk]}
        home_villages = [v for v in self.villages if self.township_of[v.pk] == ctx.home]
        others = len(self.villages) - len(home_villages)
        # Weight so that the demo township gets HOME_SHARE of the cases.
        home_weight = HOME_SHARE * others / ((1 - HOME_SHARE) * max(1, len(home_villages))) if others else 1.0
        weights = [home_weight if v in home_villages else 1.0 for v in self.villages]
        self.village_cum = list(accumulate(weights))

        grids: dict[int, list[Grid]] = defaultdict(list)
        for grid in Grid.objects.filter(level=3, unit__code__startswith=ctx.county.code).order_by("code"):
            grids[grid.unit_id].append(grid)
        self.grids = grids

        by_username = {
            u.username: u
            for u in User.objects.filter(
                username__in=["leader", "township", "cadre", "gridder", "handler", "operator", "resident"]
            )
        }
        self.leader = by_username.get("leader")
        self.operator = by_username.get("operator")
        self.resident = by_username.get("resident")
        self.named = by_username
        officers: dict[int, User] = {}
        cadres: dict[int, User] = {}
        gridders: dict[int, User] = {}
        handlers: dict[int, User] = {}
        rows = (
            RoleAssignment.objects.filter(is_active=True, unit__code__startswith=ctx.county.code)
            .select_related("user")
            .order_by("user__username")
        )
        for a in rows:
            if a.role == Role.TOWNSHIP_OFFICER:
                if a.unit_id not in officers or a.user.username == "township":
                    officers[a.unit_id] = a.user
            elif a.role == Role.VILLAGE_CADRE:
                cadres.setdefault(a.unit_id, a.user)
            elif a.role == Role.GRIDDER and a.grid_id:
                gridders.setdefault(a.grid_id, a.user)
            elif a.role == Role.DEPARTMENT_HANDLER and a.organisation_id:
                handlers.setdefault(a.organisation_id, a.user)
        self.officers, self.cadres, self.gridders, self.handlers = officers, cadres, gridders, handlers

        self.bodies: dict[tuple[str, int], _Body] = {}
        cats = {c.code: c for c in Category.objects.filter(is_active=True).select_related("parent")}
        leaves = [c for c in cats.values() if not c.children.exists()] if cats else []
        leaves.sort(key=lambda c: c.code)
        self.categories = leaves
        self.category_cum = list(accumulate(CATEGORY_WEIGHTS.get(c.code, 1.0) for c in leaves))
        self.channels = [c for c, _ in CHANNEL_WEIGHTS]
        self.channel_cum = list(accumulate(w for _, w in CHANNEL_WEIGHTS))
        villagers: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list)
        from apps.people.models import Resident

        for code, name, enc, digest, tail in (
            Resident.objects.filter(household__unit__code__startswith=ctx.county.code, status="active")
            .exclude(phone_hash="")
            .order_by("pk")
            .values_list("household__unit__code", "name", "phone_enc", "phone_hash", "phone_tail")
        ):
            villagers[code[:12]].append((name, enc, digest, tail))
        self.villagers = villagers

    # --- bodies and people --------------------------------------------------------------------------

    def unit_body(self, unit: Unit) -> _Body:
        key = ("unit", unit.pk)
        body = self.bodies.get(key)
        if body is None:
            people = self.officers if unit.level == Level.TOWNSHIP else self.cadres
            user = people.get(unit.pk)
            person = (user.full_name or user.username) if user else self.names()
            body = _Body(name=unit.display_name, unit=unit, user=user, person=person)
            self.bodies[key] = body
        return body

    def org_body(self, org: Organisation) -> _Body:
        key = ("org", org.pk)
        body = self.bodies.get(key)
        if body is None:
            user = self.handlers.get(org.pk)
            person = (user.full_name or user.username) if user else self.names()
            body = _Body(name=org.name, org=org, user=user, person=person)
            self.bodies[key] = body
        return body

    def county_body(self) -> _Body:
        key = ("county", self.ctx.county.pk)
        if key not in self.bodies:
            admin = self.ctx.admin
            self.bodies[key] = _Body(
                name=self.ctx.county.display_name, unit=self.ctx.county, user=admin, person=admin.full_name
            )
        return self.bodies[key]

    def leader_body(self) -> _Body:
        key = ("leader", 0)
        if key not in self.bodies:
            leader = self.leader
            name = leader.full_name if leader else self.names()
            self.bodies[key] = _Body(
                name=self.ctx.county.display_name, unit=self.ctx.county, user=leader, person=name
            )
        return self.bodies[key]

    def phone(self) -> str:
        while True:
            number = f"1{self.rng.choice('35789')}{self.rng.randrange(10**9):09d}"
            if number != "13800000001":
                return number

    def tracking_code(self, at: datetime.datetime) -> str:
        prefix = f"{at.astimezone(TZ):%y%m%d}"
        while True:
            code = prefix + "".join(self.rng.choice(ALPHABET) for _ in range(5))
            if code not in self.codes:
                self.codes.add(code)
                return code

    def fill(self, template: str, village: Unit) -> str:
        return template.format(
            v=village.display_name,
            p=self.rng.choice(PLACES),
            g=self.rng.choice(GROUPS[:5]),
            n=self.rng.randint(2, 9),
            w=self.rng.choice(WHO),
        )

    # --- time ----------------------------------------------------------------------------------------

    def office(self, after: datetime.datetime, lo_minutes: float, hi_minutes: float) -> datetime.datetime:
        """A moment lo..hi minutes after `after`, moved into office hours (8:30–18:00)."""
        at = (after + datetime.timedelta(minutes=self.rng.uniform(lo_minutes, hi_minutes))).astimezone(TZ)
        if at.hour < 8 or (at.hour == 8 and at.minute < 30):
            at = at.replace(hour=8, minute=30) + datetime.timedelta(minutes=self.rng.uniform(0, 90))
        elif at.hour >= 18:
            at = (at + datetime.timedelta(days=1)).replace(hour=8, minute=30) + datetime.timedelta(
                minutes=self.rng.uniform(0, 120)
            )
        return at

    def within(self, start: datetime.datetime, due: datetime.datetime, share: float) -> datetime.datetime:
        """A moment at `share` of the way from start to due (>1: late)."""
        span = max(600.0, (due - start).total_seconds())
        return start + datetime.timedelta(seconds=span * share)

    # --- the state machine, as the services run it ---------------------------------------------------

    def _warnings(self, sim: _Sim, until: datetime.datetime) -> None:
        """The sweep's colours for the current deadline up to `until` (it runs every few minutes)."""
        case = sim.case
        if case.due_at is None or case.warn_at is None:
            return
        last = sim.t or case.submitted_at
        if case.sla_state == SlaState.NORMAL and case.warn_at <= until and case.due_at >= case.warn_at:
            at = max(case.warn_at, last) + datetime.timedelta(minutes=self.rng.uniform(1, 10))
            if at <= until and at <= case.due_at:
                case.sla_state = SlaState.YELLOW
                self._warn(sim, at, SlaState.YELLOW)
        if case.sla_state != SlaState.RED and case.due_at < until:
            at = max(case.due_at, last) + datetime.timedelta(minutes=self.rng.uniform(1, 10))
            if at <= until:
                case.sla_state = SlaState.RED
                case.was_overdue = True
                self._warn(sim, at, SlaState.RED)

    def _warn(self, sim: _Sim, at: datetime.datetime, state: str) -> None:
        label = "已超期" if state == SlaState.RED else "即将超期"
        due = sim.case.due_at
        note = f"{label}（时限 {due.astimezone(TZ):%m-%d %H:%M}）" if due else label
        sim.steps.append(_Step(action=Action.WARN, note=note, data={"state": state}, at=at))

    def _set_due(self, sim: _Sim, due: datetime.datetime | None) -> None:
        case = sim.case
        case.due_at = due
        case.warn_at = workcal.warn_at(due, 1) if due is not None else None
        case.sla_state = SlaState.NORMAL

    def step(
        self,
        sim: _Sim,
        action: str,
        at: datetime.datetime,
        body: _Body | None,
        *,
        from_status: str | None = None,
        note: str = "",
        data: dict[str, Any] | None = None,
        bump: bool = True,
    ) -> None:
        sim.steps.append(
            _Step(
                action=action,
                actor=body.user if body else None,
                actor_name=body.person if body else "",
                body=body.name if body else "",
                from_status=sim.case.status if from_status is None else from_status,
                to_status=sim.case.status,
                note=note,
                data=data or {},
                at=at,
            )
        )
        if bump:
            sim.case.version += 1

    def advance(self, sim: _Sim, at: datetime.datetime) -> None:
        """Move the clock to `at` (colouring the deadline on the way), or stop if that is after now."""
        if at > self.now:
            raise _Stop
        self._warnings(sim, at)
        sim.t = at

    def days(self, sim: _Sim, n: int) -> int:
        return 0 if sim.case.kind == CaseKind.EMERGENCY else n

    # transitions (each mirrors the service of the same name)

    def accept(self, sim: _Sim, at: datetime.datetime, dispatcher: _Body) -> None:
        self.advance(sim, at)
        case, before = sim.case, sim.case.status
        case.status = Status.ACCEPTED
        case.accepted_at = at
        case.dispatcher_unit = dispatcher.unit
        sim.dispatcher = dispatcher
        case.triage = sim.category.default_triage or Triage.MINOR
        self._set_due(sim, workcal.deadline(at, self.days(sim, 1)))
        self.step(sim, Action.ACCEPT, at, dispatcher, from_status=before)

    def triage(self, sim: _Sim, at: datetime.datetime, triage: str) -> None:
        self.advance(sim, at)
        case, before = sim.case, sim.case.status
        case.triage = triage
        case.status = Status.TRIAGED
        self._set_due(sim, workcal.deadline(at, self.days(sim, 1)))
        self.step(sim, Action.TRIAGE, at, sim.dispatcher, from_status=before, data={"triage": triage})

    def dispatch(self, sim: _Sim, at: datetime.datetime, holder: _Body) -> None:
        self.advance(sim, at)
        case, before = sim.case, sim.case.status
        cat = sim.category
        case.holder_unit, case.holder_org = holder.unit, holder.org
        sim.holder = holder
        case.handler = None
        case.status = Status.DISPATCHED
        case.dispatched_at = at
        case.sign_due = workcal.deadline(at, self.days(sim, cat.sign_days))
        case.reply_due = workcal.deadline(at, self.days(sim, cat.reply_days))
        case.return_until = workcal.deadline(at, cat.return_days)
        self._set_due(sim, case.sign_due)
        self.step(sim, Action.DISPATCH, at, sim.dispatcher, from_status=before, data={"to": holder.name})

    def sign(self, sim: _Sim, at: datetime.datetime) -> None:
        self.advance(sim, at)
        case, before = sim.case, sim.case.status
        holder = sim.holder
        assert holder is not None
        case.status = Status.HANDLING
        case.signed_at = at
        case.handler = holder.user
        self._set_due(sim, case.reply_due)
        on_time = bool(case.sign_due and at <= case.sign_due)
        self.step(sim, Action.SIGN, at, holder, from_status=before, data={"on_time": on_time})

    def give_back(self, sim: _Sim, at: datetime.datetime, action: str, reason: str, up: _Body | None) -> None:
        """退单 (action=return) or 上报 (action=escalate, to `up`)."""
        self.advance(sim, at)
        case, before = sim.case, sim.case.status
        holder = sim.holder
        assert holder is not None
        case.status = Status.TRIAGED
        case.holder_unit = case.holder_org = case.handler = None
        sim.holder = None
        data: dict[str, Any] = {"from": holder.name}
        if action == Action.RETURN:
            case.return_count += 1
        else:
            assert up is not None
            case.escalation_count += 1
            case.dispatcher_unit = up.unit
            sim.dispatcher = up
            if case.triage in (Triage.MINOR, Triage.PRIVATE):
                case.triage = Triage.MAJOR
            data["to"] = up.name
        self._set_due(sim, workcal.deadline(at, self.days(sim, 1)))
        self.step(sim, action, at, holder, from_status=before, note=reason, data=data)

    def urge(self, sim: _Sim, at: datetime.datetime, by: _Body) -> None:
        self.advance(sim, at)
        sim.case.urge_count += 1
        note = self.rng.choice(URGE_NOTES)
        self.step(sim, Action.URGE, at, by, note=note, data={"count": sim.case.urge_count})

    def own(self, sim: _Sim, at: datetime.datetime, deadline: datetime.date) -> None:
        self.advance(sim, at)
        body = self.leader_body()
        sim.case.owner = body.user
        sim.case.owner_deadline = deadline
        note = "领导包案，限期化解。"
        self.step(sim, Action.OWN, at, body, note=note, data={"deadline": deadline.isoformat()})

    def extension(self, sim: _Sim, at: datetime.datetime, approve: bool | None) -> None:
        """Asked at `at`; decided (approve True/False) a few office hours later, or left pending."""
        self.advance(sim, at)
        holder = sim.holder
        assert holder is not None and holder.user is not None
        case = sim.case
        days = self.rng.choice((3, 5, 5, 7, 10))
        reason = self.rng.choice(EXTENSION_REASONS)
        ext = Extension(days=days, reason=reason, requested_by=holder.user, requested_at=at)
        sim.extensions.append(ext)
        self.step(sim, Action.EXTENSION_REQUEST, at, holder, note=reason, data={"days": days})
        if approve is None:
            return
        decided = self.office(at, 60, 600)
        self.advance(sim, decided)
        superior = self.superior(sim)
        ext.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED
        ext.decided_by = superior.user
        ext.decided_at = decided
        ext.decision_note = "" if approve else "时限内可以办结，请抓紧办理。"
        if approve and case.reply_due is not None:
            case.reply_due = workcal.deadline(case.reply_due, days)
            case.extension_days += days
            self._set_due(sim, case.reply_due)
        self.step(
            sim,
            Action.EXTENSION_DECIDE,
            decided,
            superior,
            note=ext.decision_note,
            data={"approved": approve, "days": days},
        )

    def superior(self, sim: _Sim) -> _Body:
        """The dispatcher's superior (decides extensions): the township over a village, else the county."""
        dispatcher = sim.case.dispatcher_unit
        if dispatcher is not None and dispatcher.level >= Level.VILLAGE:
            return self.unit_body(self.township_of[dispatcher.pk])
        return self.county_body()

    def whistle(self, sim: _Sim, at: datetime.datetime, orgs: list[Organisation], outcome: str) -> None:
        """吹哨 to departments; outcome: "on_time", "late" or "pending" (no report yet)."""
        self.advance(sim, at)
        holder = sim.holder
        assert holder is not None and holder.user is not None and holder.unit is not None
        reason = self.rng.choice(WHISTLE_REASONS)
        made = []
        for org in orgs:
            whistle = Whistle(
                organisation=org,
                whistler_unit=holder.unit,
                whistled_by=holder.user,
                reason=reason,
                whistled_at=at,
                sign_due=workcal.deadline(at, 1),
            )
            sim.whistles.append(whistle)
            made.append(whistle)
        self.step(sim, Action.WHISTLE, at, holder, note=reason, data={"to": [o.name for o in orgs]})
        for whistle in made:
            if outcome == "pending":
                continue
            share = self.rng.uniform(1.05, 1.8) if outcome == "late" else self.rng.uniform(0.05, 0.7)
            signed = self.within(at, whistle.sign_due, share)
            if signed > self.now:
                continue
            dept = self.org_body(whistle.organisation)
            whistle.status = WhistleStatus.SIGNED
            whistle.signed_by = dept.user
            whistle.signed_at = signed
            sim.steps.append(
                _Step(
                    action=Action.WHISTLE_SIGN,
                    actor=dept.user,
                    actor_name=dept.person,
                    body=dept.name,
                    from_status=sim.case.status,
                    to_status=sim.case.status,
                    data={"organisation": dept.name, "on_time": signed <= whistle.sign_due},
                    at=signed,
                )
            )
            sim.case.version += 1

    def whistles_done(self, sim: _Sim, before: datetime.datetime) -> None:
        """Departments that reported finish their part before the holder replies."""
        for whistle in sim.whistles:
            if whistle.status != WhistleStatus.SIGNED or whistle.signed_at is None:
                continue
            done = whistle.signed_at + (before - whistle.signed_at) * self.rng.uniform(0.3, 0.9)
            dept = self.org_body(whistle.organisation)
            whistle.status = WhistleStatus.DONE
            whistle.done_at = done
            whistle.result = "已派员到场勘查认定，提出处置意见并配合完成整改。"
            sim.steps.append(
                _Step(
                    action=Action.WHISTLE_DONE,
                    actor=dept.user,
                    actor_name=dept.person,
                    body=dept.name,
                    from_status=sim.case.status,
                    to_status=sim.case.status,
                    note=whistle.result,
                    data={"organisation": dept.name},
                    at=done,
                )
            )
            sim.case.version += 1

    def reply(self, sim: _Sim, at: datetime.datetime) -> None:
        if any(w.status == WhistleStatus.PENDING for w in sim.whistles):
            raise _Stop  # the service refuses a reply while a department has not reported
        self.whistles_done(sim, at)
        self.advance(sim, at)
        case, before = sim.case, sim.case.status
        top = (
            sim.category.parent.code if sim.category.parent_id and sim.category.parent else sim.category.code
        )
        reply = self.rng.choice(REPLIES.get(top, REPLIES["consult"])).format(p=self.rng.choice(PLACES))
        case.status = Status.REPLIED
        case.reply = reply
        case.replied_at = at
        case.on_time = case.reply_due is None or at <= case.reply_due
        self._set_due(sim, workcal.deadline(at, sim.category.follow_up_days))
        self.step(
            sim, Action.REPLY, at, sim.holder, from_status=before, note=reply, data={"on_time": case.on_time}
        )

    def follow_up(self, sim: _Sim, at: datetime.datetime, rating: str, note: str = "") -> None:
        self.advance(sim, at)
        case, before = sim.case, sim.case.status
        case.rating = rating
        case.rating_note = note
        if rating == Rating.UNSATISFIED:
            case.status = Status.HANDLING
            case.reopen_count += 1
            case.on_time = None
            case.reply_due = workcal.deadline(at, self.days(sim, sim.category.reply_days))
            self._set_due(sim, case.reply_due)
            self.step(
                sim,
                Action.FOLLOW_UP,
                at,
                sim.dispatcher,
                from_status=before,
                note=note,
                data={"rating": rating},
            )
            self.step(
                sim,
                Action.REOPEN,
                at,
                sim.dispatcher,
                from_status=Status.REPLIED,
                note=note,
                data={"count": case.reopen_count},
                bump=False,
            )
            return
        case.status = Status.FOLLOWED_UP
        self._set_due(sim, workcal.deadline(at, 1))
        self.step(
            sim, Action.FOLLOW_UP, at, sim.dispatcher, from_status=before, note=note, data={"rating": rating}
        )

    def close(self, sim: _Sim, at: datetime.datetime, note: str = "") -> None:
        self.advance(sim, at)
        case, before = sim.case, sim.case.status
        case.status = Status.CLOSED
        case.closed_at = at
        case.resolved_level = self.resolved_level(sim)
        self._set_due(sim, None)
        self.step(
            sim,
            Action.CLOSE,
            at,
            sim.dispatcher,
            from_status=before,
            note=note,
            data={"resolved_level": case.resolved_level},
        )

    def resolved_level(self, sim: _Sim) -> str:
        holder = sim.holder
        if holder is None or holder.org is not None:
            return ResolvedLevel.COUNTY
        assert holder.unit is not None
        if holder.unit.level >= Level.VILLAGE:
            if sim.case.channel == Channel.PATROL and sim.case.triage == Triage.PRIVATE:
                return ResolvedLevel.GRID
            return ResolvedLevel.VILLAGE
        return ResolvedLevel.TOWNSHIP if holder.unit.level == Level.TOWNSHIP else ResolvedLevel.COUNTY

    def reject(self, sim: _Sim, at: datetime.datetime, by: _Body) -> None:
        self.advance(sim, at)
        before = sim.case.status
        sim.case.status = Status.REJECTED
        sim.case.closed_at = at
        self._set_due(sim, None)
        self.step(sim, Action.REJECT, at, by, from_status=before, note=self.rng.choice(REJECT_REASONS))

    def merge(self, sim: _Sim, at: datetime.datetime, by: _Body, original: _Sim) -> None:
        self.advance(sim, at)
        before = sim.case.status
        sim.case.status = Status.MERGED
        sim.original = original
        sim.case.closed_at = at
        self._set_due(sim, None)
        self.step(sim, Action.MERGE, at, by, from_status=before, data={"into": original.case.tracking_code})
        status = self.status_at(original, at)
        original.steps.append(
            _Step(
                action=Action.MERGE,
                actor=by.user,
                actor_name=by.person,
                body=by.name,
                from_status=status,
                to_status=status,
                note=f"合并重复诉求 {sim.case.tracking_code}",
                data={"duplicate": sim.case.tracking_code},
                at=at,
            )
        )
        original.steps.sort(key=lambda step: step.at)

    # --- a case's whole life -------------------------------------------------------------------------

    def status_at(self, sim: _Sim, at: datetime.datetime) -> str:
        status: str = Status.SUBMITTED
        for step in sim.steps:
            if step.at > at:
                break
            if step.to_status:
                status = step.to_status
        return status

    def life(self, sim: _Sim, fate: dict[str, Any]) -> None:
        """Walk the case as far as `now` allows (a _Stop leaves it open where it is)."""
        rng, case, cat = self.rng, sim.case, sim.category
        village = case.unit
        township = self.township_of[village.pk]
        v_body, t_body = self.unit_body(village), self.unit_body(township)
        triage = cat.default_triage or Triage.MINOR
        if triage != Triage.PRIVATE and rng.random() < 0.1:
            triage = Triage.MAJOR if triage == Triage.MINOR else Triage.MINOR
        major = triage == Triage.MAJOR
        by_township = major or case.channel in (Channel.HOTLINE, Channel.LEADER_VISIT, Channel.RECEPTION)
        dispatcher = t_body if by_township else v_body
        emergency = case.kind == CaseKind.EMERGENCY
        spot = fate.get("spot", False)
        t0 = case.submitted_at

        def later(after: datetime.datetime, lo: float, hi: float) -> datetime.datetime:
            if emergency or spot:
                return after + datetime.timedelta(minutes=rng.uniform(lo / 20, hi / 20))
            return self.office(after, lo, hi)

        accept_at = later(t0, 20, 900)
        if fate.get("reject"):
            self.reject(sim, accept_at, dispatcher)
            return
        original = fate.get("original")
        if original is not None:
            self.merge(sim, accept_at, dispatcher, original)
            return
        self.accept(sim, accept_at, dispatcher)
        at = later(accept_at, 2, 40)
        if fate.get("hesitate"):
            at = self.office(at, 600, 3000)
        self.triage(sim, at, triage)
        if fate.get("own"):
            self.own(
                sim, self.office(at, 30, 600), (at + datetime.timedelta(days=rng.randint(10, 30))).date()
            )
        at = later(sim.t or at, 5, 240)
        if fate.get("hesitate"):
            at = self.office(at, 600, 3000)
        holder = self.pick_holder(case, triage, v_body, t_body, dispatcher)
        self.dispatch(sim, at, holder)

        if fate.get("return") and dispatcher is t_body and case.return_until:
            at = self.within(at, case.return_until, rng.uniform(0.1, 0.8))
            self.give_back(sim, at, Action.RETURN, rng.choice(RETURN_REASONS), None)
            other = t_body if holder is not t_body else (self.org_body_for(cat) or v_body)
            self.dispatch(sim, self.office(at, 20, 300), other)
            holder = other

        at = self.within(
            sim.t or at,
            case.sign_due or at,
            rng.uniform(1.1, 2.5) if fate.get("late_sign") else rng.uniform(0.02, 0.6),
        )
        if spot:
            at = (sim.t or at) + datetime.timedelta(minutes=rng.uniform(2, 8))
        self.sign(sim, at)

        if fate.get("escalate") and dispatcher is v_body and holder is v_body:
            at = self.office(at, 60, 1440)
            self.give_back(sim, at, Action.ESCALATE, rng.choice(ESCALATE_REASONS), t_body)
            holder = t_body if rng.random() < 0.6 else (self.org_body_for(cat) or t_body)
            self.dispatch(sim, self.office(at, 30, 300), holder)
            at = self.within(sim.t or at, case.sign_due or at, rng.uniform(0.02, 0.6))
            self.sign(sim, at)

        if fate.get("whistle") and holder.unit is not None and holder.user is not None:
            orgs = [self.org_body_for(cat) or self.random_org()]
            if rng.random() < 0.25:
                orgs.append(self.random_org())
            unique = {b.org.pk: b.org for b in orgs if b is not None and b.org is not None}
            outcome = "late" if rng.random() < 0.12 else "on_time"
            if fate.get("pending_whistle"):
                outcome = "pending"
            self.whistle(sim, self.office(sim.t or at, 30, 600), list(unique.values()), outcome)
        if fate.get("extension") and holder.user is not None and case.reply_due is not None:
            asked = self.within(sim.t or at, case.reply_due, rng.uniform(0.3, 0.8))
            approve = fate.get("approve", True)
            self.extension(sim, asked, approve)
        if fate.get("urge"):
            by = (
                t_body
                if holder is v_body
                else (self.leader_body() if rng.random() < 0.5 else self.county_body())
            )
            self.urge(sim, self.within(sim.t or at, case.reply_due or at, rng.uniform(0.3, 0.8)), by)

        start = sim.t or at
        signed = [w.signed_at for w in sim.whistles if w.signed_at is not None]
        if spot:
            at = start + datetime.timedelta(minutes=rng.uniform(20, 90))
        else:
            share = rng.uniform(0.1, 0.92)
            if fate.get("late_reply"):
                share = rng.uniform(1.05, 1.6)
            if fate.get("stall"):
                share = rng.uniform(1.2, 3.0)
            at = self.within(start, case.reply_due or start, share)
        if signed:
            at = max(at, max(signed) + datetime.timedelta(hours=rng.uniform(2, 30)))
        self.reply(sim, at)

        if fate.get("no_follow_up"):
            note = (
                "匿名诉求，无法回访，按程序办结。"
                if case.is_anonymous
                else "多次电话联系不上诉求人，按程序办结。"
            )
            self.close(sim, later(at, 1440, 4000), note)
            return
        at = at + datetime.timedelta(minutes=rng.uniform(3, 10)) if spot else self.office(at, 60, 2400)
        if fate.get("reopen"):
            self.follow_up(sim, at, Rating.UNSATISFIED, rng.choice(UNSATISFIED_NOTES))
            at = self.within(at, case.reply_due or at, rng.uniform(0.2, 0.9))
            self.reply(sim, at)
            at = self.office(at, 60, 2400)
            if rng.random() < 0.4:
                self.close(sim, at, "二次回访时诉求人仍有异议，已做好解释说明，按程序办结。")
                return
            self.follow_up(sim, at, Rating.SATISFIED if rng.random() < 0.6 else Rating.BASIC)
        else:
            rating = Rating.SATISFIED if spot or rng.random() < 0.82 else Rating.BASIC
            self.follow_up(sim, at, rating)
        at = at + datetime.timedelta(minutes=rng.uniform(3, 20)) if spot else self.office(at, 30, 900)
        self.close(sim, at, ON_THE_SPOT if spot else "")

    def pick_holder(self, case: Case, triage: str, v_body: _Body, t_body: _Body, dispatcher: _Body) -> _Body:
        if triage != Triage.MAJOR:
            return v_body
        if dispatcher is v_body:  # a village dispatching a major matter keeps it (it may escalate)
            return v_body
        dept = self.org_body_for(case.category)
        return dept if dept is not None and self.rng.random() < 0.45 else t_body

    def org_body_for(self, category: Category) -> _Body | None:
        key = DEPARTMENT_OF.get(category.code)
        org = self.ctx.departments.get(key) if key else None
        return self.org_body(org) if org is not None else None

    def random_org(self) -> _Body | None:
        keys = sorted(k for k in self.ctx.departments if not k.isdigit())
        return self.org_body(self.ctx.departments[self.rng.choice(keys)]) if keys else None

    # --- planning the year -----------------------------------------------------------------------------

    def moment(self, day: datetime.date, lo: float, hi: float) -> datetime.datetime:
        hours = self.rng.uniform(lo, hi)
        return datetime.datetime.combine(day, datetime.time(0), tzinfo=TZ) + datetime.timedelta(hours=hours)

    def pick(self, items: list[Any], cum: list[float]) -> Any:
        return items[min(len(items) - 1, bisect_right(cum, self.rng.random() * cum[-1]))]

    def leader_visits(self, first: datetime.date) -> list[IntakeRecord]:
        """周一夜访: every Monday the demo township and three others in rotation get a county leader."""
        ctx, rng = self.ctx, self.rng
        hosts = [f"{self.leader.full_name}（{self.leader.title or '县领导'}）"] if self.leader else []
        titles = ("副县长", "县委常委", "县人大常委会副主任", "县政协副主席", "县委副书记")
        hosts += [f"{self.names()}（{rng.choice(titles)}）" for _ in range(18)]
        townships = [t for t in self.townships if any(self.township_of[v.pk] == t for v in self.villages)]
        others = [t for t in townships if t != ctx.home]
        day = first + datetime.timedelta(days=(7 - first.weekday()) % 7)
        records, week = [], 0
        while day <= ctx.today:
            if day == ctx.today and self.now.astimezone(TZ).hour < 22:
                break
            chosen = [ctx.home] + [others[(week * 3 + i) % len(others)] for i in range(min(3, len(others)))]
            for township in chosen:
                villages = [v for v in ctx.villages[township.pk] if v in self.villages_set]
                if not villages:
                    continue
                village = villages[week % len(villages)]
                creator = self.officers.get(township.pk) or ctx.admin
                records.append(
                    IntakeRecord(
                        kind=IntakeKind.LEADER_VISIT,
                        unit=village,
                        held_on=day,
                        place=f"{village.display_name}村委会",
                        host=rng.choice(hosts),
                        created_by=creator,
                        created_at=datetime.datetime.combine(day, datetime.time(22, 10), tzinfo=TZ),
                        minutes="县领导带队夜访，听取村民意见建议，现场交办群众诉求。",
                    )
                )
            day += datetime.timedelta(days=7)
            week += 1
        return records

    def meeting(self, village: Unit, day: datetime.date) -> IntakeRecord:
        """百姓夜话/村民说事: one meeting a month per village at most; that month's cases come from it."""
        key = (village.pk, day.year, day.month)
        record = self.meetings.get(key)
        if record is None:
            township = self.township_of[village.pk]
            creator = self.cadres.get(village.pk) or self.officers.get(township.pk) or self.ctx.admin
            host = self.unit_body(village).person
            record = IntakeRecord(
                kind=IntakeKind.MEETING,
                unit=village,
                held_on=day,
                place=self.rng.choice(("村委会会议室", "村文化活动室", "道德讲堂", "村民小组活动场所")),
                host=f"{host}（村党总支书记）",
                attendees=self.rng.randint(15, 60),
                created_by=creator,
                created_at=datetime.datetime.combine(day, datetime.time(22, 0), tzinfo=TZ),
                minutes="百姓夜话：围绕人居环境、矛盾纠纷和民生实事听取村民意见，能当场解决的当场解决，其余登记交办。",
            )
            self.meetings[key] = record
        return record

    def new_case(
        self,
        channel: str,
        category: Category,
        village: Unit,
        t0: datetime.datetime,
        record: IntakeRecord | None,
    ) -> _Sim:
        rng = self.rng
        township = self.township_of[village.pk]
        grids = self.grids.get(village.pk, [])
        grid = None
        if grids and (channel == Channel.PATROL or rng.random() < (0.8 if channel == Channel.PHOTO else 0.3)):
            grid = rng.choice(grids)
        lat = lng = None
        if channel in (Channel.PHOTO, Channel.PATROL, Channel.API):
            if grid is not None and grid.boundary:
                ring = grid.boundary["coordinates"][0]
                xs, ys = [p[0] for p in ring], [p[1] for p in ring]
                lng, lat = rng.uniform(min(xs), max(xs)), rng.uniform(min(ys), max(ys))
            elif village.latitude is not None and village.longitude is not None:
                lat = village.latitude + rng.uniform(-0.004, 0.004)
                lng = village.longitude + rng.uniform(-0.004, 0.004)
        anonymous = channel == Channel.PHOTO and rng.random() < 0.08
        name = phone_enc = phone_hash = tail = ""
        if channel != Channel.PATROL and not (anonymous and rng.random() < 0.5):
            pool = self.villagers.get(village.code[:12])
            if pool:
                name, phone_enc, phone_hash, tail = rng.choice(pool)
            else:
                phone = self.phone()
                name = self.names()
                phone_enc, phone_hash, tail = crypto.encrypt(phone), crypto.lookup_hash(phone), phone[-4:]
        if anonymous:
            name = ""
        entered_by: User | None = None
        if channel == Channel.HOTLINE:
            entered_by = self.operator
        elif channel in (Channel.LEADER_VISIT, Channel.RECEPTION):
            entered_by = self.officers.get(township.pk)
        elif channel == Channel.MEETING:
            entered_by = self.cadres.get(village.pk) or self.officers.get(township.pk)
        elif channel == Channel.PATROL:
            entered_by = (self.gridders.get(grid.pk) if grid else None) or self.cadres.get(village.pk)
        external_id = ""
        if channel == Channel.HOTLINE:
            self.hotline_seq += 1
            external_id = f"HZ{t0.astimezone(TZ):%Y%m%d}{self.hotline_seq:05d}"
        title, description = rng.choice(
            TEMPLATES.get(
                category.code,
                (
                    (
                        f"{category.name}问题",
                        f"{village.display_name}{{p}}的{category.name}问题，请尽快处理。",
                    ),
                ),
            )
        )
        title = self.fill(title, village)[:100]
        case = Case(
            tracking_code=self.tracking_code(t0),
            channel=channel,
            category=category,
            kind=category.kind,
            title=title,
            description=self.fill(description, village),
            unit=village,
            grid=grid,
            address=f"{township.display_name}{village.display_name}{rng.choice(PLACES)}",
            latitude=lat,
            longitude=lng,
            submitter_name=name,
            submitter_phone_enc=phone_enc,
            submitter_phone_hash=phone_hash,
            submitter_phone_tail=tail,
            is_anonymous=anonymous,
            entered_by=entered_by,
            intake_record=record,
            external_id=external_id,
            status=Status.SUBMITTED,
            submitted_at=t0,
            version=1,
        )
        sim = _Sim(case=case, category=category, t=t0)
        days = 0 if category.kind == CaseKind.EMERGENCY else category.accept_days
        self._set_due(sim, workcal.deadline(t0, days))
        actor = entered_by
        sim.steps.append(
            _Step(
                action=Action.SUBMIT,
                actor=actor,
                actor_name=(actor.full_name or actor.username) if actor else "",
                body=Channel(channel).label,
                from_status="",
                to_status=Status.SUBMITTED,
                data={"channel": channel},
                at=t0,
            )
        )
        return sim

    def submitted_at(self, channel: str) -> datetime.datetime:
        rng, today = self.rng, self.ctx.today
        for _ in range(100):
            day = today - datetime.timedelta(days=rng.randrange(365))
            if channel in (Channel.RECEPTION, Channel.PATROL) and day.weekday() >= 5 and rng.random() < 0.8:
                continue
            if channel == Channel.RECEPTION:
                at = self.moment(day, 8.6, 17.5)
            elif channel == Channel.PATROL:
                at = self.moment(day, 8.5, 18)
            elif channel == Channel.HOTLINE:
                at = self.moment(day, 7, 22)
            else:
                at = self.moment(day, 7, 21.8)
            if at <= self.now - datetime.timedelta(minutes=5):
                return at
        return self.now - datetime.timedelta(hours=1)

    def plan(self) -> tuple[list[_Sim], list[IntakeRecord]]:
        ctx, rng = self.ctx, self.rng
        self.villages_set = set(self.villages)
        self.meetings: dict[tuple[int, int, int], IntakeRecord] = {}
        total = LITE_TOTAL if ctx.lite else YEAR_TOTAL
        first = ctx.today - datetime.timedelta(days=364)
        visits = self.leader_visits(first)
        visit_cases: Counter[int] = Counter()
        planned: list[_Sim] = []
        for _ in range(total):
            channel = self.pick(self.channels, self.channel_cum)
            category = self.pick(self.categories, self.category_cum)
            record = None
            if channel == Channel.LEADER_VISIT and visits:
                index = rng.randrange(len(visits))
                record = visits[index]
                visit_cases[index] += 1
                township = self.township_of[record.unit.pk]
                siblings = [v for v in ctx.villages[township.pk] if v in self.villages_set]
                village = record.unit if rng.random() < 0.7 else rng.choice(siblings)
                t0 = self.moment(record.held_on, 19, 21.5)
            else:
                if channel == Channel.LEADER_VISIT:
                    channel = Channel.RECEPTION
                village = self.pick(self.villages, self.village_cum)
                t0 = self.submitted_at(channel)
                if channel == Channel.MEETING:
                    record = self.meeting(village, t0.date())
                    t0 = self.moment(record.held_on, 19.5, 21.8)
                    if t0 > self.now:
                        channel, record, t0 = Channel.PHOTO, None, self.submitted_at(Channel.PHOTO)
            planned.append(self.new_case(channel, category, village, t0, record))
        for index, record in enumerate(visits):
            record.batches = visit_cases[index] + rng.randint(0, 4)
            record.attendees = record.batches * rng.randint(1, 3) + rng.randint(0, 5)
        records = visits + list(self.meetings.values())

        planned.sort(key=lambda s: s.case.submitted_at)
        self.own_mine(planned)
        return planned, records

    def own_mine(self, planned: list[_Sim]) -> None:
        """The demo resident's own case from months ago (closed and rated by now; the walk adds two
        of today's)."""
        resident = self.resident
        if resident is None:
            return
        village = self.ctx.demo_village
        mine = [
            s
            for s in planned
            if s.case.unit == village and s.case.channel in (Channel.PHOTO, Channel.MAILBOX)
        ]
        old = [s for s in mine if (self.now - s.case.submitted_at).days > 60]
        for sim in old[:1]:
            case = sim.case
            case.submitter = resident
            case.submitter_name = resident.full_name
            case.is_anonymous = False
            phone = resident.phone or "13800000001"
            case.submitter_phone_enc = crypto.encrypt(phone)
            case.submitter_phone_hash = crypto.lookup_hash(phone)
            case.submitter_phone_tail = phone[-4:]
            sim.steps[0].actor = resident
            sim.steps[0].actor_name = resident.full_name
            sim.mine = True

    def fate(self, sim: _Sim) -> dict[str, Any]:
        rng, case = self.rng, sim.case
        age = (self.now - case.submitted_at).total_seconds() / 86400
        fate: dict[str, Any] = {}
        r = rng.random()
        if sim.mine:
            return fate  # the plain path: accepted, handled, answered, rated by the resident
        if r < 0.015:
            fate["reject"] = True
            return fate
        if r < 0.022:
            original = self.duplicate_of(sim)
            if original is not None:
                fate["original"] = original
                return fate
        spot_rate = 0.66 if case.category.code == "suggestion" else 0.25
        if (
            case.channel in (Channel.MEETING, Channel.LEADER_VISIT, Channel.RECEPTION)
            and rng.random() < spot_rate
        ):
            fate["spot"] = True
            return fate
        for key, p in (
            ("return", 0.02),
            ("escalate", 0.02),
            ("whistle", 0.05),
            ("extension", 0.025),
            ("urge", 0.04),
            ("late_sign", 0.04),
            ("late_reply", 0.05),
            ("reopen", 0.03),
        ):
            if rng.random() < p:
                fate[key] = True
        if age < 45 and rng.random() < 0.1:
            fate["stall"] = True
        if age < 4 and rng.random() < 0.2:
            fate["hesitate"] = True
        # Nobody to call back: an anonymous report without a phone (a gridder's patrol report is
        # checked on the spot by the dispatcher, who rates it).
        unreachable = case.channel != Channel.PATROL and not case.submitter_phone_hash
        if unreachable or rng.random() < 0.03:
            fate["no_follow_up"] = True
            fate.pop("reopen", None)
        if fate.get("whistle") and age < 5:
            fate["pending_whistle"] = True
        if fate.get("extension"):
            fate["approve"] = None if age < 4 and rng.random() < 0.5 else rng.random() < 0.8
        if (
            case.category.code in ("land-compensation", "housing-relocation", "dispute-land")
            and rng.random() < 0.012
        ):
            fate["own"] = True
        return fate

    def duplicate_of(self, sim: _Sim) -> _Sim | None:
        """An earlier case of the same village and category (or, failing that, the same top-level
        category) in the last three weeks: a repeat report of the same matter."""
        case = sim.case
        top = case.category.parent_id or case.category.pk
        for other in reversed(self.recent[case.unit.pk]):
            if (case.submitted_at - other.case.submitted_at).days > 21:
                break
            if other.original is not None or other.case.status in (Status.REJECTED, Status.MERGED):
                continue
            if (
                other.case.category.pk == case.category.pk
                or (other.case.category.parent_id or other.case.category.pk) == top
            ):
                return other
        return None

    def simulate(self, planned: list[_Sim]) -> None:
        """Every case in the order it was submitted (a duplicate finds its original already walked)."""
        self.recent: dict[int, list[_Sim]] = defaultdict(list)
        for sim in planned:
            with contextlib.suppress(_Stop):  # stopped at "now": the case stays open where it is
                self.life(sim, self.fate(sim))
            if sim.case.status not in (Status.CLOSED, Status.REJECTED, Status.MERGED):
                self._warnings(sim, self.now)
            sim.steps.sort(key=lambda step: step.at)
            self.recent[sim.case.unit.pk].append(sim)
            self.counts[sim.case.status] += 1


def _write(sims: list[_Sim], records: list[IntakeRecord]) -> dict[str, int]:
    """Intake records and the few whistles and extensions by bulk_create; the cases with ids
    allocated up front and the timeline as plain rows (executemany on SQLite, COPY on PostgreSQL),
    the same fast path the resident import uses."""
    IntakeRecord.objects.bulk_create(records, batch_size=BATCH)
    plain = [s for s in sims if s.original is None]
    merged = [s for s in sims if s.original is not None]
    ordered = plain + merged  # an original's id exists before its duplicate names it
    for s, pk in zip(ordered, allocate_ids(Case, len(ordered)), strict=True):
        s.case.pk = pk
    for s in merged:
        assert s.original is not None
        s.case.merged_into = s.original.case
    now = timezone.now()
    for s in ordered:
        s.case.updated_at = now
    insert_rows(Case, [s.case for s in ordered])
    rows = [
        (
            s.case.pk,
            step.action,
            step.actor.pk if step.actor is not None else None,
            step.actor_name,
            step.body,
            step.from_status,
            step.to_status,
            step.note,
            json.dumps(step.data, ensure_ascii=False),
            step.at,
        )
        for s in ordered
        for step in s.steps
    ]
    _insert_steps(rows)
    whistles: list[Whistle] = []
    extensions: list[Extension] = []
    for s in ordered:
        for whistle in s.whistles:
            whistle.case = s.case
            whistles.append(whistle)
        for extension in s.extensions:
            extension.case = s.case
            extensions.append(extension)
    Whistle.objects.bulk_create(whistles, batch_size=BATCH)
    Extension.objects.bulk_create(extensions, batch_size=BATCH)
    return {
        "cases": len(ordered),
        "case_steps": len(rows),
        "whistles": len(whistles),
        "extensions": len(extensions),
        "intake_records": len(records),
    }


STEP_COLUMNS = (
    "case_id",
    "action",
    "actor_id",
    "actor_name",
    "body",
    "from_status",
    "to_status",
    "note",
    "data",
    "at",
)


def _insert_steps(rows: list[tuple[Any, ...]]) -> None:
    quote = connection.ops.quote_name
    table = quote(CaseStep._meta.db_table)
    columns = ", ".join(quote(c) for c in STEP_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        adapt = connection.ops.adapt_datetimefield_value
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(STEP_COLUMNS))})"  # noqa: S608
        for start in range(0, len(rows), BATCH * 5):
            chunk = rows[start : start + BATCH * 5]
            cursor.executemany(sql, [(*row[:-1], adapt(row[-1])) for row in chunk])


# --- a few dozen recent cases through the real services --------------------------------------------


@dataclass
class _Walk:
    """The named demo logins working today, through the services (audit records, events, notices)."""

    ctx: Any
    planner: _Planner
    done: Counter[str] = field(default_factory=Counter)
    failed: list[str] = field(default_factory=list)

    def cat(self, code: str) -> Category:
        category = Category.objects.filter(code=code, is_active=True).first()
        return category or self.planner.categories[0]

    def run(self, label: str, action: Any) -> Any:
        """One piece of work; a refusal (a rule of the lists, say) is counted, never fatal."""
        try:
            result = action()
        except ApplicationError as err:
            self.failed.append(f"{label}: {err.message}")
            return None
        self.done[label] += 1
        return result

    def submit(
        self, actor: User | None, channel: str, code: str, village: Unit, hours_ago: float, **kw: Any
    ) -> Case | None:
        planner = self.planner
        category = self.cat(code)
        title, description = planner.rng.choice(
            TEMPLATES.get(category.code, ((f"{category.name}问题", "{v}{p}的问题，请尽快处理。"),))
        )
        at = planner.now - datetime.timedelta(hours=hours_ago)
        return self.run(
            "submit",
            lambda: services.case_submit(
                actor=actor,
                channel=channel,
                category=category,
                title=planner.fill(title, village)[:100],
                description=planner.fill(description, village),
                unit=village,
                submitted_at=at,
                **kw,
            ),
        )

    def go(self) -> None:
        ctx, p = self.ctx, self.planner
        users = p.named
        officer, cadre, gridder = users.get("township"), users.get("cadre"), users.get("gridder")
        handler, leader, operator, resident = (
            users.get("handler"),
            users.get("leader"),
            users.get("operator"),
            users.get("resident"),
        )
        if not all((officer, cadre, handler, leader, operator, resident)):
            return
        assert officer and cadre and handler and leader and operator and resident
        village, home = ctx.demo_village, ctx.home
        neighbours = [v for v in ctx.villages[home.pk] if v != village] or [village]
        zrzy, sthj = ctx.departments.get("ZRZY"), ctx.departments.get("STHJ")
        grid = None
        if gridder is not None:
            assignment = (
                RoleAssignment.objects.filter(user=gridder, grid__isnull=False).select_related("grid").first()
            )
            grid = assignment.grid if assignment else None
        S = services

        def caller() -> dict[str, Any]:
            return {"submitter_name": p.names(), "submitter_phone": p.phone()}

        # The resident reports from their phone: one waits to be accepted, one was answered and
        # waits for their rating (a third, from months ago, is in the bulk: closed and rated).
        self.submit(resident, Channel.PHOTO, "env-garbage", village, 2)
        answered = self.submit(resident, Channel.MAILBOX, "village-affairs", village, 30)
        if answered:
            case = self.run("accept", lambda: S.case_accept(actor=cadre, case=answered))
            case = case and self.run(
                "triage", lambda: S.case_triage(actor=cadre, case=case, triage=Triage.MINOR)
            )
            case = case and self.run(
                "dispatch", lambda: S.case_dispatch(actor=cadre, case=case, unit=village)
            )
            case = case and self.run("sign", lambda: S.case_sign(actor=cadre, case=case))
            case and self.run(
                "reply",
                lambda: S.case_reply(
                    actor=cadre, case=case, reply="村务公开栏已于今日更新，上半年收支明细已张贴公示。"
                ),
            )
        # A gridder's patrol and the operator's hotline calls wait to be accepted.
        if gridder is not None:
            self.submit(gridder, Channel.PATROL, "road-light", village, 1, grid=grid)
        for code, where in (("water-supply", village), ("env-sewage", neighbours[0]), ("social-dibao", home)):
            self.submit(
                operator,
                Channel.HOTLINE,
                code,
                where if where.level >= Level.VILLAGE else village,
                3,
                **caller(),
            )

        # The township officer: one accepted and triaged, waiting for dispatch; two sent to 自然资源局
        # (one signed, with an extension asked); two sent to the township itself (one signed and
        # whistled to 自然资源局, owned by the leader and urged); one dispatched with a supporting
        # department; one rejected.
        pending = self.submit(operator, Channel.HOTLINE, "water-power", neighbours[0], 5, **caller())
        if pending:
            case = self.run("accept", lambda: S.case_accept(actor=officer, case=pending))
            case and self.run("triage", lambda: S.case_triage(actor=officer, case=case, triage=Triage.MAJOR))

        def to_body(
            case: Case | None, *, unit: Unit | None = None, org: Organisation | None = None, **kw: Any
        ) -> Case | None:
            case = case and self.run("accept", lambda: S.case_accept(actor=officer, case=case))
            case = case and self.run(
                "triage", lambda: S.case_triage(actor=officer, case=case, triage=Triage.MAJOR)
            )
            return case and self.run(
                "dispatch",
                lambda: S.case_dispatch(actor=officer, case=case, unit=unit, organisation=org, **kw),
            )

        if zrzy is not None:
            to_body(
                self.submit(operator, Channel.HOTLINE, "land-compensation", village, 20, **caller()), org=zrzy
            )
            signed = to_body(
                self.submit(operator, Channel.HOTLINE, "dispute-land", neighbours[0], 26, **caller()),
                org=zrzy,
            )
            signed = signed and self.run("sign", lambda: S.case_sign(actor=handler, case=signed))
            signed and self.run(
                "extension",
                lambda: S.extension_request(
                    actor=handler, case=signed, days=5, reason="需调取历年确权档案，申请延期。"
                ),
            )
        to_body(self.submit(officer, Channel.RECEPTION, "road-damage", village, 6, **caller()), unit=home)
        held = to_body(
            self.submit(officer, Channel.RECEPTION, "housing-danger", neighbours[0], 28, **caller()),
            unit=home,
        )
        held = held and self.run("sign", lambda: S.case_sign(actor=officer, case=held))
        if held and zrzy is not None:
            self.run(
                "whistle",
                lambda: S.case_whistle(
                    actor=officer, case=held, organisations=[zrzy], reason="需部门现场勘查房屋安全。"
                ),
            )
        if held:
            deadline = ctx.today + datetime.timedelta(days=14)
            held = self.run(
                "own",
                lambda: S.case_own(actor=leader, case=held, deadline=deadline, note="包案督办，两周内化解。"),
            )
            held and self.run(
                "urge", lambda: S.case_urge(actor=leader, case=held, note="请加快排危，确保群众安全。")
            )
        if sthj is not None:
            to_body(
                self.submit(operator, Channel.HOTLINE, "env-sewage", village, 8, **caller()),
                unit=home,
                supporting=[sthj],
                note="生态环境局配合监测水质。",
            )
        refused = self.submit(operator, Channel.HOTLINE, "consult", village, 4, **caller())
        if refused:
            self.run(
                "reject",
                lambda: S.case_reject(
                    actor=officer, case=refused, reason="该事项已进入司法程序，不属于受理范围。"
                ),
            )

        # The village cadre: one dispatched to the village waiting to be signed (the gridder sees it
        # too), one being handled that the township urges, one with an extension for the township to
        # decide, one walked to the end, one reopened after the villager was unsatisfied on the
        # follow-up call, and a repeat report merged into its original.
        def village_case(
            code: str, hours: float, *, sign: bool = True, channel: str = Channel.PHOTO
        ) -> Case | None:
            by, extra = (
                (None, caller())
                if channel == Channel.PHOTO
                else (cadre, {**caller(), "intake_record": meeting})
            )
            case = self.submit(by, channel, code, village, hours, **extra)
            case = case and self.run("accept", lambda: S.case_accept(actor=cadre, case=case))
            case = case and self.run(
                "triage", lambda: S.case_triage(actor=cadre, case=case, triage=Triage.MINOR)
            )
            case = case and self.run(
                "dispatch", lambda: S.case_dispatch(actor=cadre, case=case, unit=village)
            )
            return case and self.run("sign", lambda: S.case_sign(actor=cadre, case=case)) if sign else case

        # Last night's 百姓夜话 in the demo village: two of the cases below were raised there.
        meeting = self.run(
            "intake_record",
            lambda: S.intake_record_create(
                actor=cadre,
                kind=IntakeKind.MEETING,
                unit=village,
                held_on=ctx.today - datetime.timedelta(days=1),
                place="村文化活动室",
                host=f"{cadre.full_name}（村党总支书记）",
                attendees=36,
                minutes="百姓夜话：议邻里纠纷调解和灌溉沟渠清淤，两件登记交办。",
            ),
        )
        village_case("env-pile", 7, sign=False)
        urged = village_case("dispute-neighbour", 27, channel=Channel.MEETING)
        urged and self.run(
            "urge", lambda: S.case_urge(actor=officer, case=urged, note="邻里矛盾容易激化，请尽快调解。")
        )
        extended = village_case("agri-irrigation", 29, channel=Channel.MEETING)
        extended and self.run(
            "extension",
            lambda: S.extension_request(
                actor=cadre, case=extended, days=3, reason="等雨停后组织村民清淤，申请延期。"
            ),
        )
        closed = village_case("road-light", 30)
        closed = closed and self.run(
            "reply", lambda: S.case_reply(actor=cadre, case=closed, reply="已更换路灯控制器，今晚恢复照明。")
        )
        closed = closed and self.run(
            "follow_up", lambda: S.case_follow_up(actor=cadre, case=closed, rating=Rating.SATISFIED)
        )
        closed and self.run("close", lambda: S.case_close(actor=cadre, case=closed))
        redo = village_case("env-garbage", 31)
        redo = redo and self.run(
            "reply", lambda: S.case_reply(actor=cadre, case=redo, reply="已安排保洁员清运完毕。")
        )
        redo and self.run(
            "follow_up",
            lambda: S.case_follow_up(
                actor=cadre, case=redo, rating=Rating.UNSATISFIED, note="只清了一半，垃圾池边还有很多。"
            ),
        )
        first = self.submit(None, Channel.PHOTO, "env-pile", village, 9, **caller())
        again = self.submit(None, Channel.PHOTO, "env-pile", village, 8, **caller())
        if first and again:
            self.run(
                "merge",
                lambda: S.case_merge(
                    actor=cadre, case=again, original=first, note="同一处柴草堆放，合并办理。"
                ),
            )


def load(ctx: Any) -> dict[str, int]:
    """A year of cases for the county (see the module docstring); {} when already loaded."""
    rng = random.Random(ctx.rng.getrandbits(64))  # one draw from the shared stream, loaded or not
    if Event.objects.filter(event_type=DEMO_LOADED, scope_code=ctx.county.code).exists():
        return {}
    started = time.perf_counter()
    now = timezone.now()
    planner = _Planner(ctx, rng, now)
    if not planner.categories or not planner.villages:
        return {}
    planned, records = planner.plan()
    planner.simulate(planned)
    counts = _write(planned, records)
    walk = _Walk(ctx, planner)
    walk.go()
    counts["cases_walked"] = walk.done.get("submit", 0)
    record_event(
        actor=ctx.admin,
        event_type=DEMO_LOADED,
        obj=ctx.county,
        data={
            **counts,
            "by_status": dict(sorted(planner.counts.items())),
            "walk_refused": walk.failed[:20],
            "seconds": round(time.perf_counter() - started, 1),
        },
    )
    return counts
