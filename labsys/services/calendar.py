"""The working-day calendar: chinese-calendar plus the editable holiday table."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from labsys.core import workdays
from labsys.core.workdays import HolidayTable
from labsys.models import Holiday, Role, User
from labsys.services import audit
from labsys.services.access import writes
from labsys.services.errors import ServiceError


def holiday_table(session: Session) -> HolidayTable:
    """The editable table as the core's HolidayTable (entries override the package)."""
    rows = session.execute(select(Holiday.day, Holiday.is_workday)).all()
    return HolidayTable(
        holidays=frozenset(d for d, work in rows if not work),
        workdays=frozenset(d for d, work in rows if work),
    )


def unknown_years(session: Session, days, table: HolidayTable | None = None) -> list[int]:
    """Years of ``days`` with no official calendar (beyond chinese-calendar's data and with
    no entry in the editable table): deadlines there count Monday–Friday only."""
    return workdays.unknown_years(days, table or holiday_table(session))


def year_coverage(session: Session, years) -> list[tuple[int, str, int]]:
    """(year, source, entries in the table) per year; source "package" (chinese-calendar's
    official data), "table" (entered by an administrator) or "none" (Monday–Friday only)."""
    table = holiday_table(session)
    entries = table.holidays | table.workdays
    rows = []
    for year in years:
        count = sum(1 for day in entries if day.year == year)
        if workdays.first_known_year() <= year <= workdays.last_known_year():
            source = "package"
        elif count:
            source = "table"
        else:
            source = "none"
        rows.append((year, source, count))
    return rows


def entries_of_year(session: Session, year: int) -> list[Holiday]:
    return list(
        session.scalars(
            select(Holiday)
            .where(Holiday.day >= date(year, 1, 1), Holiday.day <= date(year, 12, 31))
            .order_by(Holiday.day)
        )
    )


@writes(Role.ADMIN)
def set_day(session: Session, actor: User, *, day: date, is_workday: bool, name: str) -> Holiday:
    """Enter (or change) one day of the editable calendar: an official holiday, or a make-up
    working day (调休); it overrides chinese-calendar and the weekend rule."""
    if not isinstance(day, date):
        raise ServiceError(_("Enter the day (YYYY-MM-DD)."), field="day")
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("Name the day (e.g. 春节, 调休上班)."), field="name")
    if len(name) > 40:
        raise ServiceError(_("The name has at most 40 characters."), field="name")
    row = session.scalar(select(Holiday).where(Holiday.day == day))
    old = {"is_workday": row.is_workday, "name": row.name} if row else None
    if row is None:
        row = Holiday(day=day, is_workday=bool(is_workday), name=name)
        session.add(row)
    else:
        row.is_workday, row.name = bool(is_workday), name
    session.flush()
    audit.record(
        session,
        actor,
        "holiday",
        day.isoformat(),
        "update" if old else "create",
        old=old,
        new={"is_workday": bool(is_workday), "name": name},
    )
    return row


@writes(Role.ADMIN)
def remove_day(session: Session, actor: User, *, day: date) -> None:
    """Remove one day of the editable calendar (the package or the weekend rule applies)."""
    row = session.scalar(select(Holiday).where(Holiday.day == day))
    if row is None:
        raise ServiceError(_("The calendar has no entry for %(day)s.", day=day.isoformat()))
    old = {"is_workday": row.is_workday, "name": row.name}
    session.delete(row)
    session.flush()
    audit.record(session, actor, "holiday", day.isoformat(), "delete", old=old)


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
