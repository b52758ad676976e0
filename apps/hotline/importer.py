"""Reading a 12345 hotline work-order export: the columns and their aliases, the header row, and
each row turned into what `case_submit` needs (no writes here; services.py writes).

The file is read with the resident import's reader (apps.people.importer.open_table: .xlsx
streamed, .csv in UTF-8 or GBK, the same refusals for .xls, renamed and oversized files).

A row's category: the 诉求类型 cell by category code, by name or full name ("环境卫生／垃圾清运"),
or by any segment of a hotline classification path ("城乡建设-市容环卫-垃圾清运", most specific
segment first); else the first keyword of KEYWORDS found in the type, title or content; else the
job's default category. A row's place: 所属乡镇 and 所属村（社区） by name inside the job's unit,
or, when both are blank, a village or township named in 事发地址.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone

from apps.cases.models import Category
from apps.core.errors import ValidationFailed
from apps.open311 import places
from apps.people.importer import cell_text, normalise_header
from apps.territory.models import Unit

HEADER_SCAN_ROWS = 10
EXAMPLE_PREFIX = "示例"  # the template's example row has 工单编号 "示例…" and is skipped
TITLE_CHARS = 30
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
_PHONE_JUNK = re.compile(r"[\s\-()（）]+")
_PATH_SEPARATORS = re.compile(r"\s*[-－—/／>＞|｜、·]+\s*")
_DATETIME_RE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]*(\d{1,2})\s*[:：时点]\s*(\d{1,2})\s*分?(?:\s*[:：]?\s*(\d{1,2}(?:\.\d+)?)\s*秒?)?)?$"
)
PLAIN_URGENCY = ("", "一般", "普通", "正常", "不紧急", "非紧急")


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # as the template writes it
    aliases: tuple[str, ...]
    required: bool = False
    note: str = ""


COLUMNS: tuple[Column, ...] = (
    Column(
        "external_id",
        "工单编号",
        ("工单编号", "工单号", "工单流水号", "受理编号", "编号"),
        True,
        "必填；同一工单再次导入时按编号跳过",
    ),
    Column(
        "called_at",
        "来电时间",
        ("来电时间", "受理时间", "登记时间", "来电日期", "创建时间", "派单时间"),
        True,
        "必填，如 2026-11-20 09:30",
    ),
    Column("caller", "来电人", ("来电人", "来电人姓名", "诉求人", "反映人", "市民姓名", "姓名")),
    Column(
        "phone",
        "联系电话",
        ("联系电话", "来电号码", "联系方式", "手机号", "手机号码", "电话"),
        note="11 位手机号；固定电话或脱敏号码不保存",
    ),
    Column(
        "category",
        "诉求类型",
        ("诉求类型", "问题分类", "诉求分类", "事项分类", "工单类型", "业务类型", "分类"),
        note="类别代码或名称，见“诉求类别”表；认不出时按关键词或默认类别",
    ),
    Column("title", "诉求标题", ("诉求标题", "工单标题", "标题", "主题")),
    Column(
        "content",
        "诉求内容",
        ("诉求内容", "工单内容", "来电内容", "反映内容", "问题描述", "内容"),
        True,
        "必填，至少 5 个字",
    ),
    Column("address", "事发地址", ("事发地址", "事发地点", "问题地址", "发生地址", "地址")),
    Column(
        "township", "所属乡镇", ("所属乡镇", "所属乡镇（街道）", "所属街道", "乡镇（街道）", "乡镇", "街道")
    ),
    Column("village", "所属村（社区）", ("所属村（社区）", "所属村", "所属社区", "村（社区）", "村", "社区")),
    Column("urgency", "紧急程度", ("紧急程度", "紧急度", "缓急程度", "优先级")),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
_ALIASES = {normalise_header(alias): c.key for c in COLUMNS for alias in c.aliases}

# Keyword → category code, tried in this order on the type, title and content of a row whose type
# names no category. Counties extend it with HOTLINE_KEYWORDS in the settings (tried first).
_KEYWORDS_BY_CODE: dict[str, str] = {
    "safety-fire": "火灾 消防",
    "safety-geo": "滑坡 泥石流 塌方",
    "safety-food": "食品",
    "env-garbage": "垃圾",
    "env-sewage": "污水 排污",
    "env-pile": "乱堆 乱放",
    "env-toilet": "厕所",
    "dispute-wage": "工资 欠薪",
    "dispute-neighbour": "邻居 邻里",
    "dispute-family": "婚姻 家暴",
    "dispute-land": "土地纠纷",
    "land-compensation": "征地 补偿款",
    "land-homestead": "宅基地",
    "housing-illegal": "违建 违章建",
    "housing-danger": "危房",
    "housing-relocation": "拆迁 安置",
    "road-light": "路灯",
    "road-damage": "道路 坑洼",
    "water-supply": "停水 饮水 自来水",
    "water-power": "停电 电线",
    "social-dibao": "低保 救助",
    "social-pension": "养老",
    "social-medical": "医保 医疗保险",
    "agri-irrigation": "灌溉 水渠",
    "agri-subsidy": "补贴",
    "village-affairs": "村务",
    "suggestion": "建议",
    "consult": "咨询",
}
KEYWORDS: tuple[tuple[str, str], ...] = tuple(
    (word, code) for code, words in _KEYWORDS_BY_CODE.items() for word in words.split()
)


def keywords() -> tuple[tuple[str, str], ...]:
    extra = getattr(settings, "HOTLINE_KEYWORDS", ())
    return tuple(extra) + KEYWORDS


def default_category_code() -> str:
    return str(getattr(settings, "HOTLINE_DEFAULT_CATEGORY", "consult"))


# --- header ---------------------------------------------------------------------------------------


@dataclass
class Header:
    row: int
    cells: list[str]
    columns: dict[str, int]  # column key → index
    ignored: list[str]

    def text(self, key: str) -> str:
        return self.cells[self.columns[key]] if key in self.columns else COLUMN_BY_KEY[key].header


def find_header(rows: Iterator[tuple[int, list[Any]]]) -> Header:
    """The first row (of the first few) naming 工单编号 and 诉求内容; refuses a file without one or
    without any column telling the place."""
    for _ in range(HEADER_SCAN_ROWS):
        try:
            number, cells = next(rows)
        except StopIteration:
            break
        texts = [cell_text(c) for c in cells]
        columns: dict[str, int] = {}
        ignored: list[str] = []
        for index, text in enumerate(texts):
            key = _ALIASES.get(normalise_header(text))
            if key is None:
                if text:
                    ignored.append(text)
            elif key not in columns:
                columns[key] = index
        if "external_id" in columns and "content" in columns:
            missing = [c.header for c in COLUMNS if c.required and c.key not in columns]
            if missing:
                raise ValidationFailed(
                    f"缺少必需的列：{'、'.join(missing)}。", code="hotline_missing_columns"
                )
            if not {"township", "village", "address"} & set(columns):
                raise ValidationFailed(
                    "缺少表示地点的列：所属乡镇、所属村（社区）或事发地址至少要有一列。",
                    code="hotline_missing_place",
                )
            return Header(row=number, cells=texts, columns=columns, ignored=ignored)
    raise ValidationFailed(
        "没有找到表头：前 10 行中须有一行包含“工单编号”和“诉求内容”两列。"
        "请使用导入模板或 12345 平台导出的原始文件。",
        code="hotline_no_header",
    )


# --- one row ----------------------------------------------------------------------------------------


@dataclass
class RowProblem(Exception):
    column: str
    reason: str


@dataclass
class WorkOrder:
    """A row ready for case_submit (place and category resolved)."""

    row: int
    external_id: str
    called_at: datetime.datetime
    caller: str
    phone: str
    category: Category
    title: str
    description: str
    address: str
    unit: Unit
    warnings: list[str] = field(default_factory=list)


def parse_datetime(value: Any) -> datetime.datetime | None:
    """来电时间 as a datetime in Beijing time: a date cell, or text like 2026-11-20 09:30,
    2026/11/20 9:30:05, 2026年11月20日 9时30分; None when it cannot be read."""
    if isinstance(value, datetime.datetime):
        result = value
    elif isinstance(value, datetime.date):
        result = datetime.datetime.combine(value, datetime.time.min)
    else:
        match = _DATETIME_RE.match(cell_text(value))
        if match is None:
            return None
        y, mo, d, h, mi, s = match.groups()
        try:
            seconds = float(s or 0)
            result = datetime.datetime(
                int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(seconds), int(seconds % 1 * 1_000_000)
            )
        except ValueError:
            return None
    if timezone.is_naive(result):
        result = timezone.make_aware(result)
    return result


def normalise_phone(raw: str) -> str:
    phone = _PHONE_JUNK.sub("", raw or "")
    for country in ("+86", "0086"):
        if phone.startswith(country):
            phone = phone[len(country) :]
    return phone


class Categories:
    """Category lookup by code, name, full name and path segment; loaded once per job."""

    def __init__(self, default: Category):
        self.default = default
        cats = list(Category.objects.filter(is_active=True).select_related("parent"))
        self.by_code = {c.code.lower(): c for c in cats}
        self.by_name: dict[str, Category] = {}
        # Children first, so that a name used by a child and a parent finds the (more specific) child.
        for c in sorted(cats, key=lambda c: c.parent_id is None):
            for name in (c.name, c.full_name, c.full_name.replace("／", "-")):
                self.by_name.setdefault(normalise_header(name), c)
        self.keywords = [
            (word, self.by_code[code.lower()]) for word, code in keywords() if code.lower() in self.by_code
        ]

    def resolve(self, kind: str, title: str, content: str) -> tuple[Category, str]:
        """The category and how it was found (for the report when it is not the type cell)."""
        kind = kind.strip()
        if kind:
            found = self.by_code.get(kind.lower()) or self.by_name.get(normalise_header(kind))
            if found is not None:
                return found, ""
            for segment in reversed([s for s in _PATH_SEPARATORS.split(kind) if s]):
                found = self.by_code.get(segment.lower()) or self.by_name.get(normalise_header(segment))
                if found is not None:
                    return found, ""
        for text in (kind, title, content):
            for word, category in self.keywords:
                if word in text:
                    note = f"诉求类型“{kind}”未对应类别，" if kind else ""
                    return category, f"{note}按关键词“{word}”归入“{category.full_name}”"
        note = f"诉求类型“{kind}”未对应类别，" if kind else "未填诉求类型，"
        return self.default, f"{note}归入默认类别“{self.default.full_name}”"


def _title(title: str, content: str) -> str:
    if title:
        return title[:100]
    first = content.strip().splitlines()[0].strip() if content.strip() else ""
    return first if len(first) <= TITLE_CHARS else first[: TITLE_CHARS - 1] + "…"


def read_row(
    number: int, cells: list[Any], header: Header, scope: Unit, categories: Categories
) -> WorkOrder | None:
    """The work order of one row; None for a blank row or the template's example; RowProblem for
    the first thing wrong with it (column and reason in Chinese)."""
    values = {
        key: cell_text(cells[index]) if index < len(cells) else "" for key, index in header.columns.items()
    }
    if not any(values.values()):
        return None
    raw_called = cells[header.columns["called_at"]] if header.columns["called_at"] < len(cells) else None
    external_id = values.get("external_id", "")
    if external_id.startswith(EXAMPLE_PREFIX):
        return None
    if not external_id:
        raise RowProblem(header.text("external_id"), "工单编号为空。")
    if len(external_id) > 40:
        raise RowProblem(header.text("external_id"), "工单编号超过 40 个字符。")
    called_at = parse_datetime(raw_called)
    if called_at is None:
        what = "为空" if not values.get("called_at") else "无法识别（应为 2026-11-20 09:30 这样的日期时间）"
        raise RowProblem(header.text("called_at"), f"来电时间{what}。")
    if called_at > timezone.now() + datetime.timedelta(minutes=5):
        raise RowProblem(header.text("called_at"), "来电时间晚于现在。")
    content = values.get("content", "")
    if len(content) < 5:
        raise RowProblem(header.text("content"), "诉求内容为空或少于 5 个字。")
    township, village, address = (
        values.get("township", ""),
        values.get("village", ""),
        values.get("address", ""),
    )
    if not (township or village or address):
        raise RowProblem(header.text("village"), "未填写所属乡镇（街道）、所属村（社区）或事发地址。")
    try:
        if township or village:
            unit = places.unit_by_names(scope, township=township, village=village)
        else:
            unit = places.unit_in_text(scope, address)
    except places.PlaceNotFound as exc:
        column = "village" if village else "township" if township else "address"
        raise RowProblem(header.text(column), str(exc)) from exc
    warnings: list[str] = []
    category, how = categories.resolve(values.get("category", ""), values.get("title", ""), content)
    if how:
        warnings.append(how)
    phone = normalise_phone(values.get("phone", ""))
    if phone and not PHONE_RE.match(phone):
        warnings.append("联系电话不是 11 位手机号（固定电话或已脱敏），未保存，请在诉求中补录")
        phone = ""
    urgency = values.get("urgency", "")
    description = content
    if urgency not in PLAIN_URGENCY:
        description = f"【紧急程度：{urgency}】{content}"
    return WorkOrder(
        row=number,
        external_id=external_id,
        called_at=called_at,
        caller=values.get("caller", "")[:50],
        phone=phone,
        category=category,
        title=_title(values.get("title", ""), content),
        description=description,
        address=address[:200],
        unit=unit,
        warnings=warnings,
    )
