"""The work queues' shared filters and paging, and the dashboard's to-do counts.

Every work queue (receipt, my work, review, reports to issue) lists samples; the same bar
filters them: a search by sample number or food name, the food category (any level), the
district, the sampling-date range, the technician who entered results, the deadline state
(overdue / due within DUE_SOON_WORKDAYS working days), and the order (oldest first, or by
due date; the follow-up list, a register, shows the newest first).  Paging is keyset (no OFFSET): by id, or by (due date, id).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from labsys.models import (
    Conclusion,
    FoodCategory,
    Region,
    Role,
    Sample,
    SampleResult,
    SampleStatus,
    User,
    UserRole,
)
from labsys.models.search import contains_text
from labsys.services.results import EDITABLE
from labsys.services.sampling import DeadlineCheck
from labsys.web.pagination import Page

# A sample without a due date sorts after every dated one.
NO_DUE = date(9999, 12, 31)
CATEGORY_COLUMNS = {
    1: Sample.cat_l1_id,
    2: Sample.cat_l2_id,
    3: Sample.cat_l3_id,
    4: Sample.cat_l4_id,
}
DUE_STATES = ("overdue", "soon")
SORTS = ("", "due")


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _day(value) -> date | None:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None


@dataclass
class QueueFilters:
    q: str = ""
    category_id: int | None = None
    region_code: str = ""
    date_from: date | None = None
    date_to: date | None = None
    technician_id: int | None = None
    due: str = ""  # "" | overdue | soon
    sort: str = ""  # "" (oldest first) | due
    category_level: int = 0  # filled by resolve(): the level of category_id
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args) -> QueueFilters:
        due = args.get("due", "")
        sort = args.get("sort", "")
        return cls(
            q=args.get("q", "").strip()[:200],
            category_id=_int(args.get("category")),
            region_code=args.get("region", "").strip()[:12],
            date_from=_day(args.get("date_from")),
            date_to=_day(args.get("date_to")),
            technician_id=_int(args.get("technician")),
            due=due if due in DUE_STATES else "",
            sort=sort if sort in SORTS else "",
        )

    @property
    def active(self) -> bool:
        """Does anything narrow the list (the order aside)?"""
        return bool(
            self.q
            or self.category_id
            or self.region_code
            or self.date_from
            or self.date_to
            or self.technician_id
            or self.due
        )

    def resolve(self, session: Session) -> QueueFilters:
        """Look up the category's level (an unknown category matches nothing)."""
        if self.category_id:
            self.category_level = (
                session.scalar(
                    select(FoodCategory.level).where(FoodCategory.id == self.category_id)
                )
                or 0
            )
        return self

    def conditions(self, due_column, check: DeadlineCheck) -> list[ColumnElement[bool]]:
        """WHERE conditions on Sample for these filters; ``due_column`` is the queue's
        deadline (due_delivery before receipt, due_report after)."""
        where: list[ColumnElement[bool]] = []
        if self.q:
            where.append(contains_text(self.q, Sample.sample_no, Sample.food_name))
        if self.category_id:
            column = CATEGORY_COLUMNS.get(self.category_level)
            where.append(column == self.category_id if column is not None else Sample.id < 0)
        if self.region_code:
            where.append(Sample.region_code == self.region_code)
        if self.date_from:
            where.append(Sample.sampling_date >= self.date_from)
        if self.date_to:
            where.append(Sample.sampling_date <= self.date_to)
        if self.technician_id:
            entered = aliased(SampleResult)  # the review queue selects from results itself
            where.append(
                exists().where(
                    entered.sample_id == Sample.id,
                    entered.entered_by_id == self.technician_id,
                )
            )
        if self.due == "overdue":
            where.append(due_column < check.today)
        elif self.due == "soon":
            where.append(and_(due_column >= check.today, due_column <= check.soon))
        return where


def page_ids(
    session: Session,
    query: Select,
    *,
    id_column,
    due_column,
    sort: str,
    after: str | None,
    size: int,
    newest_first: bool = False,
) -> Page:
    """One page of sample ids from ``query`` (which selects ``id_column`` only, possibly
    DISTINCT), oldest (or ``newest_first``) first or by due date; ``after`` is the previous
    page's ``next_after``."""
    if sort == "due":
        return _page_by_due(
            session, query, id_column=id_column, due_column=due_column, after=after, size=size
        )
    last = _int(after)
    if last is not None:
        query = query.where(id_column < last if newest_first else id_column > last)
    order = id_column.desc() if newest_first else id_column
    ids = list(session.scalars(query.order_by(order).limit(size + 1)))
    if len(ids) > size:
        return Page(ids[:size], ids[size - 1])
    return Page(ids, None)


def _page_by_due(
    session: Session, query: Select, *, id_column, due_column, after: str | None, size: int
) -> Page:
    """One page by (due date, id), the samples without a due date last (by id).

    Two index-ordered runs rather than one ORDER BY over an expression: the dated rows
    (``due IS NOT NULL ORDER BY due, id``), then, once they run out, the undated ones
    (``due IS NULL ORDER BY id``).  Each is read in the order of the queue's index (status,
    due date, id: ``ix_samples_status_due_*``) and stops after a page, on both databases;
    ``coalesce(due, NO_DUE)`` in the ORDER BY made them sort every row of the queue.  The
    keys stay as before: "day_id", NO_DUE's day for an undated row."""
    position = _due_key(after)
    rows: list[tuple[int, date | None]] = []
    if position is None or position[0] != NO_DUE:
        dated = query.add_columns(due_column.label("due_key")).where(due_column.is_not(None))
        if position is not None:
            day, last_id = position
            dated = dated.where(due_column >= day, or_(due_column > day, id_column > last_id))
        rows += [
            (row[0], _as_date(row[1]))
            for row in session.execute(dated.order_by(due_column, id_column).limit(size + 1))
        ]
    if len(rows) <= size:
        undated = query.where(due_column.is_(None))
        if position is not None and position[0] == NO_DUE:
            undated = undated.where(id_column > position[1])
        rows += [
            (row[0], None)
            for row in session.execute(undated.order_by(id_column).limit(size + 1 - len(rows)))
        ]
    next_after = None
    if len(rows) > size:
        last_id, day = rows[size - 1]
        next_after = f"{(day or NO_DUE).isoformat()}_{last_id}"
    return Page([row[0] for row in rows[:size]], next_after)


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _due_key(after: str | None) -> tuple[date, int] | None:
    day, _, last_id = (after or "").partition("_")
    parsed, number = _day(day), _int(last_id)
    return (parsed, number) if parsed and number is not None else None


def samples_in_order(session: Session, ids: Sequence[int], *options) -> list[Sample]:
    """The samples of ``ids`` in that order, with ``options`` (loader options)."""
    if not ids:
        return []
    query = select(Sample).where(Sample.id.in_(ids))
    if options:
        query = query.options(*options)
    found = {s.id: s for s in session.scalars(query)}
    return [found[i] for i in ids if i in found]


# --- the filter bar's choices -----------------------------------------------------------------


@dataclass(frozen=True)
class FilterChoices:
    categories: list[tuple[int, str]]
    regions: list[tuple[str, str]]
    technicians: list[tuple[int, str]]


def filter_choices(session: Session, *, english: bool = False) -> FilterChoices:
    """Food categories (the two upper levels, indented), districts and technicians."""
    categories = [
        (cid, ("　" if level == 2 else "") + (name_en if english and name_en else name_zh))
        for cid, level, name_zh, name_en in session.execute(
            select(FoodCategory.id, FoodCategory.level, FoodCategory.name_zh, FoodCategory.name_en)
            .where(FoodCategory.level <= 2)
            .order_by(FoodCategory.path, FoodCategory.sort_order)
        )
    ]
    regions = [
        (code, name_en if english and name_en else name_zh)
        for code, name_zh, name_en in session.execute(
            select(Region.code, Region.name_zh, Region.name_en).order_by(Region.code)
        )
    ]
    technicians = [
        (uid, full_name or username)
        for uid, full_name, username in session.execute(
            select(User.id, User.full_name, User.username)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.TECHNICIAN)
            .order_by(User.full_name, User.username)
        )
    ]
    return FilterChoices(categories, regions, technicians)


# --- the dashboard's counts ---------------------------------------------------------------------


# A to-do count stops at this many (shown as "10,000+"): each count is an index range read
# that stops after COUNT_CAP + 1 entries, so the home page costs the same at any backlog
# (a backlog of 857,000 concluded samples took 0.3 s to count exactly, for a number that
# says no more than "very many").
COUNT_CAP = 10_000


def capped_text(count: int) -> str:
    """A to-do count as shown: exact up to COUNT_CAP, then "10,000+"."""
    return f"{COUNT_CAP:,}+" if count > COUNT_CAP else str(count)


@dataclass
class Todo:
    """Counts of one queue: all, overdue, due within the due-soon window (each at most
    COUNT_CAP + 1: more than COUNT_CAP reads "10,000+")."""

    total: int = 0
    overdue: int = 0
    soon: int = 0


def _capped(session: Session, query: Select) -> int:
    """How many rows ``query`` has, counting no further than COUNT_CAP + 1."""
    return session.scalar(select(func.count()).select_from(query.limit(COUNT_CAP + 1).subquery()))


def _todo(session: Session, query: Select, due_column, check: DeadlineCheck) -> Todo:
    """The rows of ``query``, then those overdue and those due soon (three capped index
    range reads)."""
    return Todo(
        _capped(session, query),
        _capped(session, query.where(due_column < check.today)),
        _capped(session, query.where(due_column >= check.today, due_column <= check.soon)),
    )


def _status_todo(session: Session, status: SampleStatus, due_column, check: DeadlineCheck) -> Todo:
    """The samples in ``status`` (the queue's index: status, due date, id)."""
    return _todo(session, select(Sample.id).where(Sample.status == status), due_column, check)


def todo_receipt(session: Session, check: DeadlineCheck) -> Todo:
    return _status_todo(session, SampleStatus.REGISTERED, Sample.due_delivery, check)


def _aggregate_todo(session: Session, query: Select, check: DeadlineCheck) -> Todo:
    """One aggregate over the rows of ``query`` (samples, by their report deadline): all,
    overdue, due soon."""
    total, overdue, soon = session.execute(
        query.with_only_columns(
            func.count(),
            func.count().filter(Sample.due_report < check.today),
            func.count().filter(
                and_(Sample.due_report >= check.today, Sample.due_report <= check.soon)
            ),
        )
    ).one()
    return Todo(total or 0, overdue or 0, soon or 0)


def todo_testing(session: Session, check: DeadlineCheck) -> Todo:
    """Samples in testing with results still to enter (the work queue's rows)."""
    open_rows = exists().where(
        SampleResult.sample_id == Sample.id, SampleResult.status.in_(EDITABLE)
    )
    # One aggregate, not three capped reads: each read would probe the results of the samples
    # in testing again (the backlog in testing stays small: at most what the lab received).
    query = select(Sample.id).where(Sample.status == SampleStatus.RECEIVED, open_rows)
    return _aggregate_todo(session, query, check)


def todo_review(session: Session, reviewer: User, check: DeadlineCheck) -> Todo:
    """Samples with results awaiting ``reviewer`` (entered by someone else): the review
    queue's own rows, counted."""
    from labsys.web.results.queries import review_queue_query

    return _aggregate_todo(session, review_queue_query(reviewer), check)


def todo_reports(session: Session, check: DeadlineCheck) -> Todo:
    return _status_todo(session, SampleStatus.CONCLUDED, Sample.due_report, check)


def unqualified_without_report(session: Session) -> int:
    return _capped(
        session,
        select(Sample.id).where(
            Sample.status == SampleStatus.CONCLUDED,
            Sample.conclusion == Conclusion.UNQUALIFIED,
        ),
    )


def queue_page(
    session: Session,
    ids_query: Select,
    *,
    id_column,
    due_column,
    filters: QueueFilters,
    after: str | None,
    size: int,
    options: Sequence = (),
    newest_first: bool = False,
) -> Page:
    """One page of a work queue: ``ids_query`` selects the queue's sample ids (already
    narrowed by ``filters``); the page's items are the samples, loaded with ``options``."""
    page = page_ids(
        session,
        ids_query,
        id_column=id_column,
        due_column=due_column,
        sort=filters.sort,
        after=after,
        size=size,
        newest_first=newest_first,
    )
    page.items = samples_in_order(session, page.items, *options)
    return page
