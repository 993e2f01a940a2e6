"""A result correction after a retest (复检) keeps the retest's conclusion.

SAMR Order No. 15 (2019) Art. 35 *(verify)*: the retest's conclusion is the final one.  A
first-test row corrected afterwards (a transcription error found later) is recorded and
judged again, but the sample's conclusion stays the retest's: it used to be derived again
from the first test's rows, silently replacing the retest's conclusion (and the report,
pass rates and announcement with it)."""

from __future__ import annotations

import pytest
import test_report_after_retest as after_retest
from test_report_after_retest import _conclusion, _issue, _retested

from labsys.extensions import db
from labsys.models import (
    Conclusion,
    CorrectionStatus,
    Report,
    ReportStatus,
    Role,
    SampleStatus,
    VerdictValue,
)
from labsys.services import PermissionDenied, reports, results

from reports_support import approved_correction, pdf_pages
from support import signed

unqualified = after_retest.unqualified  # the fixture: an unqualified sample, notified


def _cadmium(sample):
    return next(r for r in sample.results if r.item_name.startswith("镉"))


def _correct(actor, row, value):
    results.correct_result(
        db.session,
        actor,
        row,
        measured_text=value,
        expected_version=row.version_id,
        reason="Transcription error found in the raw record",
    )
    db.session.commit()


@pytest.mark.parametrize(
    ("retest", "corrected", "verdict"),
    [
        # A qualified retest; the first test's failure corrected to a larger failure.
        (Conclusion.QUALIFIED, "0.50", VerdictValue.FAIL),
        # An upheld (unqualified) retest; the first test corrected to a pass.
        (Conclusion.UNQUALIFIED, "0.05", VerdictValue.PASS),
    ],
)
def test_a_correction_before_the_report_keeps_the_retest_conclusion(
    unqualified, boss, reviewer, make_user, retest, corrected, verdict
):
    _retested(unqualified, boss, retest)
    assert unqualified.conclusion == retest
    cadmium = _cadmium(unqualified)
    rev2 = make_user("rev2", Role.REVIEWER)
    _correct(rev2, cadmium, corrected)
    # The corrector may not accept their own value (four eyes), even on a retested sample.
    with pytest.raises(PermissionDenied):
        results.accept_results(db.session, rev2, [cadmium], signature=signed(rev2))
    db.session.rollback()
    results.accept_results(db.session, reviewer, [cadmium], signature=signed(reviewer))
    db.session.commit()
    assert cadmium.measured_text == corrected and cadmium.verdict == verdict
    assert unqualified.status == SampleStatus.CONCLUDED
    assert unqualified.conclusion == retest  # Art. 35: the retest's, not the first test's
    report = _issue(unqualified, boss)
    assert report.conclusion == retest
    assert "经复检" in _conclusion(pdf_pages(report.pdf)[0])


def test_a_report_correction_after_the_retest_keeps_its_conclusion(
    unqualified, boss, reviewer, make_user
):
    first = _issue(unqualified, boss)
    _retested(unqualified, boss, Conclusion.QUALIFIED, signed(boss, "approval"))
    second = db.session.get(Report, first.id).superseded_by
    assert second.conclusion == Conclusion.QUALIFIED
    cadmium = _cadmium(unqualified)
    request = approved_correction(
        cadmium,
        reviewer,
        make_user("rev3", Role.REVIEWER),
        boss,
        measured_text="0.45",
        reason="Transcription error: 0.45 read as 0.32",
    )
    assert request.status == CorrectionStatus.APPROVED
    assert cadmium.measured_text == "0.45" and cadmium.verdict == VerdictValue.FAIL
    assert unqualified.status == SampleStatus.REPORTED
    assert unqualified.conclusion == Conclusion.QUALIFIED
    third = reports.current_report(db.session, unqualified)
    assert third.replaces_id == second.id and second.status == ReportStatus.SUPERSEDED
    assert third.conclusion == Conclusion.QUALIFIED
    page = pdf_pages(third.pdf)[0]
    assert "经复检" in _conclusion(page) and "检验结论为合格" in _conclusion(page)


def test_a_lab_retest_of_a_first_test_row_keeps_the_retest_conclusion(
    unqualified, boss, tech, reviewer, make_user
):
    """The lab testing a first-test item again (its own retest, not Art. 35's) after the
    retest lab concluded: the new row is recorded, the conclusion stays the retest's."""
    _retested(unqualified, boss, Conclusion.QUALIFIED)
    rev2 = make_user("rev2", Role.REVIEWER)
    new = results.retest(db.session, rev2, _cadmium(unqualified), "Suspected contamination")
    db.session.commit()
    results.enter_result(
        db.session, tech, new, measured_text="0.40", expected_version=new.version_id
    )
    results.submit_results(db.session, tech, [new])
    db.session.commit()
    results.accept_results(db.session, reviewer, [new], signature=signed(reviewer))
    db.session.commit()
    assert new.verdict == VerdictValue.FAIL
    assert unqualified.conclusion == Conclusion.QUALIFIED


def test_an_objection_upheld_after_the_retest_is_the_later_decision(
    unqualified, boss, reviewer, make_user
):
    """An objection upheld after the retest reported, withdrawing the conclusion (Art. 39
    *(verify)*), is the later decision: the corrected rows conclude again, not the retest."""
    from test_report_followup_lock import _objection, _withdraw

    _retested(unqualified, boss, Conclusion.QUALIFIED)
    _issue(unqualified, boss)
    _withdraw(_objection(unqualified, boss), boss, signed(boss, "approval"))
    db.session.commit()
    assert unqualified.status == SampleStatus.REOPENED and unqualified.conclusion is None
    cadmium = _cadmium(unqualified)
    _correct(make_user("rev2", Role.REVIEWER), cadmium, "0.50")
    results.accept_results(db.session, reviewer, [cadmium], signature=signed(reviewer))
    db.session.commit()
    assert unqualified.status == SampleStatus.CONCLUDED
    assert unqualified.conclusion == Conclusion.UNQUALIFIED
