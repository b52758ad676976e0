"""The two workbooks of the hotline import: the blank template (columns, one example row the
import skips, the column notes and the category codes), and a job's result report (the rows to
fix with their original cells, every work order's outcome, and a summary)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from typing import IO, Any

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from apps.core.errors import ApplicationError
from apps.people.importer import cell_text, open_table

from . import importer, selectors
from .choices import RowOutcome
from .models import HotlineImportJob

HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


@dataclass
class ExportFile:
    file: IO[bytes]
    filename: str


def _spool() -> IO[bytes]:
    return tempfile.TemporaryFile(suffix=".xlsx")  # the response closes (and so deletes) it


def _header(sheet: WriteOnlyWorksheet, texts: list[str]) -> list[WriteOnlyCell]:
    cells = []
    for text in texts:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cells.append(cell)
    return cells


def _save(workbook: Workbook, filename: str) -> ExportFile:
    out = _spool()
    workbook.save(out)
    out.seek(0)
    return ExportFile(file=out, filename=filename)


def import_template() -> ExportFile:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("12345工单")
    sheet.append(_header(sheet, [c.header for c in importer.COLUMNS]))
    example = {
        "external_id": f"{importer.EXAMPLE_PREFIX}-20261120-0001（导入时自动跳过）",
        "called_at": "2026-11-20 09:30",
        "caller": "张先生",
        "phone": "13800000000",
        "category": "env-garbage",
        "title": "村口垃圾无人清运",
        "content": "村口垃圾池已满三天无人清运，气味很大，请尽快处理。",
        "address": "娜姑镇娜姑村村口",
        "township": "娜姑镇",
        "village": "娜姑村",
        "urgency": "一般",
    }
    sheet.append([example.get(c.key, "") for c in importer.COLUMNS])
    notes = workbook.create_sheet("填写说明")
    notes.append(_header(notes, ["列", "必填", "也认作", "说明"]))
    for column in importer.COLUMNS:
        aliases = "、".join(a for a in column.aliases if a != column.header)
        notes.append([column.header, "是" if column.required else "", aliases, column.note])
    for line in (
        [],
        ["每行一条工单；表头可在前 10 行内，表头上方的标题行会被跳过。"],
        ["地点：填写所属乡镇和所属村（社区）的名称；都不填时从事发地址中识别村或乡镇的名称。"],
        ["再次导入同一工单（工单编号相同）不会重复登记，会在结果中列为“已存在，跳过”。"],
    ):
        notes.append(line)
    codes = workbook.create_sheet("诉求类别")
    codes.append(_header(codes, ["类别代码", "名称", "上级类别"]))
    for category in selectors.categories():
        codes.append([category.code, category.name, category.parent.name if category.parent else ""])
    return _save(workbook, "12345工单导入模板.xlsx")


def _originals(job: HotlineImportJob, wanted: set[int]) -> tuple[list[str], dict[int, list[Any]]]:
    """The header and the wanted rows as uploaded (empty when the file is gone or unreadable)."""
    if not wanted or not job.file:
        return [], {}
    found: dict[int, list[Any]] = {}
    try:
        with job.file.open("rb") as fh:
            table = open_table(fh, job.filename)
            rows = iter(table.rows)
            header = importer.find_header(rows)
            for number, cells in rows:
                if number in wanted:
                    found[number] = cells
                if len(found) == len(wanted):
                    break
    except (ApplicationError, OSError, ValueError):
        return [], {}
    return header.cells, found


def import_report(job: HotlineImportJob) -> ExportFile:
    rows = list(selectors.job_rows(job))
    to_fix = [r for r in rows if r.outcome == RowOutcome.REJECTED]
    header, originals = _originals(job, {r.row for r in to_fix})
    workbook = Workbook(write_only=True)
    fix = workbook.create_sheet("待修正的行")
    fix.append(_header(fix, ["原行号", "问题", *header]))
    for r in to_fix:
        problem = f"{r.column}：{r.reason}" if r.column else r.reason
        fix.append([r.row, problem, *(cell_text(v) for v in originals.get(r.row, []))])
    every = workbook.create_sheet("全部结果")
    every.append(_header(every, ["行号", "工单编号", "结果", "查询码", "说明"]))
    for r in rows:
        note = "；".join(t for t in (f"{r.column}：{r.reason}" if r.column else r.reason, r.warning) if t)
        every.append(
            [r.row, r.external_id, r.get_outcome_display(), r.case.tracking_code if r.case else "", note]
        )
    about = workbook.create_sheet("说明")
    for line in (
        ["文件", job.filename],
        ["导入范围", str(job.unit)],
        ["默认类别", job.default_category.full_name],
        ["状态", job.get_status_display()],
        ["结果", job.message],
        ["新登记", job.created_rows],
        ["已存在，跳过", job.skipped_rows],
        ["有错误", job.rejected_rows],
        ["生成时间", timezone.localtime().strftime("%Y-%m-%d %H:%M")],
    ):
        about.append(line)
    if to_fix and not originals:
        about.append(["注意", "原始文件已按保留期删除，“待修正的行”只列出行号和问题。"])
    stem = job.filename.rsplit(".", 1)[0]
    return _save(workbook, f"{stem}_导入结果.xlsx")
