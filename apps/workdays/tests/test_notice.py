"""Reading the schedule text: the State Council notice as published, the short form, mistakes
reported by line, and the text written back from a plan reads as the same plan."""

from __future__ import annotations

import datetime
from typing import Any

import chinese_calendar
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.workdays.notice import HolidayRange, MakeupDay, Plan, parse, plan_from_entries, to_text

D = datetime.date

# 国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号), as published.
NOTICE_2025 = """
一、元旦：1月1日（周三）放假1天，不调休。
二、春节：1月28日（农历除夕、周二）至2月4日（农历正月初七、周二）放假调休，共8天。1月26日（周日）、2月8日（周六）上班。
三、清明节：4月4日（周五）至6日（周日）放假，共3天。
四、劳动节：5月1日（周四）至5日（周一）放假调休，共5天。4月27日（周日）上班。
五、端午节：5月31日（周六）至6月2日（周一）放假，共3天。
六、国庆节、中秋节：10月1日（周三）至8日（周三）放假调休，共8天。9月28日（周日）、10月11日（周六）上班。
"""


def test_the_2025_notice_as_published_gives_chinese_calendars_2025() -> None:
    parsed = parse(NOTICE_2025, 2025)
    assert parsed.errors == []
    entries = parsed.plan.entries()
    off = {d for d, (w, _) in entries.items() if not w}
    worked = {d for d, (w, _) in entries.items() if w}
    assert off == {d for d in chinese_calendar.holidays if d.year == 2025}
    assert worked == {d for d in chinese_calendar.workdays if d.year == 2025}
    assert [h.name for h in parsed.plan.holidays] == [
        "元旦",
        "春节",
        "清明节",
        "劳动节",
        "端午节",
        "国庆节、中秋节",
    ]
    assert entries[D(2025, 1, 26)] == (True, "春节调休")
    assert entries[D(2025, 10, 11)] == (True, "国庆节调休")


def test_short_form_and_date_spellings() -> None:
    text = """# 2027 年（示例）
元旦 2027-01-01 至 2027/1/3
清明节 2027年4月5日
劳动节：2027.5.1 到 2027.5.5
调休上班 2027-02-20、2027-02-21 春节
国庆节调休上班 2027-10-09
调休上班 2027-04-25
"""
    parsed = parse(text, 2027)
    assert parsed.errors == []
    assert parsed.plan.holidays == [
        HolidayRange("元旦", D(2027, 1, 1), D(2027, 1, 3)),
        HolidayRange("清明节", D(2027, 4, 5), D(2027, 4, 5)),
        HolidayRange("劳动节", D(2027, 5, 1), D(2027, 5, 5)),
    ]
    assert parsed.plan.makeup_days == [
        MakeupDay(D(2027, 2, 20), "春节调休"),
        MakeupDay(D(2027, 2, 21), "春节调休"),
        MakeupDay(D(2027, 4, 25), "劳动节调休"),  # no name: the nearest holiday period
        MakeupDay(D(2027, 10, 9), "国庆节调休"),
    ]


def test_mistakes_are_reported_by_line() -> None:
    parsed = parse("元旦 2027-01-01\n没有日期\n春节 2027-02-30\n2027-03-01\n清明 5日", 2027)
    assert [(e.line_no, e.message) for e in parsed.errors] == [
        (2, "第 2 行：没有找到日期。"),
        (3, "第 3 行：“2027-02-30”不是有效日期。"),
        (4, "第 4 行：缺少节日名称（如“元旦 2027-01-01 至 2027-01-03”）。"),
        (5, "第 5 行：“5日”缺少月份。"),
    ]
    assert parsed.plan.holidays == [HolidayRange("元旦", D(2027, 1, 1), D(2027, 1, 1))]


def test_stored_entries_group_back_into_periods() -> None:
    entries = [(d, False, "春节") for d in (D(2026, 2, 15), D(2026, 2, 16), D(2026, 2, 17))]
    entries += [(D(2026, 2, 14), True, "春节调休"), (D(2026, 4, 5), False, "清明节")]
    plan = plan_from_entries(entries)
    assert plan.holidays == [
        HolidayRange("春节", D(2026, 2, 15), D(2026, 2, 17)),
        HolidayRange("清明节", D(2026, 4, 5), D(2026, 4, 5)),
    ]
    assert plan.makeup_days == [MakeupDay(D(2026, 2, 14), "春节调休")]


NAMES = st.sampled_from(["元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节", "国庆节、中秋节"])


@st.composite
def plans(draw: Any) -> Plan:
    """Non-overlapping periods in 2027 and make-up days on the weekends between them."""
    starts = sorted(draw(st.lists(st.integers(0, 350), min_size=1, max_size=7, unique=True)))
    holidays: list[HolidayRange] = []
    taken: set[datetime.date] = set()
    for i, offset in enumerate(starts):
        start = D(2027, 1, 1) + datetime.timedelta(days=offset)
        room = (starts[i + 1] - offset) if i + 1 < len(starts) else 364 - offset
        length = draw(st.integers(1, max(1, min(9, room))))
        end = start + datetime.timedelta(days=length - 1)
        holidays.append(HolidayRange(draw(NAMES), start, end))
        taken |= {start + datetime.timedelta(days=k) for k in range(length)}
    weekends = [
        d
        for d in (D(2027, 1, 1) + datetime.timedelta(days=k) for k in range(365))
        if d.weekday() >= 5 and d not in taken
    ]
    picked = draw(st.lists(st.sampled_from(weekends), max_size=5, unique=True))
    makeup = [MakeupDay(d, draw(NAMES.map(lambda n: n.split("、")[0] + "调休"))) for d in picked]
    return Plan(holidays, makeup).sorted()


@settings(max_examples=100, deadline=None)
@given(plans())
def test_text_written_from_a_plan_reads_back_as_the_plan(plan: Plan) -> None:
    parsed = parse(to_text(plan), 2027)
    assert parsed.errors == []
    assert parsed.plan == plan
