"""Pages of sunshine voting through the test client: the steps from the detail page, the teller's
hall rows (htmx), the live tally fragment, 云票决 on the phone page, the public board (no login)
and the JSON API's cast."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.utils import timezone

from apps.voting import services
from apps.voting.choices import Choice, MotionStatus
from apps.voting.models import Ballot, Motion

from .conftest import resident_login, walk_to

pytestmark = pytest.mark.django_db


def test_steps_from_the_detail_page(client: Any, village: dict[str, Any]) -> None:
    v = village
    client.force_login(v["cadre"])
    today = timezone.localdate().isoformat()
    response = client.post(
        "/voting/new/",
        {
            "village": v["v11"].code,
            "kind": "welfare",
            "title": "修建村文化广场",
            "held_on": today,
            "minutes": "党员群众建议 6 条",
            "signatures": "王大山、李秀英",
        },
    )
    assert response.status_code == 302
    motion = Motion.objects.get(title="修建村文化广场")
    page = client.get(f"/voting/m/{motion.pk}/").content.decode()
    assert "记录村党支部提议" in page and "乡镇审议备案" not in page  # the cadre cannot review
    assert client.post(f"/voting/m/{motion.pk}/act/propose/", {"held_on": today}).status_code == 302
    # consult without minutes: the form comes back with the service's message
    response = client.post(f"/voting/m/{motion.pk}/act/consult/", {"held_on": today})
    assert response.status_code == 400 and "请填写会议记录" in response.content.decode()
    client.post(f"/voting/m/{motion.pk}/act/consult/", {"held_on": today, "minutes": "联席会议通过"})
    # a step out of turn is a 409 with the reason
    response = client.post(f"/voting/m/{motion.pk}/act/close/")
    assert response.status_code == 409 and "等待乡镇审议备案" in response.content.decode()
    client.force_login(v["officer"])
    response = client.post(
        f"/voting/m/{motion.pk}/act/review/", {"decision": "approve", "held_on": today, "minutes": "同意"}
    )
    assert response.status_code == 302
    motion.refresh_from_db()
    assert motion.status == MotionStatus.FILED


def test_hall_tally_and_online_ballot(client: Any, village: dict[str, Any]) -> None:
    v = village
    motion = walk_to(v, "voting")
    rep = v["reps"][0]
    client.force_login(v["cadre"])
    row = client.post(
        f"/voting/m/{motion.pk}/hall/{v['reps'][1].pk}/",
        {"choice": "for", "channel": "paper"},
        HTTP_HX_REQUEST="true",
    )
    assert row.status_code == 200 and "已投（纸质）" in row.content.decode()
    fragment = client.get(f"/voting/m/{motion.pk}/tally/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 2s"' in fragment and 'data-testid="screen-for">1<' in fragment

    login = resident_login(rep, "13900000010")
    client.force_login(login)
    assert "您不是" not in client.get("/voting/my/").content.decode()
    page = client.post(
        f"/voting/m/{motion.pk}/ballot/", {"stage": "verify", "name": rep.name, "id_tail": "0000"}
    )
    assert page.status_code == 400 and "身份核验未通过" in page.content.decode()
    page = client.post(
        f"/voting/m/{motion.pk}/ballot/", {"stage": "verify", "name": rep.name, "id_tail": rep.id_tail}
    )
    token = page.context["cast_form"].initial["token"]
    done = client.post(
        f"/voting/m/{motion.pk}/ballot/", {"stage": "cast", "token": token, "choice": "against"}
    )
    assert done.status_code == 200
    receipt = Ballot.objects.get(motion=motion, voter=rep).receipt
    assert receipt in done.content.decode()
    again = client.post(f"/voting/m/{motion.pk}/ballot/", {"stage": "cast", "token": token, "choice": "for"})
    assert again.status_code == 409 and "每人只能投一票" in again.content.decode()
    forged = client.post(f"/voting/m/{motion.pk}/ballot/", {"stage": "cast", "token": "x", "choice": "for"})
    assert forged.status_code == 400


def test_public_board_needs_no_login_and_hides_secret_names(client: Any, village: dict[str, Any]) -> None:
    v = village
    motion = walk_to(v, "voting", secret=True)
    for r in v["reps"][:4]:
        services.ballot_enter(actor=v["cadre"], motion=motion, voter=r, choice=Choice.FOR)
    during = client.get(f"/voting/v/{v['v11'].code}/m/{motion.pk}/").content.decode()
    assert "已到会" in during and 'data-testid="ballot-list"' not in during  # no list before the close
    services.vote_close(actor=v["cadre"], motion=motion)
    services.motion_publish_result(actor=v["cadre"], motion=motion)
    board = client.get(f"/voting/v/{v['v11'].code}/")
    assert board.status_code == 200 and motion.title in board.content.decode()
    receipt = Ballot.objects.filter(motion=motion).first().receipt  # type: ignore[union-attr]
    page = client.get(f"/voting/v/{v['v11'].code}/m/{motion.pk}/?receipt={receipt}").content.decode()
    assert "校验" in page and "该回执已计入" in page and "通过" in page
    ballot_list = page[page.index('data-testid="ballot-list"') :]
    # secret ballot: no voter in the list (signers of the step minutes are published, by design)
    assert all(r.name not in ballot_list for r in v["reps"])
    assert "<th>姓名</th>" not in page
    assert all(r.id_tail not in page for r in v["reps"])
    data = json.loads(client.get(f"/voting/v/{v['v11'].code}/m/{motion.pk}/box.json").content)
    assert len(data["events"]) == 1 + 4 + 1  # open, four ballots (each also a sign-in), close
    from apps.voting.box import replay

    assert replay(motion.pk, data["events"]).ok  # anyone can recompute it
    assert client.get(f"/voting/v/{v['v21'].code}/m/{motion.pk}/").status_code == 404


def test_open_ballot_publishes_names(client: Any, village: dict[str, Any]) -> None:
    v = village
    motion = walk_to(v, "voting")
    for r in v["reps"][:4]:
        services.ballot_enter(actor=v["cadre"], motion=motion, voter=r, choice=Choice.FOR)
    services.vote_close(actor=v["cadre"], motion=motion)
    page = client.get(f"/voting/v/{v['v11'].code}/m/{motion.pk}/").content.decode()
    assert all(r.name in page for r in v["reps"][:4])


def test_api_cast_and_tally(client: Any, village: dict[str, Any]) -> None:
    v = village
    motion = walk_to(v, "voting")
    rep = v["reps"][3]
    client.force_login(resident_login(rep, "13900000011"))
    url = f"/api/voting/motions/{motion.pk}/ballots"
    body = {"choice": "for", "name": rep.name, "id_tail": rep.id_tail}
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 201 and len(response.json()["receipt"]) == 64
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 409 and response.json()["code"] == "already_voted"
    client.force_login(v["cadre"])
    tally = client.get(f"/api/voting/motions/{motion.pk}/tally").json()
    assert tally["votes_for"] == 1 and tally["attended_online"] == 1 and tally["chain_ok"]
    detail = client.get(f"/api/voting/motions/{motion.pk}").json()
    assert [s["kind"] for s in detail["steps"]] == [1, 2, 3, 4, 5]


def test_summary_and_bodies_pages(client: Any, village: dict[str, Any]) -> None:
    v = village
    services.motion_record_direct(
        actor=v["cadre"],
        village=v["v11"],
        kind="homestead",
        title="宅基地调整",
        implemented_on=datetime.date.today(),
    )
    walk_to(v, "consulted")
    client.force_login(v["officer"])
    page = client.get("/voting/summary/").content.decode()
    assert "娜姑村" in page and "必须票决事项未经票决即实施" in page
    client.force_login(v["admin"])
    county = client.get("/voting/summary/?unit=530326")
    assert county.status_code in (200, 302)
    client.force_login(v["cadre"])
    bodies = client.get(
        f"/voting/bodies/{v['v11'].code}/?q=孙", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="candidates"
    )
    assert "孙小明" in bodies.content.decode()
    response = client.post(
        f"/voting/bodies/{v['v11'].code}/add/{v['villager'].pk}/",
        {"kind": "supervision", "starts_on": datetime.date.today().isoformat(), "title": "主任"},
    )
    assert response.status_code == 302
    assert "孙小明（主任）" in client.get(f"/voting/bodies/{v['v11'].code}/").content.decode()
