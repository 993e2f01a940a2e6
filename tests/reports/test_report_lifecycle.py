"""A reported sample reopened for a retest: named, tested again, reported again."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from labsys.extensions import db
from labsys.models import AuditEntry, ReportStatus, ResultStatus, SampleStatus
from labsys.services import ServiceError, reports, results

from reports_support import CADMIUM, LEAD
from support import signed

BASE = "http://labsys.test"


def test_a_retest_after_the_report_reopens_the_sample_until_it_is_accepted(
    concluded_sample, boss, tech, reviewer
):
    sample = concluded_sample(items=(LEAD, CADMIUM))
    first = reports.issue_report(
        db.session, boss, sample, base_url=BASE, signature=signed(boss, "approval")
    )
    db.session.commit()
    cadmium = next(r for r in sample.results if r.item_name == CADMIUM[0])

    retest = results.retest(db.session, reviewer, cadmium, "Suspected contamination")
    db.session.commit()
    assert sample.status == SampleStatus.REOPENED
    assert sample.status.title == "已签发报告，因复测撤回结论"
    assert sample.conclusion is None and first.status == ReportStatus.ISSUED
    reopen = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "reopen")).one()
    assert '"status":"reopened"' in reopen.new_values
    with pytest.raises(ServiceError, match="尚未办结"):  # no conclusion to correct it with
        reports.correct_report(
            db.session,
            boss,
            first,
            reason="retest",
            base_url=BASE,
            signature=signed(boss, "approval"),
        )
    db.session.rollback()

    # The retest row is open work: entered, submitted and accepted like any other.
    results.enter_result(
        db.session, tech, retest, measured_text="0.05", expected_version=retest.version_id
    )
    results.submit_results(db.session, tech, [retest])
    results.review_result(db.session, reviewer, retest, accept=True, signature=signed(reviewer))
    db.session.commit()
    assert retest.status == ResultStatus.ACCEPTED
    assert sample.status == SampleStatus.REPORTED and sample.conclusion == "qualified"

    corrected = reports.correct_report(
        db.session, boss, first, reason="retest", base_url=BASE, signature=signed(boss, "approval")
    )
    db.session.commit()
    assert first.status == ReportStatus.SUPERSEDED and corrected.replaces == first
    assert corrected.conclusion == "qualified"
