"""Spreadsheets written by resident records: the export of any filtered household or resident list,
the blank import template and an import's error report. Exports are streamed row by row into a
temporary file by a small writer of their own (XlsxStream, about ten times faster than openpyxl's
write-only mode), so a county-wide export neither sits in memory nor outlasts a web request; the
small, styled template and report are written with openpyxl.

Exports list exactly the rows the list selectors return (so minors and sensitive groups stay
hidden from roles without those permissions), inside the user's PEOPLE_EXPORT scope. ID numbers
and phones are masked unless the user asks for the full values, holds PII_REVEAL over everything
exported and gives a reason; that reveal is one PII_REVEALED event with the count and reason.
Every export is an EXPORTED event. The headers are the import's own, so an export edited in
Excel can be imported back (a masked ID or phone is accepted there as "unchanged").
"""

from __future__ import annotations

import functools
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any
from xml.sax.saxutils import escape

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from apps.accounts import access
from apps.accounts.models import User
from apps.accounts.permissions import Perm
from apps.audit.services import record_event
from apps.core import crypto
from apps.core.errors import PermissionDenied, ValidationFailed
from apps.territory.choices import Level
from apps.territory.models import Unit

from . import events, selectors
from .choices import ColorGrade, Gender, HukouType, IncomeBand, PoliticalStatus, Relation, ResidentStatus
from .importer import (
    COLUMNS,
    EXAMPLE_MARK,
    SPEC_BY_KEY,
    cell_text,
    fact_headers,
    find_header,
    issue_rows,
    open_table,
)
from .models import FactDefinition, Household, ImportJob, Resident, SpecialGroup

ITER_CHUNK = 2000
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


@dataclass
class ExportFile:
    file: IO[bytes]
    filename: str
    rows: int


def _spool() -> IO[bytes]:
    return tempfile.TemporaryFile(suffix=".xlsx")  # the response closes (and so deletes) it


def _header_cells(sheet: WriteOnlyWorksheet, headers: list[str]) -> list[WriteOnlyCell]:
    cells = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cells.append(cell)
    return cells


def _facts() -> list[FactDefinition]:
    return list(FactDefinition.objects.filter(is_active=True).order_by("section", "order", "key"))


def _fact_header(definition: FactDefinition) -> str:
    return f"{definition.label}（{definition.unit_label}）" if definition.unit_label else definition.label


def _fact_text(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return value


class _Places:
    """区划代码 / 乡镇 / 村 / 组 of a household's unit, one query per distinct unit."""

    def __init__(self) -> None:
        self.cache: dict[int, tuple[str, str, str, str]] = {}

    def of(self, unit: Unit) -> tuple[str, str, str, str]:
        found = self.cache.get(unit.pk)
        if found is None:
            chain = {u.level: u for u in Unit.objects.filter(code__in=[unit.code[:n] for n in (9, 12, 15)])}
            chain[unit.level] = unit

            def name(level: int) -> str:
                return chain[level].display_name if level in chain else ""

            found = (unit.code, name(Level.TOWNSHIP), name(Level.VILLAGE), name(Level.GROUP))
            self.cache[unit.pk] = found
        return found


# --- export -------------------------------------------------------------------------------------------


def _check_export(actor: User, unit_code: str, full: bool, reason: str) -> str:
    """Permission for an export (and for full values); returns the reason, stripped."""
    if unit_code:
        access.require(actor, Perm.PEOPLE_EXPORT, unit_code)
    else:
        access.require(actor, Perm.PEOPLE_EXPORT)
    reason = (reason or "").strip()
    if not full:
        return reason
    if unit_code:
        access.require(actor, Perm.PII_REVEAL, unit_code)
    else:
        exported = access.scope_of(actor, Perm.PEOPLE_EXPORT)
        reveal = access.scope_of(actor, Perm.PII_REVEAL)
        if not reveal.everything and (
            exported.everything or not all(reveal.covers(prefix) for prefix in exported.prefixes)
        ):
            raise PermissionDenied(access.denied_message(Perm.PII_REVEAL), code="forbidden")
    if len(reason) < 2:
        raise ValidationFailed(
            "导出完整身份证号和手机号须填写事由（至少 2 个字）。", code="reveal_reason_required"
        )
    return reason


def _scope_code(actor: User, unit_code: str) -> str:
    if unit_code:
        return unit_code
    scope = access.scope_of(actor, Perm.PEOPLE_EXPORT)
    return scope.prefixes[0] if len(scope.prefixes) == 1 else ""


def _log(
    actor: User, *, kind: str, unit_code: str, rows: int, filters: dict[str, Any], full: bool, reason: str
) -> None:
    scope = _scope_code(actor, unit_code)
    unit = Unit.objects.filter(code=unit_code).first() if unit_code else None
    record_event(
        actor=actor,
        event_type=events.EXPORTED,
        obj=unit,
        scope_code=scope,
        data={"kind": kind, "rows": rows, "filters": filters, "full": full},
    )
    if full:
        record_event(
            actor=actor,
            event_type=events.PII_REVEALED,
            obj=unit,
            scope_code=scope,
            data={"field": "id_number,phone", "export": kind, "count": rows, "reason": reason[:200]},
        )


def _label(choices: Any, value: str) -> str:
    return _labels(choices).get(value, value) if value else ""


@functools.cache
def _labels(choices: Any) -> dict[str, str]:
    return {value: str(label) for value, label in choices.choices}


def _household_cells(household: Household, places: _Places) -> dict[str, Any]:
    code, township, village, group = places.of(household.unit)
    return {
        "unit_code": code,
        "township": township,
        "village": village,
        "group": group,
        "grid": household.grid.code if household.grid_id and household.grid else "",
        "number": household.number,
        "address": household.address,
        "hukou_type": _label(HukouType, household.hukou_type),
        "contracted_land_mu": float(household.contracted_land_mu)
        if household.contracted_land_mu is not None
        else None,
        "house_permit_no": household.house_permit_no,
        "migrant_workers": household.migrant_workers,
        "income_band": str(IncomeBand(household.income_band).label).split("（")[0]
        if household.income_band
        else "",
        "color_grade": _label(ColorGrade, household.color_grade),
    }


RESIDENT_KEYS = (
    "unit_code",
    "township",
    "village",
    "group",
    "grid",
    "number",
    "address",
    "name",
    "id_number",
    "gender",
    "birth_date",
    "relation",
    "phone",
    "political_status",
    "occupation",
    "living_away",
    "away_place",
    "special_groups",
    "status",
    "notes",
    "hukou_type",
    "contracted_land_mu",
    "house_permit_no",
    "migrant_workers",
    "income_band",
    "color_grade",
)
HOUSEHOLD_KEYS = (
    "unit_code",
    "township",
    "village",
    "group",
    "grid",
    "number",
    "address",
    "hukou_type",
    "contracted_land_mu",
    "house_permit_no",
    "migrant_workers",
    "income_band",
    "color_grade",
)


def _write(
    headers: list[str], rows: Iterable[list[Any]], *, title: str, widths: dict[int, int] | None = None
) -> tuple[IO[bytes], int]:
    out = _spool()
    sheet = XlsxStream(out, title=title, headers=headers, widths=widths or {})
    for row in rows:
        sheet.append(row)
    sheet.close()
    out.seek(0)
    return out, sheet.rows


class XlsxStream:
    """A one-sheet .xlsx written row by row straight into the zip: inline strings (as openpyxl
    writes them), a bold frozen header row, column widths. Exports of a whole county use it because
    openpyxl's write-only mode spends ~10 µs per cell in its XML serializer (5,000 residents × 67
    columns took 4.4 s, so 100k would take over a minute); this writer needs about a tenth of that.
    The template and the error report, small and styled, are written with openpyxl."""

    FLUSH_EVERY = 500  # rows per write into the zip stream

    def __init__(self, out: IO[bytes], *, title: str, headers: list[str], widths: dict[int, int]):
        self.zip = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED)
        for name, text in _package_parts(title).items():
            self.zip.writestr(name, text)
        self.sheet = self.zip.open("xl/worksheets/sheet1.xml", "w")
        columns = "".join(
            f'<col min="{i + 1}" max="{i + 1}" width="{w}" customWidth="1"/>'
            for i, w in sorted(widths.items())
        )
        self.sheet.write(
            (
                f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN}">'
                '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
                '<sheetFormatPr defaultRowHeight="15"/>'
                + (f"<cols>{columns}</cols>" if columns else "")
                + "<sheetData>"
            ).encode()
        )
        self.pending: list[str] = []
        self.number = 0
        self.rows = -1  # the header is not a data row
        self.append(headers, style=1)

    def append(self, values: Iterable[Any], *, style: int = 0) -> None:
        self.number += 1
        self.rows += 1
        row = self.number
        styled = f' s="{style}"' if style else ""
        cells = [f'<row r="{row}">']
        for index, value in enumerate(values):
            if value is None or value == "":
                continue
            ref = f"{_column(index)}{row}"
            if isinstance(value, bool):
                value = "是" if value else "否"
            if isinstance(value, int | float):
                cells.append(f'<c r="{ref}"{styled}><v>{value!r}</v></c>')
                continue
            text = escape(_ILLEGAL_XML.sub("", str(value)))
            space = ' xml:space="preserve"' if text != text.strip() else ""
            cells.append(f'<c r="{ref}"{styled} t="inlineStr"><is><t{space}>{text}</t></is></c>')
        cells.append("</row>")
        self.pending.append("".join(cells))
        if len(self.pending) >= self.FLUSH_EVERY:
            self._flush()

    def _flush(self) -> None:
        self.sheet.write("".join(self.pending).encode())
        self.pending = []

    def close(self) -> None:
        self._flush()
        self.sheet.write(b"</sheetData></worksheet>")
        self.sheet.close()
        self.zip.close()


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in XML 1.0 text


@functools.cache
def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _package_parts(title: str) -> dict[str, str]:
    sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    return {
        "[Content_Types].xml": head
        + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{sheet_type}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{sheet_type}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{sheet_type}.styles+xml"/></Types>',
        "_rels/.rels": head + f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
        f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": head + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
        f'<sheet name="{escape(title, {chr(34): "&quot;"})}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": head + f'<Relationships xmlns="{_PKG}">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/></Relationships>',
        "xl/styles.xml": head + f'<styleSheet xmlns="{_MAIN}">'
        '<fonts count="2"><font><sz val="11"/><name val="等线"/></font>'
        '<font><b/><sz val="11"/><name val="等线"/></font></fonts>'
        '<fills count="3"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill>'
        '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/></patternFill></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>',
    }


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def export_residents(
    *,
    actor: User,
    unit_code: str = "",
    grid_code: str = "",
    q: str = "",
    group: str = "",
    minors: bool | None = None,
    status: str = "active",
    full: bool = False,
    reason: str = "",
) -> ExportFile:
    """The residents of `selectors.resident_list` with these filters, as .xlsx."""
    reason = _check_export(actor, unit_code, full, reason)
    qs: QuerySet[Resident] = selectors.resident_list(
        actor, unit_code=unit_code, grid_code=grid_code, q=q, group=group, minors=minors, status=status
    )
    qs = access.restrict(qs, actor, Perm.PEOPLE_EXPORT).select_related("household__unit", "household__grid")
    # Columns the sheet never shows are not read (a grid's boundary can be large).
    unread = ["created_at", "updated_at", "household__created_at", "household__updated_at"]
    unread += ["household__grid__boundary", "household__unit__created_at", "household__unit__updated_at"]
    if not full:
        unread += ["id_number_enc", "phone_enc"]
    qs = qs.defer(*unread)
    # Group names of all exported residents in one query (a prefetch builds a manager per row).
    tags: dict[int, list[str]] = {}
    through = Resident.special_groups.through.objects.filter(resident_id__in=qs.values("pk"))
    for resident_id, name in through.order_by("specialgroup__order", "specialgroup__code").values_list(
        "resident_id", "specialgroup__name"
    ):
        tags.setdefault(resident_id, []).append(name)
    facts = _facts()
    headers = [SPEC_BY_KEY[k].header for k in RESIDENT_KEYS] + [_fact_header(d) for d in facts]
    places = _Places()

    def rows() -> Iterator[list[Any]]:
        for resident in qs.iterator(chunk_size=ITER_CHUNK):
            household = resident.household
            cells = _household_cells(household, places)
            if full:
                id_number = crypto.decrypt(resident.id_number_enc)
                phone = crypto.decrypt(resident.phone_enc)
            else:
                id_number, phone = resident.id_number_masked, resident.phone_masked
            cells.update(
                name=resident.name,
                id_number=id_number,
                gender=_label(Gender, resident.gender),
                birth_date=resident.birth_date.isoformat() if resident.birth_date else "",
                relation=_label(Relation, resident.relation),
                phone=phone,
                political_status=_label(PoliticalStatus, resident.political_status),
                occupation=resident.occupation,
                living_away="是" if resident.living_away else "否",
                away_place=resident.away_place,
                special_groups="、".join(tags.get(resident.pk, ())),
                status=_label(ResidentStatus, resident.status),
                notes=resident.notes,
            )
            yield [cells[k] for k in RESIDENT_KEYS] + [_fact_text(household.facts.get(d.key)) for d in facts]

    out, count = _write(headers, rows(), title="居民", widths={7: 10, 8: 21, 12: 14, 6: 28})
    filters = {
        "unit": unit_code,
        "grid": grid_code,
        "q": q,
        "group": group,
        "minors": minors,
        "status": status,
    }
    _log(actor, kind="residents", unit_code=unit_code, rows=count, filters=filters, full=full, reason=reason)
    return ExportFile(file=out, filename=_filename("居民档案", unit_code, full), rows=count)


def export_households(
    *, actor: User, unit_code: str = "", grid_code: str = "", q: str = "", color_grade: str = ""
) -> ExportFile:
    """The households of `selectors.household_list` with these filters, as .xlsx (no ID numbers or
    phones: the head is named only when the user may see that resident)."""
    _check_export(actor, unit_code, False, "")
    visible_head = selectors.residents_visible(actor).filter(pk=OuterRef("head_id")).values("name")[:1]
    qs = selectors.household_list(
        actor, unit_code=unit_code, grid_code=grid_code, q=q, color_grade=color_grade
    )
    qs = access.restrict(qs, actor, Perm.PEOPLE_EXPORT).annotate(head_name=Subquery(visible_head))
    facts = _facts()
    headers = (
        [SPEC_BY_KEY[k].header for k in HOUSEHOLD_KEYS]
        + ["户主", "在册人数"]
        + [_fact_header(d) for d in facts]
    )
    places = _Places()

    def rows() -> Iterator[list[Any]]:
        for household in qs.iterator(chunk_size=ITER_CHUNK):
            cells = _household_cells(household, places)
            yield (
                [cells[k] for k in HOUSEHOLD_KEYS]
                + [household.head_name or "", household.member_count]  # type: ignore[attr-defined]
                + [_fact_text(household.facts.get(d.key)) for d in facts]
            )

    out, count = _write(headers, rows(), title="户", widths={6: 28})
    filters = {"unit": unit_code, "grid": grid_code, "q": q, "color_grade": color_grade}
    _log(actor, kind="households", unit_code=unit_code, rows=count, filters=filters, full=False, reason="")
    return ExportFile(file=out, filename=_filename("户档案", unit_code, False), rows=count)


def _filename(kind: str, unit_code: str, full: bool) -> str:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return f"{kind}_{unit_code or '全部'}_{stamp}{'_完整' if full else ''}.xlsx"


# --- import template and error report ------------------------------------------------------------------


def import_template() -> ExportFile:
    """A blank import workbook: every column the import understands (facts included), one example
    row the import skips, and a sheet explaining each column and its allowed values."""
    facts = _facts()
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "居民档案"
    headers = [spec.header for spec in COLUMNS] + [_fact_header(d) for d in facts]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(horizontal="center")
    example = {
        "village": "某某村",
        "group": "",
        "grid": "",
        "number": "001",
        "address": "某某村一组 12 号",
        "hukou_type": "农业户口",
        "contracted_land_mu": 3.5,
        "income_band": "中等收入",
        "color_grade": "黄",
        "name": "张三",
        "id_number": "530326197001010000",
        "relation": "户主",
        "phone": "13800000000",
        "political_status": "群众",
        "occupation": "务农",
        "living_away": "否",
        "special_groups": "低保户、残疾人",
        "status": "在册",
        "notes": EXAMPLE_MARK,
    }
    sheet.append([example.get(spec.key, "") for spec in COLUMNS] + ["" for _ in facts])
    for cell in sheet[2]:
        cell.font = Font(italic=True, color="808080")
    # ID numbers and phones are text: Excel would otherwise turn 18 digits into 5.30326E+17.
    for spec_index, spec in enumerate(COLUMNS):
        if spec.key in ("id_number", "phone", "number", "unit_code"):
            letter = _letter(spec_index)
            for row in range(2, 2001):
                sheet[f"{letter}{row}"].number_format = "@"
    for index, text in enumerate(headers):
        sheet.column_dimensions[_letter(index)].width = max(10, min(30, len(text) * 2 + 4))
    sheet.freeze_panes = "A2"

    notes = workbook.create_sheet("填写说明")
    notes.append(["列名", "是否必填", "说明", "可填的值"])
    for cell in notes[1]:
        cell.font = HEADER_FONT
    options = {
        "hukou_type": HukouType,
        "income_band": IncomeBand,
        "color_grade": ColorGrade,
        "gender": Gender,
        "relation": Relation,
        "political_status": PoliticalStatus,
        "status": ResidentStatus,
    }
    required = {"name", "number", "address"}
    for spec in COLUMNS:
        choices = options.get(spec.key)
        allowed = (
            "、".join(str(label).split("（")[0] for value, label in choices.choices if value)
            if choices
            else ""
        )
        if spec.key == "special_groups":
            allowed = "、".join(SpecialGroup.objects.filter(is_active=True).values_list("name", flat=True))
        if spec.key == "living_away":
            allowed = "是、否"
        aliases = "、".join(a for a in spec.aliases if a != spec.header)
        note = spec.note + (f"（也可写作：{aliases}）" if aliases else "")
        notes.append([spec.header, "必填" if spec.key in required else "", note, allowed])
    for definition in facts:
        allowed = "、".join(definition.choices) if definition.choices else definition.get_kind_display()
        notes.append(
            [_fact_header(definition), "必填" if definition.required else "", definition.help_text, allowed]
        )
    notes.append([])
    notes.append(["每行一位居民；同户成员的户号相同，户的信息（住址等）可只在第一行填写。"])
    notes.append(["再次导入同一文件不会重复登记：有身份证号的按身份证号匹配，没有的按户号和姓名匹配。"])
    notes.append(
        ["空白单元格不会清除已登记的信息。第 2 行是示例，备注为“" + EXAMPLE_MARK + "”的行不会导入。"]
    )
    notes.append(["旧版 .xls 文件请先另存为 .xlsx；CSV 文件可用 UTF-8 或 GBK 编码。"])
    for letter, width in (("A", 22), ("B", 10), ("C", 50), ("D", 60)):
        notes.column_dimensions[letter].width = width
    out = _spool()
    workbook.save(out)
    out.seek(0)
    return ExportFile(file=out, filename="居民档案导入模板.xlsx", rows=1)


def import_report(job: ImportJob) -> ExportFile:
    """The rows an import refused, as the user uploaded them, each with its problems in front:
    fix the cells and upload this sheet again (the two extra columns are ignored)."""
    issues = list(issue_rows(job))
    by_row: dict[int, list[str]] = {}
    for issue in issues:
        by_row.setdefault(issue.row, []).append(f"{issue.column}：{issue.reason}")
    header_cells: list[str] = []
    originals: dict[int, list[Any]] = {}
    if by_row:
        header_cells, originals = _original_rows(job, set(by_row))

    workbook = Workbook(write_only=True)
    fix = workbook.create_sheet("待修正的行")
    fix.freeze_panes = "C2"
    fix.append(_header_cells(fix, ["原行号", "问题", *header_cells]))
    for row in sorted(by_row):
        fix.append([row, "；".join(by_row[row]), *(cell_text(v) for v in originals.get(row, []))])
    listing = workbook.create_sheet("问题清单")
    listing.append(_header_cells(listing, ["行号", "列", "值", "原因"]))
    for issue in issues:
        listing.append([issue.row, issue.column, issue.value, issue.reason])
    about = workbook.create_sheet("说明")
    for line in (
        ["文件", job.filename],
        ["导入范围", str(job.unit)],
        ["方式", job.get_mode_display()],
        ["状态", job.get_status_display()],
        ["结果", job.message],
        ["有问题的行", job.rejected_rows],
        ["生成时间", timezone.localtime().strftime("%Y-%m-%d %H:%M")],
    ):
        about.append(line)
    out = _spool()
    workbook.save(out)
    out.seek(0)
    stem = job.filename.rsplit(".", 1)[0]
    return ExportFile(file=out, filename=f"{stem}_错误报告.xlsx", rows=len(by_row))


def _original_rows(job: ImportJob, wanted: set[int]) -> tuple[list[str], dict[int, list[Any]]]:
    """Header and the wanted rows of the job's file, read again (the job keeps the upload)."""
    try:
        with job.file.open("rb") as fh:
            table = open_table(fh, job.filename)
            header = find_header(table.rows, fact_headers(), job.unit)
            found: dict[int, list[Any]] = {}
            last = max(wanted)
            for number, values in table.rows:
                if number in wanted:
                    found[number] = list(values)
                if number >= last:
                    break
            return header.cells, found
    except (ValidationFailed, OSError, ValueError):
        return [], {}
