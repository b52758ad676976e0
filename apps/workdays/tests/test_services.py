"""The calendar's services: who may confirm a year, what a schedule must satisfy, what is written
(entries, audit record, event), and seeding from chinese-calendar."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.management import call_command

from apps.accounts.choices import Role
from apps.audit.models import AuditRecord, Event
from apps.core.errors import PermissionDenied, ValidationFailed
from apps.workdays import calendar, events, services
from apps.workdays.models import CalendarDay, CalendarYear
from apps.workdays.notice import HolidayRange, MakeupDay

pytestmark = pytest.mark.django_db
D = datetime.date
NEW_YEAR = HolidayRange("元旦", D(2027, 1, 1), D(2027, 1, 3))
SPRING = HolidayRange("春节", D(2027, 2, 6), D(2027, 2, 14))


@pytest.fixture
def admin(tiny_county: dict[str, Any], make_staff: Any) -> Any:
    return make_staff(Role.COUNTY_ADMIN, tiny_county["county"])


def set_2027(
    actor: Any, holidays: list[HolidayRange] | None = None, makeup: list[MakeupDay] | None = None
) -> Any:
    return services.calendar_year_set(
        actor=actor,
        year=2027,
        holidays=holidays if holidays is not None else [NEW_YEAR],
        makeup_days=makeup or [],
    )


def test_confirm_a_year_stores_entries_audit_and_event(
    admin: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        record = set_2027(admin, [NEW_YEAR, SPRING], [MakeupDay(D(2027, 2, 20), "春节调休")])
    assert len(callbacks) == 1  # the cache is dropped once, after the commit
    assert (record.year, record.source, record.confirmed_by) == (2027, "admin", admin)
    days = list(CalendarDay.objects.filter(date__year=2027).values_list("date", "is_workday", "name"))
    assert len(days) == 13
    assert (D(2027, 1, 2), False, "元旦") in days and (D(2027, 2, 20), True, "春节调休") in days
    change = AuditRecord.objects.get(object_id=str(record.pk), content_type__model="calendaryear")
    assert change.action == "create" and "2027-02-20 春节调休 班" in change.after["entries"]
    assert change.scope_code == "530326"  # visible to whoever oversees the county admin
    event = Event.objects.get(event_type=events.YEAR_CONFIRMED)
    assert event.data == {"year": 2027, "holidays": 12, "makeup_days": 1, "replaced": ""}


def test_confirming_again_replaces_the_year(admin: Any, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        set_2027(admin, [NEW_YEAR, SPRING])
    with django_capture_on_commit_callbacks(execute=True):
        record = set_2027(admin, [NEW_YEAR])
    assert CalendarDay.objects.filter(date__year=2027).count() == 3
    assert calendar.is_workday(D(2027, 2, 8))
    change = AuditRecord.objects.filter(content_type__model="calendaryear", object_id=str(record.pk)).first()
    assert change is not None and change.action == "update"
    assert (
        "2027-02-08 春节 休" in change.before["entries"]
        and "2027-02-08 春节 休" not in change.after["entries"]
    )


def test_an_admin_may_correct_a_seeded_year(admin: Any) -> None:
    assert CalendarYear.objects.get(year=2026).source == "chinese_calendar"
    holidays = [HolidayRange("元旦", D(2026, 1, 1), D(2026, 1, 3))]
    services.calendar_year_set(actor=admin, year=2026, holidays=holidays, makeup_days=[])
    assert CalendarYear.objects.get(year=2026).source == "admin"
    assert Event.objects.get(event_type=events.YEAR_CONFIRMED).data["replaced"] == "chinese_calendar"
    assert CalendarDay.objects.filter(date__year=2026).count() == 3


@pytest.mark.parametrize("role", [Role.TOWNSHIP_OFFICER, Role.VILLAGE_CADRE, Role.LEADER, Role.AUDITOR])
def test_only_county_admins_configure_the_calendar(tiny_county: Any, make_staff: Any, role: str) -> None:
    user = make_staff(role, tiny_county["t1"] if role != Role.LEADER else tiny_county["county"])
    with pytest.raises(PermissionDenied) as exc:
        set_2027(user)
    assert exc.value.message == "您无权配置诉求类别、时限和工作日历。"
    assert not CalendarYear.objects.filter(year=2027).exists()


@pytest.mark.parametrize(
    ("holidays", "makeup", "code"),
    [
        ([], [], "plan_empty"),
        ([NEW_YEAR], [MakeupDay(D(2027, 2, 8), "春节调休")], "makeup_not_weekend"),  # a Monday
        ([HolidayRange("国庆节", D(2027, 10, 1), D(2027, 10, 11))], [], "holiday_range_too_long"),
        ([HolidayRange("元旦", D(2026, 12, 31), D(2027, 1, 2))], [], "date_outside_year"),
        ([NEW_YEAR], [MakeupDay(D(2026, 12, 27), "元旦调休")], "date_outside_year"),
        ([HolidayRange("元旦", D(2027, 1, 3), D(2027, 1, 1))], [], "holiday_range_reversed"),
        ([NEW_YEAR, HolidayRange("假", D(2027, 1, 3), D(2027, 1, 4))], [], "holiday_overlap"),
        ([NEW_YEAR], [MakeupDay(D(2027, 1, 2), "元旦调休")], "makeup_in_holiday"),
        ([NEW_YEAR], [MakeupDay(D(2027, 2, 20), "x"), MakeupDay(D(2027, 2, 20), "y")], "makeup_duplicate"),
        ([HolidayRange(" ", D(2027, 1, 1), D(2027, 1, 1))], [], "holiday_name_required"),
        ([HolidayRange("名" * 21, D(2027, 1, 1), D(2027, 1, 1))], [], "name_too_long"),
    ],
)
def test_refusals_change_nothing(admin: Any, holidays: Any, makeup: Any, code: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        set_2027(admin, holidays, makeup)
    assert exc.value.code == code
    assert exc.value.message and exc.value.extra["problems"][0] == exc.value.message
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert not CalendarDay.objects.filter(date__year=2027).exists()


def test_make_up_message_names_the_weekday(admin: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        set_2027(admin, [NEW_YEAR], [MakeupDay(D(2027, 2, 8), "春节调休")])
    assert exc.value.message == "调休上班日须是周六或周日，2027-02-08（星期一）本来就是工作日。"


def test_year_out_of_range(admin: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.calendar_year_set(actor=admin, year=1990, holidays=[NEW_YEAR], makeup_days=[])
    assert exc.value.code == "year_out_of_range"


def test_plan_problems_lists_every_problem() -> None:
    problems = services.plan_problems(
        year=2027,
        holidays=[HolidayRange("国庆节", D(2027, 10, 1), D(2027, 10, 12))],
        makeup_days=[MakeupDay(D(2027, 3, 3), "x"), MakeupDay(D(2028, 1, 1), "y")],
    )
    assert [p.code for p in problems] == ["holiday_range_too_long", "makeup_not_weekend", "date_outside_year"]


def test_seed_is_idempotent_and_leaves_entered_years_alone(admin: Any) -> None:
    services.calendar_year_set(
        actor=admin, year=2025, holidays=[HolidayRange("元旦", D(2025, 1, 1), D(2025, 1, 1))], makeup_days=[]
    )
    CalendarYear.objects.filter(year__in=[2024, 2026]).delete()
    CalendarDay.objects.filter(date__year__in=[2024, 2026]).delete()
    seeded = services.calendar_seed(actor=None)
    assert seeded == [2024, 2026]
    assert CalendarDay.objects.filter(date__year=2025).count() == 1  # the admin's 2025 stays
    assert CalendarDay.objects.get(date=D(2026, 2, 14)).name == "春节调休"
    assert CalendarDay.objects.get(date=D(2026, 10, 1)).name == "国庆节"
    assert Event.objects.get(event_type=events.YEARS_SEEDED).data["years"] == [2024, 2026]
    assert services.calendar_seed(actor=None) == []


def test_seed_command(capsys: Any) -> None:
    CalendarYear.objects.filter(year=2010).delete()
    CalendarDay.objects.filter(date__year=2010).delete()
    call_command("seed_calendar", "2010", "2011")
    assert "新导入 1 年：2010" in capsys.readouterr().out
    assert CalendarYear.objects.get(year=2010).source == "chinese_calendar"


def test_seed_by_a_user_needs_the_permission(tiny_county: Any, make_staff: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.calendar_seed(actor=make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"]))


def test_migration_seeded_every_covered_year() -> None:
    years = list(CalendarYear.objects.values_list("year", flat=True))
    assert years == list(range(2004, 2027))
    assert CalendarYear.objects.filter(source="chinese_calendar").count() == len(years)


def test_a_stale_editor_is_refused(admin: Any) -> None:
    first = set_2027(admin)
    version = services.version_of(first)
    services.calendar_year_set(
        actor=admin, year=2027, holidays=[NEW_YEAR, SPRING], makeup_days=[], expected_version=version
    )
    from apps.core.errors import Conflict

    with pytest.raises(Conflict) as exc:  # opened before the second confirmation
        services.calendar_year_set(
            actor=admin, year=2027, holidays=[NEW_YEAR], makeup_days=[], expected_version=version
        )
    assert exc.value.code == "calendar_year_changed"
    assert CalendarDay.objects.filter(date__year=2027).count() == 12
    with pytest.raises(Conflict):  # the editor of a new year, but the year was entered meanwhile
        services.calendar_year_set(
            actor=admin, year=2027, holidays=[NEW_YEAR], makeup_days=[], expected_version=""
        )
