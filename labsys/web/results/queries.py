"""Read queries of the lab pages: my work, worksheets, the review queue, a sample's results
and history."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Select, bindparam, exists, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from labsys.models import ResultStatus, Sample, SampleResult, SampleStatus, TestItem, User
from labsys.models.id_set import in_id_set
from labsys.models.results import OPEN_RESULT_STATES
from labsys.services.results import EDITABLE, TESTING_STATUSES


def my_work_query(conditions: Sequence = ()) -> Select:
    """Ids of the samples in testing with results still to enter, narrowed by
    ``conditions`` (the queue filters)."""
    open_rows = exists().where(
        SampleResult.sample_id == Sample.id, SampleResult.status.in_(EDITABLE)
    )
    return select(Sample.id).where(Sample.status == SampleStatus.RECEIVED, open_rows, *conditions)


def status_counts(
    session: Session, samples: Sequence[Sample]
) -> dict[int, dict[ResultStatus, int]]:
    """Per sample, how many of its results are in each status."""
    counts: dict[int, dict[ResultStatus, int]] = {}
    if samples:
        for sample_id, status, count in session.execute(
            select(SampleResult.sample_id, SampleResult.status, func.count())
            .where(SampleResult.sample_id.in_([s.id for s in samples]))
            .group_by(SampleResult.sample_id, SampleResult.status)
        ):
            counts.setdefault(sample_id, {})[status] = count
    return counts


def open_items(session: Session) -> list[tuple[int, str, int]]:
    """(test item id, name, open results) for every item with results to enter.

    One count per test item on the worksheet index (test item, status), without joining each
    open row to its sample (~0.3 s at 130,000 open rows): open rows are created at receipt and
    a sample is concluded only when all its rows are accepted, so they belong to samples in
    testing; the one exception, a retest of a sample already reported, is open work and counts
    too.
    """
    open_rows = (
        select(func.count())
        .where(SampleResult.test_item_id == TestItem.id, SampleResult.status.in_(EDITABLE))
        .scalar_subquery()
    )
    # Open rows of voided samples (few: found from the samples' status index) are no work.
    voided = dict(
        session.execute(
            select(SampleResult.test_item_id, func.count())
            .join(Sample, Sample.id == SampleResult.sample_id)
            .where(Sample.status == SampleStatus.VOIDED, SampleResult.status.in_(EDITABLE))
            .group_by(SampleResult.test_item_id)
        ).all()
    )
    return [
        (item_id, name, count - voided.get(item_id, 0))
        for item_id, name, count in session.execute(
            select(TestItem.id, TestItem.name_zh, open_rows).order_by(TestItem.name_zh, TestItem.id)
        )
        if count - voided.get(item_id, 0)
    ]


def worksheet_query(item_id: int) -> Select:
    """Open results of one test item on samples in testing (the worksheet's rows).

    The states are written into the SQL as literals (not parameters), in the order of the
    partial index ``ix_sample_results_open_by_item``'s condition, so that both databases
    prove the index applies and read the item's open rows in id order (PostgreSQL otherwise
    walked the primary key past the item's accepted rows: 43 ms at 100,000 samples)."""
    open_states = bindparam(
        "open_states",
        [ResultStatus(state) for state in OPEN_RESULT_STATES],
        expanding=True,
        literal_execute=True,
    )
    return (
        select(SampleResult)
        .join(Sample, Sample.id == SampleResult.sample_id)
        .where(
            SampleResult.test_item_id == item_id,
            SampleResult.status.in_(open_states),
            Sample.status.in_(TESTING_STATUSES),
        )
        .options(selectinload(SampleResult.sample))
    )


def posted_results(session: Session, item_id: int, ids: Iterable[int | None]) -> list[SampleResult]:
    """The results of a worksheet form that was posted (only this item's)."""
    return list(
        session.scalars(
            select(SampleResult)
            .where(SampleResult.test_item_id == item_id, SampleResult.id.in_([i for i in ids if i]))
            .options(selectinload(SampleResult.sample))
        )
    )


def _awaiting_review(reviewer: User) -> tuple:
    """Submitted results ``reviewer`` may review (entered by someone else)."""
    return (
        SampleResult.status == ResultStatus.SUBMITTED,
        SampleResult.entered_by_id != reviewer.id,
    )


def review_queue_query(reviewer: User, conditions: Sequence = ()) -> Select:
    """Ids of the samples with results awaiting ``reviewer`` (``Sample.id``), narrowed by
    ``conditions`` on the sample (the queue filters).

    The samples awaiting review are found first: the distinct sample ids of the submitted
    results (the index on status, sample id), a few thousand at most even at 1,000,000
    samples; then those samples are looked up by id, filtered and ordered (by id or due
    date), so the cost is bounded by the queue's size whatever the planner estimates
    (``in_id_set``; by due date it took 0.3–3.1 s at that size on PostgreSQL as a join).
    """
    waiting = select(SampleResult.sample_id).where(*_awaiting_review(reviewer)).distinct()
    return select(Sample.id).where(
        in_id_set(Sample.id, waiting), Sample.status != SampleStatus.VOIDED, *conditions
    )


def awaiting_review_by_sample(
    session: Session, reviewer: User, samples: Sequence[Sample]
) -> dict[int, list[SampleResult]]:
    """Per sample, its results awaiting ``reviewer``, in test-item order."""
    grouped: dict[int, list[SampleResult]] = {}
    if samples:
        for result in session.scalars(
            select(SampleResult)
            .where(SampleResult.sample_id.in_([s.id for s in samples]), *_awaiting_review(reviewer))
            .options(joinedload(SampleResult.entered_by))
            .order_by(SampleResult.sample_id, SampleResult.seq, SampleResult.id)
        ):
            grouped.setdefault(result.sample_id, []).append(result)
    return grouped


def results_of_sample(session: Session, sample: Sample, ids: Iterable[int]) -> list[SampleResult]:
    """The rows of ``sample`` among ``ids`` (the ones a form posted back)."""
    return list(
        session.scalars(
            select(SampleResult).where(
                SampleResult.sample_id == sample.id, SampleResult.id.in_(list(ids))
            )
        )
    )


def all_results(session: Session, sample: Sample) -> list[SampleResult]:
    """Every result row of a sample, superseded ones included, with who entered and
    reviewed it."""
    return list(
        session.scalars(
            select(SampleResult)
            .where(SampleResult.sample_id == sample.id)
            .options(joinedload(SampleResult.entered_by), joinedload(SampleResult.reviewed_by))
            .order_by(SampleResult.seq, SampleResult.id)
        )
    )


def full_names(session: Session, user_ids: Iterable[int]) -> dict[int, str]:
    ids = set(user_ids)
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).all())


def item_names(session: Session, sample: Sample) -> dict[int, str]:
    """Test-item name of each result row of a sample (by result id)."""
    return dict(
        session.execute(
            select(SampleResult.id, SampleResult.item_name).where(
                SampleResult.sample_id == sample.id
            )
        ).all()
    )
