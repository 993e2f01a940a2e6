"""Read queries of the bench pages: work per technician, my assigned work, the next result
of a worksheet, the instrument choices."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from labsys.models import (
    BenchRecord,
    Instrument,
    ResultAssignment,
    ResultStatus,
    Sample,
    SampleResult,
    TestItem,
    User,
)
from labsys.services.assignments import IN_TESTING, OPEN

# Statuses counted per technician: what is still theirs to do, and what awaits review.
COUNTED = (*OPEN, ResultStatus.SUBMITTED)


def counts_per_technician(session: Session) -> dict[int, dict[ResultStatus, int]]:
    """technician id → {status: rows assigned to them in it} (open and submitted rows)."""
    counts: dict[int, dict[ResultStatus, int]] = {}
    for technician_id, status, count in session.execute(
        select(ResultAssignment.technician_id, SampleResult.status, func.count())
        .join(SampleResult, SampleResult.id == ResultAssignment.result_id)
        .where(SampleResult.status.in_(COUNTED))
        .group_by(ResultAssignment.technician_id, SampleResult.status)
    ):
        counts.setdefault(technician_id, {})[status] = count
    return counts


def unassigned_open(session: Session) -> list[tuple[int, str, int]]:
    """(test item id, name, open rows nobody is assigned) per test item with such rows."""
    assigned = select(ResultAssignment.result_id).where(
        ResultAssignment.result_id == SampleResult.id
    )
    return [
        (item_id, name, count)
        for item_id, name, count in session.execute(
            select(TestItem.id, TestItem.name_zh, func.count(SampleResult.id))
            .join(SampleResult, SampleResult.test_item_id == TestItem.id)
            .join(Sample, Sample.id == SampleResult.sample_id)
            .where(
                SampleResult.status.in_(OPEN),
                Sample.status.in_(IN_TESTING),
                ~assigned.exists(),
            )
            .group_by(TestItem.id, TestItem.name_zh)
            .order_by(TestItem.name_zh, TestItem.id)
        )
    ]


def my_samples(
    session: Session, user: User, limit: int = 200
) -> list[tuple[Sample, dict[ResultStatus, int]]]:
    """Samples with open rows assigned to ``user`` and, per sample, how many of those rows
    are in each status (oldest sample first)."""
    rows = session.execute(
        select(SampleResult.sample_id, SampleResult.status, func.count())
        .join(ResultAssignment, ResultAssignment.result_id == SampleResult.id)
        .join(Sample, Sample.id == SampleResult.sample_id)
        .where(
            ResultAssignment.technician_id == user.id,
            SampleResult.status.in_(COUNTED),
            Sample.status.in_(IN_TESTING),
        )
        .group_by(SampleResult.sample_id, SampleResult.status)
    ).all()
    counts: dict[int, dict[ResultStatus, int]] = {}
    for sample_id, status, count in rows:
        counts.setdefault(sample_id, {})[status] = count
    ids = sorted(counts)[:limit]
    samples = {s.id: s for s in session.scalars(select(Sample).where(Sample.id.in_(ids)))}
    return [(samples[i], counts[i]) for i in ids if i in samples]


def my_items(session: Session, user: User) -> list[tuple[int, str, int]]:
    """(test item id, name, open rows assigned to ``user``) per test item."""
    return [
        tuple(row)
        for row in session.execute(
            select(TestItem.id, TestItem.name_zh, func.count(SampleResult.id))
            .join(SampleResult, SampleResult.test_item_id == TestItem.id)
            .join(ResultAssignment, ResultAssignment.result_id == SampleResult.id)
            .join(Sample, Sample.id == SampleResult.sample_id)
            .where(
                ResultAssignment.technician_id == user.id,
                SampleResult.status.in_(OPEN),
                Sample.status.in_(IN_TESTING),
            )
            .group_by(TestItem.id, TestItem.name_zh)
            .order_by(TestItem.name_zh, TestItem.id)
        )
    ]


def next_result(session: Session, user: User, result: SampleResult) -> SampleResult | None:
    """The next open row of the same test item after ``result`` (by id, wrapping round) that
    ``user`` may enter: assigned to them or to nobody."""
    assigned_elsewhere = (
        select(ResultAssignment.result_id)
        .where(
            ResultAssignment.result_id == SampleResult.id,
            ResultAssignment.technician_id != user.id,
        )
        .exists()
    )
    query = (
        select(SampleResult)
        .join(Sample, Sample.id == SampleResult.sample_id)
        .where(
            SampleResult.test_item_id == result.test_item_id,
            SampleResult.status.in_(OPEN),
            Sample.status.in_(IN_TESTING),
            SampleResult.id != result.id,
            ~assigned_elsewhere,
        )
        .order_by(SampleResult.id)
        .limit(1)
    )
    return session.scalar(query.where(SampleResult.id > result.id)) or session.scalar(query)


def records_of(session: Session, results: Sequence[SampleResult]) -> list[tuple]:
    """(result, bench record, instrument or None, who recorded it) for the rows that have a
    bench record, in the rows' order."""
    by_id = {r.id: r for r in results}
    if not by_id:
        return []
    found = {
        record.result_id: (record, instrument, user)
        for record, instrument, user in session.execute(
            select(BenchRecord, Instrument, User)
            .outerjoin(Instrument, Instrument.id == BenchRecord.instrument_id)
            .join(User, User.id == BenchRecord.recorded_by_id)
            .where(BenchRecord.result_id.in_(list(by_id)))
        )
    }
    return [(r, *found[r.id]) for r in results if r.id in found]


def last_record(session: Session, user: User, item: TestItem) -> BenchRecord | None:
    """The latest bench record ``user`` made for a result of ``item``."""
    return session.scalar(
        select(BenchRecord)
        .join(SampleResult, SampleResult.id == BenchRecord.result_id)
        .where(BenchRecord.recorded_by_id == user.id, SampleResult.test_item_id == item.id)
        .order_by(BenchRecord.recorded_at.desc(), BenchRecord.result_id.desc())
        .limit(1)
    )
