"""The pass-rate rollups ``sample_rollups``: exactly in step with ``samples`` on every write
path (triggers; on PostgreSQL through the deltas), and ``stats.compute`` identical through
them and through ``samples``."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, insert, select, text, update

from labsys.extensions import db
from labsys.models import Conclusion, InspectionType, Link, Sample, SampleRollup, SampleStatus
from labsys.services import stats
from labsys.services.stats import StatsFilter

from stats_support import *  # noqa: F403 - the shared fixtures

Q, U, INC = Conclusion.QUALIFIED, Conclusion.UNQUALIFIED, Conclusion.INCONCLUSIVE

# Sample columns copied by the bulk insert (everything the table requires, and the
# dimensions of the summary).
COPIED = [
    "visit_id",
    "status",
    "category_id",
    "food_name",
    "quantity",
    "sampling_date",
    "region_code",
    "link",
    "task_id",
    "plan_id",
    "lab_id",
    "sampler_id",
    "cat_l1_id",
    "cat_l2_id",
    "cat_l3_id",
    "cat_l4_id",
    "conclusion",
]


_bulk_numbers = itertools.count(1)


def in_step() -> bool:
    db.session.flush()
    return stats.summary_matches_samples(db.session)


def summary_total() -> int:
    """Counted samples by the rollups (kind l1 by month), deltas not folded yet included."""
    return sum(
        counts[0]
        for key, counts in stats.rollup_counts(db.session).items()
        if key[:2] == ("l1", "month")
    )


def fold() -> None:
    """Fold PostgreSQL's deltas into the rollups (nothing on SQLite) and commit."""
    stats.fold_deltas(db.session, wait=True)
    db.session.commit()


def counted() -> int:
    return db.session.scalar(
        select(func.count()).select_from(Sample).where(Sample.status != SampleStatus.REJECTED)
    )


def bulk_copy(samples: list, times: int = 1, **changes) -> None:
    """A Core ``insert(Sample)`` of copies of ``samples`` (no ORM, like the bulk loaders)."""
    rows = []
    for _ in range(times):
        for sample in samples:
            row = {column: getattr(sample, column) for column in COPIED}
            row.update(sample_no=f"BULK{next(_bulk_numbers):08d}", **changes)
            rows.append(row)
    db.session.execute(insert(Sample), rows)
    db.session.commit()


# --- the triggers keep it exact --------------------------------------------------------------


def test_filled_by_inserts_and_rejected_samples_not_counted(dataset):
    assert in_step()
    assert summary_total() == counted() == 11
    fold()
    flour_jan = db.session.scalar(
        select(func.sum(SampleRollup.samples)).where(
            SampleRollup.rollup == "l4",
            SampleRollup.grain == "month",
            SampleRollup.period == date(2026, 1, 1),
            SampleRollup.cat_l4_id == dataset.flour.id,
        )
    )
    assert flour_jan == 5  # the rejected sample of 2026-01-16 is not in it
    assert (
        db.session.scalar(
            select(func.count()).select_from(SampleRollup).where(SampleRollup.samples <= 0)
        )
        == 0
    )


def test_conclusion_changes(dataset):
    sample = dataset.samples[0]  # qualified flour
    sample.conclusion = U
    db.session.commit()
    assert in_step()
    sample.conclusion = None
    db.session.commit()
    assert in_step()
    assert stats.compute(db.session).total.unqualified == 2
    sample.conclusion = Q
    db.session.commit()
    assert in_step()


def test_rejection_and_unrejection(dataset):
    sample = dataset.samples[1]
    sample.status = SampleStatus.REJECTED
    db.session.commit()
    assert in_step() and summary_total() == 10
    sample.conclusion = U  # a change while rejected moves nothing
    db.session.commit()
    assert in_step() and summary_total() == 10
    sample.status = SampleStatus.CONCLUDED
    db.session.commit()
    assert in_step() and summary_total() == 11
    rejected = db.session.scalar(select(Sample).where(Sample.status == SampleStatus.REJECTED))
    rejected.status = SampleStatus.RECEIVED  # the sample rejected from the start
    db.session.commit()
    assert in_step() and summary_total() == 12


def test_category_date_region_link_lab_changes(dataset, make_category):
    water = make_category("饮料", "包装饮用水")  # levels 3 and 4 missing
    sample = dataset.samples[5]  # leek, 朝阳, lab 02
    sample.category_id = water.id
    sample.cat_l1_id, sample.cat_l2_id = water.parent_id, water.id
    sample.cat_l3_id = sample.cat_l4_id = None
    db.session.commit()
    assert in_step()
    sample.sampling_date = date(2025, 12, 31)
    db.session.commit()
    assert in_step()
    sample.region_code = None
    db.session.commit()
    assert in_step()
    sample.region_code = "110101"
    sample.link = Link.ONLINE
    sample.lab_id = None
    db.session.commit()
    assert in_step()
    sample.lab_id = dataset.lab.id
    db.session.commit()
    assert in_step() and summary_total() == 11


def test_status_change_that_keeps_the_counts_fires_nothing(dataset):
    fold()
    before = stats.rollup_counts(db.session)
    pending = dataset.samples[4]
    pending.status = SampleStatus.CONCLUDED  # received -> concluded: still counted
    db.session.commit()
    assert db.session.scalar(text("SELECT count(*) FROM sample_rollup_deltas")) == 0
    assert stats.rollup_counts(db.session) == before and in_step()


def test_deletions(dataset):
    for sample in dataset.samples[:3]:
        db.session.delete(sample)
    db.session.commit()
    assert in_step() and summary_total() == 8
    db.session.execute(text("DELETE FROM samples"))
    db.session.commit()
    assert in_step() and summary_total() == 0
    fold()
    assert db.session.scalar(select(func.count()).select_from(SampleRollup)) == 0


def test_bulk_core_insert_and_update(dataset):
    bulk_copy(dataset.samples, times=20)
    assert in_step() and summary_total() == 11 + 20 * 11
    bulk_copy(dataset.samples[:2], status=SampleStatus.REJECTED)
    assert in_step() and summary_total() == 11 + 20 * 11
    db.session.execute(
        update(Sample).where(Sample.conclusion == INC).values(conclusion=Q)
    )  # a set-based UPDATE
    db.session.commit()
    assert in_step()
    db.session.execute(
        update(Sample).where(Sample.region_code == "110105").values(status=SampleStatus.REJECTED)
    )
    db.session.commit()
    assert in_step()


def test_rebuild_repairs_and_reports(app, dataset):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["stats", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "nothing to rebuild" in result.output
    fold()
    db.session.execute(update(SampleRollup).values(samples=SampleRollup.samples + 7))
    db.session.execute(delete(SampleRollup).where(SampleRollup.period == date(2026, 4, 1)))
    db.session.commit()
    assert not in_step()
    # The rollups answer: a broken table shows (hence the repair tool) ...
    assert stats.compute(db.session).total.samples != 11
    db.session.rollback()
    result = runner.invoke(args=["stats", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "rebuilt" in result.output
    assert in_step() and stats.compute(db.session).total.samples == 11
    # ... and the plain statistics command still runs as before.
    result = runner.invoke(args=["stats", "--format", "json"])
    assert result.exit_code == 0 and '"samples": 11' in result.output


def test_partial_months_are_counted_on_day_rows(dataset):
    fold()
    db.session.execute(
        update(SampleRollup)
        .where(SampleRollup.grain == "month")
        .values(samples=SampleRollup.samples + 100)
    )
    db.session.commit()
    # The days at either end of a range come from the (intact) day rows, whole months
    # from the (here corrupted) month rows; the sampler is counted on the samples.
    assert stats.compute(db.session, by="sampler").total.samples == 11
    first_days = StatsFilter(date_from=date(2026, 1, 2), date_to=date(2026, 1, 31))
    in_january = db.session.scalar(
        select(func.count())
        .select_from(Sample)
        .where(
            Sample.status != SampleStatus.REJECTED,
            Sample.sampling_date.between(date(2026, 1, 2), date(2026, 1, 31)),
        )
    )
    assert stats.compute(db.session, filters=first_days).total.samples == in_january > 0
    assert stats.compute(db.session).total.samples > 11


# --- compute: identical through the summary and through samples -----------------------------


def _both(**options):
    via_summary = stats.compute(db.session, **options)
    stats._FORCE_SAMPLES = True
    try:
        via_samples = stats.compute(db.session, **options)
    finally:
        stats._FORCE_SAMPLES = False
    return via_summary, via_samples


def _assert_identical(**options):
    a, b = _both(**options)
    assert (a.by, a.level, a.key_foods, a.parent) == (b.by, b.level, b.key_foods, b.parent)
    assert a.total == b.total, options
    assert a.rows == b.rows, options
    assert a.as_json() == b.as_json()


FILTERS = [
    StatsFilter(),
    StatsFilter(date_from=date(2026, 1, 1), date_to=date(2026, 2, 28)),
    StatsFilter(date_from=date(2026, 2, 1)),
    StatsFilter(date_to=date(2026, 3, 31)),
    StatsFilter(date_from=date(2026, 5, 1), date_to=date(2026, 12, 31)),  # nothing in it
]


@pytest.fixture
def varied(dataset, make_category, make_sample):
    """The dataset plus samples without district or lab, and a category two levels deep."""
    water = make_category("饮料", "包装饮用水", key_food_level=1)
    for conclusion, region in [(Q, None), (U, "110105"), (None, None), (Q, "110102")]:
        sample = make_sample(
            water,
            sampler=dataset.sampler,
            sampling_date=date(2026, 3, 31),
            link=Link.ONLINE,
            region_code=region,
            conclusion=conclusion,
        )
        if conclusion:
            sample.status = SampleStatus.CONCLUDED
    db.session.commit()
    assert in_step()
    return dataset


def test_every_grouping_identical_through_both_paths(varied):
    for filters in FILTERS:
        for key_foods in (False, True):
            for level in (1, 2, 3, 4):
                _assert_identical(by="category", level=level, key_foods=key_foods, filters=filters)
            for by in ("district", "link", "lab", "month", "quarter", "year"):
                _assert_identical(by=by, key_foods=key_foods, filters=filters)


def test_drill_down_identical_through_both_paths(varied):
    parents = {
        int(p)
        for leaf in (varied.flour, varied.leek, varied.milk)
        for p in leaf.path.strip("/").split("/")
    }
    for parent_id in parents:
        for level in (1, 2, 3, 4):
            _assert_identical(by="category", level=level, filters=StatsFilter(parent_id=parent_id))
        _assert_identical(by="district", filters=StatsFilter(parent_id=parent_id))


def test_identical_on_bulk_data(varied):
    bulk_copy(varied.samples, times=5, sampling_date=date(2026, 7, 1))
    for by in ("district", "month", "quarter", "lab", "link"):
        _assert_identical(by=by)
    _assert_identical(by="category", level=2)
    _assert_identical(by="category", key_foods=True)


# --- property: any sequence of writes keeps the summary exact --------------------------------

OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "conclusion",
                "status",
                "date",
                "region",
                "lab",
                "link",
                "type",
                "delete",
                "copy",
                "fold",
            ]
        ),
        st.integers(min_value=0, max_value=1000),
        st.sampled_from([Q, U, INC, None]),
        st.sampled_from(
            [date(2026, 1, 1), date(2026, 1, 31), date(2026, 6, 15), date(2025, 12, 31)]
        ),
        st.sampled_from(["110101", "110105", None]),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=OPERATIONS)
def test_random_writes_keep_the_summary_exact(dataset, operations):
    for name, pick, conclusion, day, region in operations:
        samples = db.session.scalars(select(Sample).order_by(Sample.id)).all()
        if not samples:
            break
        sample = samples[pick % len(samples)]
        if name == "conclusion":
            sample.conclusion = conclusion
        elif name == "status":
            sample.status = (
                SampleStatus.RECEIVED
                if sample.status == SampleStatus.REJECTED
                else SampleStatus.REJECTED
            )
        elif name == "date":
            sample.sampling_date = day
        elif name == "region":
            sample.region_code = region
        elif name == "lab":
            sample.lab_id = None if sample.lab_id else dataset.lab.id
        elif name == "link":
            sample.link = Link.ONLINE if sample.link != Link.ONLINE else Link.RETAIL
        elif name == "type":
            sample.inspection_type = (
                InspectionType.RISK_MONITORING
                if sample.inspection_type == InspectionType.SUPERVISION
                else InspectionType.SUPERVISION
            )
        elif name == "delete":
            db.session.delete(sample)
        elif name == "fold":
            fold()
        else:
            bulk_copy([sample], conclusion=conclusion)
        db.session.commit()
        assert in_step(), (name, pick)
    assert summary_total() == counted()
