"""labsys.core.backups: the retest backup's retention (Order No. 15 Art. 25 ¶1–2),
table-driven, and its rules for any dates (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from labsys.core.backups import add_months, may_dispose, retain_until, shelf_life_end, week_end

Q, U = "qualified", "unqualified"


@pytest.mark.parametrize(
    ("conclusion", "concluded", "produced", "shelf_days", "expected"),
    [
        (Q, date(2026, 3, 10), None, None, date(2026, 6, 10)),  # 3 months
        (U, date(2026, 3, 10), None, None, date(2026, 9, 10)),  # 6 months
        (Q, date(2026, 11, 30), None, None, date(2027, 2, 28)),  # the month is shorter
        (U, date(2026, 8, 31), None, None, date(2027, 2, 28)),
        (Q, date(2027, 11, 30), None, None, date(2028, 2, 29)),  # a leap year
        # The shelf life ends first: kept until it ends.
        (U, date(2026, 3, 10), date(2026, 3, 1), 30, date(2026, 3, 31)),
        (Q, date(2026, 3, 10), date(2026, 1, 1), 120, date(2026, 5, 1)),
        # The shelf life ends later: the months decide.
        (Q, date(2026, 3, 10), date(2026, 3, 1), 365, date(2026, 6, 10)),
        # Already past its shelf life when concluded: may go at once.
        (U, date(2026, 3, 10), date(2026, 1, 1), 10, date(2026, 1, 11)),
        # No final conclusion: no retention computed.
        ("inconclusive", date(2026, 3, 10), None, None, None),
        ("not_judged", date(2026, 3, 10), None, None, None),
        (None, date(2026, 3, 10), None, None, None),
        (Q, None, None, None, None),
    ],
)
def test_retention(conclusion, concluded, produced, shelf_days, expected):
    kept = retain_until(conclusion, concluded, production_date=produced, shelf_life_days=shelf_days)
    assert kept == expected


def test_the_months_are_a_setting():
    assert retain_until(Q, date(2026, 1, 15), months={Q: 1, U: 2}) == date(2026, 2, 15)


@pytest.mark.parametrize(
    ("kept", "on", "allowed"),
    [
        (date(2026, 6, 30), date(2026, 6, 30), False),  # kept until the day, inclusive
        (date(2026, 6, 30), date(2026, 7, 1), True),
        (date(2026, 6, 30), date(2026, 6, 1), False),
        (None, date(2030, 1, 1), False),  # no final conclusion: kept
    ],
)
def test_when_a_backup_may_be_disposed_of(kept, on, allowed):
    assert may_dispose(kept, on) is allowed


@pytest.mark.parametrize(
    ("day", "sunday"),
    [
        (date(2026, 11, 30), date(2026, 12, 6)),  # Monday
        (date(2026, 12, 6), date(2026, 12, 6)),  # Sunday itself
        (date(2026, 12, 31), date(2027, 1, 3)),
    ],
)
def test_week_end(day, sunday):
    assert week_end(day) == sunday


def test_negative_months_are_refused():
    with pytest.raises(ValueError):
        add_months(date(2026, 1, 1), -1)


DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))
SHELF = st.one_of(st.none(), st.integers(min_value=1, max_value=3650))


@given(DAYS, st.integers(min_value=0, max_value=240))
def test_add_months_keeps_the_day_or_the_months_last(day, months):
    later = add_months(day, months)
    assert (later.year * 12 + later.month) - (day.year * 12 + day.month) == months
    assert later.day == day.day or (later.day < day.day and (later + timedelta(days=1)).day == 1)
    assert later >= day


@given(st.sampled_from([Q, U]), DAYS, st.one_of(st.none(), DAYS), SHELF)
def test_never_longer_than_the_months_nor_the_shelf_life(conclusion, concluded, produced, shelf):
    kept = retain_until(conclusion, concluded, production_date=produced, shelf_life_days=shelf)
    assert kept is not None
    assert kept <= add_months(concluded, {Q: 3, U: 6}[conclusion])
    end = shelf_life_end(produced, shelf)
    if end is not None:
        assert kept <= end
        assert kept == min(end, add_months(concluded, {Q: 3, U: 6}[conclusion]))


@given(DAYS, st.one_of(st.none(), DAYS), SHELF)
def test_an_unqualified_backup_is_kept_at_least_as_long(concluded, produced, shelf):
    fields = {"production_date": produced, "shelf_life_days": shelf}
    assert retain_until(Q, concluded, **fields) <= retain_until(U, concluded, **fields)


@given(st.sampled_from([Q, U]), DAYS, DAYS, st.one_of(st.none(), DAYS), SHELF)
def test_a_later_conclusion_never_shortens_the_retention(c, first, second, produced, shelf):
    assume(first <= second)
    fields = {"production_date": produced, "shelf_life_days": shelf}
    assert retain_until(c, first, **fields) <= retain_until(c, second, **fields)


@given(DAYS, DAYS)
def test_disposal_is_allowed_exactly_after_the_last_day(kept, on):
    assert may_dispose(kept, on) == (on > kept)
    assert week_end(on).weekday() == 6 and 0 <= (week_end(on) - on).days <= 6
