"""Tests for labsys.core.workdays: Chinese working days and deadlines."""

from datetime import date, datetime, timedelta

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from labsys.core.workdays import (
    HolidayTable,
    add_workdays,
    first_known_year,
    is_workday,
    last_known_year,
    package_calendar,
    seed_holidays,
    workdays_between,
)

# 2027 is beyond chinese_calendar 1.11: these tests exercise the table fallback.
NEW_YEAR_2027 = HolidayTable(holidays=frozenset({date(2027, 1, 1)}))


# --- official calendar from the package ---------------------------------------------


@pytest.mark.parametrize("day", [date(2024, 10, d) for d in range(1, 8)])
def test_national_day_2024_is_off(day):
    assert not is_workday(day)


@pytest.mark.parametrize("day", [date(2024, 9, 29), date(2024, 10, 12)])
def test_national_day_2024_make_up_weekend_days_are_workdays(day):
    assert day.weekday() >= 5  # a Sunday and a Saturday
    assert is_workday(day)


@pytest.mark.parametrize(
    "day",
    [date(2025, 1, 28) + timedelta(days=i) for i in range(8)],  # 01-28..02-04
)
def test_spring_festival_2025_is_off(day):
    assert not is_workday(day)


@pytest.mark.parametrize("day", [date(2025, 1, 26), date(2025, 2, 8)])
def test_spring_festival_2025_make_up_days_are_workdays(day):
    assert day.weekday() >= 5
    assert is_workday(day)


def test_2026_follows_the_package():
    # Written from the package's own data (chinese_calendar 1.11).
    assert not is_workday(date(2026, 1, 1))
    assert not is_workday(date(2026, 1, 2))  # a Friday, in lieu
    assert is_workday(date(2026, 1, 4))  # a Sunday, make-up workday
    assert is_workday(date(2026, 1, 5))  # an ordinary Monday
    assert not is_workday(date(2026, 1, 10))  # an ordinary Saturday


def test_ordinary_weekdays_and_weekends():
    assert is_workday(date(2024, 11, 11))  # Monday
    assert not is_workday(date(2024, 11, 16))  # Saturday
    assert not is_workday(date(2024, 11, 17))  # Sunday


def test_add_workdays_over_national_day():
    assert add_workdays(date(2024, 9, 30), 1) == date(2024, 10, 8)


def test_add_workdays_counts_a_make_up_weekend_day():
    # Friday 2024-09-27 + 1 = Sunday 2024-09-29 (调休), + 2 = Monday 09-30.
    assert add_workdays(date(2024, 9, 27), 1) == date(2024, 9, 29)
    assert add_workdays(date(2024, 9, 27), 2) == date(2024, 9, 30)
    # 10-08 (Tue) .. 10-11 (Fri) are 4 days, Saturday 10-12 is the 5th.
    assert add_workdays(date(2024, 10, 7), 5) == date(2024, 10, 12)


def test_add_workdays_over_spring_festival_2025():
    # Saturday 2025-01-25 -> Sunday 01-26 (调休) is the 1st, Monday 01-27 the 2nd,
    # then the holiday, then 02-05 (Wed).
    assert add_workdays(date(2025, 1, 25), 1) == date(2025, 1, 26)
    assert add_workdays(date(2025, 1, 25), 3) == date(2025, 2, 5)


def test_add_workdays_zero_returns_start_even_on_a_holiday():
    assert add_workdays(date(2024, 10, 1), 0) == date(2024, 10, 1)


def test_report_deadline_of_20_working_days():
    # Received Monday 2024-09-23: 24 Sep..30 Sep give 6 working days (incl. Sunday 29),
    # the holiday pauses the clock, and 10-08..10-12 (5) and 10-14..10-18 (5) bring 16;
    # 10-21..10-24 are the 17th..20th.
    assert add_workdays(date(2024, 9, 23), 20) == date(2024, 10, 24)


def test_add_workdays_refuses_bad_days():
    with pytest.raises(ValueError):
        add_workdays(date(2024, 1, 1), -1)
    with pytest.raises(TypeError):
        add_workdays(date(2024, 1, 1), 1.0)
    with pytest.raises(TypeError):
        add_workdays(date(2024, 1, 1), True)


def test_datetimes_are_refused():
    with pytest.raises(TypeError):
        is_workday(datetime(2024, 10, 8, 9, 0))
    with pytest.raises(TypeError):
        add_workdays(datetime(2024, 10, 8, 9, 0), 1)
    with pytest.raises(TypeError):
        workdays_between(date(2024, 10, 8), "2024-10-09")


# --- workdays_between -------------------------------------------------------------


def test_workdays_between():
    assert workdays_between(date(2024, 9, 30), date(2024, 10, 8)) == 1
    assert workdays_between(date(2024, 10, 8), date(2024, 10, 8)) == 0
    assert workdays_between(date(2024, 10, 8), date(2024, 9, 30)) == -1
    # Overdue: due Friday 2024-10-11, today Monday 10-14 -> Saturday 12th is a
    # make-up workday, so overdue by 2 working days.
    assert workdays_between(date(2024, 10, 11), date(2024, 10, 14)) == 2


# --- table overrides and the fallback beyond the package ---------------------------


def test_beyond_the_package_the_weekend_rule_applies():
    assert last_known_year() < 2027
    assert is_workday(date(2027, 1, 4))  # Monday
    assert not is_workday(date(2027, 1, 2))  # Saturday
    assert is_workday(date(2027, 1, 1))  # Friday, unknown without a table


def test_2027_holiday_from_the_table_is_skipped():
    # Thursday 2026-12-31 + 1: Friday 2027-01-01 is a holiday per the table,
    # then the weekend, so Monday 2027-01-04.
    assert add_workdays(date(2026, 12, 31), 1, NEW_YEAR_2027) == date(2027, 1, 4)
    assert add_workdays(date(2026, 12, 31), 1) == date(2027, 1, 1)
    assert workdays_between(date(2026, 12, 31), date(2027, 1, 4), NEW_YEAR_2027) == 1


def test_2027_make_up_day_from_the_table_counts():
    table = HolidayTable(workdays=frozenset({date(2027, 1, 2)}))
    assert is_workday(date(2027, 1, 2), table)
    assert add_workdays(date(2027, 1, 1), 1, table) == date(2027, 1, 2)


def test_long_ranges_beyond_the_package_do_not_raise():
    start = date(2026, 6, 1)
    end = add_workdays(start, 600, NEW_YEAR_2027)
    assert end.year >= 2028
    assert workdays_between(start, end, NEW_YEAR_2027) == 600


def test_table_entry_overrides_the_package():
    # An administrator corrects a day the package knows.
    table = HolidayTable(
        holidays=frozenset({date(2024, 11, 11)}),
        workdays=frozenset({date(2024, 10, 7)}),
    )
    assert not is_workday(date(2024, 11, 11), table)
    assert is_workday(date(2024, 10, 7), table)
    assert not is_workday(date(2024, 10, 6), table)  # no entry: the package decides


def test_table_accepts_any_iterable_and_is_hashable():
    table = HolidayTable(holidays=[date(2027, 1, 1)], workdays={date(2027, 1, 2)})
    assert isinstance(table.holidays, frozenset)
    assert hash(table) == hash(
        HolidayTable(holidays=frozenset({date(2027, 1, 1)}), workdays=frozenset({date(2027, 1, 2)}))
    )


def test_table_refuses_a_day_in_both_sets():
    with pytest.raises(ValueError, match="2027-01-01"):
        HolidayTable(holidays={date(2027, 1, 1)}, workdays={date(2027, 1, 1)})


def test_table_refuses_non_dates():
    with pytest.raises(TypeError):
        HolidayTable(holidays={"2027-01-01"})


# --- package coverage and seeding ------------------------------------------------------


def test_known_years_come_from_the_package():
    assert last_known_year() == max(chinese_calendar.holidays).year
    assert last_known_year() >= 2026
    assert first_known_year() <= 2024
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(last_known_year() + 1, 1, 1))


def test_package_calendar_2024():
    days_off, days_on = package_calendar(2024)
    assert {date(2024, 10, d) for d in range(1, 8)} <= days_off
    assert {date(2024, 9, 29), date(2024, 10, 12)} <= days_on
    assert all(d.year == 2024 for d in days_off | days_on)
    assert not days_off & days_on


def test_package_calendar_outside_its_years():
    with pytest.raises(NotImplementedError, match="2027"):
        package_calendar(last_known_year() + 1)
    with pytest.raises(NotImplementedError):
        package_calendar(first_known_year() - 1)
    with pytest.raises(TypeError):
        package_calendar("2024")


def test_seeded_table_agrees_with_the_package():
    table = seed_holidays(2024, 2026)
    for day in (date(2024, 1, 1) + timedelta(days=i) for i in range(3 * 365)):
        assert is_workday(day, table) == chinese_calendar.is_workday(day)
    with pytest.raises(NotImplementedError):
        seed_holidays(2026, 2027)
    with pytest.raises(ValueError):
        seed_holidays(2026, 2025)


# --- properties ---------------------------------------------------------------------

starts = st.dates(min_value=date(2023, 1, 1), max_value=date(2028, 12, 31))
counts = st.integers(min_value=0, max_value=60)
tables = st.sampled_from([None, NEW_YEAR_2027])


@given(starts, st.integers(min_value=1, max_value=60), tables)
def test_add_workdays_lands_on_a_workday(start, n, table):
    assert is_workday(add_workdays(start, n, table), table)


@given(starts, counts, tables)
def test_add_workdays_is_strictly_increasing(start, n, table):
    assert add_workdays(start, n + 1, table) > add_workdays(start, n, table)


@given(starts, counts, tables)
def test_workdays_between_inverts_add_workdays(start, n, table):
    assert workdays_between(start, add_workdays(start, n, table), table) == n


@given(starts, starts)
def test_workdays_between_is_antisymmetric(a, b):
    assert workdays_between(a, b) == -workdays_between(b, a)
