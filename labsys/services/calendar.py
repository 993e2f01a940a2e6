"""The working-day calendar: chinese-calendar plus the editable holiday table."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from labsys.core import workdays
from labsys.core.workdays import HolidayTable
from labsys.models import Holiday


def holiday_table(session: Session) -> HolidayTable:
    """The editable table as the core's HolidayTable (entries override the package)."""
    rows = session.execute(select(Holiday.day, Holiday.is_workday)).all()
    return HolidayTable(
        holidays=frozenset(d for d, work in rows if not work),
        workdays=frozenset(d for d, work in rows if work),
    )


def add_workdays(
    session: Session, start: date, days: int, table: HolidayTable | None = None
) -> date:
    return workdays.add_workdays(start, days, table or holiday_table(session))


def seed_holidays(session: Session) -> str | None:
    """Copy the package's holidays and make-up workdays into the table (idempotent)."""
    existing = set(session.scalars(select(Holiday.day)))
    added = 0
    for year in range(2020, workdays.last_known_year() + 1):
        holidays, make_up = workdays.package_calendar(year)
        for day in sorted(holidays | make_up):
            if day in existing:
                continue
            session.add(
                Holiday(
                    day=day,
                    is_workday=day in make_up,
                    name="调休上班" if day in make_up else "法定节假日",
                )
            )
            added += 1
    session.flush()
    return f"{added} days added" if added else None
