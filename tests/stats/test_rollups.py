"""Pass rates at any date range from the rollups: exactly the direct count on ``samples``
(property tests over random data and ranges), no sample scanned for whole months and the
days at either end, and (PostgreSQL) concurrent writers that neither deadlock nor queue."""

from __future__ import annotations

import hashlib
import itertools
import re
import threading
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, insert, text

from labsys.extensions import db
from labsys.models import Conclusion, InspectionType, Link, Sample, SampleStatus, summary_sql
from labsys.services import stats
from labsys.services.stats import StatsFilter, smallest_rollup, split_range

from stats_support import *  # noqa: F403 - the shared fixtures

Q, U, INC = Conclusion.QUALIFIED, Conclusion.UNQUALIFIED, Conclusion.INCONCLUSIVE
DAY0 = date(2025, 11, 1)
DAYS = 120  # 2025-11-01 .. 2026-02-28: a year boundary and a short February
_numbers = itertools.count(1)


# --- the split of a range into whole months and edge days (pure) ----------------------------

dates = st.integers(min_value=0, max_value=800).map(lambda n: date(2024, 1, 1) + timedelta(n))


@given(low=st.none() | dates, high=st.none() | dates)
def test_split_range_covers_every_day_once(low, high):
    if low and high and low > high:
        low, high = high, low
    months, edges = split_range(low, high)
    first, last = low or date(2023, 12, 1), high or date(2026, 5, 31)
    covered = []
    if months is not None:
        m_low, m_high = months
        assert m_low is None or m_low.day == 1
        assert m_high is None or (m_high + timedelta(1)).day == 1
        day = m_low or first.replace(day=1)
        while day <= (m_high or last):
            covered.append(day)
            day += timedelta(1)
    for e_low, e_high in edges:
        assert e_low.month == e_high.month and e_low.year == e_high.year  # one partial month
        covered.extend(e_low + timedelta(n) for n in range((e_high - e_low).days + 1))
    assert len(edges) <= 2
    expected = [first + timedelta(n) for n in range((last - first).days + 1)]
    if low is None:  # open ranges: only the days from ``first`` are compared
        covered = [d for d in covered if d >= first]
    if high is None:
        covered = [d for d in covered if d <= last]
    assert sorted(covered) == expected


def test_the_smallest_rollup_that_answers_is_read():
    assert smallest_rollup(set(), "month") == "l1"
    assert smallest_rollup({"cat_l2_id"}, "day") == "l2"
    assert smallest_rollup({"cat_l1_id", "cat_l4_id"}, "month") == "l4"
    assert smallest_rollup({"region_code"}, "day") == "region"
    assert smallest_rollup({"region_code", "inspection_type"}, "day") == "region_t"
    assert smallest_rollup({"region_code", "cat_l1_id"}, "month") == "all"
    assert smallest_rollup({"region_code", "cat_l1_id"}, "day") is None  # edges: samples


def test_the_trigger_sql_of_applied_migrations_is_unchanged():
    """0010 and 0030 made their triggers from text now produced by summary_sql: the same."""
    made = {
        f"0010 {dialect}": summary_sql.legacy_triggers(
            dialect,
            counted=summary_sql.counted_0010,
            watched=summary_sql.WATCHED_0010,
            status_changed="(OLD.status = 'rejected') <> (NEW.status = 'rejected')",
        )
        for dialect in ("sqlite", "postgresql")
    } | {
        f"0030 {dialect}": summary_sql.legacy_triggers_0030(dialect, ("rejected", "voided"))
        for dialect in ("sqlite", "postgresql")
    }
    digests = {k: hashlib.sha256("\n".join(v).encode()).hexdigest()[:16] for k, v in made.items()}
    # The digests of the text the migrations produced before it moved here.
    assert digests == {
        "0010 sqlite": "aa810c03c23d30ad",
        "0010 postgresql": "a4d20bb9ed99ba5f",
        "0030 sqlite": "21cc3deeba20a8ad",
        "0030 postgresql": "3f6e4c3ae2e094eb",
    }


# --- random data, random ranges: the rollups give the direct count ---------------------------

ROWS = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=DAYS - 1),  # sampling day
        st.integers(min_value=0, max_value=2),  # which of the dataset's foods
        st.sampled_from([Q, U, INC, None]),
        st.sampled_from(
            [SampleStatus.CONCLUDED, SampleStatus.RECEIVED, SampleStatus.REJECTED]
            + [SampleStatus.VOIDED]
        ),
        st.sampled_from(list(InspectionType)),
        st.sampled_from(["110101", "110105", None]),
        st.sampled_from([Link.RETAIL, Link.CATERING]),
    ),
    max_size=25,
)
RANGES = st.tuples(
    st.none() | st.integers(min_value=-5, max_value=DAYS + 5),
    st.none() | st.integers(min_value=-5, max_value=DAYS + 5),
)
QUESTIONS = st.sampled_from(
    [
        {"by": "category", "level": 1},
        {"by": "category", "level": 2},
        {"by": "category", "level": 4},
        {"by": "category", "key_foods": True},
        {"by": "district"},
        {"by": "district", "key_foods": True},
        {"by": "district", "level": 2},
        {"by": "link"},
        {"by": "lab"},
        {"by": "month"},
        {"by": "quarter"},
        {"by": "year"},
    ]
)
TYPES = st.sampled_from([(), (InspectionType.SUPERVISION,), tuple(InspectionType)[1:]])


def _insert(dataset, rows) -> None:
    foods = [dataset.samples[0], dataset.samples[5], dataset.samples[8]]
    values = []
    for day, food, conclusion, status, kind, region, link in rows:
        model = foods[food]
        values.append(
            {
                column: getattr(model, column)
                for column in ("visit_id", "category_id", "food_name", "quantity", "sampler_id")
                + ("cat_l1_id", "cat_l2_id", "cat_l3_id", "cat_l4_id", "lab_id")
            }
            | {
                "sample_no": f"RND{next(_numbers):08d}",
                "sampling_date": DAY0 + timedelta(day),
                "conclusion": conclusion,
                "status": status,
                "inspection_type": kind,
                "region_code": region,
                "link": link,
            }
        )
    if values:
        db.session.execute(insert(Sample), values)
    db.session.commit()


def _direct(**options):
    stats._FORCE_SAMPLES = True
    try:
        return stats.compute(db.session, **options)
    finally:
        stats._FORCE_SAMPLES = False


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=ROWS,
    ranges=st.lists(RANGES, min_size=1, max_size=4),
    question=QUESTIONS,
    types=TYPES,
    fold_first=st.booleans(),
)
def test_any_range_from_the_rollups_is_the_direct_count(
    dataset, rows, ranges, question, types, fold_first
):
    _insert(dataset, rows)
    if fold_first:
        stats.fold_deltas(db.session, wait=True)
        db.session.commit()
    for low, high in ranges:
        filters = StatsFilter(
            date_from=None if low is None else DAY0 + timedelta(low),
            date_to=None if high is None else DAY0 + timedelta(high),
            inspection_types=types,
        )
        if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
            continue
        via_rollups = stats.compute(db.session, filters=filters, **question)
        direct = _direct(filters=filters, **question)
        assert via_rollups.total == direct.total, (filters, question)
        assert via_rollups.rows == direct.rows, (filters, question)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=ROWS, low=st.integers(0, DAYS - 1), high=st.integers(0, DAYS - 1))
def test_drill_down_at_any_range_is_the_direct_count(dataset, rows, low, high):
    _insert(dataset, rows)
    low, high = sorted((low, high))
    parents = {int(p) for p in dataset.flour.path.strip("/").split("/")}
    for parent_id in sorted(parents):
        filters = StatsFilter(
            date_from=DAY0 + timedelta(low), date_to=DAY0 + timedelta(high), parent_id=parent_id
        )
        for options in ({"by": "category", "level": 1}, {"by": "district"}):
            assert stats.compute(db.session, filters=filters, **options).rows == (
                _direct(filters=filters, **options).rows
            )


# --- year to date reads no sample ----------------------------------------------------------

SCANS_SAMPLES = re.compile(r"\b(FROM|JOIN)\s+samples\b", re.IGNORECASE)


@pytest.fixture
def statements():
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    yield seen
    event.remove(db.engine, "before_cursor_execute", note)


def test_year_to_date_and_partial_ranges_read_no_samples(dataset, statements):
    for filters in (
        StatsFilter(date_from=date(2026, 1, 1), date_to=date(2026, 2, 17)),
        StatsFilter(date_from=date(2026, 1, 9), date_to=date(2026, 1, 20)),
        StatsFilter(date_from=date(2025, 12, 30), date_to=date(2026, 4, 2)),
    ):
        for options in (
            {"by": "category"},
            {"by": "category", "level": 4, "key_foods": True},
            {"by": "district"},
            {"by": "lab"},
            {"by": "month"},
        ):
            statements.clear()
            stats.compute(db.session, filters=filters, **options)
            assert not [s for s in statements if SCANS_SAMPLES.search(s)], options
    # Types filter through the rollups too.
    statements.clear()
    stats.compute(db.session, filters=StatsFilter(inspection_types=(InspectionType.EVALUATION,)))
    assert not [s for s in statements if SCANS_SAMPLES.search(s)]


# --- PostgreSQL: concurrent conclusions in opposite orders -----------------------------------


def _postgresql_only():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's concurrent writers (SQLite has one writer at a time)")


def test_concurrent_writers_in_opposite_orders_neither_deadlock_nor_queue(dataset):
    """Two transactions conclude samples of the same two summary keys in opposite orders
    (flour then leek, leek then flour) on connections of their own; with the old triggers
    the second statement of each waited for the other (a deadlock).  Now each finishes
    while the other is still open, and the counts come out exact."""
    _postgresql_only()
    engine = db.engine
    stats.fold_deltas(db.session, wait=True)
    db.session.commit()
    flour = [s.id for s in dataset.samples[:4]]  # 通用小麦粉, 2026-01, 东城
    leek = [s.id for s in dataset.samples[5:8]]  # 韭菜, 2026-02, 朝阳
    step = threading.Barrier(2, timeout=10)
    second_done = threading.Event()
    errors: list[BaseException] = []
    update = text("UPDATE samples SET conclusion = 'unqualified' WHERE id = :id")

    def first() -> None:  # flour, then leek; commits only after the second has committed
        try:
            with engine.connect() as connection:
                connection.execute(text("SET lock_timeout = '1s'"))
                connection.execute(update, {"id": flour[0]})
                step.wait()
                step.wait()  # the second has written its leek
                connection.execute(update, {"id": leek[0]})
                step.wait()
                assert second_done.wait(timeout=10), "the second writer queued behind the first"
                connection.commit()
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
            step.abort()

    def second() -> None:  # leek, then flour, while the first is open on both keys
        try:
            with engine.connect() as connection:
                # Waiting for a lock at all fails the test (instead of hanging it).
                connection.execute(text("SET lock_timeout = '1s'"))
                step.wait()  # the first has written its flour
                connection.execute(update, {"id": leek[1]})
                step.wait()
                step.wait()  # the first has written its leek too, and is still open
                connection.execute(update, {"id": flour[1]})
                connection.commit()
                second_done.set()
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
            step.abort()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    db.session.expire_all()
    assert stats.summary_matches_samples(db.session)
    direct = _direct()
    assert stats.compute(db.session).total == direct.total
    stats.fold_deltas(db.session, wait=True)
    db.session.commit()
    assert stats.summary_matches_samples(db.session)
    assert db.session.scalar(text("SELECT count(*) FROM sample_rollup_deltas")) == 0
    assert stats.compute(db.session).rows == direct.rows


def test_many_threads_conclude_in_random_orders_and_the_counts_stay_exact(dataset):
    _postgresql_only()
    engine = db.engine
    ids = [s.id for s in dataset.samples]
    errors: list[BaseException] = []

    def work(order: list[int], conclusion: str) -> None:
        try:
            with engine.connect() as connection:
                connection.execute(text("SET lock_timeout = '5s'"))
                for sample_id in order:
                    connection.execute(
                        text("UPDATE samples SET conclusion = :c WHERE id = :id"),
                        {"c": conclusion, "id": sample_id},
                    )
                connection.commit()
                if conclusion == "qualified":  # some fold while others write
                    with engine.connect() as folder:
                        from sqlalchemy.orm import Session

                        with Session(folder) as session:
                            stats.fold_deltas(session)
                            session.commit()
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    # Disjoint samples per thread (a sample row itself is locked by its writer), keys shared.
    chunks = [ids[i::4] for i in range(4)]
    threads = [
        threading.Thread(target=work, args=(chunk[:: 1 if i % 2 else -1], c))
        for i, (chunk, c) in enumerate(zip(chunks, ["qualified", "unqualified"] * 2, strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    db.session.expire_all()
    assert stats.summary_matches_samples(db.session)
    assert stats.compute(db.session).total == _direct().total
