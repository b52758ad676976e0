"""Writes of the 12345 hotline import: storing an upload as a job, and running the job row by
row into cases (`apps.cases.services.case_submit`, channel "hotline", external_id = 工单编号,
submitted_at = 来电时间, entered by the operator who uploaded the file).

Each row is its own transaction: a bad row is reported and the others go in (partial import).
A row whose 工单编号 is already a hotline case is skipped and reported with that case's tracking
code, so importing the same file twice, or an export that overlaps the last one, creates nothing
twice. Two workers importing overlapping files at once queue on the work order number (an
advisory lock on PostgreSQL; SQLite runs one writer at a time anyway).
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import PurePosixPath

from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone

from apps.accounts import access
from apps.accounts.models import User
from apps.accounts.permissions import Perm
from apps.audit.services import audit_create, record_event
from apps.cases import services as case_services
from apps.cases.choices import Channel
from apps.cases.models import Case, Category
from apps.core.context import RequestContext, context_scope, new_request_id
from apps.core.errors import ApplicationError, ValidationFailed
from apps.people.importer import check_file_name_and_head, open_table
from apps.territory.choices import Level
from apps.territory.models import Unit

from . import events, importer
from .choices import ImportStatus, RowOutcome
from .models import HotlineImportJob, HotlineImportRow

logger = logging.getLogger(__name__)

MAX_ROWS = 20_000
PROGRESS_SECONDS = 0.5  # how often the job page's counters are written while running
IMPORT_LEVELS = (Level.COUNTY, Level.TOWNSHIP)


@transaction.atomic
def hotline_import_create(
    *, actor: User, unit: Unit, upload: UploadedFile, default_category: Category
) -> HotlineImportJob:
    """Store an uploaded export as a pending job (the caller enqueues the task after commit).
    Refuses at once what can be told without reading rows: permission, scope, file type and size."""
    access.require(actor, Perm.CASE_IMPORT, unit.code)
    if unit.level not in IMPORT_LEVELS:
        raise ValidationFailed("导入范围须为县（区）或乡镇（街道）。", code="hotline_unit_level")
    if not default_category.is_active:
        raise ValidationFailed(
            f"默认类别「{default_category.name}」已停用，请另选。", code="category_inactive"
        )
    filename = PurePosixPath(str(upload.name or "").replace("\\", "/")).name
    head = upload.read(8)
    upload.seek(0)
    check_file_name_and_head(filename, head, upload.size)
    job = HotlineImportJob(
        created_by=actor, unit=unit, default_category=default_category, filename=filename[:200]
    )
    job.file.save(filename, upload, save=False)
    job.save()
    audit_create(actor=actor, obj=job)
    record_event(
        actor=actor,
        event_type=events.IMPORT_STARTED,
        obj=job,
        data={"job": job.pk, "filename": job.filename, "unit": unit.code, "bytes": upload.size},
    )
    return job


def _serialise_on(external_id: str) -> None:
    """Hold a transaction-scoped lock on this work order number (PostgreSQL), so that the check
    "already imported?" and the insert are one step for concurrent imports."""
    if connection.vendor != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(f"hotline:{external_id}".encode()).digest()[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _import_row(job: HotlineImportJob, order: importer.WorkOrder) -> HotlineImportRow:
    with transaction.atomic():
        _serialise_on(order.external_id)
        existing = (
            Case.objects.filter(channel=Channel.HOTLINE, external_id=order.external_id)
            .only("pk", "tracking_code")
            .first()
        )
        if existing is not None:
            return HotlineImportRow.objects.create(
                job=job,
                row=order.row,
                external_id=order.external_id,
                outcome=RowOutcome.SKIPPED,
                case=existing,
                reason=f"该工单已导入（查询码 {existing.tracking_code}），未重复登记。",
            )
        case = case_services.case_submit(
            actor=job.created_by,
            channel=Channel.HOTLINE,
            category=order.category,
            title=order.title,
            description=order.description,
            unit=order.unit,
            address=order.address,
            submitter_name=order.caller,
            submitter_phone=order.phone,
            external_id=order.external_id,
            submitted_at=order.called_at,
        )
        return HotlineImportRow.objects.create(
            job=job,
            row=order.row,
            external_id=order.external_id,
            outcome=RowOutcome.CREATED,
            case=case,
            warning="；".join(order.warnings)[:300],
        )


def _reject(job: HotlineImportJob, row: int, external_id: str, column: str, reason: str) -> None:
    HotlineImportRow.objects.create(
        job=job,
        row=row,
        external_id=external_id[:40],
        outcome=RowOutcome.REJECTED,
        column=column[:40],
        reason=reason[:300],
    )


def _counts(job: HotlineImportJob) -> dict[str, int]:
    rows = job.rows.all()
    return {
        "created_rows": rows.filter(outcome=RowOutcome.CREATED).count(),
        "skipped_rows": rows.filter(outcome=RowOutcome.SKIPPED).count(),
        "rejected_rows": rows.filter(outcome=RowOutcome.REJECTED).count(),
        "warning_rows": rows.exclude(warning="").count(),
    }


def _run(job: HotlineImportJob) -> str:
    """Read and import every row; returns the summary. Raises ApplicationError for a file that
    cannot be imported at all (nothing is written then)."""
    access.require(job.created_by, Perm.CASE_IMPORT, job.unit.code)
    categories = importer.Categories(job.default_category)
    with job.file.open("rb") as fh:
        table = open_table(fh, job.filename)
        rows = iter(table.rows)
        header = importer.find_header(rows)
        estimate = table.estimated_rows()
        total = max(0, (estimate or 0) - header.row)
        HotlineImportJob.objects.filter(pk=job.pk).update(total_rows=total, message="正在导入…")
        processed = 0
        last_report = time.monotonic()
        for number, cells in rows:
            if processed >= MAX_ROWS:
                raise ValidationFailed(
                    f"文件超过 {MAX_ROWS} 条工单，已导入前 {MAX_ROWS} 条；请把其余行另存为新文件再导入。",
                    code="hotline_too_many_rows",
                )
            external_id = ""
            try:
                order = importer.read_row(number, cells, header, job.unit, categories)
                if order is None:
                    continue
                external_id = order.external_id
                _import_row(job, order)
            except importer.RowProblem as problem:
                _reject(job, number, _cell(cells, header, "external_id"), problem.column, problem.reason)
            except ApplicationError as exc:
                # A refusal from case_submit (a place the operator may not enter, a text too long…).
                _reject(job, number, external_id or _cell(cells, header, "external_id"), "", exc.message)
            processed += 1
            if time.monotonic() - last_report >= PROGRESS_SECONDS:
                last_report = time.monotonic()
                HotlineImportJob.objects.filter(pk=job.pk).update(
                    processed_rows=processed, total_rows=max(total, processed), **_counts(job)
                )
    ignored = f"；已忽略的列：{'、'.join(header.ignored)}" if header.ignored else ""
    return ignored


def _cell(cells: list[object], header: importer.Header, key: str) -> str:
    index = header.columns.get(key)
    if index is None or index >= len(cells):
        return ""
    return importer.cell_text(cells[index])[:40]


def hotline_import_run(job_id: int) -> HotlineImportJob:
    """Run a pending job to its end (the task calls this). A job another worker already took is
    left alone. Never raises for a bad file: the job ends REJECTED with the reason (rows imported
    before a too-long file was stopped stay), or FAILED for an unexpected error (logged)."""
    claimed = HotlineImportJob.objects.filter(pk=job_id, status=ImportStatus.PENDING).update(
        status=ImportStatus.RUNNING, started_at=timezone.now(), message="正在读取文件…"
    )
    job = HotlineImportJob.objects.select_related("unit", "created_by", "default_category").get(pk=job_id)
    if not claimed:
        return job
    ctx = RequestContext(request_id=new_request_id(), source="task", path=f"hotline/{job_id}")
    status, message = ImportStatus.DONE, ""
    with context_scope(ctx):
        try:
            message = _run(job)
        except ApplicationError as exc:
            status, message = ImportStatus.REJECTED, exc.message
        except Exception:
            logger.exception("hotline import %s failed", job_id)
            status, message = ImportStatus.FAILED, "导入时发生内部错误，请联系管理员。已导入的工单保留。"
        _finish(job, status, message)
    job.refresh_from_db()
    return job


def _finish(job: HotlineImportJob, status: str, message: str) -> None:
    counts = _counts(job)
    processed = job.rows.count()
    summary = (
        f"新登记 {counts['created_rows']} 条，已存在跳过 {counts['skipped_rows']} 条，"
        f"有错误 {counts['rejected_rows']} 条"
    )
    if status == ImportStatus.DONE:
        text = summary + message
    else:
        text = f"{message}（{summary}）" if processed else message
    HotlineImportJob.objects.filter(pk=job.pk).update(
        status=status,
        message=text[:300],
        processed_rows=processed,
        total_rows=processed,
        finished_at=timezone.now(),
        **counts,
    )
    record_event(
        actor=job.created_by,
        event_type=events.IMPORT_FINISHED,
        obj=job,
        data={"job": job.pk, "status": status, "rows": processed, **counts, "message": message[:200]},
    )
