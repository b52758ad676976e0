"""Demo data of the 责任清单 module: the county's three lists and one township supplement.

Synthetic but shaped like the practice the seeds describe: a 职责任务清单 of 7 domains and 178
duties (owning body, post, person), a 属地责任清单 of 14 domains and 165 matters on which the
township is the primary body for 8 and supports the departments on the other 157, and a 村级工作
准入清单 of 30 matters. Every default case category resolves to a suggestion (through its own item
or its parent's), and a few categories are deliberately off the admission list so that the
dispatch refusal can be seen. The demo township publishes a small territorial supplement that
overrides the county's list for two categories.

Published through the service as rows (the same checks as an upload). Idempotent: a list already
published for its unit is left alone. Deterministic: one draw from ctx.rng seeds everything here,
made on every run so that the modules after this one meet the same random state.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from apps.cases.models import Category
from apps.demo.names import NameGenerator
from apps.duties import services
from apps.duties.choices import ListKind
from apps.duties.models import ResponsibilityList

if TYPE_CHECKING:
    from apps.demo.loader import DemoContext

TOWNSHIP, VILLAGE = "乡镇", "村"

# --- 职责任务清单: 7 domains, 178 duties -------------------------------------------------------------
# domain -> (count, owner keys (department keys of DEPARTMENTS or a level word), post, subjects
# with the categories they answer, verbs). Matters are verb + subject, in order, until count.
DUTY_DOMAINS: list[tuple[str, int, list[str], str, list[tuple[str, str]], list[str]]] = [
    (
        "基层党建",
        28,
        [TOWNSHIP],
        "党建工作办公室",
        [
            ("村（社区）党组织换届选举", ""),
            ("党员发展和教育管理", ""),
            ("软弱涣散村党组织整顿", ""),
            ("村级组织活动场所建设", ""),
            ("驻村第一书记和工作队管理", ""),
            ("党费收缴使用管理", ""),
            ("村干部报酬和保障落实", ""),
            ("村级后备力量培养", ""),
            ("党员联户和网格党小组建设", ""),
            ("“四议两公开”工作法落实", "village-affairs"),
        ],
        ["组织实施", "指导督促", "统计上报"],
    ),
    (
        "经济发展",
        25,
        ["NYNC", TOWNSHIP],
        "经济发展办公室",
        [
            ("村集体经济发展项目", ""),
            ("招商引资项目服务", ""),
            ("特色产业基地建设", ""),
            ("农民专业合作社规范提升", ""),
            ("惠农补贴资金发放", "agri-subsidy"),
            ("农业保险推广", "agri-subsidy"),
            ("电商进农村服务", ""),
            ("返乡创业服务", ""),
            ("规模以上企业运行监测", ""),
        ],
        ["组织实施", "跟踪服务", "统计上报"],
    ),
    (
        "乡村振兴",
        27,
        ["NYNC", "SW", TOWNSHIP],
        "乡村振兴工作站",
        [
            ("防返贫动态监测帮扶", "social-dibao"),
            ("农田水利设施建设管护", "agri-irrigation"),
            ("高标准农田建设", "agri-irrigation"),
            ("农村饮水安全保障", "water-supply"),
            ("农村公路建设养护", "road-damage"),
            ("农村户厕改造", "env-toilet"),
            ("美丽乡村建设", "env"),
            ("耕地保护和撂荒地复耕", "agri"),
            ("乡村人才培训", ""),
        ],
        ["组织实施", "督促落实", "检查验收"],
    ),
    (
        "民生保障",
        28,
        ["MZ", "RSSB", TOWNSHIP],
        "社会事务办公室",
        [
            ("最低生活保障审核", "social-dibao"),
            ("特困人员供养", "social-dibao"),
            ("临时救助", "social-dibao"),
            ("城乡居民养老保险参保", "social-pension"),
            ("城乡居民医疗保险参保", "social-medical"),
            ("残疾人两项补贴发放", "social"),
            ("留守儿童和困境儿童关爱", "social"),
            ("高龄津贴发放", "social-pension"),
            ("农民工工资支付保障", "dispute-wage"),
            ("就业创业服务", "social"),
        ],
        ["审核办理", "政策宣传", "动态管理"],
    ),
    (
        "平安建设",
        26,
        ["GA", "XF", TOWNSHIP],
        "综治中心",
        [
            ("矛盾纠纷排查化解", "dispute"),
            ("信访事项受理办理", "suggestion"),
            ("群众来信来访接待", "suggestion"),
            ("社会治安防控", ""),
            ("禁毒宣传和社区戒毒", ""),
            ("严重精神障碍患者服务管理", ""),
            ("反诈宣传", "consult"),
            ("网格化服务管理", ""),
            ("平安村（社区）创建", ""),
        ],
        ["组织开展", "受理办理", "督促落实"],
    ),
    (
        "生态环境",
        23,
        ["STHJ", "ZHZF", TOWNSHIP],
        "生态环境工作站",
        [
            ("河（湖）长制巡河", "env-sewage"),
            ("农村生活污水治理", "env-sewage"),
            ("农村生活垃圾治理", "env-garbage"),
            ("秸秆禁烧和综合利用", "env"),
            ("畜禽养殖污染防治", "env-sewage"),
            ("森林防火", "safety-fire"),
            ("环境信访问题处置", "env"),
            ("中央和省级环保督察问题整改", "env"),
        ],
        ["组织开展", "巡查处置", "督促整改"],
    ),
    (
        "综合服务",
        21,
        ["ZJ", "ZRZY", TOWNSHIP],
        "党政综合办公室",
        [
            ("便民服务中心事项办理", "consult"),
            ("农村建房审批服务", "land-homestead"),
            ("危房改造对象认定", "housing-danger"),
            ("地质灾害隐患点监测", "safety-geo"),
            ("政务公开和村务公开", "village-affairs"),
            ("12345热线工单办理", "suggestion"),
            ("食品安全宣传", "safety-food"),
        ],
        ["办理", "督促落实", "统计上报"],
    ),
]
DUTY_POSTS = {"NYNC": "农村经济股", "SW": "农村水利股", "MZ": "社会救助股", "RSSB": "社会保险股"}
DUTY_POSTS |= {"GA": "派出所", "XF": "办信科", "STHJ": "分局执法股", "ZHZF": "执法中队"}
DUTY_POSTS |= {"ZJ": "村镇建设股", "ZRZY": "自然资源所"}

# --- 属地责任清单: 14 domains, 165 matters (township primary on 8, supporting on 157) --------------------
# domain -> (count, primary department key, subjects with categories). The township-primary matters
# are listed apart (TERRITORIAL_PRIMARY) and numbered first within their domain.
TERRITORIAL_DOMAINS: list[tuple[str, int, str, list[tuple[str, str]]]] = [
    (
        "人居环境",
        12,
        "ZJ",
        [
            ("集镇和村庄生活垃圾收运处置", "env-garbage"),
            ("农村公厕建设管护", "env-toilet"),
            ("农村户厕改造质量问题", "env-toilet"),
            ("村庄规划实施", "env"),
            ("集镇市容秩序", "env-pile"),
            ("建筑垃圾乱倒", "env-pile"),
        ],
    ),
    (
        "生态环境",
        12,
        "STHJ",
        [
            ("工业企业污水排放", "env-sewage"),
            ("河道和沟渠污染", "env-sewage"),
            ("畜禽养殖粪污排放", "env-sewage"),
            ("大气污染和露天焚烧", "env"),
            ("噪声扰民", "env"),
            ("固体废物非法倾倒", "env-pile"),
        ],
    ),
    (
        "自然资源",
        12,
        "ZRZY",
        [
            ("违法占用耕地", "land"),
            ("土地征收补偿", "land-compensation"),
            ("宅基地审批和使用", "land-homestead"),
            ("非法采矿采砂", "land"),
            ("地质灾害隐患排查", "safety-geo"),
            ("林地和林木权属", "dispute-land"),
        ],
    ),
    (
        "住房建设",
        12,
        "ZJ",
        [
            ("农村违法建房", "housing-illegal"),
            ("农村危房改造", "housing-danger"),
            ("征收拆迁安置", "housing-relocation"),
            ("房屋建筑施工安全", "housing"),
            ("自建房安全隐患", "housing-danger"),
            ("物业和住房保障", "housing"),
        ],
    ),
    (
        "农业农村",
        12,
        "NYNC",
        [
            ("惠农补贴发放", "agri-subsidy"),
            ("农资质量和农技服务", "agri"),
            ("动物防疫和病死畜禽处置", "agri"),
            ("土地承包经营纠纷", "dispute-land"),
            ("农村集体资产管理", "village-affairs"),
            ("撂荒耕地复耕", "agri"),
        ],
    ),
    (
        "水利水务",
        12,
        "SW",
        [
            ("农村饮水工程运行", "water-supply"),
            ("小型水库和山塘安全", "safety"),
            ("灌溉渠系维护", "agri-irrigation"),
            ("河道采砂和阻水", "water"),
            ("防汛抗旱", "safety"),
            ("水土保持", "water"),
        ],
    ),
    (
        "民生保障",
        12,
        "MZ",
        [
            ("最低生活保障", "social-dibao"),
            ("特困供养和临时救助", "social-dibao"),
            ("养老服务", "social-pension"),
            ("残疾人帮扶", "social"),
            ("殡葬管理", "social"),
            ("儿童关爱保护", "social"),
        ],
    ),
    (
        "劳动保障",
        12,
        "RSSB",
        [
            ("拖欠农民工工资", "dispute-wage"),
            ("城乡居民养老保险", "social-pension"),
            ("医疗保险参保缴费", "social-medical"),
            ("劳动用工纠纷", "dispute-wage"),
            ("职业技能培训", "social"),
            ("就业援助", "social"),
        ],
    ),
    (
        "社会治安",
        12,
        "GA",
        [
            ("治安隐患排查", "safety"),
            ("电信网络诈骗防范", "consult"),
            ("流动人口服务管理", ""),
            ("校园周边治安", "safety"),
            ("寄递物流安全", "safety"),
            ("重点人员服务管理", ""),
        ],
    ),
    (
        "矛盾调解",
        12,
        "XF",
        [
            ("信访积案化解", "dispute"),
            ("群众来访接待", "suggestion"),
            ("意见建议办理", "suggestion"),
            ("重大决策社会稳定风险评估", "dispute"),
            ("山林土地权属纠纷调处", "dispute-land"),
            ("婚姻家庭纠纷引发信访", "dispute-family"),
        ],
    ),
    (
        "安全生产",
        12,
        "ZHZF",
        [
            ("非煤矿山安全", "safety"),
            ("危险化学品安全", "safety"),
            ("消防安全隐患", "safety-fire"),
            ("人员密集场所安全", "safety-fire"),
            ("烟花爆竹非法经营", "safety-fire"),
            ("燃气安全", "safety"),
        ],
    ),
    (
        "市场监管",
        11,
        "ZHZF",
        [
            ("食品安全", "safety-food"),
            ("农村集体聚餐", "safety-food"),
            ("无证经营", "consult"),
            ("价格和计量投诉", "suggestion"),
            ("特种设备安全", "safety"),
        ],
    ),
    (
        "交通运输",
        11,
        "ZJ",
        [
            ("农村公路养护", "road-damage"),
            ("道路交通安全隐患", "road"),
            ("客运班线和校车", "road"),
            ("公路路域环境", "road"),
            ("桥梁安全", "road-damage"),
        ],
    ),
    (
        "电力通信",
        11,
        "SW",
        [
            ("农村电网改造", "water-power"),
            ("供电线路安全", "water-power"),
            ("通信基站和线路", "water-power"),
            ("电力设施保护", "water-power"),
            ("供电供水服务投诉", "water"),
        ],
    ),
]
TERRITORIAL_VERBS = ["", "问题排查报告", "协助调查处置", "整改督促"]
# The 8 matters on which the township is the primary body: (domain, matter, categories, supporting).
TERRITORIAL_PRIMARY: list[tuple[str, str, str, list[str]]] = [
    ("人居环境", "村庄生活垃圾日常清扫保洁", "env-garbage", [VILLAGE]),
    ("人居环境", "乱堆乱放和私搭乱建劝导清理", "env-pile", [VILLAGE, "ZHZF"]),
    ("矛盾调解", "邻里纠纷调处", "dispute-neighbour", [VILLAGE]),
    ("矛盾调解", "婚姻家庭纠纷调处", "dispute-family", [VILLAGE, "MZ"]),
    ("农业农村", "村务公开和民主管理监督", "village-affairs", [VILLAGE]),
    ("水利水务", "小型农田水利设施管护", "agri-irrigation", [VILLAGE, "SW"]),
    ("交通运输", "村内道路照明设施维护", "road-light", [VILLAGE]),
    ("社会治安", "政策宣传解读和群众咨询", "consult", [VILLAGE]),
]

# --- 村级工作准入清单: 30 matters ----------------------------------------------------------------------
ADMISSION: list[tuple[str, str]] = [
    ("村民自治和村民代表会议组织", ""),
    ("村务公开和财务公开", "village-affairs"),
    ("村规民约制定和执行", ""),
    ("村庄环境卫生保洁", "env-garbage、env-pile"),
    ("农村户厕改造入户动员", "env-toilet"),
    ("人居环境整治日常巡查", "env"),
    ("邻里纠纷排查调解", "dispute-neighbour"),
    ("婚姻家庭矛盾劝导", "dispute-family"),
    ("矛盾纠纷信息报告", "dispute"),
    ("低保、特困对象入户调查", "social-dibao"),
    ("城乡居民养老保险代办", "social-pension"),
    ("城乡居民医疗保险代办", "social-medical"),
    ("高龄、残疾人补贴申报协助", "social"),
    ("留守老人儿童关爱走访", "social"),
    ("农田水利设施日常管护", "agri-irrigation"),
    ("村内道路和路灯日常维护", "road-light"),
    ("防火和地质灾害隐患巡查报告", "safety-fire、safety-geo"),
    ("防汛抗旱信息报告", "safety"),
    ("政策宣传和群众咨询答复", "consult"),
    ("群众意见建议收集", "suggestion"),
    ("网格员日常巡查走访", ""),
    ("党员联户和志愿服务", ""),
    ("积分制管理和积分超市运营", ""),
    ("阳光票决事项组织", ""),
    ("人口信息采集更新", ""),
    ("退役军人信息登记", ""),
    ("征兵宣传和兵役登记", ""),
    ("爱国卫生运动", "env"),
    ("移风易俗和红白理事会", ""),
    ("村级重大事项报告", ""),
]

# --- the demo township's supplement ------------------------------------------------------------------
HOME_SUPPLEMENT: list[tuple[str, str, str, str, list[str]]] = [
    ("人居环境", "集镇周边村垃圾收运（镇环卫所统一收运）", TOWNSHIP, "env-garbage", [VILLAGE]),
    ("生态环境", "集镇污水管网维护", "ZJ", "env-sewage", [TOWNSHIP]),
    ("矛盾调解", "集镇商户邻里纠纷调处", TOWNSHIP, "dispute-neighbour", ["GA"]),
]


def _body(ctx: DemoContext, key: str) -> str:
    if key in (TOWNSHIP, VILLAGE):
        return key
    return ctx.departments[key].name


def _categories(codes: str, known: set[str]) -> str:
    """Drop codes a county has removed from its category tree (the demo must not fail on them)."""
    return "、".join(c for c in codes.split("、") if c and c in known)


def duty_rows(ctx: DemoContext, rng: random.Random, known: set[str]) -> list[dict[str, Any]]:
    # Names from a generator of our own: ctx.names is shared with the modules loaded after this one.
    names = NameGenerator(random.Random(rng.getrandbits(64)))
    rows: list[dict[str, Any]] = []
    for domain, count, owners, post, subjects, verbs in DUTY_DOMAINS:
        pairs = [(verb, subject, cats) for subject, cats in subjects for verb in verbs][:count]
        assert len(pairs) == count, domain
        for i, (verb, subject, cats) in enumerate(pairs):
            owner = owners[i % len(owners)]
            rows.append(
                {
                    "number": len(rows) + 1,
                    "domain": domain,
                    "matter": f"{verb}{subject}",
                    "primary": _body(ctx, owner),
                    "post": post if owner == TOWNSHIP else DUTY_POSTS.get(owner, "业务股室"),
                    "person": names(),
                    "categories": _categories(cats, known),
                }
            )
    return rows


def territorial_rows(ctx: DemoContext, rng: random.Random, known: set[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for domain, count, owner, subjects in TERRITORIAL_DOMAINS:
        own = [p for p in TERRITORIAL_PRIMARY if p[0] == domain]
        for _, matter, cats, supporting in own:
            rows.append(
                {
                    "number": len(rows) + 1,
                    "domain": domain,
                    "matter": matter,
                    "primary": TOWNSHIP,
                    "supporting": "、".join(_body(ctx, s) for s in supporting),
                    "categories": _categories(cats, known),
                    "basis": "县委办、县政府办关于乡镇（街道）属地管理事项责任清单的通知",
                }
            )
        pairs = [(subject, verb, cats) for verb in TERRITORIAL_VERBS for subject, cats in subjects]
        for subject, verb, cats in pairs[: count - len(own)]:
            supporting = [TOWNSHIP] + ([VILLAGE] if rng.random() < 0.4 else [])
            rows.append(
                {
                    "number": len(rows) + 1,
                    "domain": domain,
                    "matter": f"{subject}{verb}",
                    "primary": _body(ctx, owner),
                    "supporting": "、".join(supporting),
                    # Only the plain matter carries the category: the follow-up matters are the
                    # same subject's later steps, not a separate route.
                    "categories": _categories(cats, known) if not verb else "",
                    "basis": f"《{domain}领域属地管理事项责任清单》",
                }
            )
    return rows


def admission_rows(known: set[str]) -> list[dict[str, Any]]:
    return [
        {
            "number": i,
            "matter": matter,
            "categories": _categories(cats, known),
            "basis": "县委办、县政府办《村级工作事项准入清单》",
        }
        for i, (matter, cats) in enumerate(ADMISSION, start=1)
    ]


def load(ctx: DemoContext) -> dict[str, int]:
    rng = random.Random(ctx.rng.getrandbits(64))  # one draw on every run, see the docstring
    known = set(Category.objects.values_list("code", flat=True))
    county = ctx.county
    plan: list[tuple[str, Any, str, Any]] = [
        (ListKind.DUTY, county, f"{county.name}职责任务清单", lambda: duty_rows(ctx, rng, known)),
        (
            ListKind.TERRITORIAL,
            county,
            f"{county.name}属地责任清单",
            lambda: territorial_rows(ctx, rng, known),
        ),
        (ListKind.ADMISSION, county, f"{county.name}村级工作准入清单", lambda: admission_rows(known)),
        (
            ListKind.TERRITORIAL,
            ctx.home,
            f"{ctx.home.name}属地责任清单（补充）",
            lambda: [
                {
                    "number": i,
                    "domain": domain,
                    "matter": matter,
                    "primary": _body(ctx, primary),
                    "supporting": "、".join(_body(ctx, s) for s in supporting),
                    "categories": _categories(cats, known),
                }
                for i, (domain, matter, primary, cats, supporting) in enumerate(HOME_SUPPLEMENT, start=1)
            ],
        ),
    ]
    existing = set(
        ResponsibilityList.objects.filter(unit__in=[county, ctx.home]).values_list("kind", "unit_id")
    )
    lists = items = 0
    for kind, unit, title, rows in plan:
        if (kind, unit.pk) in existing:
            continue
        lst = services.responsibility_list_publish(
            actor=ctx.admin, kind=kind, unit=unit, title=title, rows=rows(), source_filename="演示数据"
        )
        lists += 1
        items += lst.item_count
    return {"responsibility_lists": lists, "list_items": items} if lists else {}
