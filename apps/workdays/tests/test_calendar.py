"""The working calendar's functions: holidays and make-up days from chinese-calendar, the issue's
year-end example before and after 2027 is entered, the cache across servers, and properties."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.accounts.choices import Role
from apps.workdays import calendar, services
from apps.workdays.calendar import TZ
from apps.workdays.notice import HolidayRange, MakeupDay

D = datetime.date


def at(y: int, m: int, d: int, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(y, m, d, hour, minute, tzinfo=TZ)


def end_of(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, calendar.END_OF_DAY, tzinfo=TZ)


# The real 2027 New Year: Friday 1 January to Sunday 3 January (State Council notice, as an
# admin would enter it; chinese-calendar stops at 2026).
NEW_YEAR_2027 = [HolidayRange("元旦", D(2027, 1, 1), D(2027, 1, 3))]


@pytest.fixture
def admin(tiny_county: dict[str, Any], make_staff: Any) -> Any:
    return make_staff(Role.COUNTY_ADMIN, tiny_county["county"])


def enter_2027(admin: Any, capture: Any, **kw: Any) -> None:
    with capture(execute=True):
        services.calendar_year_set(
            actor=admin,
            year=2027,
            holidays=kw.get("holidays", NEW_YEAR_2027),
            makeup_days=kw.get("makeup_days", []),
        )


@pytest.mark.django_db
class TestSeededYears:
    def test_spring_festival_2026_with_its_make_up_days(self) -> None:
        # 春节 2026: Sunday 15 to Monday 23 February off; Saturdays 14 and 28 February worked.
        assert calendar.is_workday(D(2026, 2, 13))
        assert calendar.is_workday(D(2026, 2, 14))  # Saturday, 调休上班
        for day in range(15, 24):
            assert not calendar.is_workday(D(2026, 2, day))
        assert calendar.is_workday(D(2026, 2, 24))
        assert calendar.is_workday(D(2026, 2, 28))  # Saturday, 调休上班
        assert not calendar.is_workday(D(2026, 3, 1))  # an ordinary Sunday
        # Friday 13 Feb + 3 working days: Sat 14 (make-up), Tue 24, Wed 25.
        assert calendar.deadline(at(2026, 2, 13), 3) == end_of(D(2026, 2, 25))
        assert calendar.working_days_between(D(2026, 2, 13), D(2026, 2, 28)) == 6
        assert calendar.add_working_days(D(2026, 2, 14), -1) == D(2026, 2, 13)
        assert calendar.add_working_days(D(2026, 2, 24), -1) == D(2026, 2, 14)

    def test_every_seeded_day_agrees_with_chinese_calendar(self) -> None:
        import chinese_calendar

        day, last = D(2004, 1, 1), D(2026, 12, 31)
        while day <= last:
            assert calendar.is_workday(day) == chinese_calendar.is_workday(day), day
            day += datetime.timedelta(days=1)
        workdays = chinese_calendar.get_workdays(D(2004, 1, 1), last)
        assert calendar.working_days_between(D(2003, 12, 31), last) == len(workdays)

    def test_national_day_2026(self) -> None:
        # 国庆 2026: 1–7 October off, Sunday 20 September and Saturday 10 October worked.
        assert calendar.add_working_days(D(2026, 9, 30), 1) == D(2026, 10, 8)
        assert calendar.add_working_days(D(2026, 10, 8), 2) == D(2026, 10, 10)
        assert calendar.is_workday(D(2026, 9, 20))

    def test_coverage_of_seeded_and_missing_years(self) -> None:
        c2026 = calendar.coverage(2026)
        assert (c2026.year, c2026.covered, c2026.source) == (2026, True, "chinese-calendar")
        assert c2026.makeup_days == 6 and c2026.holidays == 33
        assert calendar.coverage(2027) == calendar.YearCoverage(2027, False, "none", 0, 0)
        assert calendar.uncovered_years([2027, 2004, 2003, 2026, 2027]) == [2003, 2027]


@pytest.mark.django_db
class TestYearEndExample:
    """Issue 4: a case opened on Monday 2026-12-28 with a 5-working-day limit."""

    def test_monday_to_friday_before_2027_is_entered(self) -> None:
        assert not calendar.coverage(2027).covered
        # 29, 30, 31 December, Friday 1 January, Monday 4 January.
        assert calendar.deadline(at(2026, 12, 28), 5) == end_of(D(2027, 1, 4))

    def test_correct_deadline_once_2027_is_entered(
        self, admin: Any, django_capture_on_commit_callbacks: Any
    ) -> None:
        assert calendar.deadline(at(2026, 12, 28), 5) == end_of(D(2027, 1, 4))  # loaded before the edit
        enter_2027(admin, django_capture_on_commit_callbacks)
        # 29, 30, 31 December, Monday 4 and Tuesday 5 January: New Year's Day is off.
        assert calendar.deadline(at(2026, 12, 28), 5) == end_of(D(2027, 1, 5))
        assert calendar.coverage(2027) == calendar.YearCoverage(2027, True, "admin", 3, 0)
        assert calendar.warn_at(calendar.deadline(at(2026, 12, 28), 5)) == datetime.datetime(
            2027, 1, 4, tzinfo=TZ
        )

    def test_make_up_day_entered_for_2027(self, admin: Any, django_capture_on_commit_callbacks: Any) -> None:
        spring = [*NEW_YEAR_2027, HolidayRange("春节", D(2027, 2, 6), D(2027, 2, 14))]
        enter_2027(
            admin,
            django_capture_on_commit_callbacks,
            holidays=spring,
            makeup_days=[MakeupDay(D(2027, 2, 20), "春节调休")],
        )
        assert calendar.is_workday(D(2027, 2, 20))  # Saturday
        assert calendar.add_working_days(D(2027, 2, 5), 1) == D(2027, 2, 15)
        assert calendar.add_working_days(D(2027, 2, 19), 1) == D(2027, 2, 20)


@pytest.mark.django_db
class TestDeadlineShape:
    def test_zero_days_is_the_end_of_the_start_day_even_on_a_holiday(self) -> None:
        assert calendar.deadline(at(2026, 10, 3, 9), 0) == end_of(D(2026, 10, 3))

    def test_start_is_read_in_local_time(self) -> None:
        # 17:30 UTC on Monday is 01:30 on Tuesday in 会泽: the count starts from Tuesday.
        start = datetime.datetime(2026, 11, 23, 17, 30, tzinfo=datetime.UTC)
        result = calendar.deadline(start, 1)
        assert result == end_of(D(2026, 11, 25))
        assert result.utcoffset() == datetime.timedelta(hours=8)
        # The hour of the start does not matter: 00:01 and 23:59 of one day give one deadline.
        assert calendar.deadline(at(2026, 11, 24, 0, 1), 1) == calendar.deadline(at(2026, 11, 24, 23, 59), 1)

    def test_local_date_before_1992_uses_the_time_zone_rules(self) -> None:
        # China kept summer time until 1991 (UTC+9): 15:30 UTC on 1 June 1988 was 00:30 on 2 June.
        start = datetime.datetime(1988, 6, 1, 15, 30, tzinfo=datetime.UTC)
        assert calendar.deadline(start, 0) == end_of(D(1988, 6, 2))
        start = datetime.datetime(2000, 6, 1, 15, 30, tzinfo=datetime.UTC)  # 23:30 local, UTC+8
        assert calendar.deadline(start, 0) == end_of(D(2000, 6, 1))

    def test_start_on_a_weekend_counts_from_the_next_workday(self) -> None:
        assert calendar.deadline(at(2026, 11, 21), 1) == end_of(D(2026, 11, 23))  # Saturday -> Monday

    def test_naive_or_negative_input_is_refused(self) -> None:
        with pytest.raises(ValueError):
            calendar.deadline(datetime.datetime(2026, 11, 23, 10), 1)
        with pytest.raises(ValueError):
            calendar.deadline(at(2026, 11, 23), -1)
        with pytest.raises(ValueError):
            calendar.warn_at(end_of(D(2026, 11, 23)), -1)

    def test_warn_at(self) -> None:
        due = end_of(D(2026, 10, 8))  # Thursday after National Day
        assert calendar.warn_at(due, 0) == datetime.datetime(2026, 10, 8, tzinfo=TZ)
        # One working day before 8 October is 30 September (1–7 October are off).
        assert calendar.warn_at(due, 1) == datetime.datetime(2026, 9, 30, tzinfo=TZ)
        assert calendar.warn_at(due, 2) == datetime.datetime(2026, 9, 29, tzinfo=TZ)
        # A deadline on a holiday (emergency case): the workday before it.
        assert calendar.warn_at(end_of(D(2026, 10, 3)), 1) == datetime.datetime(2026, 9, 30, tzinfo=TZ)

    def test_far_outside_the_entered_years_is_monday_to_friday(self) -> None:
        assert calendar.add_working_days(D(1990, 1, 5), 1) == D(1990, 1, 8)
        assert calendar.add_working_days(D(2003, 12, 31), 1) == D(2004, 1, 2)  # 2004-01-01 is a holiday
        assert calendar.add_working_days(D(2004, 1, 2), -1) == D(2003, 12, 31)
        assert calendar.add_working_days(D(2090, 6, 2), 5) == D(2090, 6, 9)
        assert calendar.working_days_between(D(2000, 1, 1), D(2100, 1, 1)) > 0
        assert calendar.is_workday(D(2099, 1, 1))  # a Thursday, no entry


@pytest.mark.django_db
class TestWarnings:
    def test_this_year_and_next_from_november(self) -> None:
        assert calendar.calendar_warnings(D(2026, 10, 31)) == []
        warnings = calendar.calendar_warnings(D(2026, 11, 1))
        assert len(warnings) == 1 and warnings[0].startswith("2027 年")
        current = calendar.calendar_warnings(D(2027, 3, 1))
        assert len(current) == 1 and "周一至周五" in current[0]

    def test_none_once_next_year_is_entered(
        self, admin: Any, django_capture_on_commit_callbacks: Any
    ) -> None:
        enter_2027(admin, django_capture_on_commit_callbacks)
        assert calendar.calendar_warnings(D(2026, 12, 1)) == []


@pytest.mark.django_db
class TestCacheAcrossServers:
    def test_another_server_sees_the_edit_after_its_next_check(
        self, admin: Any, django_capture_on_commit_callbacks: Any, monkeypatch: Any
    ) -> None:
        # "Server A" has its copy loaded; "server B" (this process, after A's copy is put aside)
        # enters 2027. A's memory is A's own: only the version token in the shared cache tells it.
        assert calendar.deadline(at(2026, 12, 28), 5) == end_of(D(2027, 1, 4))
        server_a = calendar._state
        assert server_a is not None
        enter_2027(admin, django_capture_on_commit_callbacks)
        assert calendar.deadline(at(2026, 12, 28), 5) == end_of(D(2027, 1, 5))  # server B

        calendar._state = server_a  # back on server A, which checked the token a moment ago
        assert calendar.deadline(at(2026, 12, 28), 5) == end_of(D(2027, 1, 4))  # still its copy
        server_a.checked_at -= calendar.CHECK_SECONDS  # CHECK_SECONDS later
        assert calendar.deadline(at(2026, 12, 28), 5) == end_of(D(2027, 1, 5))
        assert calendar._state is not server_a

    def test_a_lost_cache_makes_every_server_reload(self, monkeypatch: Any) -> None:
        from django.core.cache import cache

        calendar.is_workday(D(2026, 1, 1))
        server_a = calendar._state
        assert server_a is not None
        cache.delete(calendar.VERSION_KEY)  # cache restarted
        server_a.checked_at -= calendar.CHECK_SECONDS
        calendar.is_workday(D(2026, 1, 1))
        assert calendar._state is not server_a and calendar._state.version != server_a.version

    def test_no_query_between_checks(self, django_assert_num_queries: Any) -> None:
        calendar.deadline(at(2026, 2, 13), 3)
        with django_assert_num_queries(0):
            for n in range(100):
                calendar.deadline(at(2026, 2, 13), n)


# --- properties, on a calendar of random entries (no database) -----------------------------------

WINDOW = (D(2024, 1, 1), D(2028, 12, 31))


@st.composite
def calendars(draw: Any) -> dict[int, bool]:
    """Random exceptions in 2025–2027: days off on any day, make-up days on weekends."""
    days = draw(
        st.lists(st.dates(D(2025, 1, 1), D(2027, 12, 31)), max_size=60, unique=True),
    )
    entries: dict[int, bool] = {}
    for day in days:
        entries[day.toordinal()] = day.weekday() >= 5 and draw(st.booleans())
    return entries


def install(entries: dict[int, bool]) -> None:
    years = {datetime.date.fromordinal(o).year: "admin" for o in entries}
    calendar._state = calendar._Calendar("test", entries, years, checked_at=float("inf"))


def naive_workday(entries: dict[int, bool], day: datetime.date) -> bool:
    return entries.get(day.toordinal(), day.weekday() < 5)


dates = st.dates(*WINDOW)
starts = st.datetimes(datetime.datetime(2024, 1, 1), datetime.datetime(2028, 12, 31), timezones=st.just(TZ))


@settings(max_examples=150, deadline=None)
@given(calendars(), dates, st.integers(-40, 40))
def test_add_working_days_matches_day_by_day_counting(entries: dict[int, bool], day: Any, n: int) -> None:
    install(entries)
    expected = day
    step = datetime.timedelta(days=1 if n > 0 else -1)
    for _ in range(abs(n)):
        expected += step
        while not naive_workday(entries, expected):
            expected += step
    assert calendar.add_working_days(day, n) == expected
    if n > 0:
        assert calendar.working_days_between(day, expected) == n


@settings(max_examples=150, deadline=None)
@given(calendars(), starts, starts, st.integers(0, 30), st.integers(0, 30))
def test_deadline_is_monotonic_and_lands_on_a_workday(
    entries: dict[int, bool], s1: Any, s2: Any, n1: int, n2: int
) -> None:
    install(entries)
    (s1, s2), (n1, n2) = sorted([s1, s2]), sorted([n1, n2])
    assert calendar.deadline(s1, n1) <= calendar.deadline(s1, n2)
    assert calendar.deadline(s1, n1) <= calendar.deadline(s2, n1)
    for start, n in ((s1, n1), (s2, n2)):
        due = calendar.deadline(start, n)
        assert due.tzinfo is TZ and due.time() == calendar.END_OF_DAY
        assert due.date() >= start.date()
        if n >= 1:
            assert calendar.is_workday(due.date())
            assert due.date() > start.date()
            assert calendar.working_days_between(start.date(), due.date()) == n
        warn = calendar.warn_at(due, 1)
        assert warn < due and calendar.is_workday(warn.date())


@settings(max_examples=100, deadline=None)
@given(calendars(), dates, dates)
def test_working_days_between_counts_the_half_open_interval(entries: dict[int, bool], a: Any, b: Any) -> None:
    install(entries)
    a, b = sorted([a, b])
    count = sum(naive_workday(entries, a + datetime.timedelta(days=i)) for i in range(1, (b - a).days + 1))
    assert calendar.working_days_between(a, b) == count
    assert calendar.working_days_between(b, a) == -count


@settings(max_examples=300, deadline=None)
@given(st.datetimes(datetime.datetime(1900, 1, 1), datetime.datetime(2200, 1, 1), timezones=st.timezones()))
def test_local_date_shortcut_agrees_with_zoneinfo(moment: Any) -> None:
    assert calendar._local_ordinal(moment) == moment.astimezone(TZ).toordinal()
