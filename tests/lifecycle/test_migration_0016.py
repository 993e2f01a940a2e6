"""Migration 0016 names the states of existing rows: a reported sample without a conclusion
is reopened; a follow-up's status follows the dates recorded; and back down again, with the
sample_stats triggers still counting (SQLite edits the CHECK in place instead of rebuilding
the samples table)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from flask_migrate import downgrade, upgrade
from foundation.test_migrations import scratch_app  # noqa: F401 - the fixture
from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError

from labsys.extensions import db
from labsys.models import (
    Conclusion,
    Enterprise,
    FoodCategory,
    Link,
    Sample,
    SampleStatus,
    SamplingVisit,
    User,
)

DATES = {
    "open": {},
    "notified": {"notified_on": date(2026, 3, 2)},
    "retest_requested": {"notified_on": date(2026, 3, 2), "retest_requested_on": date(2026, 3, 4)},
    "backup_received": {
        "notified_on": date(2026, 3, 2),
        "retest_requested_on": date(2026, 3, 4),
        "retest_backup_received_on": date(2026, 3, 5),
    },
    "retested": {
        "notified_on": date(2026, 3, 2),
        "retest_requested_on": date(2026, 3, 4),
        "retest_backup_received_on": date(2026, 3, 5),
        "retest_conclusion": Conclusion.UNQUALIFIED,
    },
}


def _samples(statuses_and_conclusions) -> list[SimpleNamespace]:
    user = User(username="u", password_hash="x")
    unit = Enterprise(name="某超市")
    category = FoodCategory(code="01", level=1, name_zh="粮食加工品")
    db.session.add_all([user, unit, category])
    db.session.flush()
    # A Core insert names only the columns given (and their defaults): the visit's later
    # columns (0030's voided_at) do not exist yet at this revision.
    visit_id = db.session.execute(
        insert(SamplingVisit.__table__).values(
            sampled_unit_id=unit.id,
            sampling_date=date(2026, 3, 1),
            link=Link.RETAIL.value,
            created_by_id=user.id,
        )  # fmt: skip
    ).inserted_primary_key[0]
    # Plain INSERTs of the columns named: the model has columns of later migrations.
    samples = []
    for n, (status, conclusion) in enumerate(statuses_and_conclusions):
        values = {
            "sample_no": f"S{n}",
            "visit_id": visit_id,
            "status": status.value,
            "conclusion": conclusion.value if conclusion else None,
            "category_id": category.id,
            "cat_l1_id": category.id,
            "food_name": "小麦粉",
            "quantity": "2",
            "quantity_unit": "",
            "brand": "",
            "specification": "",
            "batch_no": "",
            "shelf_life": "",
            "sampling_base": "",
            "sampling_date": date(2026, 3, 1),
            "link": Link.RETAIL.value,
            "sampler_id": user.id,
            "created_at": datetime(2026, 3, 1, tzinfo=UTC),
            "version_id": 1,
        }
        table = Sample.__table__
        inserted = db.session.execute(
            table.insert().values({table.c[k]: v for k, v in values.items()})
        )
        samples.append(SimpleNamespace(id=inserted.inserted_primary_key[0]))
    return samples


# The counted samples by the rollups of 0035 (kind l1 by month, and PostgreSQL's deltas).
COUNTED_AT_HEAD = (
    "SELECT (SELECT coalesce(sum(samples), 0) FROM sample_rollups WHERE rollup = 'l1' "
    "AND grain = 'month') + (SELECT coalesce(sum(samples), 0) FROM sample_rollup_deltas)"
)


def _column(sql: str) -> list:
    """The values read, and the session's transaction ended (the migrations lock)."""
    values = list(db.session.execute(text(sql)).scalars())
    db.session.rollback()
    return values


def test_existing_rows_get_their_named_states_and_back(scratch_app):  # noqa: F811
    directory = scratch_app.extensions["migrate"].directory
    upgrade(directory=directory, revision="0024")  # the follow-up's retest columns: until 0025
    samples = _samples(
        [(SampleStatus.REOPENED, None), (SampleStatus.REPORTED, Conclusion.UNQUALIFIED)]
        + [(SampleStatus.CONCLUDED, Conclusion.UNQUALIFIED)] * len(DATES)
    )
    for sample, dates in zip(samples[2:], DATES.values(), strict=True):
        columns = {"sample_id": sample.id, "opened_at": "2026-03-01 00:00:00", **dates}
        db.session.execute(
            text(
                f"INSERT INTO followups ({', '.join(columns)}, version_id) "
                f"VALUES ({', '.join(':' + c for c in columns)}, 1)"
            ),
            {k: (v.value if hasattr(v, "value") else v) for k, v in columns.items()},
        )
    db.session.commit()
    counted = _column("SELECT sum(samples) FROM sample_stats")

    downgrade(directory=directory, revision="0015")
    assert _column("SELECT status FROM samples ORDER BY id")[:2] == ["reported", "reported"]
    upgrade(directory=directory, revision="0024")
    assert _column("SELECT status FROM samples ORDER BY id")[:2] == ["reopened", "reported"]
    assert _column("SELECT status FROM followups ORDER BY id") == list(DATES)
    # 0025: the retest has a table of its own; the follow-up is open or notified.
    upgrade(directory=directory)
    assert _column("SELECT status FROM followups ORDER BY id") == ["open"] + ["notified"] * 4
    assert _column(COUNTED_AT_HEAD) == counted

    # The CHECK still refuses what is not a state, and the triggers still count.
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE samples SET status = 'lost' WHERE sample_no = 'S0'"))
    db.session.rollback()
    db.session.execute(text("UPDATE samples SET status = 'rejected' WHERE sample_no = 'S0'"))
    assert _column(COUNTED_AT_HEAD) == [counted[0] - 1]
