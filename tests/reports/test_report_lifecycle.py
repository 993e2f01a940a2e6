"""Records locked once reported (issue 18 §2): after a report is issued, no change to the
sample, its batch data or its results takes effect except through a report correction that
a supervisor approves and that issues the superseding report; the announcement and the pass
rates always say what the report in force says."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from labsys.extensions import db
from labsys.models import (
    AuditEntry,
    Conclusion,
    CorrectionStatus,
    Report,
    ReportStatus,
    Role,
    Sample,
    SampleResult,
    SampleStatus,
)
from labsys.services import (
    ConflictError,
    PermissionDenied,
    ServiceError,
    corrections,
    exports,
    reports,
    results,
    stats,
)

from reports_support import CADMIUM, LEAD, approved_correction
from support import signed

BASE = "http://labsys.test"


@pytest.fixture
def reported(concluded_sample, boss):
    """An unqualified sample (cadmium 0.32 > 0.1) with its report issued."""
    sample = concluded_sample(items=(LEAD, CADMIUM))
    report = reports.issue_report(
        db.session, boss, sample, base_url=BASE, signature=signed(boss, "approval")
    )
    db.session.commit()
    return sample, report


def _cadmium(sample: Sample) -> SampleResult:
    return next(r for r in sample.results if r.item_name == CADMIUM[0])


def _published() -> list[str]:
    return [r["sample_no"] for r in exports.announcement_records(db.session)]


def _rates() -> tuple[int, int]:
    total = stats.compute(db.session).total
    return total.qualified, total.unqualified


def _report_in_force(sample: Sample) -> Report:
    return db.session.scalars(
        select(Report).where(Report.sample_id == sample.id, Report.status == ReportStatus.ISSUED)
    ).one()


def _agree(sample: Sample) -> None:
    """The announcement and the pass rates say what the report in force says."""
    in_force = _report_in_force(sample)
    assert sample.conclusion == in_force.conclusion
    unqualified = in_force.conclusion == Conclusion.UNQUALIFIED
    assert (sample.sample_no in _published()) is unqualified
    assert _rates() == ((0, 1) if unqualified else (1, 0))


def test_a_reported_sample_cannot_be_retested(reported, reviewer):
    sample, report = reported
    rows = db.session.scalar(select(func.count()).select_from(SampleResult))
    with pytest.raises(ServiceError, match="已签发报告"):
        results.retest(db.session, reviewer, _cadmium(sample), "Suspected contamination")
    db.session.rollback()
    assert sample.status == SampleStatus.REPORTED and sample.conclusion == Conclusion.UNQUALIFIED
    assert db.session.scalar(select(func.count()).select_from(SampleResult)) == rows
    assert report.status == ReportStatus.ISSUED
    _agree(sample)


def test_a_result_correction_after_the_report_is_a_request_a_supervisor_approves(
    reported, reviewer, tech, boss, make_user
):
    sample, first = reported
    cadmium = _cadmium(sample)
    _agree(sample)
    # Directly: refused, whoever asks.
    with pytest.raises(ServiceError, match="报告更正"):
        results.correct_result(
            db.session,
            reviewer,
            cadmium,
            measured_text="0.05",
            expected_version=cadmium.version_id,
            reason="transcription error",
        )
    db.session.rollback()
    # The technician who entered it may not ask (nor approve, below).
    with pytest.raises(PermissionDenied):
        _refuse_enterer(tech, cadmium)
    db.session.rollback()

    request = corrections.correct_reported_result(
        db.session,
        reviewer,
        cadmium,
        measured_text="0.05",
        reason="Transcription error: 0.05 read as 0.32",
        expected_version=cadmium.version_id,
    )
    db.session.commit()
    # Pending: nothing changed; the report, the announcement and the rates still agree.
    assert request.status == CorrectionStatus.PENDING
    assert cadmium.measured_text == "0.32" and first.status == ReportStatus.ISSUED
    _agree(sample)
    # A reviewer may not approve a report correction; the requester never.
    with pytest.raises(PermissionDenied, match="主管"):
        corrections.approve(
            db.session,
            make_user("rev2", Role.REVIEWER),
            request,
            expected_version=request.version_id,
            base_url=BASE,
        )
    db.session.rollback()
    with pytest.raises(PermissionDenied, match="四眼原则"):
        corrections.approve(
            db.session, reviewer, request, expected_version=request.version_id, base_url=BASE
        )
    db.session.rollback()
    _agree(sample)
    # Not before a second reviewer has reviewed (审核) the corrected value, signed.
    with pytest.raises(ServiceError, match="审核"):
        corrections.approve(
            db.session,
            boss,
            request,
            expected_version=request.version_id,
            base_url=BASE,
            signature=signed(boss, "approval"),
        )
    db.session.rollback()
    rev3 = make_user("rev3", Role.REVIEWER)
    corrections.review_reported_result(
        db.session, rev3, request, expected_version=request.version_id, signature=signed(rev3)
    )
    db.session.commit()

    corrections.approve(
        db.session,
        boss,
        request,
        expected_version=request.version_id,
        base_url=BASE,
        signature=signed(boss, "approval"),
    )
    db.session.commit()
    second = _report_in_force(sample)
    assert first.status == ReportStatus.SUPERSEDED and second.replaces == first
    assert second.conclusion == Conclusion.QUALIFIED and request.report == second
    assert cadmium.measured_text == "0.05" and cadmium.entered_by == reviewer
    assert request.status == CorrectionStatus.APPROVED and request.decided_by == boss
    _agree(sample)
    actions = set(
        db.session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "correction"))
    )
    assert actions == {"request", "review", "approve"}


def _refuse_enterer(tech, cadmium):
    """The technician who entered the value holds no reviewer role: refused by role."""
    corrections.correct_reported_result(
        db.session,
        tech,
        cadmium,
        measured_text="0.05",
        reason="mine",
        expected_version=cadmium.version_id,
    )


def test_a_sampler_correction_after_the_report_issues_the_superseding_report(reported, boss):
    sample, first = reported
    sampler = sample.sampler
    request = corrections.correct_sample(
        db.session,
        sampler,
        sample,
        changes={"brand": "古船", "batch_no": "B20261002"},
        reason="商标、批号抄错",
        expected_version=sample.version_id,
    )
    db.session.commit()
    assert sample.brand == "金麦穗" and first.status == ReportStatus.ISSUED
    corrections.approve(
        db.session,
        boss,
        request,
        expected_version=request.version_id,
        base_url=BASE,
        signature=signed(boss, "approval"),
    )
    db.session.commit()
    second = _report_in_force(sample)
    assert sample.brand == "古船" and second.replaces == first
    assert "商标、批号抄错" in second.correction_reason
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "sample", AuditEntry.action == "correct")
    ).one()
    assert '"brand":"金麦穗"' in entry.old_values and '"brand":"古船"' in entry.new_values
    _agree(sample)


def test_a_reported_sample_cannot_be_voided(reported):
    sample, _report = reported
    with pytest.raises(ServiceError, match="报告"):
        corrections.void_sample(
            db.session, sample.sampler, sample, reason="wrong", expected_version=None
        )
    db.session.rollback()
    assert sample.status == SampleStatus.REPORTED


def test_approval_is_refused_when_the_record_changed_since_the_request(reported, boss):
    sample, first = reported
    request = corrections.correct_sample(
        db.session,
        sample.sampler,
        sample,
        changes={"brand": "古船"},
        reason="typo",
        expected_version=sample.version_id,
    )
    db.session.commit()
    # Someone else's write meanwhile (the version moves).
    db.session.execute(
        update(Sample).where(Sample.id == sample.id).values(version_id=Sample.version_id + 1)
    )
    db.session.commit()
    db.session.refresh(sample)
    with pytest.raises(ConflictError):
        corrections.approve(
            db.session, boss, request, expected_version=request.version_id, base_url=BASE
        )
    db.session.rollback()
    # A decision posted on a request read before it changed is refused too.
    with pytest.raises(ConflictError):
        corrections.reject(
            db.session, boss, request, expected_version=request.version_id - 1, note="stale"
        )
    db.session.rollback()
    assert request.status == CorrectionStatus.PENDING and first.status == ReportStatus.ISSUED


# --- 编制, 审核, 批准 of the superseding report (issue 18 §1-2) ------------------------------------


def _request_and_review(sample, requester, reviewer2, boss):
    return approved_correction(
        _cadmium(sample),
        requester,
        reviewer2,
        boss,
        measured_text="0.05",
        reason="Transcription error",
    )


def _three_people(report: Report) -> None:
    """Three people, each of whom did that part: 编制 entered a printed value, 审核 reviewed
    one and entered none, 批准 did neither."""
    current = [r for r in report.sample.results if r.status != "superseded"]
    entered = {r.entered_by_id for r in current}
    reviewed = {r.reviewed_by_id for r in current}
    assert len({report.author_id, report.reviewer_id, report.approver_id}) == 3
    assert report.author_id in entered
    assert report.reviewer_id in reviewed and report.reviewer_id not in entered
    assert report.approver_id not in entered | reviewed


def test_a_one_item_samples_result_is_corrected_after_its_report(
    concluded_sample, boss, reviewer, make_user
):
    """The only item corrected: its new value is entered by the requester and reviewed by a
    second reviewer, so the superseding report has its three signatories (it used to be
    refused: "no reviewer other than the author")."""
    sample = concluded_sample(items=(CADMIUM,))
    first = reports.issue_report(
        db.session, boss, sample, base_url=BASE, signature=signed(boss, "approval")
    )
    db.session.commit()
    rev2 = make_user("rev2", Role.REVIEWER, full_name="孙复核")
    request = _request_and_review(sample, reviewer, rev2, boss)
    second = _report_in_force(sample)
    assert request.status == CorrectionStatus.APPROVED and second.replaces == first
    assert second.conclusion == Conclusion.QUALIFIED
    assert (second.author, second.reviewer, second.approver) == (reviewer, rev2, boss)
    _three_people(second)
    _agree(sample)


def test_the_corrector_never_signs_the_superseding_report_as_reviewer(
    reported, boss, reviewer, make_user
):
    """Two items: lead entered by the technician and reviewed by ``reviewer``; cadmium
    corrected by ``reviewer``.  The 审核 is whoever reviewed the corrected value, never the
    person who typed it (it used to be ``reviewer``, the corrector)."""
    sample, _first = reported
    rev2 = make_user("rev2", Role.REVIEWER, full_name="孙复核")
    _request_and_review(sample, reviewer, rev2, boss)
    second = _report_in_force(sample)
    assert second.reviewer == rev2 and second.reviewer_id != _cadmium(sample).entered_by_id
    _three_people(second)


def test_who_may_review_a_reported_results_correction(reported, boss, reviewer, make_user):
    sample, first = reported
    cadmium = _cadmium(sample)
    typist = make_user("typist", Role.TECHNICIAN, Role.REVIEWER)  # entered the value
    cadmium.entered_by_id = typist.id
    db.session.commit()
    request = corrections.correct_reported_result(
        db.session,
        reviewer,
        cadmium,
        measured_text="0.05",
        reason="Transcription error",
        expected_version=cadmium.version_id,
    )
    db.session.commit()
    rev2 = make_user("rev2", Role.REVIEWER)
    # Not the requester; not unsigned; not the one who entered the value (a reviewer too).
    with pytest.raises(PermissionDenied):
        corrections.review_reported_result(
            db.session, reviewer, request, expected_version=request.version_id,
            signature=signed(reviewer),
        )  # fmt: skip
    db.session.rollback()
    with pytest.raises(PermissionDenied):
        corrections.review_reported_result(
            db.session, rev2, request, expected_version=request.version_id, signature=None
        )
    db.session.rollback()
    with pytest.raises(PermissionDenied, match="另一位审核人"):
        corrections.review_reported_result(
            db.session, typist, request, expected_version=request.version_id,
            signature=signed(typist),
        )  # fmt: skip
    db.session.rollback()
    assert request.reviewed_by_id is None and first.status == ReportStatus.ISSUED
    # The reviewer may not then approve it as a supervisor (审核 ≠ 批准).
    both = make_user("both", Role.REVIEWER, Role.SUPERVISOR)
    corrections.review_reported_result(
        db.session, both, request, expected_version=request.version_id, signature=signed(both)
    )
    db.session.commit()
    with pytest.raises(PermissionDenied):
        corrections.approve(
            db.session, both, request, expected_version=request.version_id, base_url=BASE,
            signature=signed(both, "approval"),
        )  # fmt: skip
    db.session.rollback()
    assert first.status == ReportStatus.ISSUED and cadmium.measured_text == "0.32"
