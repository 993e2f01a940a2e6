"""The deadline board's counters (issue #19 §3): kept by triggers per kind and due date, they
equal a count of the items themselves after any sequence of writes, on both databases."""

from __future__ import annotations

import secrets
import threading
from collections import Counter
from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, insert, select, text, update

from labsys.extensions import db
from labsys.models import (
    Applicant,
    Conclusion,
    DeadlineCount,
    DeadlineCountDelta,
    Disposal,
    DisposalStatus,
    FollowUp,
    Objection,
    ObjectionKind,
    ObjectionStatus,
    Report,
    ReportStatus,
    Retest,
    RetestStatus,
    Sample,
    SampleStatus,
)
from labsys.services import followup, stats

from stats_support import *  # noqa: F403 - the shared fixtures

DAYS = [date(2026, 3, d) for d in (2, 3, 9)] + [None]
DAY = st.sampled_from(DAYS)
SLOT = st.integers(min_value=0, max_value=2)  # one of three samples


def _brute_force() -> Counter:
    """Open items per (kind, due date), counted from the items (the board's own queries)."""
    counts: Counter = Counter()
    for kind in followup.DEADLINE_KINDS:
        for query, due in followup._deadline_branches(kind):
            rows = db.session.execute(
                query.with_only_columns(due, func.count()).where(due.is_not(None)).group_by(due)
            )
            for day, n in rows:
                counts[kind, day] += n
    return counts


def _counters() -> Counter:
    """The counters as the board reads them (on PostgreSQL with the deltas not folded yet)."""
    rows = followup.counter_rows(db.session)
    assert all(items > 0 for items in rows.values()), rows
    return Counter(rows)


@pytest.fixture
def three(dataset, supervisor):
    samples = dataset.samples[:3]
    return [s.id for s in samples], supervisor.id


def _report(sample_id: int, user_id: int, status: ReportStatus) -> dict:
    return {
        "report_no": f"R{secrets.token_hex(6)}",
        "sample_id": sample_id,
        "status": status,
        "food_name": "x",
        "sampled_unit_name": "x",
        "conclusion": Conclusion.QUALIFIED,
        "author_id": user_id,
        "approver_id": user_id,
        "issued_at": datetime(2026, 3, 1, tzinfo=UTC),
        "pdf": b"",
        "sha256": "0" * 64,
        "verify_token": secrets.token_hex(16),
    }


SAMPLE_CHANGE = st.fixed_dictionaries(
    {},
    optional={
        "status": st.sampled_from(list(SampleStatus)),
        "conclusion": st.sampled_from([*Conclusion, None]),
        "due_delivery": DAY,
        "due_report": DAY,
        "due_qualified_report": DAY,
        "due_unqualified_report": DAY,
        "due_service": DAY,
    },
)
OPERATION = st.one_of(
    st.tuples(st.just("sample"), SLOT, SAMPLE_CHANGE),
    st.tuples(st.just("report"), SLOT, st.sampled_from(list(ReportStatus))),
    st.tuples(st.just("reports_set"), SLOT, st.sampled_from(list(ReportStatus))),
    st.tuples(st.just("reports_delete"), SLOT, st.none()),
    st.tuples(st.just("reports_move"), SLOT, SLOT),
    st.tuples(st.just("followup"), SLOT, st.sampled_from([None, "open", "notified"])),
    st.tuples(st.just("retest"), SLOT, st.tuples(st.sampled_from(list(RetestStatus)), DAY)),
    st.tuples(st.just("retests_set"), SLOT, st.sampled_from(list(RetestStatus))),
    st.tuples(st.just("objection"), SLOT, st.tuples(st.sampled_from(list(ObjectionStatus)), DAY)),
    st.tuples(st.just("objections_delete"), SLOT, st.none()),
    st.tuples(st.just("disposal"), SLOT, st.tuples(st.sampled_from(list(DisposalStatus)), DAY)),
)


def _apply(operation, ids: list[int], user_id: int) -> None:
    name, slot, arg = operation
    sample_id = ids[slot]
    session = db.session
    if name == "sample" and arg:
        session.execute(update(Sample).where(Sample.id == sample_id).values(**arg))
    elif name == "report":
        session.execute(insert(Report).values(**_report(sample_id, user_id, arg)))
    elif name == "reports_set":  # several rows of one sample in one statement
        session.execute(update(Report).where(Report.sample_id == sample_id).values(status=arg))
    elif name == "reports_delete":
        reports = select(Report.id).where(Report.sample_id == sample_id)
        session.execute(delete(Disposal).where(Disposal.report_id.in_(reports)))
        session.execute(delete(Report).where(Report.sample_id == sample_id))
    elif name == "reports_move":
        session.execute(
            update(Report).where(Report.sample_id == sample_id).values(sample_id=ids[arg])
        )
    elif name == "followup":
        session.execute(delete(FollowUp).where(FollowUp.sample_id == sample_id))
        if arg is not None:
            notified = date(2026, 3, 1) if arg == "notified" else None
            session.execute(insert(FollowUp).values(sample_id=sample_id, notified_on=notified))
    elif name == "retest":
        status, due = arg
        session.execute(
            insert(Retest).values(
                sample_id=sample_id,
                status=status,
                applicant=Applicant.SAMPLED_UNIT,
                applicant_name="x",
                conclusion_received_on=date(2026, 3, 1),
                applied_on=date(2026, 3, 1),
                window_end=date(2026, 3, 9),
                decision_due=due,
                lab_due=due,
                handover_due=due,
                result_due=due,
            )
        )
    elif name == "retests_set":
        session.execute(update(Retest).where(Retest.sample_id == sample_id).values(status=arg))
    elif name == "objection":
        status, due = arg
        session.execute(
            insert(Objection).values(
                sample_id=sample_id,
                status=status,
                kind=ObjectionKind.SAMPLING_PROCESS,
                applicant=Applicant.SAMPLED_UNIT,
                applicant_name="x",
                grounds="x",
                filed_on=date(2026, 3, 1),
                window_end=date(2026, 3, 9),
                decision_due=due,
                review_due=due,
            )
        )
    elif name == "objections_delete":
        session.execute(delete(Objection).where(Objection.sample_id == sample_id))
    elif name == "disposal":
        status, due = arg
        report_id = session.scalar(select(Report.id).where(Report.sample_id == sample_id))
        session.execute(delete(Disposal).where(Disposal.sample_id == sample_id))
        if report_id is not None:
            session.execute(
                insert(Disposal).values(
                    sample_id=sample_id,
                    report_id=report_id,
                    received_on=date(2026, 3, 1),
                    status=status,
                    due=due,
                )
            )


def _reset(ids: list[int]) -> None:
    for table in (Disposal, Objection, Retest, FollowUp):
        db.session.execute(delete(table).where(table.sample_id.in_(ids)))
    db.session.execute(delete(Report).where(Report.sample_id.in_(ids)))
    db.session.commit()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(OPERATION, max_size=12))
def test_the_counters_equal_a_count_of_the_items(three, operations):
    ids, user_id = three
    try:
        for operation in operations:
            _apply(operation, ids, user_id)
        db.session.commit()
        assert _counters() == _brute_force()
    finally:
        db.session.rollback()
        _reset(ids)
    assert _counters() == _brute_force()


def test_the_board_counts_from_the_counters_as_days_pass(dataset, supervisor):
    sample = dataset.samples[0]
    db.session.execute(
        update(Sample)
        .where(Sample.id == sample.id)
        .values(status=SampleStatus.RECEIVED, due_report=date(2026, 3, 4))
    )
    db.session.commit()
    before_due = followup.deadline_board(db.session, date(2026, 3, 4), kind="report")
    after_due = followup.deadline_board(db.session, date(2026, 3, 5), kind="report")
    for board, today in ((before_due, date(2026, 3, 4)), (after_due, date(2026, 3, 5))):
        (kind,) = board.kinds
        assert kind.overdue == followup.counted_by_query(
            db.session, "report", lambda due, t=today: due < t
        )
        assert kind.due_soon == followup.counted_by_query(
            db.session,
            "report",
            lambda due, t=today: due >= t,
            lambda due, h=board.horizon: due <= h,
        )
    assert after_due.kinds[0].overdue == before_due.kinds[0].overdue + 1


# --- PostgreSQL: writers append deltas; the fold and the repair tool -------------------------


def _postgresql_only():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's concurrent writers (SQLite has one writer at a time)")


def test_concurrent_writers_on_two_due_dates_in_opposite_orders_never_wait(dataset):
    """Two transactions open report deadlines due on the same two dates in opposite orders.
    With 0034's counters updated in place, the second statement of each waited for the
    other's row (a deadlock); with deltas neither waits (a wait fails: lock_timeout)."""
    _postgresql_only()
    stats.fold_deltas(db.session, wait=True)
    db.session.commit()
    first_day, second_day = date(2026, 3, 2), date(2026, 3, 3)
    ids = [s.id for s in dataset.samples[:4]]
    engine = db.engine  # the threads have no app context
    step = threading.Barrier(2, timeout=10)
    errors: list[BaseException] = []
    opened = text("UPDATE samples SET status = 'received', due_report = :due WHERE id = :id")

    def writer(plan: list[tuple[int, date]]) -> None:
        try:
            with engine.connect() as connection:
                connection.execute(text("SET lock_timeout = '1s'"))
                for sample_id, due in plan:
                    connection.execute(opened, {"id": sample_id, "due": due})
                    step.wait()  # both have written their first date before the second
                connection.commit()
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
            step.abort()

    threads = [
        threading.Thread(target=writer, args=([(ids[0], first_day), (ids[1], second_day)],)),
        threading.Thread(target=writer, args=([(ids[2], second_day), (ids[3], first_day)],)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    db.session.expire_all()
    assert _counters() == _brute_force()
    assert db.session.scalar(select(func.count()).select_from(DeadlineCountDelta)) > 0
    # Folded in: the same counts, no delta left.
    stats.fold_deltas(db.session, wait=True)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(DeadlineCountDelta)) == 0
    assert _counters() == _brute_force()
    assert followup.counted(db.session, "report", since=first_day, until=second_day) == (
        followup.counted_by_query(
            db.session, "report", lambda due: due >= first_day, lambda due: due <= second_day
        )
    )


def test_the_repair_tool_recounts_tampered_counters(app, dataset):
    """A counter edited by hand (or by a bulk load with the triggers off) is put right by
    ``labsys stats rebuild``, which says how many differed; a second run finds none."""
    db.session.execute(
        update(Sample)
        .where(Sample.id == dataset.samples[0].id)
        .values(status=SampleStatus.RECEIVED, due_report=date(2026, 3, 4))
    )
    db.session.commit()
    db.session.execute(text("UPDATE deadline_counts SET items = items + 5"))
    db.session.execute(insert(DeadlineCount).values(kind="delivery", due=date(2020, 1, 1), items=3))
    db.session.commit()
    assert _counters() != _brute_force()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["stats", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "deadline_counts" in result.output and "rebuilt" in result.output
    db.session.expire_all()
    assert _counters() == _brute_force()
    again = runner.invoke(args=["stats", "rebuild"])
    assert again.exit_code == 0, again.output
    assert "rebuilt" not in again.output
