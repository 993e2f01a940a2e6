"""Retest backups (复检备份样品): how long the lab keeps them, and when one may be disposed of.

SAMR Order No. 15 (2019, 《食品安全抽样检验管理办法》) Art. 25 ¶1–2, as the table cited in
``labsys.services.periods`` gives it: the testing lab keeps the retest backup for 3 months
from the day a qualified conclusion is made and for 6 months from the day an unqualified
conclusion is made; a backup whose remaining shelf life is shorter is kept until its shelf
life ends.  The 3 and 6 months
are settings (``BACKUP_RETENTION_MONTHS``) with these defaults.

"Kept until" is inclusive: a backup retained until 2026-06-30 may be disposed of from
2026-07-01 on.  Without a final conclusion (pending, inconclusive, not judged) no retention
is computed and the backup is kept.

Pure Python on ``datetime.date``.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

RETENTION_MONTHS = {"qualified": 3, "unqualified": 6}


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when that month is shorter)."""
    if months < 0:
        raise ValueError(f"months must not be negative, got {months}")
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def shelf_life_end(production_date: date | None, shelf_life_days: int | None) -> date | None:
    """The day the shelf life ends (production date + shelf life), None when unknown."""
    if production_date is None or not shelf_life_days:
        return None
    return production_date + timedelta(days=shelf_life_days)


def retain_until(
    conclusion: str | None,
    concluded_on: date | None,
    *,
    production_date: date | None = None,
    shelf_life_days: int | None = None,
    months: dict[str, int] | None = None,
) -> date | None:
    """The last day the backup must be kept: 3 months after a qualified, 6 after an
    unqualified conclusion, or the end of the shelf life if that is sooner; None without a
    final conclusion (``conclusion`` is "qualified" or "unqualified")."""
    retention = months or RETENTION_MONTHS
    if conclusion not in retention or concluded_on is None:
        return None
    until = add_months(concluded_on, retention[conclusion])
    end = shelf_life_end(production_date, shelf_life_days)
    return min(until, end) if end is not None else until


def may_dispose(retained_until: date | None, on: date) -> bool:
    """Whether a backup kept until ``retained_until`` may be disposed of on ``on``."""
    return retained_until is not None and on > retained_until


def week_end(day: date) -> date:
    """The Sunday ending ``day``'s week (Monday to Sunday, as Chinese calendars print it)."""
    return day + timedelta(days=6 - day.weekday())
