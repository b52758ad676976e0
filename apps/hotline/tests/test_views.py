"""Pages of the hotline import: upload (the task runs after commit), the job page and its htmx
progress panel that stops polling when the job ends, downloads, refusals, the navigation entry,
and the retention sweep of uploaded files."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.choices import Role
from apps.cases.models import Case, Category
from apps.core.navigation import navigation_for
from apps.hotline import services, sweeps
from apps.hotline.choices import ImportStatus
from apps.hotline.models import HotlineImportJob

from .conftest import called, upload, xlsx

pytestmark = pytest.mark.django_db

ROWS = [
    ["HZ-1", called(), "张先生", "13812345678", "垃圾清运", "", "村口垃圾池满了没人清运。", "",
     "娜姑镇", "娜姑村", ""],
    ["HZ-2", "不是时间", "", "", "", "", "来电时间写错了的工单。", "", "娜姑镇", "娜姑村", ""],
]  # fmt: skip


def test_upload_runs_the_task_and_the_job_page_shows_the_result(
    tiny_county: dict[str, Any], operator: Any, client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(operator)
    page = client.get(reverse("hotline:import_start"))
    assert page.status_code == 200
    assert page.context["units"][0].code == "530326"
    assert page.context["selected_category"] == "consult"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("hotline:import_start"),
            {"unit": "530326", "default_category": "consult", "file": upload(xlsx(ROWS), "十一月.xlsx")},
        )
    job = HotlineImportJob.objects.get()
    assert response.status_code == 302 and response.url == reverse("hotline:import_detail", args=[job.pk])
    assert job.status == ImportStatus.DONE and job.task_id
    assert Case.objects.get(external_id="HZ-1").entered_by == operator
    html = client.get(response.url).content.decode()
    assert "已完成" in html and "every 1s" not in html and "下载导入结果 (.xlsx)" in html
    assert "来电时间无法识别" in html and 'data-testid="count-created">1<' in html
    fragment = client.get(reverse("hotline:import_progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    text = fragment.content.decode()
    assert "<html" not in text and 'data-status="done"' in text
    listing = client.get(reverse("hotline:import_start")).content.decode()
    assert "十一月.xlsx" in listing and "1 / 0 / 1" in listing
    report = client.get(reverse("hotline:import_report", args=[job.pk]))
    assert report.status_code == 200 and report["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in report["Content-Disposition"]
    template = client.get(reverse("hotline:import_template"))
    assert template.status_code == 200 and b"".join(template.streaming_content)[:2] == b"PK"


def test_a_running_job_keeps_polling(tiny_county: dict[str, Any], operator: Any, client: Any) -> None:
    job = services.hotline_import_create(
        actor=operator,
        unit=tiny_county["county"],
        upload=upload(xlsx(ROWS)),
        default_category=Category.objects.get(code="consult"),
    )
    HotlineImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, processed_rows=30, total_rows=120, created_rows=28, rejected_rows=2
    )
    client.force_login(operator)
    fragment = client.get(
        reverse("hotline:import_progress", args=[job.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert (
        'hx-trigger="every 1s"' in fragment and "已处理 30 / 120 条（新登记 28，跳过 0，错误 2）" in fragment
    )
    # A reload of the page shows the same state (it is all in the job row).
    assert (
        "已处理 30 / 120 条" in client.get(reverse("hotline:import_detail", args=[job.pk])).content.decode()
    )


def test_upload_refusals(tiny_county: dict[str, Any], operator: Any, client: Any, make_staff: Any) -> None:
    client.force_login(operator)
    url = reverse("hotline:import_start")
    response = client.post(url, {"unit": "530326", "default_category": "consult"})
    assert response.status_code == 400 and "请选择要导入的文件" in response.content.decode()
    response = client.post(
        url, {"unit": "530326", "default_category": "consult", "file": upload(b"x", "a.xls")}
    )
    assert response.status_code == 400 and "旧版 Excel 97-2003" in response.content.decode()
    response = client.post(url, {"unit": "530326102", "default_category": "nope", "file": upload(xlsx(ROWS))})
    assert response.status_code == 400 and "请选择默认类别" in response.content.decode()
    assert not HotlineImportJob.objects.exists()
    client.force_login(make_staff(Role.VILLAGE_CADRE, tiny_county["v11"]))
    assert client.get(url).status_code == 403
    assert client.get(reverse("hotline:import_template")).status_code == 403


def test_navigation_entry_for_importers_only(
    tiny_county: dict[str, Any], operator: Any, make_staff: Any
) -> None:
    assert "hotline" in {item["key"] for item in navigation_for(operator)}
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"])
    assert "hotline" not in {item["key"] for item in navigation_for(officer)}


def test_sweep_deletes_old_uploaded_files(tiny_county: dict[str, Any], operator: Any) -> None:
    consult = Category.objects.get(code="consult")
    old, fresh = (
        services.hotline_import_run(
            services.hotline_import_create(
                actor=operator,
                unit=tiny_county["county"],
                upload=upload(xlsx(ROWS)),
                default_category=consult,
            ).pk
        )
        for _ in range(2)
    )
    HotlineImportJob.objects.filter(pk=old.pk).update(finished_at=timezone.now() - datetime.timedelta(days=8))
    assert sweeps.purge_import_files() == "删除 1 个超过 7 天的12345工单文件"
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert not old.file and fresh.file
    assert old.rows.count() == 2  # the results (no names, no phones) stay
