"""The one clock: what time it is, and what day it is in the laboratory's time zone.

Every module asks this module (never ``datetime.now()``/``date.today()``), so a test can
freeze time for the whole application with :func:`frozen` and check what depends on it:
deadlines, due dates, "overdue" on the boards, default dates in forms.

Times are UTC-aware (``now()``); days are local days in ``LOCAL_TZ`` (``today()``):
working-day deadlines count in Chinese local days.  Pure standard library.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

# A module-level setting, not a context variable: the browser tests' server thread must
# see the frozen time the test set.
_frozen_at: datetime | None = None


def now() -> datetime:
    """The current moment, timezone-aware in UTC."""
    return _frozen_at if _frozen_at is not None else datetime.now(UTC)


def local_now() -> datetime:
    """The current moment in the laboratory's time zone."""
    return now().astimezone(LOCAL_TZ)


def today() -> date:
    """Today's date in the laboratory's time zone."""
    return local_now().date()


def local_date(moment: datetime) -> date:
    """The local (``LOCAL_TZ``) day of an aware moment."""
    return moment.astimezone(LOCAL_TZ).date()


@contextmanager
def frozen(at: datetime | date) -> Iterator[datetime]:
    """Stop the clock at ``at`` while the block runs (tests).

    A ``date`` means 10:00 local time that day; a naive ``datetime`` is read as local time.
    Yields the frozen moment (UTC).
    """
    global _frozen_at
    if not isinstance(at, datetime):
        at = datetime.combine(at, time(10, 0))
    if at.tzinfo is None:
        at = at.replace(tzinfo=LOCAL_TZ)
    previous, _frozen_at = _frozen_at, at.astimezone(UTC)
    try:
        yield _frozen_at
    finally:
        _frozen_at = previous
