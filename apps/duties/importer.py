"""Reading a responsibility list from a spreadsheet and checking every row (the room between an
uploaded .xlsx and `services.responsibility_list_publish`).

Rows are plain dicts keyed by field (number, domain, matter, primary, supporting, post, person,
categories, basis) holding the cells' text, so that the demo loader and the API can hand rows to
the same checks as an upload. `clean_rows` resolves body names and categories and returns every
problem at once (row, column, message); the service publishes only a list with none.

Body names: an organisation inside the publishing county, by exact name, by code, or by the tail
of its name when exactly one matches ("自然资源局" → "会泽县自然资源局"); or a level word
(乡镇/街道… → township, 村/社区… → village, see choices.LEVEL_WORDS). Categories: by code or name,
several separated by 、 , ， ; ；.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from apps.cases.models import Category
from apps.core.errors import ValidationFailed
from apps.territory.choices import LEVEL_CODE_LENGTH, Level
from apps.territory.models import Organisation, Unit
from apps.territory.paths import subtree_q

from .choices import LEVEL_WORDS, BodyLevel, ListKind

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 3000
HEADER_SEARCH_ROWS = 10  # a title row or two above the header is common in published lists

# Field -> (label shown in templates and errors, accepted header spellings).
FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "number": ("序号", ("序号", "编号", "序")),
    "domain": ("领域", ("领域", "所属领域", "工作领域")),
    "matter": ("事项", ("事项", "事项名称", "职责任务", "责任事项", "准入事项", "工作事项", "任务")),
    "primary": ("责任单位", ("责任单位", "主体责任单位", "承担机构", "责任主体", "主体责任", "牵头单位")),
    "supporting": ("配合责任单位", ("配合责任单位", "配合单位", "配合责任", "协办单位")),
    "post": ("责任岗位", ("责任岗位", "岗位")),
    "person": ("责任人", ("责任人", "联系人")),
    "categories": ("对应诉求类别", ("对应诉求类别", "诉求类别", "对应类别", "类别")),
    "basis": ("依据", ("依据", "政策依据", "法律依据", "设定依据", "准入依据")),
}
# The template's columns per kind, in order (the brief's headers), and which must be present.
COLUMNS: dict[str, tuple[str, ...]] = {
    ListKind.DUTY: ("number", "domain", "matter", "primary", "post", "person", "categories"),
    ListKind.TERRITORIAL: ("number", "domain", "matter", "primary", "supporting", "categories", "basis"),
    ListKind.ADMISSION: ("number", "matter", "basis", "categories"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    ListKind.DUTY: ("number", "matter", "primary"),
    ListKind.TERRITORIAL: ("number", "matter", "primary"),
    ListKind.ADMISSION: ("number", "matter"),
}
HEADER_LABELS: dict[str, dict[str, str]] = {
    ListKind.DUTY: {},
    ListKind.TERRITORIAL: {"primary": "主体责任单位"},
    ListKind.ADMISSION: {},
}
MAX_LENGTH = {
    "domain": 60,
    "matter": 300,
    "primary": 120,
    "supporting": 300,
    "post": 80,
    "person": 60,
    "basis": 300,
}
SEPARATORS = re.compile(r"[、,，;；\n]+")
_BRACKETS = str.maketrans({"(": "（", ")": "）", " ": "", "\u3000": ""})


def label_of(kind: str, key: str) -> str:
    return HEADER_LABELS.get(kind, {}).get(key) or FIELDS[key][0]


def normalise(text: Any) -> str:
    """Cell text with full-width brackets and no spaces (how names are compared)."""
    return cell_text(text).translate(_BRACKETS)


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _header_key(text: Any) -> str | None:
    name = normalise(text).lstrip("*＊").rstrip("*＊")
    name = re.sub(r"（[^）]*）$", "", name)  # "对应诉求类别（代码或名称）" → "对应诉求类别"
    for key, (_, spellings) in FIELDS.items():
        if name in spellings:
            return key
    return None


@dataclass
class RowError:
    row: int  # the spreadsheet row (1-based), or the position in the row list
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ItemData:
    number: int
    matter: str
    domain: str = ""
    primary_org: Organisation | None = None
    primary_level: int | None = None
    primary_label: str = ""
    supporting_orgs: list[Organisation] = field(default_factory=list)
    supporting_levels: list[int] = field(default_factory=list)
    supporting_label: str = ""
    post: str = ""
    person: str = ""
    basis: str = ""
    categories: list[Category] = field(default_factory=list)


# --- reading the file ----------------------------------------------------------------------------


def read_xlsx(fh: IO[bytes], kind: str) -> list[dict[str, Any]]:
    """The rows of the first sheet as dicts keyed by field, each with its sheet row in `_row`.
    Raises ValidationFailed for a file that is not a readable .xlsx or lacks a required column."""
    import openpyxl

    raw = fh.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise ValidationFailed(
            "文件超过 5 MB，清单文件通常远小于此，请检查是否选错了文件。", code="file_too_large"
        )
    if not raw.startswith(b"PK"):
        raise ValidationFailed(
            "文件不是 .xlsx 格式（请用 Excel 或 WPS 另存为 .xlsx）。", code="file_not_xlsx"
        )
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ValidationFailed("无法读取该 .xlsx 文件，文件可能已损坏。", code="file_unreadable") from exc
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header: dict[int, str] | None = None
        header_row = 0
        result: list[dict[str, Any]] = []
        for index, values in enumerate(rows, start=1):
            if header is None:
                keys = {i: k for i, v in enumerate(values) if (k := _header_key(v)) is not None}
                if "matter" in keys.values():
                    header, header_row = keys, index
                elif index >= HEADER_SEARCH_ROWS:
                    break
                continue
            if all(cell_text(v) == "" for v in values):
                continue
            if len(result) >= MAX_ROWS:
                raise ValidationFailed(f"清单超过 {MAX_ROWS} 行，请分拆后导入。", code="too_many_rows")
            row: dict[str, Any] = {"_row": index}
            for i, key in header.items():
                if i < len(values) and key not in row:
                    row[key] = values[i]
            result.append(row)
    finally:
        workbook.close()
    if header is None:
        raise ValidationFailed(
            f"前 {HEADER_SEARCH_ROWS} 行中找不到表头（须含“事项”列）。请使用下载的模板。", code="no_header"
        )
    missing = [label_of(kind, k) for k in REQUIRED[kind] if k not in header.values()]
    if missing:
        raise ValidationFailed(
            f"第 {header_row} 行表头缺少必需的列：{'、'.join(missing)}。请使用下载的模板。",
            code="missing_columns",
            extra={"missing": missing},
        )
    return result


# --- checking the rows ---------------------------------------------------------------------------


class Resolver:
    """Names in a list -> organisations of the publishing county, level words, categories."""

    def __init__(self, unit: Unit):
        county_code = unit.code[: LEVEL_CODE_LENGTH[Level.COUNTY]]
        self.county = Unit.objects.filter(code=county_code).first() or unit
        self.organisations = list(Organisation.objects.filter(subtree_q(county_code, "service_area__code")))
        self.org_by_name = {normalise(o.name): o for o in self.organisations}
        self.org_by_code = {o.code.lower(): o for o in self.organisations}
        self.categories = list(Category.objects.all())
        self.category_by_code = {c.code.lower(): c for c in self.categories}
        self.category_by_name: dict[str, list[Category]] = {}
        for c in self.categories:
            self.category_by_name.setdefault(normalise(c.name), []).append(c)

    def body(self, text: str) -> Organisation | BodyLevel:
        """An organisation or a level for a body name; ValueError with the Chinese reason."""
        name = normalise(text)
        if name in LEVEL_WORDS:
            return LEVEL_WORDS[name]
        org = self.org_by_name.get(name) or self.org_by_code.get(name.lower())
        if org is None:
            org = self.org_by_name.get(normalise(self.county.name) + name)
        if org is None and len(name) >= 3:
            tails = [o for o in self.organisations if normalise(o.name).endswith(name)]
            if len(tails) == 1:
                org = tails[0]
            elif len(tails) > 1:
                raise ValueError(
                    f"“{text}”可指多个单位（{'、'.join(o.name for o in tails[:4])}），请写全称。"
                )
        if org is None:
            raise ValueError(
                f"找不到单位“{text}”：须为{self.county.name}内已登记的机构全称，或乡镇、村（社区）。"
            )
        return org

    def category(self, text: str) -> Category:
        found = self.category_by_code.get(text.strip().lower())
        if found is not None:
            return found
        named = self.category_by_name.get(normalise(text), [])
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            codes = "、".join(c.code for c in named)
            raise ValueError(f"诉求类别“{text}”有同名多个（{codes}），请填写类别代码。")
        raise ValueError(f"找不到诉求类别“{text}”：请填写类别代码或名称（见模板的“诉求类别”表）。")


def split_names(text: str) -> list[str]:
    return [part.strip() for part in SEPARATORS.split(text) if part.strip()]


def _number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = cell_text(value)
    return int(text) if text.isdigit() else None


def clean_rows(
    kind: str, unit: Unit, rows: Iterable[Mapping[str, Any]]
) -> tuple[list[ItemData], list[RowError]]:
    """Check and resolve every row; all problems are reported, none stops the others."""
    resolver = Resolver(unit)
    items: list[ItemData] = []
    errors: list[RowError] = []
    seen_numbers: dict[int, int] = {}
    for position, row in enumerate(rows, start=1):
        row_no = int(row.get("_row") or position)
        row_errors: list[RowError] = []

        def fail(
            key: str, message: str, row_no: int = row_no, row_errors: list[RowError] = row_errors
        ) -> None:
            row_errors.append(RowError(row_no, label_of(kind, key), message))

        text = {key: cell_text(row.get(key)) for key in FIELDS if key != "number"}
        for key, limit in MAX_LENGTH.items():
            if len(text[key]) > limit:
                fail(key, f"不能超过 {limit} 个字。")
        number = _number(row.get("number"))
        if number is None or number < 1:
            fail("number", f"序号“{cell_text(row.get('number'))}”须为正整数。")
        elif number in seen_numbers:
            fail("number", f"序号 {number} 与第 {seen_numbers[number]} 行重复。")
        else:
            seen_numbers[number] = row_no
        if not text["matter"]:
            fail("matter", "事项不能为空。")
        item = ItemData(
            number=number or 0,
            matter=text["matter"],
            domain=text["domain"],
            post=text["post"],
            person=text["person"],
            basis=text["basis"],
        )
        if kind in (ListKind.DUTY, ListKind.TERRITORIAL):
            if not text["primary"]:
                fail("primary", f"{label_of(kind, 'primary')}不能为空。")
            else:
                try:
                    body = resolver.body(text["primary"])
                except ValueError as exc:
                    fail("primary", str(exc))
                else:
                    if isinstance(body, Organisation):
                        item.primary_org = body
                    else:
                        item.primary_level = int(body)
                    item.primary_label = text["primary"]
        if kind == ListKind.TERRITORIAL:
            for name in split_names(text["supporting"]):
                try:
                    body = resolver.body(name)
                except ValueError as exc:
                    fail("supporting", str(exc))
                    continue
                if isinstance(body, Organisation):
                    if body not in item.supporting_orgs:
                        item.supporting_orgs.append(body)
                elif int(body) not in item.supporting_levels:
                    item.supporting_levels.append(int(body))
            item.supporting_label = "、".join(split_names(text["supporting"]))
        for name in split_names(text["categories"]):
            try:
                category = resolver.category(name)
            except ValueError as exc:
                fail("categories", str(exc))
                continue
            if category not in item.categories:
                item.categories.append(category)
        errors.extend(row_errors)
        if not row_errors:
            items.append(item)
    return items, errors


# --- the downloadable template ---------------------------------------------------------------------

EXAMPLES: dict[str, list[dict[str, str]]] = {
    ListKind.DUTY: [
        {
            "number": "1",
            "domain": "基层党建",
            "matter": "指导村（社区）党组织换届选举",
            "primary": "乡镇",
            "post": "党建办主任",
            "person": "（姓名）",
            "categories": "",
        },
        {
            "number": "2",
            "domain": "生态环境",
            "matter": "农村生活污水治理",
            "primary": "生态环境局",
            "post": "水生态股",
            "person": "（姓名）",
            "categories": "env-sewage",
        },
    ],
    ListKind.TERRITORIAL: [
        {
            "number": "1",
            "domain": "人居环境",
            "matter": "农村生活垃圾收集清运",
            "primary": "乡镇",
            "supporting": "住房和城乡建设局、村",
            "categories": "env-garbage、乱堆乱放",
            "basis": "《农村人居环境整治提升五年行动方案》",
        },
        {
            "number": "2",
            "domain": "自然资源",
            "matter": "违法占用耕地建房查处",
            "primary": "自然资源局",
            "supporting": "乡镇、村",
            "categories": "housing-illegal",
            "basis": "《中华人民共和国土地管理法》",
        },
    ],
    ListKind.ADMISSION: [
        {"number": "1", "matter": "人居环境整治日常巡查", "basis": "县委办〔2024〕号", "categories": "env"},
        {
            "number": "2",
            "matter": "矛盾纠纷排查化解",
            "basis": "",
            "categories": "dispute-neighbour、dispute-family",
        },
    ],
}
NOTES = [
    "一行一个事项；第一行（或标题行下方）为表头，列名请勿修改。",
    "序号：正整数，同一清单内不得重复。",
    "责任单位/主体责任单位/配合责任单位：填写本县已登记机构的全称（可省略县名，如“自然资源局”），"
    "或填写“乡镇”“街道”（指事发地所在乡镇）、“村”“社区”（指事发地所在村）。多个单位用“、”分隔。",
    "对应诉求类别：填写类别代码或名称（见“诉求类别”表），多个用“、”分隔；可留空（该事项不参与派单建议）。",
    "导入时逐行检查，任何一行有误则整张清单不发布，并列出所有错误所在的行和列。",
    "发布后即为现行版本并对外公开；再次导入同类清单会生成新版本，旧版本保留备查。",
]


def template_workbook(kind: str, organisations: Iterable[Organisation] = ()) -> bytes:
    """The .xlsx template for a kind: the header, two example rows, the notes, the category codes
    and the organisation names the publisher may use."""
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = ListKind(kind).label
    keys = COLUMNS[kind]
    sheet.append([label_of(kind, k) for k in keys])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for example in EXAMPLES[kind]:
        sheet.append([int(example[k]) if k == "number" else example.get(k, "") for k in keys])
    widths = {"number": 6, "domain": 12, "matter": 40, "basis": 30, "categories": 24, "supporting": 28}
    for index, key in enumerate(keys):
        sheet.column_dimensions[openpyxl.utils.get_column_letter(index + 1)].width = widths.get(key, 18)
    notes = book.create_sheet("填写说明")
    for line in NOTES:
        notes.append([line])
    notes.column_dimensions["A"].width = 110
    categories = book.create_sheet("诉求类别")
    categories.append(["代码", "名称", "上级类别"])
    for c in Category.objects.filter(is_active=True).select_related("parent").order_by("order", "code"):
        categories.append([c.code, c.name, c.parent.name if c.parent else ""])
    orgs = book.create_sheet("责任单位")
    orgs.append(["机构全称", "机构代码"])
    for word in ("乡镇", "村"):
        orgs.append([word, "（层级：事发地所在的乡镇或村）"])
    for org in organisations:
        orgs.append([org.name, org.code])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
