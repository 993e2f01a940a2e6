"""Working days on the Chinese official calendar, for every deadline in the workflow.

Deadlines (delivery within 5 working days, report within 20, retest request
within 7, ...) count working days, including make-up workdays (调休) and
excluding official holidays.

Where a day's status comes from, first match wins:

1. the editable ``HolidayTable`` (if the caller passes one and it has an entry
   for that day), so an administrator can fix a mistake or announce a year the
   package does not know yet;
2. the ``chinese_calendar`` package, for the years it covers
   (2004 to :func:`last_known_year`);
3. the weekend rule: Monday to Friday work, Saturday and Sunday are off.

The package raises ``NotImplementedError`` outside its years; this module
catches it and falls through to rule 3, so no ``NotImplementedError`` escapes
``is_workday``, ``add_workdays`` or ``workdays_between``.

All functions take ``datetime.date``; a ``datetime.datetime`` is refused
(``TypeError``) because times are stored in UTC and the calendar day must be
taken in China Standard Time by the caller first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import chinese_calendar

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class HolidayTable:
    """Editable calendar entries that override the package and the weekend rule.

    ``holidays`` are days off (official holidays, whatever the weekday);
    ``workdays`` are working days (typically make-up weekend days, 调休).
    Immutable and hashable, so it can be shared and used as a cache key.
    A day may not be in both sets.
    """

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        # Accept any iterable of dates, but store frozensets so the table stays
        # immutable and hashable.
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "workdays", frozenset(self.workdays))
        for day in self.holidays | self.workdays:
            _require_date(day)
        both = self.holidays & self.workdays
        if both:
            listed = ", ".join(d.isoformat() for d in sorted(both))
            raise ValueError(f"days both holiday and workday: {listed}")

    def entry(self, day: date) -> bool | None:
        """True/False if the table says the day is a workday/holiday, None if it has no entry."""
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return None


def _require_date(day: object) -> None:
    """Refuse anything but a plain date (datetime is a date subclass, so test it first)."""
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"expected a datetime.date, got {type(day).__name__}")


def first_known_year() -> int:
    """The first year the ``chinese_calendar`` package has official data for."""
    return min(chinese_calendar.holidays).year


def last_known_year() -> int:
    """The last year the ``chinese_calendar`` package has official data for (2026 in 1.11)."""
    return max(chinese_calendar.holidays).year


# Lists compute due dates for many rows, and the package scans its whole table
# to validate the year on each call, so remember each day's answer.
@lru_cache(maxsize=16384)
def _package_is_workday(day: date) -> bool | None:
    """The package's answer for a day, or None when the year is outside its data."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


def year_is_known(year: int, holidays: HolidayTable | None = None) -> bool:
    """Whether ``year`` has an official calendar: the package's data, or at least one entry
    of the editable table in that year.  Otherwise its working days are only Monday to
    Friday (rule 3 above), and every deadline falling in it may be off by the holidays and
    make-up days not yet announced or entered."""
    if first_known_year() <= year <= last_known_year():
        return True
    if holidays is None:
        return False
    return any(day.year == year for day in holidays.holidays | holidays.workdays)


def unknown_years(days: Iterable[date | None], holidays: HolidayTable | None = None) -> list[int]:
    """The years of ``days`` (dates, None ignored) without an official calendar, sorted."""
    years = {day.year for day in days if day is not None}
    return sorted(year for year in years if not year_is_known(year, holidays))


def is_workday(day: date, holidays: HolidayTable | None = None) -> bool:
    """Whether ``day`` is a working day: table entry, else package, else Monday–Friday."""
    _require_date(day)
    if holidays is not None:
        entry = holidays.entry(day)
        if entry is not None:
            return entry
    known = _package_is_workday(day)
    if known is not None:
        return known
    return day.weekday() < 5


def add_workdays(start: date, days: int, holidays: HolidayTable | None = None) -> date:
    """The date of the ``days``-th working day after ``start``.

    ``start`` itself is not counted, so a deadline of "5 working days from
    receipt" is ``add_workdays(receipt, 5)``; ``days=0`` returns ``start``
    unchanged (even if it is not a working day).

    Negative ``days`` raise ``ValueError``: counting backwards is not the
    inverse of counting forwards (the start day is excluded on one side, the
    end day on the other), and no deadline in the workflow needs it.
    """
    _require_date(start)
    if isinstance(days, bool) or not isinstance(days, int):
        raise TypeError(f"days must be an int, got {type(days).__name__}")
    if days < 0:
        raise ValueError(f"days must not be negative, got {days}")
    day = start
    remaining = days
    while remaining:
        day += _ONE_DAY
        if is_workday(day, holidays):
            remaining -= 1
    return day


def workdays_between(start: date, end: date, holidays: HolidayTable | None = None) -> int:
    """Working days after ``start`` up to and including ``end``; negative if ``end`` is earlier.

    The inverse of :func:`add_workdays`: ``workdays_between(s, add_workdays(s, n)) == n``.
    For "overdue by N working days" use ``workdays_between(due, today)``.
    When ``end < start`` the result is ``-workdays_between(end, start)``.
    """
    _require_date(start)
    _require_date(end)
    if end < start:
        return -workdays_between(end, start, holidays)
    count = 0
    day = start
    while day < end:
        day += _ONE_DAY
        if is_workday(day, holidays):
            count += 1
    return count


def package_calendar(year: int) -> tuple[set[date], set[date]]:
    """The package's official holidays and make-up workdays (调休) for ``year``.

    Holidays include the weekend days inside a holiday period, as the official
    notice lists them. Used to seed the editable holiday table.
    Raises ``NotImplementedError`` (like the package) when the year is outside
    ``first_known_year()..last_known_year()``.
    """
    if isinstance(year, bool) or not isinstance(year, int):
        raise TypeError(f"year must be an int, got {type(year).__name__}")
    first, last = first_known_year(), last_known_year()
    if not first <= year <= last:
        raise NotImplementedError(
            f"chinese_calendar {chinese_calendar.__version__} has no data for {year}; "
            f"it covers {first}–{last}. Enter that year's holidays in the holiday table."
        )
    days_off = {d for d in chinese_calendar.holidays if d.year == year}
    days_on = {d for d in chinese_calendar.workdays if d.year == year}
    return days_off, days_on


def seed_holidays(year_from: int, year_to: int) -> HolidayTable:
    """A table holding the package's calendar for ``year_from..year_to`` inclusive.

    Raises like :func:`package_calendar` if any year in the range is not covered.
    """
    if year_to < year_from:
        raise ValueError(f"year_to ({year_to}) is before year_from ({year_from})")
    days_off: set[date] = set()
    days_on: set[date] = set()
    for year in range(year_from, year_to + 1):
        year_off, year_on = package_calendar(year)
        days_off |= year_off
        days_on |= year_on
    return HolidayTable(holidays=frozenset(days_off), workdays=frozenset(days_on))
