"""The category tree a new county starts with (counties edit it in 配置 → 诉求类别).

(code, name, kind, default triage, reply working days, children). Emergencies get the same day.
Drawn from the matters the seeds name (环境卫生, 矛盾纠纷, 土地征收, 房屋拆迁 …) and the usual 12345
classification; sign within 1 working day, return window 2 working days, follow-up within 3.
"""

from __future__ import annotations

from typing import Any

DEFAULT_CATEGORIES: list[tuple[str, str, str, str, int, list[tuple[str, str, str, str, int]]]] = [
    (
        "env",
        "环境卫生",
        "complaint",
        "minor",
        5,
        [
            ("env-garbage", "垃圾清运", "complaint", "minor", 3),
            ("env-sewage", "污水排放", "complaint", "major", 7),
            ("env-pile", "乱堆乱放", "complaint", "minor", 3),
            ("env-toilet", "厕所改造", "help", "minor", 10),
        ],
    ),
    (
        "dispute",
        "矛盾纠纷",
        "help",
        "minor",
        10,
        [
            ("dispute-neighbour", "邻里纠纷", "help", "private", 7),
            ("dispute-family", "婚姻家庭纠纷", "help", "private", 10),
            ("dispute-land", "土地权属纠纷", "help", "major", 15),
            ("dispute-wage", "拖欠农民工工资", "complaint", "major", 10),
        ],
    ),
    (
        "land",
        "土地征收",
        "complaint",
        "major",
        15,
        [
            ("land-compensation", "征地补偿", "complaint", "major", 15),
            ("land-homestead", "宅基地审批", "consult", "major", 10),
        ],
    ),
    (
        "housing",
        "房屋拆迁与建房",
        "complaint",
        "major",
        15,
        [
            ("housing-illegal", "违规建房", "complaint", "major", 10),
            ("housing-danger", "危房改造", "help", "major", 15),
            ("housing-relocation", "拆迁安置", "complaint", "major", 15),
        ],
    ),
    (
        "road",
        "道路交通",
        "help",
        "major",
        10,
        [
            ("road-damage", "道路破损", "help", "major", 10),
            ("road-light", "路灯损坏", "help", "minor", 5),
        ],
    ),
    (
        "water",
        "供水供电",
        "help",
        "major",
        5,
        [
            ("water-supply", "饮水安全", "help", "major", 3),
            ("water-power", "停电与线路", "help", "major", 3),
        ],
    ),
    (
        "social",
        "社会保障",
        "consult",
        "major",
        10,
        [
            ("social-dibao", "低保与救助", "help", "major", 10),
            ("social-pension", "养老保险", "consult", "major", 10),
            ("social-medical", "医疗保险", "consult", "major", 10),
        ],
    ),
    (
        "agri",
        "农业生产",
        "help",
        "minor",
        7,
        [
            ("agri-irrigation", "农田水利", "help", "minor", 10),
            ("agri-subsidy", "惠农补贴", "consult", "major", 10),
        ],
    ),
    (
        "safety",
        "安全隐患",
        "emergency",
        "major",
        0,
        [
            ("safety-fire", "消防隐患", "emergency", "major", 0),
            ("safety-geo", "地质灾害", "emergency", "major", 0),
            ("safety-food", "食品安全", "complaint", "major", 5),
        ],
    ),
    ("village-affairs", "村务公开", "complaint", "minor", 7, []),
    ("suggestion", "意见建议", "suggestion", "minor", 15, []),
    ("consult", "政策咨询", "consult", "minor", 3, []),
]


def seed_categories(category_model: Any) -> None:
    """Create the default tree where missing (the data migration, and tests after a flush)."""
    order = 0
    for code, name, kind, triage, reply_days, children in DEFAULT_CATEGORIES:
        order += 10
        parent, _ = category_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "default_triage": triage,
                "reply_days": reply_days,
                "sign_days": 0 if kind == "emergency" else 1,
                "order": order,
            },
        )
        for child_order, (c_code, c_name, c_kind, c_triage, c_days) in enumerate(children, start=1):
            category_model.objects.get_or_create(
                code=c_code,
                defaults={
                    "name": c_name,
                    "parent": parent,
                    "kind": c_kind,
                    "default_triage": c_triage,
                    "reply_days": c_days,
                    "sign_days": 0 if c_kind == "emergency" else 1,
                    "order": order + child_order,
                },
            )
