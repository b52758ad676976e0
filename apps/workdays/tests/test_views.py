"""The calendar pages: the year grid and its banner, the deadline trial, the admin's editor (quick
add, paste, preview, confirm) and the home-page warning."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from apps.accounts.choices import Role
from apps.workdays import calendar, services
from apps.workdays.models import CalendarDay, CalendarYear
from apps.workdays.notice import HolidayRange

pytestmark = pytest.mark.django_db
D = datetime.date
HX = {"HX-Request": "true"}

NOTICE_2027 = """一、元旦：1月1日（周五）至3日（周日）放假，共3天。
二、春节：2月6日（农历除夕、周六）至14日（农历正月初八、周日）放假调休，共9天。2月20日（周六）上班。
"""


@pytest.fixture
def admin(tiny_county: dict[str, Any], make_staff: Any) -> Any:
    return make_staff(Role.COUNTY_ADMIN, tiny_county["county"])


@pytest.fixture
def admin_client(admin: Any, verified_client: Any) -> Any:
    return verified_client(admin)


@pytest.fixture
def cadre_client(tiny_county: dict[str, Any], make_staff: Any, client: Any) -> Any:
    client.force_login(make_staff(Role.VILLAGE_CADRE, tiny_county["v11"]))
    return client


def text_of(response: Any) -> str:
    return response.content.decode()


class TestYearPage:
    def test_a_seeded_year_shows_its_months_and_source(self, admin_client: Any) -> None:
        page = text_of(admin_client.get("/calendar/2026/"))
        assert "2026 年工作日历" in page
        assert page.count('data-testid="month-') == 12
        assert 'data-date="2026-02-14" data-kind="makeup"' in page
        assert 'data-date="2026-02-16" data-kind="holiday"' in page
        assert 'data-date="2026-02-13" data-kind="workday"' in page
        assert 'data-date="2026-03-01" data-kind="weekend"' in page
        assert "春节：2月15日–23日放假，共 9 天" in page
        assert "chinese-calendar" in page and 'data-testid="uncovered-banner"' not in page
        assert "修改 2026 年安排" in page

    def test_an_uncovered_year_has_the_banner(self, admin_client: Any) -> None:
        page = text_of(admin_client.get("/calendar/2027/"))
        assert 'data-testid="uncovered-banner"' in page and "录入 2027 年安排" in page
        assert 'data-date="2027-01-01" data-kind="workday"' in page  # Monday–Friday until entered

    def test_readers_see_no_edit_button(self, cadre_client: Any) -> None:
        page = text_of(cadre_client.get("/calendar/2027/"))
        assert 'data-testid="uncovered-banner"' in page and "请联系县级管理员录入" in page
        assert 'data-testid="edit-year"' not in page

    def test_htmx_year_navigation_gets_the_fragment(self, admin_client: Any) -> None:
        response = admin_client.get("/calendar/2025/", headers=HX)
        page = text_of(response)
        assert response.status_code == 200 and "<html" not in page and "2025 年工作日历" in page

    def test_year_picker_without_javascript(self, admin_client: Any) -> None:
        response = admin_client.get("/calendar/?y=2025")
        assert response.status_code == 302 and response["Location"] == "/calendar/2025/"

    def test_index_is_the_current_year(self, admin_client: Any) -> None:
        assert f"{timezone.localdate().year} 年工作日历" in text_of(admin_client.get("/calendar/"))

    def test_year_out_of_range_is_404(self, admin_client: Any) -> None:
        response = admin_client.get("/calendar/1800/")
        assert response.status_code == 404 and "年份须在" in text_of(response)

    def test_trial(self, cadre_client: Any) -> None:
        response = cadre_client.get("/calendar/trial/?start=2026-12-28&days=5", headers=HX)
        page = text_of(response)
        assert "2027年1月4日（星期一）24 时前" in page
        assert "2027 年的节假日安排尚未录入" in page
        bad = cadre_client.get("/calendar/trial/?start=&days=5", headers=HX)
        assert bad.status_code == 400 and "alert-danger" in text_of(bad)


class TestEditor:
    def test_a_seeded_year_opens_with_its_schedule_as_text(self, admin_client: Any) -> None:
        page = text_of(admin_client.get("/calendar/2026/edit/"))
        assert "春节 2026-02-15 至 2026-02-23" in page
        assert "调休上班 2026-02-14 春节" in page
        assert "整体替换" in page

    def test_quick_add_appends_a_line_and_previews(self, admin_client: Any) -> None:
        response = admin_client.post(
            "/calendar/2027/edit/",
            {
                "action": "add_holiday",
                "h_name": "元旦",
                "h_start": "2027-01-01",
                "h_end": "2027-01-03",
                "text": "",
            },
            headers=HX,
        )
        page = text_of(response)
        assert response.status_code == 200 and "<html" not in page
        assert "元旦 2027-01-01 至 2027-01-03</textarea>" in page
        assert 'data-testid="preview-ok"' in page
        assert 'data-date="2027-01-01" data-kind="holiday"' in page

        response = admin_client.post(
            "/calendar/2027/edit/",
            {"action": "add_makeup", "m_date": "2027-02-20", "m_name": "春节", "text": "元旦 2027-01-01"},
            headers=HX,
        )
        page = text_of(response)
        assert "元旦 2027-01-01\n调休上班 2027-02-20 春节</textarea>" in page
        assert 'data-date="2027-02-20" data-kind="makeup"' in page

    def test_quick_add_with_a_bad_date_says_so(self, admin_client: Any) -> None:
        response = admin_client.post(
            "/calendar/2027/edit/", {"action": "add_makeup", "m_date": "2027-13-01", "text": "x"}, headers=HX
        )
        assert response.status_code == 400 and 'data-testid="add-error"' in text_of(response)

    def test_preview_lists_every_problem_and_disables_confirm(self, admin_client: Any) -> None:
        text = "国庆节 2027-10-01 至 2027-10-12\n调休上班 2027-03-03\n这一行没有日期"
        page = text_of(
            admin_client.post("/calendar/2027/edit/", {"action": "preview", "text": text}, headers=HX)
        )
        assert "第 3 行：没有找到日期。" in page
        assert "超过 10 天" in page and "本来就是工作日" in page
        assert 'disabled data-testid="confirm"' in page

    def test_paste_the_notice_and_confirm(
        self, admin_client: Any, django_capture_on_commit_callbacks: Any
    ) -> None:
        preview = text_of(
            admin_client.post("/calendar/2027/edit/", {"action": "preview", "text": NOTICE_2027})
        )
        assert "共 2 段放假（12 天）、1 个调休上班日" in preview
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                "/calendar/2027/confirm/", {"text": NOTICE_2027, "notes": "国办发明电", "version": ""}
            )
        assert response.status_code == 302 and response["Location"] == "/calendar/2027/"
        assert CalendarYear.objects.get(year=2027).notes == "国办发明电"
        assert CalendarDay.objects.get(date=D(2027, 2, 20)).name == "春节调休"
        start = datetime.datetime(2026, 12, 28, 10, tzinfo=calendar.TZ)
        assert calendar.deadline(start, 5).date() == D(2027, 1, 5)
        page = text_of(admin_client.get("/calendar/2027/"))
        assert "2027 年工作日历已确认：放假 12 天，调休上班 1 天" in page
        assert 'data-testid="uncovered-banner"' not in page

    def test_confirm_by_htmx_redirects_the_client(self, admin_client: Any) -> None:
        response = admin_client.post(
            "/calendar/2027/confirm/", {"text": "元旦 2027-01-01", "version": ""}, headers=HX
        )
        assert response.status_code == 200 and response["HX-Redirect"] == "/calendar/2027/"

    def test_confirm_refusals_are_shown_in_the_editor(self, admin_client: Any) -> None:
        response = admin_client.post(
            "/calendar/2027/confirm/", {"text": "调休上班 2027-02-08", "version": ""}
        )
        assert response.status_code == 400
        assert "请至少录入一段放假安排" in text_of(response)
        response = admin_client.post("/calendar/2027/confirm/", {"text": "元旦 2027-02-30", "version": ""})
        assert response.status_code == 400 and "不是有效日期" in text_of(response)
        assert not CalendarYear.objects.filter(year=2027).exists()

    def test_a_stale_editor_gets_409(self, admin: Any, admin_client: Any) -> None:
        services.calendar_year_set(
            actor=admin,
            year=2027,
            holidays=[HolidayRange("元旦", D(2027, 1, 1), D(2027, 1, 3))],
            makeup_days=[],
        )
        response = admin_client.post("/calendar/2027/confirm/", {"text": "元旦 2027-01-01", "version": ""})
        assert response.status_code == 409 and "已被他人修改" in text_of(response)
        assert CalendarDay.objects.filter(date__year=2027).count() == 3

    def test_readers_cannot_open_the_editor(self, cadre_client: Any) -> None:
        response = cadre_client.get("/calendar/2027/edit/")
        assert response.status_code == 403 and "您无权配置诉求类别、时限和工作日历。" in text_of(response)


class TestHomeWarning:
    @pytest.fixture(autouse=True)
    def november(self, monkeypatch: Any) -> None:
        monkeypatch.setattr(timezone, "localdate", lambda *a, **k: D(2026, 11, 21))

    def test_admin_is_warned(self, admin_client: Any) -> None:
        page = text_of(admin_client.get("/"))
        assert 'data-testid="calendar-warning"' in page and "2027 年的节假日安排尚未录入" in page

    def test_cadre_is_warned_too(self, cadre_client: Any) -> None:
        assert 'data-testid="calendar-warning"' in text_of(cadre_client.get("/"))

    def test_others_are_not(self, tiny_county: Any, make_staff: Any, client: Any) -> None:
        client.force_login(make_staff(Role.SUPERVISOR, tiny_county["v11"]))
        assert 'data-testid="calendar-warning"' not in text_of(client.get("/"))

    def test_no_warning_once_entered(self, admin: Any, admin_client: Any) -> None:
        services.calendar_year_set(
            actor=admin,
            year=2027,
            holidays=[HolidayRange("元旦", D(2027, 1, 1), D(2027, 1, 3))],
            makeup_days=[],
        )
        calendar.invalidate()  # what the commit would do
        assert 'data-testid="calendar-warning"' not in text_of(admin_client.get("/"))

    def test_navigation_entry_for_admins(self, admin_client: Any) -> None:
        assert 'href="/calendar/">工作日历' in text_of(admin_client.get("/"))

    def test_no_navigation_entry_for_cadres(self, cadre_client: Any) -> None:
        assert 'href="/calendar/">工作日历' not in text_of(cadre_client.get("/"))
