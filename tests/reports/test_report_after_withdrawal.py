"""A new report after a withdrawal names the withdrawn one (residual 3 of issue 12): an
objection upheld by withdrawing the conclusion (SAMR Order No. 15 (2019) Art. 39) withdraws
the report; when the sample is concluded again, the report issued for it references the
withdrawn report, on the record (``replaces``, the audit trail) and on the PDF ("本报告替代已
撤销的 … 号报告", the wording of a supersession), while the withdrawn one stays withdrawn."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from labsys.core import clock
from labsys.extensions import db
from labsys.models import (
    AuditEntry,
    Conclusion,
    ObjectionEffect,
    Report,
    ReportStatus,
    Role,
    Sample,
    SampleStatus,
)
from labsys.services import followup, objections, reports, results

from reports_support import CADMIUM, accepted_objection, pdf_pages
from support import PASSWORD, signed

BASE = "http://labsys.test"


@pytest.fixture
def withdrawn(concluded_sample, boss, reviewer, make_user):
    """An unqualified supervision sample whose report an upheld objection withdrew; its
    cadmium result corrected (0.05) and accepted since: concluded qualified, no report."""
    sample = concluded_sample(items=(CADMIUM,))
    first = reports.issue_report(
        db.session, boss, sample, base_url=BASE, signature=signed(boss, "approval")
    )
    record = followup.open_followup(db.session, sample, boss)
    followup.record_notification(db.session, boss, record, clock.today())
    _withdraw(sample, boss)
    cadmium = sample.results[0]
    results.correct_result(
        db.session,
        make_user("rev2", Role.REVIEWER),
        cadmium,
        measured_text="0.05",
        expected_version=cadmium.version_id,
        reason="抄录错误",
    )
    results.accept_results(db.session, reviewer, [cadmium], signature=signed(reviewer))
    db.session.commit()
    assert sample.status == SampleStatus.CONCLUDED and first.status == ReportStatus.WITHDRAWN
    return sample, first


def _withdraw(sample, boss) -> None:
    objection = accepted_objection(sample, boss)
    objections.uphold_objection(
        db.session,
        boss,
        objection,
        outcome_on=clock.today(),
        note="判定依据不适用",
        effect=ObjectionEffect.WITHDRAWN,
        base_url=BASE,
        signature=signed(boss, "approval"),
    )


def _issue(sample, boss) -> Report:
    report = reports.issue_report(
        db.session, boss, sample, base_url=BASE, signature=signed(boss, "approval")
    )
    db.session.commit()
    return report


def test_the_new_report_names_the_withdrawn_one(withdrawn, boss):
    sample, first = withdrawn
    second = _issue(sample, boss)
    assert second.replaces_id == first.id and second.conclusion == Conclusion.QUALIFIED
    # The withdrawn report stays withdrawn (not superseded); the new one is a first issue.
    assert (first.status, first.superseded_by_id) == (ReportStatus.WITHDRAWN, None)
    assert sample.status == SampleStatus.REPORTED and second.correction_reason is None
    first_page = pdf_pages(second.pdf)[0]
    assert f"本报告替代已撤销的{first.report_no}号报告" in first_page
    assert "原报告作废" not in first_page  # the wording of a supersession is not borrowed
    entry = db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.entity == "report",
            AuditEntry.entity_id == str(second.id),
            AuditEntry.action == "issue",
        )
    )
    assert entry is not None and first.report_no in entry.new_values


def test_the_preview_names_the_withdrawn_one_too(withdrawn, boss):
    sample, first = withdrawn
    draft = reports.draft_pdf(db.session, boss, sample)
    assert f"本报告替代已撤销的{first.report_no}号报告" in pdf_pages(draft)[0]


def test_a_first_report_names_nothing(concluded_sample, boss):
    report = _issue(concluded_sample(), boss)
    assert report.replaces_id is None and "本报告替代" not in pdf_pages(report.pdf)[0]


def test_after_a_second_withdrawal_the_latest_one_is_named(withdrawn, boss):
    sample, first = withdrawn
    second = _issue(sample, boss)
    # An objection withdraws this conclusion in turn: the next report names the second one.
    _withdraw(sample, boss)
    results.derive_conclusion(db.session, sample, actor=boss)
    db.session.commit()
    third = _issue(sample, boss)
    assert (third.replaces_id, second.status) == (second.id, ReportStatus.WITHDRAWN)
    assert f"本报告替代已撤销的{second.report_no}号报告" in pdf_pages(third.pdf)[0]


def test_the_pages_link_both_ways(withdrawn, boss, login, client, post, make_user):
    sample, first = withdrawn
    sample_id, first_id, first_no = sample.id, first.id, first.report_no
    # Another role cannot issue it, nor can a crafted POST without the CSRF token.
    login(make_user("tech9", Role.TECHNICIAN))
    assert post(f"/reports/issue/{sample_id}", {"password": PASSWORD}).status_code == 403
    login(boss)
    assert (
        client.post(f"/reports/issue/{sample_id}", data={"password": PASSWORD}).status_code == 400
    )
    db.session.rollback()
    assert db.session.get(Sample, sample_id).status == SampleStatus.CONCLUDED

    post(f"/reports/issue/{sample_id}", {"password": PASSWORD}, token_from="/reports/queue")
    db.session.rollback()
    second = db.session.scalar(
        select(Report).where(Report.sample_id == sample_id, Report.status == ReportStatus.ISSUED)
    )
    assert second.replaces_id == first_id
    html = client.get(f"/reports/{second.id}").get_data(as_text=True)
    assert 'id="replaces-withdrawn"' in html and first_no in html
    assert "判定依据不适用" in html  # why the report it replaces was withdrawn
    html = client.get(f"/reports/{first_id}").get_data(as_text=True)
    assert 'id="replaced-by"' in html and second.report_no in html
