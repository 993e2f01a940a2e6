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

Where a question can be answered from the summary table ``sample_stats`` (counts per month
and dimension, kept exactly in step by triggers on ``samples``: migration 0010), the
aggregate sums that small table instead of scanning the samples: no plan or task filter,
dates absent or on whole months, any grouping but the sampler.  Everything else (and
partial months) is counted on ``samples`` itself.  Both give identical rows.
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
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    text,
    type_coerce,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from labsys.core.rates import pass_rate, wilson_interval
from labsys.models import (
    Conclusion,
    FoodCategory,
    InspectionType,
    Lab,
    Link,
    Region,
    Sample,
    SampleStat,
    SampleStatus,
    User,
)
from labsys.services import ServiceError, audit

GROUPINGS = ("category", "district", "link", "month", "quarter", "year", "lab", "sampler")
PERIODS = ("month", "quarter", "year")
CATEGORY_LEVEL_COLUMNS = {
    1: Sample.cat_l1_id,
    2: Sample.cat_l2_id,
    3: Sample.cat_l3_id,
    4: Sample.cat_l4_id,
}
SUMMARY_LEVEL_COLUMNS = {
    1: SampleStat.cat_l1_id,
    2: SampleStat.cat_l2_id,
    3: SampleStat.cat_l3_id,
    4: SampleStat.cat_l4_id,
}
# Tests set this to count every statistic on ``samples`` (the exact query without the summary).
_FORCE_SAMPLES = False
# Samples no pass rate counts: rejected at receipt, and voided (作废); the summary table's
# triggers leave out the same two (migration 0030).
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
    source = _SUMMARY if _summary_answers(filters, by) else _SAMPLES
    conditions = (
        _summary_conditions(filters, parent)
        if source.summary
        else sample_conditions(session, filters)
    )
    key_food_list = key_food_categories(session) if key_foods else []
    if key_foods:
        conditions.append(_key_food_condition(key_food_list, source))
    total = _total(session, source, conditions)
    if key_foods and by == "category":
        rows = _key_food_rows(session, source, conditions, key_food_list)
    elif by == "category":
        if parent is not None and parent.level >= level:
            level = min(parent.level + 1, 4)
        rows = _category_rows(session, source, conditions, level)
    else:
        rows = _grouped_rows(session, source, conditions, by)
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


# --- where the counts come from: the samples, or the summary table --------------------------


# samples, qualified, unqualified: aggregate columns of one grouped query
_Counts = tuple[ColumnElement[int], ColumnElement[int], ColumnElement[int]]


@dataclass(frozen=True)
class _Source:
    """``samples`` (one row per sample) or ``sample_stats`` (a count per combination)."""

    summary: bool

    @property
    def table(self):
        return SampleStat.__table__ if self.summary else Sample.__table__

    def level_column(self, level: int):
        """The category column of ``level``, for conditions (never compared with NULL)."""
        return (SUMMARY_LEVEL_COLUMNS if self.summary else CATEGORY_LEVEL_COLUMNS)[level]

    def group_key(self, column):
        """A dimension as a grouping key: the summary's sentinels (0, '') become NULL, so
        keys, and the place NULL sorts in on each database, are those of ``samples``."""
        if not self.summary:
            return column
        sentinel: ColumnElement[Any] = (
            literal_column("0", Integer)
            if isinstance(column.type, Integer)
            else literal_column("''", String)
        )
        return func.nullif(column, sentinel, type_=column.type)

    def counts(self) -> _Counts:
        """samples, qualified, unqualified as aggregate columns."""
        if not self.summary:
            return _counts()
        n = SampleStat.samples
        zero = literal_column("0", Integer)
        return (
            func.coalesce(func.sum(n), zero),
            func.coalesce(
                func.sum(
                    case((SampleStat.conclusion == Conclusion.QUALIFIED.value, n), else_=zero)
                ),
                zero,
            ),
            func.coalesce(
                func.sum(
                    case((SampleStat.conclusion == Conclusion.UNQUALIFIED.value, n), else_=zero)
                ),
                zero,
            ),
        )


_SAMPLES = _Source(summary=False)
_SUMMARY = _Source(summary=True)


def _summary_answers(filters: StatsFilter, by: str) -> bool:
    """Whether ``sample_stats`` holds the answer: whole months, no plan/task, no sampler."""
    if _FORCE_SAMPLES or by == "sampler" or filters.plan_id or filters.task_id:
        return False
    if filters.type_condition:
        return False
    if filters.date_from and filters.date_from.day != 1:
        return False
    return not filters.date_to or _last_day_of_month(filters.date_to)


def _last_day_of_month(day: date) -> bool:
    return (day.month == 12 and day.day == 31) or (day + timedelta(days=1)).day == 1


def _summary_conditions(filters: StatsFilter, parent: FoodCategory | None) -> list:
    """WHERE clauses on ``sample_stats`` selecting the samples of ``filters``."""
    conditions = [SampleStat.samples > 0]
    if filters.date_from:
        conditions.append(SampleStat.month >= filters.date_from.strftime("%Y-%m"))
    if filters.date_to:
        conditions.append(SampleStat.month <= filters.date_to.strftime("%Y-%m"))
    if parent is not None:
        conditions.append(SUMMARY_LEVEL_COLUMNS[parent.level] == parent.id)
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
    # Rows are indexed, not unpacked: mypy types the parts of an unpacked Row as object.
    return [
        (row[0], int(row[1]), int(row[2]), int(row[3]))
        for row in session.execute(
            select(key, samples, qualified, unqualified)
            .select_from(source.table)
            .where(*conditions)
            .group_by(key)
            .order_by(key)
        )
    ]


def _category_rows(
    session: Session, source: _Source, conditions: list, level: int
) -> list[StatRow]:
    counts = _group_counts(
        session, source, source.group_key(source.level_column(level)), conditions
    )
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
    if source.summary:
        key = {
            "district": source.group_key(SampleStat.region_code),
            "link": SampleStat.link,
            "lab": source.group_key(SampleStat.lab_id),
        }.get(by)
        if key is None:
            key = _month_period(SampleStat.month, by)
    else:
        key = {
            "district": Sample.region_code,
            "link": Sample.link,
            "lab": Sample.lab_id,
            "sampler": Sample.sampler_id,
        }.get(by)
        if key is None:
            key = period_expression(session, Sample.sampling_date, by)
    counts = _group_counts(session, source, key, conditions)
    if by == "link":  # the summary holds the link's text, samples the enum
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


def _month_period(column, period: str):
    """``column`` (text 'YYYY-MM') as 'YYYY-MM', 'YYYY-Qn' or 'YYYY' (both databases)."""
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}")
    if period == "month":
        return column
    year = func.substr(column, literal_column("1"), literal_column("4"), type_=String)
    if period == "year":
        return year
    month = cast(
        func.substr(column, literal_column("6"), literal_column("2"), type_=String), Integer
    )
    quarter = (month + literal_column("2", Integer)) // literal_column("3", Integer)
    return year.concat(literal_column("'-Q'")).concat(cast(quarter, String))


# --- the summary table: checking and rebuilding it -----------------------------------------


def _recounted_dimensions(session: Session) -> list:
    """The summary's dimensions computed from a samples row (as the triggers compute them)."""
    zero, empty = literal_column("0", Integer), literal_column("''", String)
    return [
        period_expression(session, Sample.sampling_date, "month"),
        func.coalesce(Sample.cat_l1_id, zero),
        func.coalesce(Sample.cat_l2_id, zero),
        func.coalesce(Sample.cat_l3_id, zero),
        func.coalesce(Sample.cat_l4_id, zero),
        func.coalesce(Sample.region_code, empty),
        type_coerce(Sample.link, String),
        func.coalesce(Sample.lab_id, zero),
        func.coalesce(type_coerce(Sample.conclusion, String), empty),
    ]


def _recount_query(session: Session):
    dimensions = _recounted_dimensions(session)
    return (
        select(*dimensions, func.count())
        .where(Sample.status.not_in(LEFT_OUT))
        .group_by(*dimensions)
    )


SUMMARY_DIMENSIONS = (
    "month",
    "cat_l1_id",
    "cat_l2_id",
    "cat_l3_id",
    "cat_l4_id",
    "region_code",
    "link",
    "lab_id",
    "conclusion",
)


def _summary_counts(session: Session) -> dict[tuple, int]:
    columns = [SampleStat.__table__.c[name] for name in SUMMARY_DIMENSIONS]
    return {
        tuple(row[:-1]): int(row[-1])
        for row in session.execute(
            select(*columns, SampleStat.samples).where(SampleStat.samples > 0)
        )
    }


def _recounted(session: Session) -> dict[tuple, int]:
    return {tuple(row[:-1]): int(row[-1]) for row in session.execute(_recount_query(session))}


def summary_matches_samples(session: Session) -> bool:
    """Whether ``sample_stats`` holds exactly the counts recomputed from ``samples``."""
    return _summary_counts(session) == _recounted(session)


def rebuild_summary(session: Session) -> int:
    """Recompute ``sample_stats`` from ``samples`` (the operator's repair tool); returns how
    many combinations differed (0: it was exact, and is left untouched)."""
    if session.get_bind().dialect.name == "postgresql":
        # Writers wait until the transaction ends: nothing changes between count and rewrite.
        session.execute(text("LOCK TABLE samples IN SHARE MODE"))
    current, recounted = _summary_counts(session), _recounted(session)
    differing = sum(
        1 for key in current.keys() | recounted.keys() if current.get(key) != recounted.get(key)
    )
    if differing:
        session.execute(delete(SampleStat))
        session.execute(
            insert(SampleStat).from_select(
                [*SUMMARY_DIMENSIONS, "samples"], _recount_query(session)
            )
        )
        audit.record(session, None, "sample_stats", "all", "rebuild", new={"differing": differing})
        session.flush()
    return differing


def _categories_by_id(session: Session, ids: list[int]) -> dict[int, FoodCategory]:
    if not ids:
        return {}
    return {c.id: c for c in session.scalars(select(FoodCategory).where(FoodCategory.id.in_(ids)))}


def _names(session: Session, by: str, keys: list) -> dict:
    if not keys:
        return {}
    if by == "district":
        return dict(
            session.execute(select(Region.code, Region.name_zh).where(Region.code.in_(keys))).all()
        )
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
