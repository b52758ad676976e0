"""End to end in headless Chromium: a villager reports a problem with a photo from a 390×844 phone
(随手拍), the village cadre accepts, triages, dispatches to the village, signs and replies on the
case page (htmx), the villager rates the reply 不满意 on the progress page, which reopens the case to
the same body; the cadre replies again, the villager is satisfied, the cadre closes. The pages run
under the CSP (no inline script or style)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from apps.accounts.choices import Role, UserKind
from apps.cases.choices import Action, Status
from apps.cases.models import Case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005"
    "0001ff5fa9f0e80000000049454e44ae426082"
)


def _watch(page: Any) -> list[str]:
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


def _login(page: Any, url: str, username: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "Passw0rd-Test")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{url}/")


def _act(page: Any, testid: str) -> None:
    """Press an action button and wait for the htmx swap of the case body."""
    with page.expect_response(re.compile(r"/cases/\d+/act/")):
        page.click(f"[data-testid={testid}]")


def test_villager_report_to_close_with_an_unsatisfied_round(
    live_server: Any, browser: Any, phone_page: Any, tiny_county: dict[str, Any], make_staff: Any
) -> None:
    from apps.accounts.models import User

    t = tiny_county
    make_staff(Role.VILLAGE_CADRE, t["v11"], username="cadre_ng", full_name="王支书")
    User.objects.create_user(
        "villager", "Passw0rd-Test", kind=UserKind.RESIDENT, phone="13900001111", full_name="张大妈"
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    url = live_server.url

    # 1. The villager reports from the phone.
    phone = phone_page
    phone_problems = _watch(phone)
    _login(phone, url, "villager")
    phone.goto(f"{url}/cases/report/")
    phone.select_option("[data-testid=category]", label="垃圾清运")
    phone.fill("[data-testid=title]", "村口垃圾池满了")
    phone.fill("[data-testid=description]", "村口垃圾池三天没人清运，气味很大，请尽快处理。")
    phone.set_input_files(
        "[data-testid=photos]", files=[{"name": "rubbish.png", "mimeType": "image/png", "buffer": PNG}]
    )
    phone.select_option("[data-testid=place]", value=t["v11"].code)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=str(SHOTS / "cases-report-phone.png"), full_page=True)
    phone.click("[data-testid=submit]")
    expect(phone.locator("[data-testid=submitted]")).to_be_visible()
    code = phone.locator("[data-testid=new-code]").inner_text().strip()
    case = Case.objects.get(tracking_code=code)
    assert case.submitter.username == "villager" and case.photos.count() == 1
    phone.screenshot(path=str(SHOTS / "cases-tracking-phone.png"), full_page=True)

    # 2. The cadre works it on a desktop.
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    desk_problems = _watch(desk)
    _login(desk, url, "cadre_ng")
    desk.goto(f"{url}/cases/?box=to_accept")
    desk.click(f"text={case.title}")
    desk.wait_for_url(f"{url}/cases/{case.pk}/")
    _act(desk, "act-accept")
    expect(desk.locator("[data-testid=case-body]")).to_have_attribute("data-status", Status.ACCEPTED)
    desk.select_option("[data-testid=triage]", value="minor")
    _act(desk, "act-triage")
    expect(desk.locator("[data-testid=case-body]")).to_have_attribute("data-status", Status.TRIAGED)
    desk.select_option("[data-testid=target]", value=f"unit:{t['v11'].code}")
    _act(desk, "act-dispatch")
    expect(desk.locator("[data-testid=case-body]")).to_have_attribute("data-status", Status.DISPATCHED)
    _act(desk, "act-sign")
    expect(desk.locator("[data-testid=case-body]")).to_have_attribute("data-status", Status.HANDLING)
    desk.fill("[data-testid=reply-text]", "已安排保洁员清运，垃圾池已清空。")
    _act(desk, "act-reply")
    expect(desk.locator("[data-testid=case-body]")).to_have_attribute("data-status", Status.REPLIED)

    # 3. The villager is not satisfied: the case goes back to the village (不满意重办).
    phone.goto(f"{url}/cases/t/{code}/")
    expect(phone.locator("text=已安排保洁员清运")).to_be_visible()
    phone.check("[data-testid=rate-unsatisfied]")
    phone.fill("[data-testid=rate-note]", "只清了一半，还有很多")
    phone.click("[data-testid=rate-submit]")
    expect(phone.locator("[data-testid=status]")).to_have_text("办理中")

    desk.goto(f"{url}/cases/{case.pk}/")
    expect(desk.locator("[data-testid=case-body]")).to_have_attribute("data-status", Status.HANDLING)
    expect(desk.locator("[data-testid=timeline] [data-action=reopen]")).to_have_count(1)
    desk.fill("[data-testid=reply-text]", "已全部清运，并增设一个垃圾池，每日清运。")
    _act(desk, "act-reply")

    # 4. Satisfied this time; the cadre closes it.
    phone.goto(f"{url}/cases/t/{code}/")
    phone.check("[data-testid=rate-satisfied]")
    phone.click("[data-testid=rate-submit]")
    expect(phone.locator("[data-testid=status]")).to_have_text("待办结")

    desk.goto(f"{url}/cases/{case.pk}/")
    _act(desk, "act-close")
    expect(desk.locator("[data-testid=case-body]")).to_have_attribute("data-status", Status.CLOSED)
    desk.screenshot(path=str(SHOTS / "cases-detail-closed.png"), full_page=True)

    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.rating == "satisfied" and case.reopen_count == 1
    actions = list(case.steps.values_list("action", flat=True))
    assert actions == [
        Action.SUBMIT, Action.ACCEPT, Action.TRIAGE, Action.DISPATCH, Action.SIGN, Action.REPLY,
        Action.FOLLOW_UP, Action.REOPEN, Action.REPLY, Action.FOLLOW_UP, Action.CLOSE,
    ]  # fmt: skip
    phone.goto(f"{url}/cases/t/{code}/")
    expect(phone.locator("[data-testid=status]")).to_have_text("已办结")
    public = phone.locator("[data-testid=public-timeline]").inner_text()
    assert "王支书" not in public and "张大妈" not in public  # bodies only, never persons
    assert not phone_problems and not desk_problems, phone_problems + desk_problems
