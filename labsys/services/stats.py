"""Pass-rate statistics (合格率): SQL GROUP BYs on the denormalised columns of ``samples``.

Definitions (the same for pages, ``labsys stats``, ``GET /api/stats`` and the exports):

- **samples**: every batch in the slice except those the lab rejected at receipt and those
  voided (作废);
- **qualified / unqualified**: batches with that final conclusion;
- **pending**: the rest (not concluded yet, inconclusive, not judged); shown separately,
  never in the denominator;
- **pass rate** = qualified ÷ (qualified + unqualified), in percent, rounded once by
  GB/T 8170 to 0.01, with its 95 % Wilson interval; ``None`` when nothing is judged.

Key foods are the categories flagged ``is_key_food`` at any level: a sample counts for key
food K when ``cat_l{K.level}_id == K.id``; the key-food total counts each sample once.
Nothing here loads samples into Python: every count is one aggregate query.

Every question but those naming a plan, a task or the sampler is answered from the rollups
(``sample_rollups``, kept exactly in step with ``samples`` by triggers: migration 0035;
``labsys.models.stats``): the smallest rollup kind keeping every dimension the question
filters or groups by; whole months of the range from its month rows, the days at either end
from its day rows (or, for the one kind without day rows, from ``samples`` by the date
index); on PostgreSQL plus the deltas not folded in yet.  The rest is counted on
``samples`` itself.  Both give identical rows (``tests/stats/test_rollups.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import (
    Integer,
    SQLColumnExpression,
    String,
    and_,
    case,
    cast,
    delete,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select

from labsys.core.rates import pass_rate, wilson_interval
from labsys.models import (
    Conclusion,
    DeadlineCountDelta,
    FoodCategory,
    InspectionType,
    Lab,
    Link,
    Region,
    Sample,
    SampleRollup,
    SampleRollupDelta,
    SampleStatus,
    User,
    deadline_sql,
    summary_sql,
)
from labsys.services import ServiceError

GROUPINGS = ("category", "district", "link", "month", "quarter", "year", "lab", "sampler")
PERIODS = ("month", "quarter", "year")
CATEGORY_LEVEL_COLUMNS = {
    1: Sample.cat_l1_id,
    2: Sample.cat_l2_id,
    3: Sample.cat_l3_id,
    4: Sample.cat_l4_id,
}
# Tests set this to count every statistic on ``samples`` (the exact query without the summary).
_FORCE_SAMPLES = False
# Samples no pass rate counts: rejected at receipt, and voided (作废); the rollups' triggers
# leave out the same two (migration 0035, as 0030 did for sample_stats).
LEFT_OUT = (SampleStatus.REJECTED, SampleStatus.VOIDED)


@dataclass(frozen=True)
class StatsFilter:
    """Which samples a statistic covers (every part optional)."""

    date_from: date | None = None
    date_to: date | None = None
    plan_id: int | None = None
    task_id: int | None = None
    # Drill-down: only samples under this category (its level is taken from the row).
    parent_id: int | None = None
    # Only these inspection types; empty: all of them (how a city's published monitoring
    # figure, such as the key-food 98.89 %, is counted; a supervision pass rate names one).
    inspection_types: tuple[InspectionType, ...] = ()

    @property
    def type_condition(self) -> bool:
        """Whether the inspection types select less than every sample."""
        return bool(self.inspection_types) and set(self.inspection_types) != set(InspectionType)


@dataclass
class StatRow:
    key: object  # category id, region code, link value, period label, lab id, user id
    name: str
    samples: int
    qualified: int
    unqualified: int

    @property
    def judged(self) -> int:
        return self.qualified + self.unqualified

    @property
    def pending(self) -> int:
        return self.samples - self.judged

    @property
    def rate(self) -> Decimal | None:
        return pass_rate(self.qualified, self.judged) if self.judged else None

    @property
    def wilson(self) -> tuple[Decimal, Decimal] | None:
        return wilson_interval(self.qualified, self.judged) if self.judged else None

    def as_json(self) -> dict:
        low, high = self.wilson or (None, None)
        return {
            "name": self.name,
            "samples": self.samples,
            "qualified": self.qualified,
            "unqualified": self.unqualified,
            "pass_rate": _text(self.rate),
            "wilson_low": _text(low),
            "wilson_high": _text(high),
        }


@dataclass
class StatsResult:
    by: str
    level: int
    key_foods: bool
    total: StatRow
    rows: list[StatRow] = field(default_factory=list)
    parent: FoodCategory | None = None

    def as_json(self) -> dict:
        """The machine-readable form shared by ``labsys stats`` and ``GET /api/stats``."""
        total = self.total.as_json()
        return {
            "samples": total["samples"],
            "qualified": total["qualified"],
            "unqualified": total["unqualified"],
            "pass_rate": total["pass_rate"],
            "rows": [row.as_json() for row in self.rows],
        }

    def worst_first(self) -> list[StatRow]:
        """Rows with a rate, lowest pass rate first (for bar charts)."""
        rated = [row for row in self.rows if row.rate is not None]
        return sorted(rated, key=lambda row: (row.rate, -row.judged, str(row.name)))


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


# --- the public entry point ----------------------------------------------------------------


def inspection_types(values) -> tuple[InspectionType, ...]:
    """``--type`` / ``?type=`` values as inspection types (repeatable; none: all types)."""
    chosen = []
    for value in values or ():
        try:
            chosen.append(InspectionType(value))
        except ValueError:
            raise ServiceError(
                _(
                    "Unknown inspection type %(value)s: use %(choices)s.",
                    value=value,
                    choices=", ".join(t.value for t in InspectionType),
                ),
                field="type",
            ) from None
    return tuple(dict.fromkeys(chosen))


def compute(
    session: Session,
    *,
    by: str = "category",
    level: int = 1,
    key_foods: bool = False,
    filters: StatsFilter | None = None,
) -> StatsResult:
    """Pass rates of the slice ``filters`` grouped ``by`` one of GROUPINGS.

    ``level`` (1-4) is the category level for ``by="category"``.  With ``key_foods`` and
    ``by="category"`` the total is the key-food indicator and the rows are the key foods;
    with another grouping, only key-food samples are counted.
    """
    filters = filters or StatsFilter()
    if by not in GROUPINGS:
        raise ServiceError(
            _(
                "Unknown grouping %(by)s: use one of %(choices)s.",
                by=by,
                choices=", ".join(GROUPINGS),
            ),
            field="by",
        )
    if level not in CATEGORY_LEVEL_COLUMNS:
        raise ServiceError(_("The category level must be 1, 2, 3 or 4."), field="level")
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise ServiceError(_("The start date is after the end date."), field="date_from")
    parent = session.get(FoodCategory, filters.parent_id) if filters.parent_id else None
    if filters.parent_id and parent is None:
        raise ServiceError(_("There is no such food category."), field="parent")
    if by == "category" and parent is not None and parent.level >= level:
        level = min(parent.level + 1, 4)
    key_food_list = key_food_categories(session) if key_foods else []
    if _rollups_answer(filters, by):
        needed = _needed_dimensions(
            by=by, level=level, parent=parent, key_food_levels={c.level for c in key_food_list}
        )
        if filters.type_condition:
            needed.add("inspection_type")
        source = rollup_source(session, filters, needed)
        conditions = _rollup_conditions(source, filters, parent)
    else:
        source, conditions = _SAMPLES, sample_conditions(session, filters)
    if key_foods:
        conditions.append(_key_food_condition(key_food_list, source))
    if key_foods and by == "category":
        # Key foods nest (a level-2 key food holds level-4 ones): the total is its own count.
        total = _total(session, source, conditions)
        rows = _key_food_rows(session, source, conditions, key_food_list)
    else:
        # Every counted sample is in exactly one row (None keys included): the total is
        # their sum, without reading the rows a second time.
        if by == "category":
            rows = _category_rows(session, source, conditions, level)
        else:
            rows = _grouped_rows(session, source, conditions, by)
        total = StatRow(
            "total",
            _("Total"),
            sum(r.samples for r in rows),
            sum(r.qualified for r in rows),
            sum(r.unqualified for r in rows),
        )
    return StatsResult(
        by=by, level=level, key_foods=key_foods, total=total, rows=rows, parent=parent
    )


def stats_json(session: Session, **options) -> dict:
    """``compute(...).as_json()``: the one producer of the CLI's and the API's JSON."""
    return compute(session, **options).as_json()


def key_food_categories(session: Session) -> list[FoodCategory]:
    return list(
        session.scalars(
            select(FoodCategory)
            .where(FoodCategory.is_key_food)
            .order_by(FoodCategory.level, FoodCategory.sort_order, FoodCategory.code)
        )
    )


def key_food_indicator(session: Session, filters: StatsFilter | None = None) -> StatsResult:
    """The key-food total (the indicator figure) with one row per month (its trend)."""
    return compute(session, by="month", key_foods=True, filters=filters)


# --- where the counts come from: the samples, or the rollups --------------------------------


# samples, qualified, unqualified: aggregate columns of one grouped query
_Counts = tuple[ColumnElement[int], ColumnElement[int], ColumnElement[int]]


@dataclass(frozen=True)
class _Source:
    """``samples`` (one row per sample), or the rollups: a union of rollup rows (and
    edge-day samples, and deltas) with the columns of ``samples`` and a count per row."""

    table: Any  # a Table or a subquery with sampling_date, the dimensions and (rollups) counts
    summary: bool

    def level_column(self, level: int):
        """The category column of ``level``."""
        return self.table.c[f"cat_l{level}_id"]

    def column(self, name: str):
        return self.table.c[name]

    def counts(self) -> _Counts:
        """samples, qualified, unqualified as aggregate columns."""
        if not self.summary:
            return _counts()
        zero = literal_column("0", Integer)
        return tuple(  # type: ignore[return-value]
            func.coalesce(func.sum(self.table.c[name]), zero) for name in summary_sql.ROLLUP_COUNTS
        )


_SAMPLES = _Source(Sample.__table__, summary=False)


def _rollups_answer(filters: StatsFilter, by: str) -> bool:
    """Whether the rollups hold the answer: anything but a plan, a task or the sampler."""
    return not (_FORCE_SAMPLES or by == "sampler" or filters.plan_id or filters.task_id)


def _needed_dimensions(
    *, by: str, level: int, parent: FoodCategory | None, key_food_levels: set[int]
) -> set[str]:
    """The rollup dimensions a question groups by or filters by (but the type)."""
    needed = {f"cat_l{lvl}_id" for lvl in key_food_levels}
    if parent is not None:
        needed.add(f"cat_l{parent.level}_id")
    if by == "category":
        needed.add(f"cat_l{level}_id")
    elif by in ROLLUP_GROUP_COLUMNS:
        needed.add(ROLLUP_GROUP_COLUMNS[by])
    return needed


# Groupings other than periods and categories, by the rollup column they group.
ROLLUP_GROUP_COLUMNS = {"district": "region_code", "link": "link", "lab": "lab_id"}


def smallest_rollup(needed: set[str], grain: str) -> str | None:
    """The first (smallest) rollup kind kept at ``grain`` that keeps every ``needed``."""
    for name, (dimensions, grains) in summary_sql.ROLLUPS.items():
        if grain in grains and needed <= set(dimensions):
            return name
    return None


def split_range(low: date | None, high: date | None):
    """(whole months, edge-day ranges) of the dates ``low``..``high`` (None: open).

    The whole months are ``(first, last)``, the first day of the first whole month and the
    last day of the last one (either None when open), or None when no month is whole; the
    edges are at most two ``(first, last)`` day ranges, the partial months at either end."""
    whole_low = low if low is None or low.day == 1 else _next_month(low)
    whole_high = (
        high
        if high is None or _last_day_of_month(high)
        else high.replace(day=1) - timedelta(days=1)
    )
    edges: list[tuple[date, date]] = []
    if low is not None and whole_low is not None and whole_low != low:
        end = whole_low - timedelta(days=1)
        edges.append((low, end if high is None else min(high, end)))
    if high is not None and whole_high != high:
        start = high.replace(day=1) if low is None else max(low, high.replace(day=1))
        if not edges or start > edges[0][1]:
            edges.append((start, high))
    months = None
    if whole_low is None or whole_high is None or whole_low <= whole_high:
        months = (whole_low, whole_high)
    return months, edges


def _next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def _last_day_of_month(day: date) -> bool:
    return (day.month == 12 and day.day == 31) or (day + timedelta(days=1)).day == 1


_DIMENSION_COLUMNS = summary_sql.ROLLUP_DIMENSIONS


def _nulled(table, day) -> list[Any]:
    """The date and dimensions of a rollup or delta table, labelled as on ``samples``, with
    the sentinels (0, '') as NULL."""
    columns: list[Any] = [day.label("sampling_date"), table.c.inspection_type]
    for name in _DIMENSION_COLUMNS[1:]:
        column = table.c[name]
        sentinel = (
            literal_column("0", Integer)
            if isinstance(column.type, Integer)
            else literal_column("''", String)
        )
        columns.append(func.nullif(column, sentinel, type_=column.type).label(name))
    return columns


def _rollup_part(kind: str, grain: str, low: date | None, high: date | None):
    """Rows of one rollup kind and grain in ``low``..``high``, sentinels as NULL."""
    table = SampleRollup.__table__
    columns = _nulled(table, table.c.period)
    conditions = [table.c.rollup == kind, table.c.grain == grain]
    if low is not None:
        conditions.append(table.c.period >= low)
    if high is not None:
        conditions.append(table.c.period <= high)
    counts = [table.c[name] for name in summary_sql.ROLLUP_COUNTS]
    return select(*columns, *counts).where(*conditions)


def _delta_part(ranges: list[tuple[date | None, date | None]]):
    """PostgreSQL's deltas not folded in yet (never any on SQLite) of the days in
    ``ranges`` (those answered by rollup rows), like rollup rows."""
    table = SampleRollupDelta.__table__
    columns = _nulled(table, table.c.day)
    within = []
    for low, high in ranges:
        bounds: list[ColumnElement[bool]] = [literal(True)]
        if low is not None:
            bounds.append(table.c.day >= low)
        if high is not None:
            bounds.append(table.c.day <= high)
        within.append(and_(*bounds))
    counts = [table.c[name] for name in summary_sql.ROLLUP_COUNTS]
    return select(*columns, *counts).where(or_(*within))


def _samples_part(low: date, high: date):
    """Counted samples of the days ``low``..``high`` (by the date index), like rollup rows."""
    one, zero = literal_column("1", Integer), literal_column("0", Integer)
    columns: list[Any] = [
        Sample.sampling_date.label("sampling_date"),
        type_coerce(Sample.inspection_type, String).label("inspection_type"),
        Sample.cat_l1_id,
        Sample.cat_l2_id,
        Sample.cat_l3_id,
        Sample.cat_l4_id,
        Sample.region_code,
        type_coerce(Sample.link, String).label("link"),
        Sample.lab_id,
        one.label("samples"),
        case((Sample.conclusion == Conclusion.QUALIFIED, one), else_=zero).label("qualified"),
        case((Sample.conclusion == Conclusion.UNQUALIFIED, one), else_=zero).label("unqualified"),
    ]
    return select(*columns).where(
        Sample.status.not_in(LEFT_OUT),
        Sample.sampling_date >= low,
        Sample.sampling_date <= high,
    )


def rollup_source(session: Session, filters: StatsFilter, needed: set[str]) -> _Source:
    """The rollup rows answering a question about ``needed`` over the filters' dates
    (``source.column(name)``: ``sampling_date``, the dimensions, NULL for a sentinel, and
    the counts ``samples``, ``qualified``, ``unqualified``; the caller sums them)."""
    month_kind = smallest_rollup(needed, "month")
    day_kind = smallest_rollup(needed, "day")
    assert month_kind is not None  # kind 'all' keeps every dimension
    months, edges = split_range(filters.date_from, filters.date_to)
    parts: list[Select[Any]] = []
    from_rollups: list[tuple[date | None, date | None]] = []  # the days rollup rows cover
    if months is not None:
        parts.append(_rollup_part(month_kind, "month", *months))
        from_rollups.append(months)
    for low, high in edges:
        if day_kind:
            parts.append(_rollup_part(day_kind, "day", low, high))
            from_rollups.append((low, high))
        else:  # counted on the samples themselves: their deltas are in them already
            parts.append(_samples_part(low, high))
    if from_rollups and session.get_bind().dialect.name == "postgresql":
        parts.append(_delta_part(from_rollups))
    if len(parts) == 1:
        return _Source(parts[0].subquery("counted"), summary=True)
    return _Source(union_all(*parts).subquery("counted"), summary=True)


def _rollup_conditions(source: _Source, filters: StatsFilter, parent: FoodCategory | None) -> list:
    """WHERE clauses on the rollup rows selecting the samples of ``filters`` (the dates
    are in the rows chosen already)."""
    conditions: list = []
    if filters.type_condition:
        conditions.append(
            source.column("inspection_type").in_(
                sorted(t.value for t in set(filters.inspection_types))
            )
        )
    if parent is not None:
        conditions.append(source.level_column(parent.level) == parent.id)
    return conditions


# --- SQL pieces ----------------------------------------------------------------------------


def sample_conditions(
    session: Session, filters: StatsFilter, *, include_rejected: bool = False
) -> list:
    """WHERE clauses selecting the samples of ``filters`` (rejected ones only if asked);
    voided ones (作废) never."""
    left_out = [SampleStatus.VOIDED] if include_rejected else [*LEFT_OUT]
    conditions: list = [Sample.status.not_in(left_out)]
    if filters.date_from:
        conditions.append(Sample.sampling_date >= filters.date_from)
    if filters.date_to:
        conditions.append(Sample.sampling_date <= filters.date_to)
    if filters.plan_id:
        conditions.append(Sample.plan_id == filters.plan_id)
    if filters.task_id:
        conditions.append(Sample.task_id == filters.task_id)
    if filters.type_condition:
        conditions.append(Sample.inspection_type.in_(sorted(set(filters.inspection_types))))
    if filters.parent_id:
        parent = session.get(FoodCategory, filters.parent_id)
        if parent is not None:
            conditions.append(CATEGORY_LEVEL_COLUMNS[parent.level] == parent.id)
    return conditions


def _key_food_condition(categories: list[FoodCategory], source: _Source = _SAMPLES):
    by_level: dict[int, list[int]] = {}
    for category in categories:
        by_level.setdefault(category.level, []).append(category.id)
    if not by_level:
        return literal(False)
    return or_(*(source.level_column(lvl).in_(ids) for lvl, ids in sorted(by_level.items())))


def _counts() -> _Counts:
    """samples, qualified, unqualified as aggregate columns (on ``samples``)."""
    return (
        func.count(),
        func.coalesce(func.sum(case((Sample.conclusion == Conclusion.QUALIFIED, 1), else_=0)), 0),
        func.coalesce(func.sum(case((Sample.conclusion == Conclusion.UNQUALIFIED, 1), else_=0)), 0),
    )


def _total(session: Session, source: _Source, conditions: list) -> StatRow:
    samples, qualified, unqualified = session.execute(
        select(*source.counts()).select_from(source.table).where(*conditions)
    ).one()
    return StatRow("total", _("Total"), int(samples), int(qualified), int(unqualified))


def _group_counts(
    session: Session, source: _Source, key: SQLColumnExpression[Any], conditions: list
) -> list[tuple[Any, int, int, int]]:
    samples, qualified, unqualified = source.counts()
    query = (
        select(key, samples, qualified, unqualified)
        .select_from(source.table)
        .where(*conditions)
        .group_by(key)
        .order_by(key)
    )
    if source.summary:  # rows and deltas netting to nothing are no group of samples
        query = query.having(samples > 0)
    # Rows are indexed, not unpacked: mypy types the parts of an unpacked Row as object.
    return [(row[0], int(row[1]), int(row[2]), int(row[3])) for row in session.execute(query)]


def _category_rows(
    session: Session, source: _Source, conditions: list, level: int
) -> list[StatRow]:
    counts = _group_counts(session, source, source.level_column(level), conditions)
    categories = _categories_by_id(session, [k for k, *_ in counts if k is not None])
    rows = []
    for key, n, q, u in counts:
        category = categories.get(key)
        name = category.name_zh if category else _("Not classified at this level")
        rows.append(StatRow(key, name, n, q, u))
    # StatRow.key is any grouping's key; here a category id or None.
    order: dict[object, tuple[int, str]] = {
        cid: (c.sort_order, c.code) for cid, c in categories.items()
    }
    return sorted(rows, key=lambda r: (r.key is None, order.get(r.key, (0, ""))))


def _key_food_rows(
    session: Session, source: _Source, conditions: list, categories: list[FoodCategory]
) -> list[StatRow]:
    by_level: dict[int, list[FoodCategory]] = {}
    for category in categories:
        by_level.setdefault(category.level, []).append(category)
    counts: dict[int, tuple] = {}
    for lvl, members in by_level.items():
        column = source.level_column(lvl)
        for key, n, q, u in _group_counts(
            session, source, column, [*conditions, column.in_([c.id for c in members])]
        ):
            counts[key] = (n, q, u)
    return [StatRow(c.id, c.name_zh, *counts.get(c.id, (0, 0, 0))) for c in categories]


def _grouped_rows(session: Session, source: _Source, conditions: list, by: str) -> list[StatRow]:
    column = {**ROLLUP_GROUP_COLUMNS, "sampler": "sampler_id"}.get(by)
    if column is not None:
        key = source.column(column)
    else:
        key = period_expression(session, source.column("sampling_date"), by)
    counts = _group_counts(session, source, key, conditions)
    if by == "link":  # the rollups hold the link's text, samples the enum
        counts = [(Link(k), n, q, u) for k, n, q, u in counts]
    names = _names(session, by, [k for k, *_ in counts if k is not None])
    return [
        StatRow(k, names.get(k, str(k)) if k is not None else _("Not recorded"), n, q, u)
        for k, n, q, u in counts
    ]


def period_expression(session: Session, column, period: str):
    """``column`` (a date) as 'YYYY-MM', 'YYYY-Qn' or 'YYYY', on SQLite and PostgreSQL."""
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}")
    if session.get_bind().dialect.name == "postgresql":
        pattern = {"month": "YYYY-MM", "quarter": 'YYYY-"Q"Q', "year": "YYYY"}[period]
        return func.to_char(column, pattern)
    if period == "quarter":
        quarter = (cast(func.strftime("%m", column), Integer) + 2) // 3
        return func.strftime("%Y", column) + "-Q" + cast(quarter, String)
    return func.strftime({"month": "%Y-%m", "year": "%Y"}[period], column)


# --- the rollups: folding, checking and rebuilding them --------------------------------------


def fold_deltas(session: Session, *, wait: bool = False) -> int | None:
    """PostgreSQL: fold the committed deltas into the rollups; returns how many rollup rows
    the fold touched, or None when another fold holds the lock (``wait``: wait for it).

    Writers only append deltas, so a fold never waits for them nor they for it; folds run
    one at a time and upsert in key order.  Nothing to do on SQLite (no deltas there)."""
    if session.get_bind().dialect.name != "postgresql":
        return 0
    lock = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
    locked = session.execute(text(f"SELECT {lock}({summary_sql.FOLD_LOCK})")).scalar()
    if locked is False:
        return None
    create, move, upsert, prune = summary_sql.rollup_fold_sql()
    session.execute(text(create))
    session.execute(text(move))
    touched: int = session.execute(text("SELECT count(*) FROM rollup_fold")).scalar_one()
    session.execute(text(upsert))
    session.execute(text(prune))
    session.execute(text("DROP TABLE rollup_fold"))
    # The deadline board's counters append their deltas the same way (models.deadline_sql).
    for statement in deadline_sql.fold_sql():
        session.execute(text(statement))
    return int(touched)


def fold_pending(session: Session) -> bool:
    """PostgreSQL: fold the deltas in if there are any and no other fold is running;
    whether it did (the caller commits).  Nothing on SQLite, which has no deltas."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    pending = union_all(
        select(SampleRollupDelta.id).limit(1), select(DeadlineCountDelta.id).limit(1)
    )
    if session.execute(pending).first() is None:
        return False
    return fold_deltas(session) is not None


def rollup_counts(session: Session) -> dict[tuple, tuple[int, int, int]]:
    """Every rollup row with its counts, the deltas not folded in yet added (no zeros)."""
    table = SampleRollup.__table__
    key = [table.c[name] for name in summary_sql.ROLLUP_KEY]
    counts = [table.c[name] for name in summary_sql.ROLLUP_COUNTS]
    rows: dict[tuple, tuple[int, int, int]] = {
        tuple(row[:-3]): (int(row[-3]), int(row[-2]), int(row[-1]))
        for row in session.execute(select(*key, *counts))
    }
    dialect = session.get_bind().dialect.name
    deltas = text(
        f"SELECT {', '.join(summary_sql.rollup_key_values('d', dialect, day='day'))}, "
        f"sum(d.samples), sum(d.qualified), sum(d.unqualified) "
        f"FROM sample_rollup_deltas d CROSS JOIN {summary_sql.rollup_kinds_sql()} "
        f"GROUP BY {', '.join(str(i) for i in range(1, len(key) + 1))}"
    ).columns(*key, *counts)
    for row in session.execute(deltas):
        before = rows.get(tuple(row[:-3]), (0, 0, 0))
        rows[tuple(row[:-3])] = tuple(  # type: ignore[assignment]
            b + int(d) for b, d in zip(before, row[-3:], strict=True)
        )
    return {k: v for k, v in rows.items() if v != (0, 0, 0)}


def _recounted(session: Session) -> dict[tuple, tuple[int, int, int]]:
    """Every rollup row as recounted from the samples."""
    table = SampleRollup.__table__
    key = [table.c[name] for name in summary_sql.ROLLUP_KEY]
    counts = [table.c[name] for name in summary_sql.ROLLUP_COUNTS]
    dialect = session.get_bind().dialect.name
    fill = summary_sql.rollup_fill_sql(dialect, [s.value for s in LEFT_OUT])
    query = text(fill[fill.index("SELECT ") :]).columns(*key, *counts)
    return {
        tuple(row[:-3]): (int(row[-3]), int(row[-2]), int(row[-1]))
        for row in session.execute(query)
    }


def summary_matches_samples(session: Session) -> bool:
    """Whether the rollups (with the deltas) hold exactly the counts recomputed from
    ``samples``."""
    return rollup_counts(session) == _recounted(session)


def rebuild_summary(session: Session) -> int:
    """Recompute the rollups from ``samples`` (the operator's repair tool); returns how
    many rollup rows differed (0: they were exact, and are left untouched)."""
    if session.get_bind().dialect.name == "postgresql":
        # Writers wait until the transaction ends: nothing changes between count and rewrite.
        session.execute(text("LOCK TABLE samples IN SHARE MODE"))
        fold_deltas(session, wait=True)
    current, recounted = rollup_counts(session), _recounted(session)
    differing = sum(
        1 for key in current.keys() | recounted.keys() if current.get(key) != recounted.get(key)
    )
    if differing:
        from labsys.services import audit  # not imported by the pass-rate read (labsys stats)

        refill(session)
        audit.record(
            session, None, "sample_rollups", "all", "rebuild", new={"differing": differing}
        )
        session.flush()
    return differing


def refill(session: Session) -> None:
    """Empty the rollups and the deltas and count them again from ``samples`` (one kind at a
    time: each a single GROUP BY over the samples)."""
    dialect = session.get_bind().dialect.name
    session.execute(delete(SampleRollupDelta))
    session.execute(delete(SampleRollup))
    for kind in summary_sql.ROLLUPS:
        session.execute(
            text(summary_sql.rollup_fill_sql(dialect, [s.value for s in LEFT_OUT], kind=kind))
        )


def _categories_by_id(session: Session, ids: list[int]) -> dict[int, FoodCategory]:
    if not ids:
        return {}
    return {c.id: c for c in session.scalars(select(FoodCategory).where(FoodCategory.id.in_(ids)))}


# Up to this many keys, names are read by an IN list; beyond it, all of them (2,800 counties).
_NAMES_BY_KEY = 200


def _names(session: Session, by: str, keys: list) -> dict:
    if not keys:
        return {}
    if by == "district":
        query = select(Region.code, Region.name_zh)
        if len(keys) <= _NAMES_BY_KEY:  # else every name: one plain read beats a huge IN list
            query = query.where(Region.code.in_(keys))
        return dict(session.execute(query).all())
    if by == "lab":
        return dict(session.execute(select(Lab.id, Lab.name).where(Lab.id.in_(keys))).all())
    if by == "sampler":
        return {
            uid: full or username
            for uid, full, username in session.execute(
                select(User.id, User.full_name, User.username).where(User.id.in_(keys))
            )
        }
    if by == "link":
        return {key: Link(key).title for key in keys}
    return {key: key for key in keys}  # periods name themselves
