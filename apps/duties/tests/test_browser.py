"""End to end in headless Chromium on a 390×844 phone: a township officer opens 责任清单 from the
menu, imports a territorial list that has errors (sees every row's problem), fixes it and
publishes, previews the routing of a case (htmx updates the advice on each choice), and a visitor
without an account reads the published list on the public page. The pages must run under the CSP."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import expect

from apps.accounts.choices import Role
from apps.duties import services
from apps.duties.choices import ListKind

from .helpers import ensure_default_categories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("JC_VAR_DIR", Path(__file__).resolve().parents[3] / "var")) / "screenshots"
HEADER = ["序号", "领域", "事项", "主体责任单位", "配合责任单位", "对应诉求类别", "依据"]


def _xlsx(path: Path, rows: list[list[Any]]) -> Path:
    book = openpyxl.Workbook()
    book.active.append(["娜姑镇属地责任清单"])
    book.active.append(HEADER)
    for r in rows:
        book.active.append(r)
    out = io.BytesIO()
    book.save(out)
    path.write_bytes(out.getvalue())
    return path


def _watch_console(page: Any) -> list[str]:
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: (
            problems.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None
        ),
    )
    page.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    return problems


def test_officer_imports_previews_routing_and_the_public_reads_it(
    live_server, phone_page, tiny_county, make_staff, tmp_path
) -> None:
    ensure_default_categories()
    t = tiny_county
    admin = make_staff(Role.COUNTY_ADMIN, t["county"])
    make_staff(Role.TOWNSHIP_OFFICER, t["t1"], username="officer_ng", full_name="王乡镇")
    services.responsibility_list_publish(
        actor=admin,
        kind=ListKind.ADMISSION,
        unit=t["county"],
        title="会泽县村级工作准入清单",
        rows=[{"number": 1, "matter": "人居环境整治", "categories": "env"}],
    )
    bad = _xlsx(
        tmp_path / "bad.xlsx",
        [
            [1, "人居环境", "村内垃圾清运", "村委会", "乡镇、县气象局", "env-garbage", ""],
            [2, "自然资源", "违法占地", "自然资源局", "乡镇", "飞碟", ""],
        ],
    )
    good = _xlsx(
        tmp_path / "good.xlsx",
        [
            [1, "人居环境", "村内垃圾清运", "村委会", "乡镇、自然资源局", "env-garbage", "镇党委会议纪要"],
            [2, "自然资源", "违法占地", "自然资源局", "乡镇", "land", ""],
        ],
    )

    page = phone_page
    problems = _watch_console(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{live_server.url}/")
    page.fill("#id_username", "officer_ng")
    page.fill("#id_password", "Passw0rd-Test")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.click(".navbar-toggler")
    page.click("#mainnav >> text=责任清单")
    page.wait_for_url(re.compile(r"/lists/$"))
    expect(page.locator("[data-testid=list-row]")).to_have_count(1)
    page.click("[data-testid=import-link]")
    page.select_option("#id_kind", ListKind.TERRITORIAL)
    page.set_input_files("#id_file", str(bad))
    page.click("[data-testid=import-form] button[type=submit]")
    expect(page.locator("[data-testid=import-error]")).to_contain_text("清单有 2 处错误，未发布")
    rows = page.locator("[data-testid=row-errors] tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("第 3 行")
    expect(rows.nth(0)).to_contain_text("找不到单位“县气象局”")
    expect(rows.nth(1)).to_contain_text("找不到诉求类别“飞碟”")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SHOTS / "duties-import-errors.png"), full_page=True)

    page.select_option("#id_kind", ListKind.TERRITORIAL)
    page.set_input_files("#id_file", str(good))
    page.click("[data-testid=import-form] button[type=submit]")
    page.wait_for_url(re.compile(r"/lists/\d+/$"))
    expect(page.locator("[data-testid=item]")).to_have_count(2)
    expect(page.locator("[data-testid=current]")).to_be_visible()
    page.fill("#id_q", "占地")
    expect(page.locator("[data-testid=item]")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SHOTS / "duties-list-detail.png"), full_page=True)

    page.goto(f"{live_server.url}/lists/route/")
    page.select_option("#id_category", "env-garbage")
    page.select_option("#id_unit", t["v11"].code)
    expect(page.locator("[data-testid=primary]")).to_have_text("娜姑村")
    expect(page.locator("[data-testid=supporting]")).to_contain_text("娜姑镇")
    expect(page.locator("[data-testid=supporting]")).to_contain_text("县自然资源局")
    expect(page.locator("[data-testid=admission]")).to_contain_text("可派给村（社区）")
    page.select_option("#id_category", "land-compensation")
    expect(page.locator("[data-testid=admission]")).to_contain_text("「征地补偿」不在村级工作准入清单内")
    expect(page.locator("[data-testid=primary]")).to_have_text("县自然资源局")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SHOTS / "duties-route-preview.png"), full_page=True)

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/lists/p/{t['t1'].code}/")
    expect(page.locator("[data-testid=public-list]")).to_have_count(1)
    page.click("[data-testid=public-list]")
    expect(page.locator("[data-testid=item]")).to_have_count(2)
    expect(page.locator("h1")).to_have_text("娜姑镇属地责任清单")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SHOTS / "duties-public.png"), full_page=True)
    assert not problems, problems
