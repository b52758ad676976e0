"""End to end in headless Chromium: a motion goes from suggestion to a published result.

The village cadre records steps 1–3 on the pages, the township officer files it, the cadre opens
the vote; two representatives log in on a 390×844 phone with an SMS code, confirm name and ID
tail and vote online; the cadre, as teller, enters two paper ballots in the hall; the vote is
closed and published. The big-screen tally and the public page show the same count, and a
voter's receipt is found in the public ballot list. Pages run under the CSP (no inline script)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from apps.core.sms import MemorySMSBackend
from apps.voting.models import Motion

from .conftest import resident_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


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


def _staff_login(page: Any, url: str, username: str) -> None:
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "Passw0rd-Test")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{url}/")


def _act(page: Any, action: str) -> None:
    page.click(f"[data-testid=do-{action}]")
    page.wait_for_url(re.compile(r"/voting/m/\d+/$"))
    expect(page.locator(".alert-success").first).to_contain_text("已完成")


def _vote_on_phone(page: Any, url: str, phone: str, resident: Any, choice_label: str) -> str:
    MemorySMSBackend.outbox.clear()
    page.goto(f"{url}/accounts/phone/?next=/voting/my/")
    page.fill("#id_phone", phone)
    page.click("text=获取验证码")
    page.wait_for_selector("[data-testid=code-status]")
    code = re.search(r"验证码 (\d{6})", MemorySMSBackend.outbox[-1].text).group(1)  # type: ignore[union-attr]
    page.fill("#id_code", code)
    page.click("main button[type=submit] >> text=登录")
    page.wait_for_url(re.compile(r"/voting/my/$"))
    page.click("[data-testid=go-vote]")
    page.fill("#id_name", resident.name)
    page.fill("#id_id_tail", resident.id_tail)
    page.click("[data-testid=verify]")
    page.get_by_text(choice_label, exact=True).click()
    page.screenshot(path=str(SHOTS / f"voting-phone-{phone[-2:]}.png"), full_page=True)
    page.click("[data-testid=cast]")
    expect(page.locator("[data-testid=ballot-done]")).to_contain_text(choice_label)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    return page.inner_text("[data-testid=receipt]").strip()


def test_motion_from_suggestion_to_published_result(live_server, browser, phone_page, village) -> None:
    v = village
    url = live_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)
    reps = v["reps"]
    resident_login(reps[0], "13900000021")
    resident_login(reps[1], "13900000022")
    for user in (v["cadre"], v["officer"]):
        user.username = {"村干部": "cadre_ng", "乡镇干部": "officer_ng"}[user.full_name]
        user.save(update_fields=["username"])

    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    desk_problems, phone_problems = _watch(desk), _watch(phone_page)

    # 1 建议, 2 提议, 3 商议 by the village cadre
    _staff_login(desk, url, "cadre_ng")
    desk.goto(f"{url}/voting/new/")
    desk.select_option("#id_village", v["v11"].code)
    desk.select_option("#id_kind", "welfare")
    desk.fill("#id_title", "村道硬化工程")
    desk.fill("#id_description", "硬化村内主干道 1.2 公里，预算 36 万元。")
    desk.fill("#id_minutes", "党员群众建议 9 条，均赞成硬化村道。")
    desk.fill("#id_signatures", "王大山、李秀英")
    desk.click("[data-testid=save]")
    desk.wait_for_url(re.compile(r"/voting/m/\d+/$"))
    motion = Motion.objects.get(title="村道硬化工程")
    _act(desk, "propose")
    desk.fill("[data-testid=action-consult] textarea[name=minutes]", "两委联席会议商议，确定实施方案并公示。")
    _act(desk, "consult")
    expect(desk.locator("[data-testid=status]")).to_have_text("已商议，待审议备案")

    # 4 审议备案 by the township
    desk.context.clear_cookies()
    _staff_login(desk, url, "officer_ng")
    desk.goto(f"{url}/voting/m/{motion.pk}/")
    _act(desk, "review")
    expect(desk.locator("[data-testid=status]")).to_have_text("已审议备案，待票决")

    # 5 票决: the cadre convenes the meeting (window from now for three hours)
    desk.context.clear_cookies()
    _staff_login(desk, url, "cadre_ng")
    desk.goto(f"{url}/voting/m/{motion.pk}/")
    _act(desk, "open")
    expect(desk.locator("[data-testid=status]")).to_have_text("票决中")

    # two representatives vote online from their phones
    receipt = _vote_on_phone(phone_page, url, "13900000021", reps[0], "同意")
    phone_page.context.clear_cookies()
    _vote_on_phone(phone_page, url, "13900000022", reps[1], "反对")

    # the teller enters two paper ballots in the hall; online voters show as voted
    desk.goto(f"{url}/voting/m/{motion.pk}/hall/")
    rows = desk.locator("[data-testid=voter-row]")
    expect(rows).to_have_count(5)
    expect(rows.filter(has_text=reps[0].name).locator("[data-testid=voted]")).to_contain_text("云票决")
    for rep in (reps[2], reps[3]):
        row = rows.filter(has_text=rep.name)
        row.locator("[data-testid=vote-for]").click()
        expect(rows.filter(has_text=rep.name).locator("[data-testid=voted]")).to_contain_text("纸质")
    desk.screenshot(path=str(SHOTS / "voting-hall.png"), full_page=True)

    # the big screen counts live (htmx polling)
    desk.goto(f"{url}/voting/m/{motion.pk}/screen/")
    expect(desk.locator("[data-testid=screen-for]")).to_have_text("3")
    expect(desk.locator("[data-testid=screen-against]")).to_have_text("1")
    desk.screenshot(path=str(SHOTS / "voting-screen-live.png"), full_page=True)

    desk.goto(f"{url}/voting/m/{motion.pk}/")
    _act(desk, "close")
    _act(desk, "publish")
    expect(desk.locator("[data-testid=status]")).to_have_text("监督实施中")
    expect(desk.locator("[data-testid=chain-ok]")).to_be_visible()

    desk.goto(f"{url}/voting/m/{motion.pk}/screen/")
    screen = {
        k: desk.inner_text(f"[data-testid=screen-{k}]") for k in ("attended", "for", "against", "abstain")
    }
    assert desk.inner_text("[data-testid=screen-outcome]").endswith("通过")

    # the public page (no login) agrees with the tally page, and the receipt is in its list
    phone_page.context.clear_cookies()
    phone_page.goto(f"{url}/voting/v/{v['v11'].code}/")
    phone_page.click(f"text={motion.title}")
    phone_page.wait_for_url(re.compile(r"/voting/v/\d+/m/\d+/$"))
    public = {
        k: phone_page.inner_text(f"[data-testid=t-{k}]") for k in ("attended", "for", "against", "abstain")
    }
    assert public == screen == {"attended": "4", "for": "3", "against": "1", "abstain": "0"}
    assert phone_page.inner_text("[data-testid=t-outcome]") == "通过"
    expect(phone_page.locator("[data-testid=step-5]")).to_be_visible()
    expect(phone_page.locator("[data-testid=public-chain-ok]")).to_be_visible()
    assert reps[0].name in phone_page.inner_text("[data-testid=ballot-list]")  # open ballot: names
    phone_page.fill("input[name=receipt]", receipt)
    phone_page.click("text=核对")
    expect(phone_page.locator("[data-testid=receipt-found]")).to_contain_text("同意")
    phone_page.screenshot(path=str(SHOTS / "voting-public.png"), full_page=True)
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    assert desk_problems == [] and phone_problems == []
