"""Import and export pages of resident records: the upload form, the job page with its htmx progress
fragment, the error report and template downloads, and the .xlsx exports of the filtered lists.

The upload creates an ImportJob through `importer.import_job_create` and hands it to the task
worker after the commit (`tasks.enqueue_import`); the job page polls the progress fragment every
second while the job is pending or running and stops polling when it has ended. Everything the
page shows is in the ImportJob row, so a reload (or another officer opening it) sees the same.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from apps.accounts import access
from apps.accounts.models import User
from apps.accounts.permissions import Perm
from apps.core.errors import ApplicationError, ValidationFailed
from apps.territory.choices import Level
from apps.territory.models import Unit

from . import exporter, importer, selectors, tasks
from .choices import ImportMode, ImportStatus
from .models import ImportJob

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ISSUES_SHOWN = 200
RECENT_JOBS = 10
UNIT_CHOICE_LIMIT = 600  # a county has ~25 townships and ~400 villages
IMPORT_LEVELS = (Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE)
STATUS_CLASS: dict[str, str] = {
    ImportStatus.PENDING: "secondary",
    ImportStatus.RUNNING: "primary",
    ImportStatus.DONE: "success",
    ImportStatus.REJECTED: "warning",
    ImportStatus.FAILED: "danger",
}


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _unit_choices(user: User) -> list[dict[str, Any]]:
    """Units where the user may import: county, townships and villages of their scope."""
    units = list(
        access.restrict(
            Unit.objects.filter(level__in=IMPORT_LEVELS, is_active=True), user, Perm.PEOPLE_IMPORT
        ).order_by("code")[:UNIT_CHOICE_LIMIT]
    )
    top = min((u.level for u in units), default=Level.VILLAGE)
    return [
        {"code": u.code, "label": f"{'　' * (u.level - top)}{u.display_name}（{u.code}）", "unit": u}
        for u in units
    ]


def _job(request: HttpRequest, pk: int) -> ImportJob:
    return access.get_for(
        _actor(request), Perm.PEOPLE_IMPORT, ImportJob.objects.select_related("unit", "created_by"), pk=pk
    )


def _download(file: exporter.ExportFile) -> FileResponse:
    response = FileResponse(file.file, as_attachment=True, filename=file.filename, content_type=XLSX)
    response["Cache-Control"] = "no-store"
    return response


# --- import -----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    access.require(user, Perm.PEOPLE_IMPORT)
    choices = _unit_choices(user)
    selected = request.POST.get("unit") or request.GET.get("unit") or (choices[0]["code"] if choices else "")
    mode = request.POST.get("mode") or ImportMode.PARTIAL
    error: ApplicationError | None = None
    if request.method == "POST":
        try:
            unit = next((c["unit"] for c in choices if c["code"] == selected), None)
            if unit is None:
                unit = Unit.objects.filter(code=selected).first()
            if unit is None:
                raise ValidationFailed("请选择导入范围。", code="import_unit")
            upload = request.FILES.get("file")
            if upload is None:
                raise ValidationFailed("请选择要导入的文件（.xlsx 或 .csv）。", code="import_no_file")
            with transaction.atomic():
                job = importer.import_job_create(actor=user, unit=unit, upload=upload, mode=mode)
                tasks.enqueue_import(job)
        except ApplicationError as exc:
            error = exc
        else:
            return redirect("people:import_detail", pk=job.pk)
    context = {
        "unit_choices": choices,
        "selected_unit": selected,
        "modes": ImportMode.choices,
        "selected_mode": mode,
        "error": error,
        "jobs": [
            (job, STATUS_CLASS.get(job.status, "secondary"))
            for job in selectors.import_jobs(user)[:RECENT_JOBS]
        ],
        "max_mb": importer.max_bytes() // 1024 // 1024,
        "max_rows": importer.max_rows(),
        "nav_active": "records",
    }
    return render(request, "people/import_start.html", context, status=error.http_status if error else 200)


def _job_context(job: ImportJob) -> dict[str, Any]:
    running = job.status in (ImportStatus.PENDING, ImportStatus.RUNNING)
    return {
        "job": job,
        "running": running,
        "issues": [] if running else list(job.issues.all()[:ISSUES_SHOWN]),
        "issue_count": 0 if running else job.issues.count(),
        "issues_shown": ISSUES_SHOWN,
        "status_class": STATUS_CLASS.get(job.status, "secondary"),
        "nav_active": "records",
    }


@login_required
@require_GET
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "people/import_detail.html", _job_context(_job(request, pk)))


@never_cache
@login_required
@require_GET
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The job panel alone: htmx swaps it every second until the job has ended."""
    return render(request, "people/import_detail.html#job-panel", _job_context(_job(request, pk)))


@never_cache
@login_required
@require_GET
def import_report(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _download(exporter.import_report(_job(request, pk)))


@login_required
@require_GET
def import_template(request: HttpRequest) -> HttpResponseBase:
    access.require(_actor(request), Perm.PEOPLE_IMPORT)
    return _download(exporter.import_template())


# --- export -----------------------------------------------------------------------------------------


def _text(request: HttpRequest, name: str, limit: int = 40) -> str:
    return (request.GET.get(name) or "").strip()[:limit]


def _full_requested(request: HttpRequest) -> bool:
    return request.GET.get("full") in ("1", "true", "on")


def _ask_reason(request: HttpRequest, kind: str, error: str = "") -> HttpResponse:
    """Full values need a reason: a small form that repeats the filters and asks for one."""
    access.require(_actor(request), Perm.PII_REVEAL)
    hidden = [(k, v) for k, v in request.GET.items() if k not in ("reason", "full")]
    context = {"hidden": hidden, "kind": kind, "error": error, "nav_active": "records"}
    return render(request, "people/import_export_full.html", context, status=400 if error else 200)


@never_cache
@login_required
@require_GET
def export_residents(request: HttpRequest) -> HttpResponseBase:
    user = _actor(request)
    full = _full_requested(request)
    reason = _text(request, "reason", 200)
    if full and len(reason) < 2:
        return _ask_reason(
            request, "residents", "请填写导出事由（至少 2 个字）。" if "reason" in request.GET else ""
        )
    minors = {"1": True, "0": False}.get(request.GET.get("minors", ""))
    status = request.GET.get("status", "active")
    file = exporter.export_residents(
        actor=user,
        unit_code=_text(request, "unit", 15),
        grid_code=_text(request, "grid", 32),
        q=_text(request, "q"),
        group=_text(request, "group", 32),
        minors=minors,
        status="" if status == "all" else status[:12],
        full=full,
        reason=reason,
    )
    return _download(file)


@never_cache
@login_required
@require_GET
def export_households(request: HttpRequest) -> HttpResponseBase:
    file = exporter.export_households(
        actor=_actor(request),
        unit_code=_text(request, "unit", 15),
        grid_code=_text(request, "grid", 32),
        q=_text(request, "q"),
        color_grade=_text(request, "color_grade", 8),
    )
    return _download(file)
