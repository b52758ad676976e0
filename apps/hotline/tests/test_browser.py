"""The hotline import in headless Chromium on a phone-sized screen under the CSP: upload an
export, read the result with the rows to fix; a job that starts while its page is open turns from
排队中 to 已完成 by htmx polling."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from apps.cases.models import Category
from apps.hotline import services
from apps.hotline.models import HotlineImportJob

from .conftest import called, upload, xlsx

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"
ROWS = [
    ["HZ-1", called(), "张先生", "13812345678", "垃圾清运", "村口垃圾", "村口垃圾池满了没人清运。", "",
     "娜姑镇", "娜姑村", "一般"],
    ["HZ-2", called(), "李女士", "0874-5123456", "", "", "迤车村三组路灯不亮已经一个月。", "迤车镇迤车村三组",
     "", "", "紧急"],
    ["HZ-3", "不是时间", "", "", "", "", "来电时间写错了的工单。", "", "娜姑镇", "娜姑村", ""],
]  # fmt: skip


def test_upload_and_live_progress_on_a_phone(live_server: Any, phone_page: Any, operator: Any) -> None:
    from playwright.sync_api import expect

    page = phone_page
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda err: problems.append(str(err)))
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "h_operator")
    page.fill("#id_password", "Passw0rd-Test")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}{reverse('hotline:import_start')}")
    page.set_input_files(
        "#id_file",
        files=[{"name": "十一月工单.xlsx", "mimeType": "application/octet-stream", "buffer": xlsx(ROWS)}],
    )
    page.screenshot(path=str(SHOTS / "hotline-import-form.png"), full_page=True)
    page.click("[data-testid=import-form] button[type=submit]")
    page.wait_for_url(re.compile(r"/hotline/jobs/\d+/$"))
    expect(page.locator("[data-testid=job-status]")).to_have_text("已完成")
    expect(page.locator("[data-testid=count-created]")).to_have_text("2")
    expect(page.locator("[data-testid=problems]")).to_contain_text("来电时间无法识别")
    expect(page.locator("[data-testid=problems]")).to_contain_text("联系电话不是 11 位手机号")
    expect(page.locator("[data-testid=report-link]")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SHOTS / "hotline-import-result.png"), full_page=True)

    pending = services.hotline_import_create(
        actor=HotlineImportJob.objects.get().created_by,
        unit=HotlineImportJob.objects.get().unit,
        upload=upload(xlsx(ROWS), "再次导入.xlsx"),
        default_category=Category.objects.get(code="consult"),
    )
    page.goto(f"{live_server.url}{reverse('hotline:import_detail', args=[pending.pk])}")
    expect(page.locator("[data-testid=job-status]")).to_have_text("排队中")
    services.hotline_import_run(pending.pk)  # the worker runs while the page is open
    expect(page.locator("[data-testid=job-status]")).to_have_text("已完成", timeout=5000)
    expect(page.locator("[data-testid=count-skipped]")).to_have_text("2")
    assert problems == []
