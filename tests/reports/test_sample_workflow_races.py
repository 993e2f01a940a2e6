"""Two users acting on one sample at the same moment take turns (``services.sample_lock``).

PostgreSQL only: SQLite lets one writer in at a time anyway.  In each test user A's step is
done and flushed but not committed (it holds the sample's row lock); user B's step, in a
thread with its own session, waits for it, then reads what A committed:

- an objection filed while the notification is recorded again: B's notification moves the
  objection A filed (its 7 working days count from the new day, Art. 37 *(verify)*);
- a result corrected while a retest is applied for: the correction suspended the
  conclusion, so B's application is refused (Art. 30: an unqualified conclusion only),
  instead of a retest under way on a sample whose conclusion is gone."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime

import pytest
import test_report_after_retest as after_retest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from labsys.core import clock
from labsys.extensions import db
from labsys.models import Applicant, FollowUp, Objection, ObjectionKind, Retest, Role, Sample, User
from labsys.services import ServiceError, followup, objections, results, retests

from stats_support import *  # noqa: F403 - the shared fixtures

reported = after_retest.unqualified  # the fixture: an unqualified sample, reported

TODAY = date(2026, 3, 20)
MON, WED = date(2026, 3, 2), date(2026, 3, 4)


def _postgresql_only():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("two writers at once: PostgreSQL (SQLite lets one writer in at a time)")


def _meanwhile(app, step) -> tuple[threading.Thread, list]:
    """Run ``step(session)`` as user B in a thread with its own session; it commits."""
    outcome: list = []

    def run():
        with app.app_context():
            other = Session(bind=db.engine)
            try:
                step(other)
                other.commit()
                outcome.append("done")
            except ServiceError as error:
                other.rollback()
                outcome.append(error)
            finally:
                other.close()

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(0.5)
    assert thread.is_alive(), outcome  # waiting for user A's transaction
    return thread, outcome


@pytest.fixture
def notified(dataset, supervisor):
    """The unqualified 通用小麦粉 sample, concluded Monday 2026-03-02 and notified then."""
    sample = dataset.samples[3]
    sample.concluded_at = datetime(2026, 3, 2, 9, 0).astimezone()
    with clock.frozen(TODAY):
        record = followup.open_followup(db.session, sample, supervisor)
        followup.record_notification(db.session, supervisor, record, MON)
    db.session.commit()
    return sample, record


def test_an_objection_filed_while_the_notification_moves_moves_with_it(app, notified, supervisor):
    _postgresql_only()
    sample, record = notified
    with clock.frozen(TODAY):
        objection = objections.file_objection(
            db.session,
            supervisor,
            sample,
            kind=ObjectionKind.TEST_METHOD,
            applicant=Applicant.PRODUCER,
            applicant_name="某面粉厂",
            grounds="检验方法不适用",
            filed_on=WED,
        )
        db.session.flush()  # user A: filed, not committed (holds the sample's row)
        assert objection.window_end == date(2026, 3, 11)

        def notify_again(other):
            followup.record_notification(
                other, other.get(User, supervisor.id), other.get(FollowUp, record.id), WED
            )

        thread, outcome = _meanwhile(app, notify_again)
        db.session.commit()
        thread.join(timeout=30)
    assert outcome == ["done"]
    db.session.expire_all()
    assert db.session.get(FollowUp, record.id).notified_on == WED
    assert db.session.get(Objection, objection.id).window_end == date(2026, 3, 13)


def test_a_retest_applied_for_while_the_result_is_corrected_is_refused(
    app, reported, boss, make_user
):
    _postgresql_only()
    sample = reported
    cadmium = next(r for r in sample.results if r.item_name.startswith("镉"))
    rev2 = make_user("rev2", Role.REVIEWER)
    db.session.commit()
    results.correct_result(
        db.session,
        rev2,
        cadmium,
        measured_text="0.05",
        expected_version=cadmium.version_id,
        reason="Transcription error: 0.05 read as 0.32",
    )
    db.session.flush()  # user A: corrected, not committed (holds the sample's row)

    def apply(other):
        retests.apply_for_retest(
            other,
            other.get(User, boss.id),
            other.get(Sample, sample.id),
            applicant=Applicant.SAMPLED_UNIT,
            applicant_name="某超市",
            conclusion_received_on=clock.today(),
            applied_on=clock.today(),
        )

    thread, outcome = _meanwhile(app, apply)
    db.session.commit()
    thread.join(timeout=30)
    assert len(outcome) == 1 and isinstance(outcome[0], ServiceError), outcome
    assert "第三十条" in outcome[0].message or "Art. 30" in outcome[0].message
    retests_recorded = select(func.count()).select_from(Retest).where(Retest.sample_id == sample.id)
    assert db.session.scalar(retests_recorded) == 0
