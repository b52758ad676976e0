"""Case pages through the test client: the inbox, the case page and its htmx actions, intake, the
villager's report, the public progress page (no personal data) and a resident's rating."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.cases import services
from apps.cases.choices import Status, Triage
from apps.cases.models import Case

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64


def test_resident_reports_from_phone_and_tracks_it(client: Any, people: dict[str, Any], garbage: Any) -> None:
    response = client.post(
        "/cases/report/",
        {
            "channel": "photo",
            "category": garbage.pk,
            "title": "河边垃圾",
            "description": "河边有人倾倒建筑垃圾，堵住了水沟。",
            "unit": people["v11"].code,
            "submitter_name": "张三",
            "submitter_phone": "13912340000",
            "is_anonymous": "on",
            "photos": [SimpleUploadedFile("a.png", PNG, content_type="image/png")],
        },
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.is_anonymous and case.photos.count() == 1 and case.channel == "photo"
    page = client.get(response["Location"]).content.decode()
    assert case.tracking_code in page and "提交成功" in page
    assert "张三" not in page and "1391234" not in page and "0000" not in page


def test_report_errors_are_specific_and_keep_input(client: Any, people: dict[str, Any], garbage: Any) -> None:
    response = client.post(
        "/cases/report/",
        {
            "channel": "photo",
            "category": garbage.pk,
            "title": "河边垃圾",
            "description": "短",
            "unit": "530326102201",
        },
    )
    body = response.content.decode()
    assert response.status_code == 400 and "手机号" in body
    response = client.post(
        "/cases/report/",
        {
            "category": garbage.pk,
            "title": "河边垃圾",
            "description": "短",
            "unit": "530326102201",
            "submitter_phone": "13912340000",
        },
    )
    body = response.content.decode()
    assert response.status_code == 400 and "至少 5 个字" in body and "河边垃圾" in body
    assert Case.objects.count() == 0


def test_case_page_shows_only_allowed_actions_and_acts_with_htmx(
    client: Any, people: dict[str, Any], submit: Any
) -> None:
    p = people
    case = submit()
    client.force_login(p["cadre"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="act-accept"' in page and 'data-testid="act-sign"' not in page
    response = client.post(f"/cases/{case.pk}/act/accept/", {"version": case.version}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'data-status="accepted"' in response.content.decode()
    response = client.post(f"/cases/{case.pk}/act/triage/", {"triage": "minor"}, HTTP_HX_REQUEST="true")
    assert 'data-status="triaged"' in response.content.decode()
    response = client.post(
        f"/cases/{case.pk}/act/dispatch/", {"target": f"unit:{p['v11'].code}"}, HTTP_HX_REQUEST="true"
    )
    assert 'data-status="dispatched"' in response.content.decode()
    stale = client.post(
        f"/cases/{case.pk}/act/sign/", {"version": 1}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "刚被他人处理过" in stale and 'data-status="dispatched"' in stale
    response = client.post(f"/cases/{case.pk}/act/sign/", HTTP_HX_REQUEST="true")
    assert 'data-status="handling"' in response.content.decode()
    again = client.post(f"/cases/{case.pk}/act/sign/", HTTP_HX_REQUEST="true").content.decode()
    assert "不能签收" in again


def test_inbox_boxes_and_counts(client: Any, people: dict[str, Any], submit: Any) -> None:
    p = people
    submit()
    client.force_login(p["officer"])
    page = client.get("/cases/?box=to_accept").content.decode()
    assert page.count('data-testid="case-row"') == 1
    client.force_login(p["officer2"])
    page = client.get("/cases/?box=to_accept").content.decode()
    assert page.count('data-testid="case-row"') == 0
    client.force_login(p["handler"])
    page = client.get("/cases/?box=all").content.decode()
    assert page.count('data-testid="case-row"') == 0


def test_bulk_dispatch(client: Any, people: dict[str, Any], submit: Any) -> None:
    p = people
    cases = [services.case_accept(actor=p["officer"], case=submit(title=f"路灯坏了{i}")) for i in range(3)]
    client.force_login(p["officer"])
    response = client.post(
        "/cases/bulk-dispatch/", {"case": [c.pk for c in cases], "target": f"org:{p['dept'].pk}"}
    )
    assert response.status_code == 302
    assert set(Case.objects.values_list("status", flat=True)) == {Status.DISPATCHED}
    assert set(Case.objects.values_list("holder_org", flat=True)) == {p["dept"].pk}


def test_resident_rates_own_case_and_unsatisfied_reopens(
    client: Any, people: dict[str, Any], submit: Any
) -> None:
    p = people
    case = services.case_accept(actor=p["cadre"], case=submit())
    case = services.case_triage(actor=p["cadre"], case=case, triage=Triage.MINOR)
    case = services.case_dispatch(actor=p["cadre"], case=case, unit=p["v11"])
    case = services.case_sign(actor=p["cadre"], case=case)
    case = services.case_reply(actor=p["cadre"], case=case, reply="已清运完毕，请查看。")
    client.force_login(p["resident"])
    page = client.get(f"/cases/t/{case.tracking_code}/").content.decode()
    assert "已清运完毕" in page and 'data-testid="rate-form"' in page
    client.post(f"/cases/t/{case.tracking_code}/rate/", {"rating": "unsatisfied", "note": "没清干净"})
    case.refresh_from_db()
    assert case.status == Status.HANDLING and case.reopen_count == 1
    assert "我的诉求" in client.get("/cases/mine/").content.decode()


def test_staff_intake_and_records(client: Any, people: dict[str, Any], garbage: Any) -> None:
    p = people
    client.force_login(p["cadre"])
    response = client.post(
        "/cases/intake-records/",
        {
            "kind": "meeting",
            "held_on": "2026-11-16",
            "unit": p["v11"].code,
            "host": "村支书",
            "attendees": 35,
        },
    )
    assert response.status_code == 302
    from apps.cases.models import IntakeRecord

    record = IntakeRecord.objects.get()
    response = client.post(
        "/cases/new/",
        {
            "channel": "meeting",
            "category": garbage.pk,
            "unit": p["v11"].code,
            "title": "村民说事：垃圾池",
            "description": "村民说事会上多人反映垃圾池不够用。",
            "intake_record": record.pk,
        },
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.intake_record == record and case.entered_by == p["cadre"]
    bad = client.post("/cases/new/", {"channel": "photo", "category": garbage.pk})
    assert bad.status_code == 400 and "请选择登记渠道" in bad.content.decode()


def test_category_configuration(verified_client: Any, people: dict[str, Any]) -> None:
    c = verified_client(people["admin"])
    response = c.post(
        "/cases/categories/",
        {
            "code": "env-dog",
            "name": "流浪犬",
            "kind": "help",
            "default_triage": "minor",
            "accept_days": 1,
            "sign_days": 1,
            "reply_days": 4,
            "return_days": 2,
            "follow_up_days": 3,
            "order": 5,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    from apps.cases.models import Category

    assert Category.objects.get(code="env-dog").reply_days == 4
    bad = c.post(
        "/cases/categories/",
        {
            "code": "env-dog",
            "name": "重复",
            "kind": "help",
            "accept_days": 1,
            "sign_days": 1,
            "reply_days": 4,
            "return_days": 2,
            "follow_up_days": 3,
            "order": 5,
        },
    )
    assert bad.status_code == 409 and "已存在" in bad.content.decode()


def test_history_boxes_default_to_the_recent_window(client: Any, people: dict[str, Any], submit: Any) -> None:
    import datetime

    from django.utils import timezone

    p = people
    old = submit(submitted_at=timezone.now() - datetime.timedelta(days=200), title="去年的诉求")
    submit(title="本周的诉求")
    client.force_login(p["officer"])
    page = client.get("/cases/?box=all").content.decode()
    assert "本周的诉求" in page and "去年的诉求" not in page and 'data-testid="window-note"' in page
    since = (timezone.localdate() - datetime.timedelta(days=365)).isoformat()
    page = client.get(f"/cases/?box=all&since={since}").content.decode()
    assert old.title in page and 'data-testid="window-note"' not in page
