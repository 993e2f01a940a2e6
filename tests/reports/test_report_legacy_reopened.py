"""A sample reopened before issue 18 §2 whose report was never withdrawn (residual 1 of
issue 12): the old rule let the lab retest a reported sample, withdrawing its conclusion
(reported → reopened) while the report stayed in force.  The current rule refuses that, so
such a record was locked: its results could be neither corrected nor retested (a report is
in force), no report could be issued (one is in force) and none corrected (the sample is
not reported).  The way out is the report correction the record was waiting for: from the
report's page the supervisor issues the superseding report, signed, in one transaction; the
reopened sample is concluded from its current results and becomes reported again."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from labsys.core import clock
from labsys.extensions import db
from labsys.models import (
    AuditEntry,
    Conclusion,
    Report,
    ReportStatus,
    ResultStatus,
    Role,
    Sample,
    SampleResult,
    SampleStatus,
    VerdictValue,
)
from labsys.services import PermissionDenied, ServiceError, disposals, followup, reports, stats
from labsys.services.results import _SPEC_COLUMNS

from reports_support import CADMIUM, pdf_pages
from support import PASSWORD, signed

BASE = "http://labsys.test"
REASON = "旧规则下已复检，签发替代报告"


@pytest.fixture
def reported(concluded_sample, boss):
    """An unqualified supervision sample (cadmium 0.32 > 0.1) with its report issued."""
    sample = concluded_sample(items=(CADMIUM,))
    report = reports.issue_report(
        db.session, boss, sample, base_url=BASE, signature=signed(boss, "approval")
    )
    record = followup.open_followup(db.session, sample, boss)
    followup.record_notification(db.session, boss, record, clock.today())
    disposals.record_conclusion_received(db.session, boss, sample, received_on=clock.today())
    db.session.commit()
    return sample, report


@pytest.fixture
def legacy(reported, make_user, reviewer):
    """legacy(status=…, accepted=…) -> (sample, report): the record as the older rule left a
    lab retest of the reported sample, written directly to the database: the first cadmium
    row superseded by a retest row (0.05, entered by another technician, reviewed), the
    sample reopened with its conclusion withdrawn, and the report still issued.
    ``status="concluded"``: the retest row was accepted under the current rule since, which
    concluded the reopened sample again (qualified) with the old report still in force."""
    sample, report = reported
    tech2 = make_user("tech2", Role.TECHNICIAN, full_name="孙复测")

    def build(status: str = "reopened", *, accepted: bool = True):
        first = sample.results[0]
        row = SampleResult(
            **{column: getattr(first, column) for column in _SPEC_COLUMNS},
            supersedes_id=first.id,
            status=ResultStatus.ACCEPTED if accepted else ResultStatus.PENDING,
        )
        if accepted:
            row.measured_text = row.reported_text = "0.05"
            row.verdict = VerdictValue.PASS
            row.entered_by_id, row.entered_at = tech2.id, clock.now()
            row.reviewed_by_id, row.reviewed_at = reviewer.id, clock.now()
        db.session.add(row)
        db.session.execute(
            update(SampleResult)
            .where(SampleResult.id == first.id)
            .values(status=ResultStatus.SUPERSEDED)
        )
        concluded = status == "concluded"
        db.session.execute(
            update(Sample)
            .where(Sample.id == sample.id)
            .values(
                status=SampleStatus(status),
                conclusion=Conclusion.QUALIFIED if concluded else None,
                concluded_at=clock.now() if concluded else None,
                due_unqualified_report=None,
            )
        )
        db.session.commit()
        db.session.expire_all()
        return db.session.get(Sample, sample.id), db.session.get(Report, report.id)

    return build


def _in_force(sample) -> Report | None:
    return db.session.scalar(
        select(Report).where(Report.sample_id == sample.id, Report.status == ReportStatus.ISSUED)
    )


def _reports() -> int:
    return db.session.scalar(select(func.count()).select_from(Report))


def _rates() -> tuple[int, int]:
    total = stats.compute(db.session).total
    return total.qualified, total.unqualified


def _correct(report, actor, signature):
    return reports.correct_report(
        db.session, actor, report, reason=REASON, base_url=BASE, signature=signature
    )


def _unchanged(sample, report, status=SampleStatus.REOPENED) -> None:
    db.session.expire_all()
    assert db.session.get(Sample, sample.id).status == status
    assert db.session.get(Report, report.id).status == ReportStatus.ISSUED
    assert _reports() == 1


# --- the locked record, and the way out ----------------------------------------------------------


def test_the_stale_report_is_superseded_from_the_reopened_sample(legacy, boss):
    sample, first = legacy("reopened")
    assert _in_force(sample) == first and sample.conclusion is None
    new = _correct(first, boss, signed(boss, "approval"))
    db.session.commit()
    # The reopened sample is concluded from its current results and reported again.
    assert (sample.status, sample.conclusion) == (SampleStatus.REPORTED, Conclusion.QUALIFIED)
    assert _in_force(sample) == new and new.conclusion == Conclusion.QUALIFIED
    assert (first.status, first.superseded_by_id) == (ReportStatus.SUPERSEDED, new.id)
    assert (new.replaces_id, new.correction_reason) == (first.id, REASON)
    assert f"本报告替代{first.report_no}号报告" in pdf_pages(new.pdf)[0]
    assert _rates() == (1, 0)
    # Audited as the supervisor's: the sample concluded and reported, the report superseded.
    trail = db.session.execute(
        select(AuditEntry.entity, AuditEntry.action, AuditEntry.user_id).where(
            AuditEntry.entity.in_(("sample", "report"))
        )
    ).all()
    assert {("sample", "conclude", boss.id), ("sample", "status", boss.id)} <= set(trail)
    assert ("report", "supersede", boss.id) in set(trail)


def test_a_reopened_sample_concluded_again_is_reported_by_the_superseding_report(legacy, boss):
    sample, first = legacy("concluded")
    with pytest.raises(ServiceError, match=first.report_no):
        reports.issue_report(
            db.session, boss, sample, base_url=BASE, signature=signed(boss, "approval")
        )
    db.session.rollback()
    new = _correct(first, boss, signed(boss, "approval"))
    db.session.commit()
    assert sample.status == SampleStatus.REPORTED and _in_force(sample) == new
    assert first.status == ReportStatus.SUPERSEDED and new.replaces_id == first.id


# --- trying to break it -----------------------------------------------------------------------------


@pytest.mark.parametrize("signature", [None, "other", "review"])
def test_an_unsigned_superseding_report_changes_nothing(legacy, boss, make_user, signature):
    sample, first = legacy("reopened")
    other = make_user("boss2", Role.SUPERVISOR)
    given = {None: None, "other": signed(other, "approval"), "review": signed(boss, "review")}
    with pytest.raises(PermissionDenied):
        _correct(first, boss, given[signature])
    db.session.rollback()
    _unchanged(sample, first)


def test_only_a_supervisor_supersedes_the_stale_report(legacy, reviewer):
    sample, first = legacy("reopened")
    with pytest.raises(PermissionDenied):
        _correct(first, reviewer, signed(reviewer, "approval"))
    db.session.rollback()
    _unchanged(sample, first)


def test_results_still_under_test_wait_for_their_review(legacy, boss):
    """A retest row never entered: nothing to conclude from yet; refused, nothing changed."""
    sample, first = legacy("reopened", accepted=False)
    with pytest.raises(ServiceError, match="尚未审核通过"):
        _correct(first, boss, signed(boss, "approval"))
    db.session.rollback()
    _unchanged(sample, first)


def test_the_reason_is_required(legacy, boss):
    sample, first = legacy("reopened")
    with pytest.raises(ServiceError, match="原因"):
        reports.correct_report(
            db.session, boss, first, reason=" ", base_url=BASE, signature=signed(boss, "approval")
        )
    db.session.rollback()
    _unchanged(sample, first)


# --- through the pages ------------------------------------------------------------------------------


def test_the_pages_lead_to_the_superseding_report(legacy, boss, login, client, post, make_user):
    sample, first = legacy("reopened")
    sample_id, first_id, first_no = sample.id, first.id, first.report_no
    login(boss)
    results_page = client.get(f"/lab/samples/{sample_id}").get_data(as_text=True)
    assert 'id="stale-report"' in results_page and f"/reports/{first_id}" in results_page
    page = f"/reports/{first_id}"
    html = client.get(page).get_data(as_text=True)
    assert 'id="stale-report"' in html and f'action="/reports/{first_id}/correct"' in html
    data = {"reason": REASON, "password": PASSWORD}

    # A crafted POST without the CSRF token, a wrong password, another role: nothing changes.
    assert client.post(f"{page}/correct", data=data).status_code == 400
    refused = post(f"{page}/correct", {**data, "password": "wrong"}, token_from=page)
    assert "密码错误" in refused.get_data(as_text=True)
    db.session.rollback()
    _unchanged(sample, first)
    login(make_user("tech9", Role.TECHNICIAN))
    assert post(f"{page}/correct", data, token_from="/").status_code == 403
    login(make_user("rev9", Role.REVIEWER))
    assert post(f"{page}/correct", data, token_from="/").status_code == 403
    db.session.rollback()
    _unchanged(sample, first)

    login(boss)
    response = post(f"{page}/correct", data, token_from=page)
    assert response.status_code == 302
    db.session.rollback()
    new = _in_force(db.session.get(Sample, sample_id))
    assert new is not None and new.replaces_id == first_id
    assert db.session.get(Sample, sample_id).status == SampleStatus.REPORTED
    html = client.get(f"/reports/{new.id}").get_data(as_text=True)
    assert first_no in html and 'id="stale-report"' not in html
