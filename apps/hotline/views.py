"""Pages of the 12345 hotline import: the upload form with recent jobs, the job page whose panel
htmx refreshes every second while the job runs, the result report and the template downloads.

Everything the job page shows is in the job row and its per-row results, so a reload (or another
operator opening it) sees the same; the upload hands the job to the task worker after commit.
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

from . import exporter, importer, selectors, services, tasks
from .choices import ImportStatus
from .models import HotlineImportJob

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROWS_SHOWN = 200
RECENT_JOBS = 10
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


def _download(file: exporter.ExportFile) -> FileResponse:
    response = FileResponse(file.file, as_attachment=True, filename=file.filename, content_type=XLSX)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    user = _actor(request)
    access.require(user, Perm.CASE_IMPORT)
    units = selectors.import_units(user)
    categories = selectors.categories()
    default_code = importer.default_category_code()
    selected_unit = request.POST.get("unit") or (units[0].code if units else "")
    selected_category = request.POST.get("default_category") or default_code
    error: ApplicationError | None = None
    if request.method == "POST":
        try:
            unit = next((u for u in units if u.code == selected_unit), None)
            if unit is None:
                raise ValidationFailed("请选择导入范围。", code="hotline_unit_required")
            category = next((c for c in categories if c.code == selected_category), None)
            if category is None:
                raise ValidationFailed("请选择默认类别。", code="hotline_category_required")
            upload = request.FILES.get("file")
            if upload is None:
                raise ValidationFailed("请选择要导入的文件（.xlsx）。", code="hotline_no_file")
            with transaction.atomic():
                job = services.hotline_import_create(
                    actor=user, unit=unit, upload=upload, default_category=category
                )
                tasks.enqueue_import(job)
        except ApplicationError as exc:
            error = exc
        else:
            return redirect("hotline:import_detail", pk=job.pk)
    context = {
        "units": units,
        "selected_unit": selected_unit,
        "categories": categories,
        "selected_category": selected_category,
        "error": error,
        "jobs": [
            (job, STATUS_CLASS.get(job.status, "secondary"))
            for job in selectors.import_jobs(user)[:RECENT_JOBS]
        ],
        "max_rows": services.MAX_ROWS,
        "nav_active": "hotline",
    }
    return render(request, "hotline/import_start.html", context, status=error.http_status if error else 200)


def _job_context(job: HotlineImportJob) -> dict[str, Any]:
    running = job.is_running
    problems = [] if running else list(selectors.job_rows(job, problems_only=True)[:ROWS_SHOWN])
    return {
        "job": job,
        "running": running,
        "problems": problems,
        "problem_count": 0 if running else job.rejected_rows + job.skipped_rows + job.warning_rows,
        "rows_shown": ROWS_SHOWN,
        "status_class": STATUS_CLASS.get(job.status, "secondary"),
        "nav_active": "hotline",
    }


@login_required
@require_GET
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.import_job_get(_actor(request), pk)
    return render(request, "hotline/import_detail.html", _job_context(job))


@never_cache
@login_required
@require_GET
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The job panel alone: htmx swaps it every second until the job has ended."""
    job = selectors.import_job_get(_actor(request), pk)
    return render(request, "hotline/import_detail.html#job-panel", _job_context(job))


@never_cache
@login_required
@require_GET
def import_report(request: HttpRequest, pk: int) -> HttpResponseBase:
    return _download(exporter.import_report(selectors.import_job_get(_actor(request), pk)))


@login_required
@require_GET
def import_template(request: HttpRequest) -> HttpResponseBase:
    access.require(_actor(request), Perm.CASE_IMPORT)
    return _download(exporter.import_template())
