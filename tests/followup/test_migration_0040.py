"""Migration 0040: the follow-up's copy of the backup's retention goes, after filling the
register where it lacked the day; and comes back from the register on the way down."""

from __future__ import annotations

from datetime import date

from flask_migrate import downgrade, upgrade
from foundation.test_migrations import scratch_app  # noqa: F401 - the fixture
from lifecycle.test_migration_0016 import _column, _samples
from sqlalchemy import inspect, text

from labsys.extensions import db
from labsys.models import Conclusion, SampleStatus

# Per sample: the follow-up's day, the register's row before (status, retain_until) or None,
# and the register's row expected after the upgrade.
CASES = [
    (date(2026, 9, 1), None, ("held", date(2026, 9, 1))),  # no row: entered from the column
    (date(2026, 9, 2), ("held", date(2026, 8, 15)), ("held", date(2026, 8, 15))),  # kept
    (date(2026, 9, 3), ("held", None), ("held", date(2026, 9, 3))),  # no day yet: filled
    (date(2026, 9, 4), ("disposed", None), ("disposed", None)),  # disposed: left alone
    (None, None, None),  # nothing to carry over: no row
]


def _register() -> dict:
    rows = db.session.execute(
        text("SELECT sample_id, status, retain_until FROM backup_samples")
    ).all()
    db.session.rollback()
    return {sid: (status, _day(until)) for sid, status, until in rows}


def _day(value):
    return date.fromisoformat(value) if isinstance(value, str) else value


def test_the_register_takes_the_followups_retention_and_gives_it_back(scratch_app):  # noqa: F811
    directory = scratch_app.extensions["migrate"].directory
    upgrade(directory=directory, revision="0039")
    samples = _samples([(SampleStatus.CONCLUDED, Conclusion.UNQUALIFIED)] * len(CASES))
    for sample, (kept, before, _after) in zip(samples, CASES, strict=True):
        db.session.execute(
            text(
                "INSERT INTO followups (sample_id, opened_at, status, backup_retain_until, "
                "version_id) VALUES (:s, '2026-03-01 00:00:00', 'open', :d, 1)"
            ),
            {"s": sample.id, "d": kept},
        )
        if before is not None:
            db.session.execute(
                text(
                    "INSERT INTO backup_samples (sample_id, status, retain_until, created_at, "
                    "version_id) VALUES (:s, :status, :d, '2026-03-01 00:00:00', 1)"
                ),
                {"s": sample.id, "status": before[0], "d": before[1]},
            )
    db.session.commit()

    upgrade(directory=directory, revision="0040")
    expected = {
        sample.id: after
        for sample, (_kept, _before, after) in zip(samples, CASES, strict=True)
        if after is not None
    }
    assert _register() == expected
    columns = {c["name"] for c in inspect(db.engine).get_columns("followups")}
    assert "backup_retain_until" not in columns
    # The entered row is a plain register row: created, version 1.
    created, version = db.session.execute(
        text("SELECT created_at, version_id FROM backup_samples WHERE sample_id = :s"),
        {"s": samples[0].id},
    ).one()
    db.session.rollback()
    assert created is not None and version == 1

    downgrade(directory=directory, revision="0039")
    restored = _column("SELECT backup_retain_until FROM followups ORDER BY sample_id")
    assert [_day(v) for v in restored] == [
        date(2026, 9, 1),
        date(2026, 8, 15),  # the register's day, which the register kept
        date(2026, 9, 3),
        None,
        None,
    ]
    upgrade(directory=directory)
    assert _register() == expected
