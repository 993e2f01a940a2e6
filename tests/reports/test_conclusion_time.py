"""A result corrected after the conclusion keeps the conclusion's time when the conclusion
comes out the same.

``Sample.concluded_at`` starts the periods that run from the conclusion: the unqualified
(or qualified) result reported within 2 (or 7) working days (SAMR Order No. 15 (2019)
Art. 26 *(verify)*: ``due_unqualified_report``), the backup's retention (Art. 25), and it is
the earliest day the sampled unit can have received the conclusion (the notification and a
retest applicant's received date, from which Art. 30's and Art. 37's 7 working days count
*(verify)*).  A correction before the report (a reviewer's correction, or the lab testing an
item again) withdrew the conclusion and concluded it anew with the time of the new review,
and the correction-request flow after the report reset it too: the 2 working days started
again (an overdue sample left the board), and an applicant who received the conclusion on
its day could no longer say so.  A conclusion that changes is a new conclusion: its time
and its period start at the new review."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from labsys.core import clock
from labsys.extensions import db
from labsys.models import (
    Applicant,
    Conclusion,
    ObjectionEffect,
    Role,
    SampleStatus,
    VerdictValue,
)
from labsys.services import ServiceError, followup, objections, reports, results, retests

from reports_support import BAP, CADMIUM, LEAD, accepted_objection, approved_correction
from support import signed

CONCLUDED = datetime(2026, 3, 2, 10, 0)  # Monday 10:00 in Beijing
DAY = date(2026, 3, 2)
LATER = datetime(2026, 3, 9, 15, 0)  # the next Monday: the 2 working days ended on 03-04
LATER_DAY = date(2026, 3, 9)
SAMPLED = date(2026, 2, 24)


def _conclude(sample, reviewer):
    with clock.frozen(CONCLUDED):
        results.derive_conclusion(db.session, sample, actor=reviewer)
        db.session.commit()
    return sample


@pytest.fixture
def unqualified(concluded_sample, boss, reviewer):
    """Cadmium 0.32 > 0.1: unqualified at 2026-03-02 10:00, the sampled unit notified that
    day."""
    sample = _conclude(concluded_sample(items=(LEAD, CADMIUM), sampling_date=SAMPLED), reviewer)
    with clock.frozen(CONCLUDED):
        record = followup.open_followup(db.session, sample, boss)
        followup.record_notification(db.session, boss, record, DAY)
        db.session.commit()
    return sample


def _row(sample, prefix):
    return next(r for r in sample.results if r.item_name.startswith(prefix))


def _correct_and_accept(row, corrector, reviewer, value):
    results.correct_result(
        db.session,
        corrector,
        row,
        measured_text=value,
        expected_version=row.version_id,
        reason="Transcription error found in the raw record",
    )
    db.session.commit()
    results.accept_results(db.session, reviewer, [row], signature=signed(reviewer))
    db.session.commit()


def _unqualified_overdue(on: date) -> int:
    return followup.deadline_board(db.session, on, kind="unqualified_report").kinds[0].overdue


def _apply(sample, boss, received_on):
    return retests.apply_for_retest(
        db.session,
        boss,
        sample,
        applicant=Applicant.SAMPLED_UNIT,
        applicant_name="某超市",
        conclusion_received_on=received_on,
        applied_on=LATER_DAY,
    )


def test_the_fixture_starts_the_two_working_days(unqualified):
    """Art. 26 *(verify)*: 2 working days from the unqualified conclusion."""
    assert clock.local_date(unqualified.concluded_at) == DAY
    assert unqualified.due_unqualified_report == date(2026, 3, 4)


def test_a_correction_before_the_report_keeps_the_conclusion_time(
    unqualified, boss, reviewer, make_user
):
    first = unqualified.concluded_at
    with clock.frozen(LATER):
        _correct_and_accept(
            _row(unqualified, "镉"), make_user("rev2", Role.REVIEWER), reviewer, "0.45"
        )
        assert unqualified.status == SampleStatus.CONCLUDED
        assert unqualified.conclusion == Conclusion.UNQUALIFIED
        # Art. 26 *(verify)*: still due on 03-04, so still overdue on the board.
        assert _unqualified_overdue(LATER_DAY) == 1
        # The sampled unit received it on 03-02 and applies within 7 working days (Art. 30
        # *(verify)*): its received date is the notification's, not the correction's.
        retest = _apply(unqualified, boss, DAY)
        db.session.commit()
    assert retest.window_end == date(2026, 3, 11)
    assert unqualified.concluded_at == first
    assert unqualified.due_unqualified_report == date(2026, 3, 4)


def test_the_notification_still_counts_from_the_conclusions_own_day(
    unqualified, boss, reviewer, make_user
):
    """The boundary after a correction: the notification recorded again on the conclusion's
    day (03-02) is accepted, the day before is refused naming 03-02 (not the correction's
    day)."""
    with clock.frozen(LATER):
        _correct_and_accept(
            _row(unqualified, "镉"), make_user("rev2", Role.REVIEWER), reviewer, "0.45"
        )
        record = followup.open_followup(db.session, unqualified, boss)
        with pytest.raises(ServiceError) as refused:
            followup.record_notification(db.session, boss, record, date(2026, 3, 1))
        assert refused.value.field == "notified_on" and "2026-03-02" in refused.value.message
        db.session.rollback()
        followup.record_notification(db.session, boss, record, DAY)
        db.session.commit()
    assert record.notified_on == DAY and record.retest_window_end == date(2026, 3, 11)


def test_the_lab_testing_an_item_again_keeps_the_conclusion_time(
    unqualified, boss, tech, reviewer, make_user
):
    first = unqualified.concluded_at
    with clock.frozen(LATER):
        rev2 = make_user("rev2", Role.REVIEWER)
        new = results.retest(db.session, rev2, _row(unqualified, "镉"), "Suspected contamination")
        db.session.commit()
        results.enter_result(
            db.session, tech, new, measured_text="0.30", expected_version=new.version_id
        )
        results.submit_results(db.session, tech, [new])
        results.accept_results(db.session, reviewer, [new], signature=signed(reviewer))
        db.session.commit()
    assert unqualified.conclusion == Conclusion.UNQUALIFIED
    assert unqualified.concluded_at == first
    assert unqualified.due_unqualified_report == date(2026, 3, 4)


def test_a_correction_that_changes_the_conclusion_starts_it_again(
    concluded_sample, boss, reviewer, make_user
):
    """Qualified on 03-02 (7 working days *(verify)*: due 03-11); the lead corrected to a
    failure on 03-09: unqualified from 03-09, due 2 working days later; the qualified
    deadline goes.  A notification before 03-09 is refused: the unqualified conclusion did
    not exist yet."""
    sample = _conclude(concluded_sample(items=(LEAD, BAP), sampling_date=SAMPLED), reviewer)
    assert sample.due_qualified_report == date(2026, 3, 11)
    with clock.frozen(LATER):
        _correct_and_accept(_row(sample, "铅"), make_user("rev2", Role.REVIEWER), reviewer, "0.50")
        assert sample.conclusion == Conclusion.UNQUALIFIED
        assert clock.local_date(sample.concluded_at) == LATER_DAY
        assert (sample.due_unqualified_report, sample.due_qualified_report) == (
            date(2026, 3, 11),
            None,
        )
        record = followup.open_followup(db.session, sample, boss)
        with pytest.raises(ServiceError) as refused:
            followup.record_notification(db.session, boss, record, date(2026, 3, 6))
        assert refused.value.field == "notified_on" and "2026-03-09" in refused.value.message
        db.session.rollback()


def test_a_correction_back_and_forth_is_a_new_conclusion(unqualified, reviewer, make_user):
    """Corrected to a pass (qualified from then), then back to a failure: the unqualified
    conclusion is reached again at that later review, not at the first one."""
    cadmium = _row(unqualified, "镉")
    with clock.frozen(datetime(2026, 3, 5, 10, 0)):
        _correct_and_accept(cadmium, make_user("rev2", Role.REVIEWER), reviewer, "0.05")
        assert unqualified.conclusion == Conclusion.QUALIFIED
        assert unqualified.due_unqualified_report is None
    with clock.frozen(LATER):
        _correct_and_accept(cadmium, make_user("rev3", Role.REVIEWER), reviewer, "0.32")
    assert unqualified.conclusion == Conclusion.UNQUALIFIED
    assert clock.local_date(unqualified.concluded_at) == LATER_DAY
    assert unqualified.due_unqualified_report == date(2026, 3, 11)


def test_a_report_correction_keeps_the_conclusion_time(unqualified, boss, reviewer, make_user):
    """After the report: the correction request (asked, reviewed, approved) derives the
    conclusion again; unchanged, it keeps its time (the superseding report issued)."""
    first = unqualified.concluded_at
    with clock.frozen(CONCLUDED):
        reports.issue_report(
            db.session,
            boss,
            unqualified,
            base_url="http://labsys.test",
            signature=signed(boss, "approval"),
        )
        db.session.commit()
    with clock.frozen(LATER):
        approved_correction(
            _row(unqualified, "镉"),
            reviewer,
            make_user("rev2", Role.REVIEWER),
            boss,
            measured_text="0.45",
            reason="Transcription error: 0.45 read as 0.32",
        )
        assert _row(unqualified, "镉").verdict == VerdictValue.FAIL
        assert unqualified.status == SampleStatus.REPORTED
        assert _apply(unqualified, boss, DAY).window_end == date(2026, 3, 11)
        assert unqualified.concluded_at == first


def test_a_conclusion_withdrawn_by_an_upheld_objection_is_reached_anew(
    unqualified, boss, reviewer, make_user
):
    """Art. 39 *(verify)*: an objection upheld by withdrawing the conclusion is not the lab's
    own correction: the conclusion, its time and its deadline go, and the corrected results
    conclude anew (served anew: a notification before it is refused)."""
    with clock.frozen(datetime(2026, 3, 4, 10, 0)):
        objection = accepted_objection(unqualified, boss)
        objections.uphold_objection(
            db.session,
            boss,
            objection,
            outcome_on=date(2026, 3, 4),
            note="判定依据版本有误",
            effect=ObjectionEffect.WITHDRAWN,
        )
        db.session.commit()
        assert unqualified.concluded_at is None and unqualified.due_unqualified_report is None
    with clock.frozen(LATER):
        _correct_and_accept(
            _row(unqualified, "镉"), make_user("rev2", Role.REVIEWER), reviewer, "0.45"
        )
        assert unqualified.conclusion == Conclusion.UNQUALIFIED
        assert clock.local_date(unqualified.concluded_at) == LATER_DAY
        assert unqualified.due_unqualified_report == date(2026, 3, 11)
        record = followup.open_followup(db.session, unqualified, boss)
        with pytest.raises(ServiceError) as refused:
            followup.record_notification(db.session, boss, record, DAY)
        assert "2026-03-09" in refused.value.message
        db.session.rollback()
