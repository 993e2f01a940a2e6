"""Issuing, refusing, numbering and correcting reports through the service."""

from __future__ import annotations

import hashlib
import threading

import pytest
from sqlalchemy import select

from labsys.core import clock
from labsys.extensions import db
from labsys.models import AuditEntry, Report, ReportStatus, ResultStatus, Role, SampleStatus
from labsys.services import PermissionDenied, ServiceError, reports

from reports_support import CADMIUM, LEAD, pdf_pages
from support import signed

BASE = "http://labsys.test"


def this_year() -> int:
    return clock.today().year


def test_issuing_stores_the_pdf_its_digest_and_reports_the_sample(concluded_sample, boss):
    sample = concluded_sample()
    report = reports.issue_report(
        db.session, boss, sample, base_url=BASE, signature=signed(boss, "approval")
    )
    db.session.commit()

    assert report.report_no == f"JC01-{this_year()}-000001"
    assert report.status == ReportStatus.ISSUED
    assert report.sha256 == hashlib.sha256(report.pdf).hexdigest()
    assert report.pdf.startswith(b"%PDF")
    assert (report.author.username, report.reviewer.username, report.approver.username) == (
        "tech",
        "rev",
        "boss",
    )
    assert len(report.verify_token) >= 43
    assert sample.status == SampleStatus.REPORTED
    actions = db.session.execute(
        select(AuditEntry.entity, AuditEntry.action).order_by(AuditEntry.id)
    ).all()
    assert ("report", "issue") in actions and ("sample", "status") in actions


def test_numbers_follow_the_configured_pattern(app, concluded_sample, boss):
    old = app.config["REPORT_NO_PATTERN"]
    app.config["REPORT_NO_PATTERN"] = "BJ{yy}{lab}{serial:04d}"
    try:
        first = reports.issue_report(
            db.session, boss, concluded_sample(), base_url=BASE, signature=signed(boss, "approval")
        )
        second = reports.issue_report(
            db.session, boss, concluded_sample(), base_url=BASE, signature=signed(boss, "approval")
        )
    finally:
        app.config["REPORT_NO_PATTERN"] = old
    yy = f"{this_year() % 100:02d}"
    assert (first.report_no, second.report_no) == (f"BJ{yy}010001", f"BJ{yy}010002")


def test_a_pattern_without_serial_is_refused(app, concluded_sample, boss):
    old = app.config["REPORT_NO_PATTERN"]
    app.config["REPORT_NO_PATTERN"] = "JC{year}"
    try:
        with pytest.raises(ServiceError, match="serial"):
            reports.issue_report(
                db.session,
                boss,
                concluded_sample(),
                base_url=BASE,
                signature=signed(boss, "approval"),
            )
    finally:
        app.config["REPORT_NO_PATTERN"] = old


def test_the_author_may_not_approve_their_own_report(concluded_sample, make_user):
    author = make_user("techboss", Role.TECHNICIAN, Role.SUPERVISOR)
    sample = concluded_sample(author=author)
    with pytest.raises(PermissionDenied, match="另一位主管"):
        reports.issue_report(
            db.session, author, sample, base_url=BASE, signature=signed(author, "approval")
        )
    db.session.rollback()
    assert db.session.scalar(select(Report)) is None


def test_only_a_supervisor_may_issue(concluded_sample, reviewer):
    with pytest.raises(PermissionDenied, match="只有主管"):
        reports.issue_report(
            db.session,
            reviewer,
            concluded_sample(),
            base_url=BASE,
            signature=signed(reviewer, "approval"),
        )


def test_a_sample_not_concluded_gets_no_report(make_sample, flour, boss):
    sample = make_sample(flour)
    with pytest.raises(ServiceError, match="尚未办结"):
        reports.issue_report(
            db.session, boss, sample, base_url=BASE, signature=signed(boss, "approval")
        )


def test_results_not_yet_accepted_block_the_report(concluded_sample, boss):
    sample = concluded_sample([LEAD, CADMIUM])
    sample.results[1].status = ResultStatus.SUBMITTED
    db.session.commit()
    with pytest.raises(ServiceError, match="尚未审核通过的检验结果：镉"):
        reports.issue_report(
            db.session, boss, sample, base_url=BASE, signature=signed(boss, "approval")
        )


def test_a_second_report_for_the_same_sample_is_refused(concluded_sample, boss):
    sample = concluded_sample()
    reports.issue_report(
        db.session, boss, sample, base_url=BASE, signature=signed(boss, "approval")
    )
    sample.status = SampleStatus.CONCLUDED  # as if it had been reopened
    with pytest.raises(ServiceError, match="已有签发的检验报告"):
        reports.issue_report(
            db.session, boss, sample, base_url=BASE, signature=signed(boss, "approval")
        )


def test_correction_issues_a_new_number_and_supersedes_the_old(concluded_sample, boss):
    old = reports.issue_report(
        db.session, boss, concluded_sample(), base_url=BASE, signature=signed(boss, "approval")
    )
    new = reports.correct_report(
        db.session,
        boss,
        old,
        reason="生产日期录入错误",
        base_url=BASE,
        signature=signed(boss, "approval"),
    )
    db.session.commit()

    assert new.report_no != old.report_no
    assert (old.status, old.superseded_by_id) == (ReportStatus.SUPERSEDED, new.id)
    assert (new.status, new.replaces_id) == (ReportStatus.ISSUED, old.id)
    assert new.correction_reason == "生产日期录入错误"
    assert f"本报告替代{old.report_no}号报告" in pdf_pages(new.pdf)[0]
    assert (
        db.session.scalar(select(AuditEntry).where(AuditEntry.action == "supersede")).reason
        == "生产日期录入错误"
    )
    with pytest.raises(ServiceError, match="不能再次更正"):
        reports.correct_report(
            db.session, boss, old, reason="again", base_url=BASE, signature=signed(boss, "approval")
        )


def test_a_correction_needs_a_reason(concluded_sample, boss):
    old = reports.issue_report(
        db.session, boss, concluded_sample(), base_url=BASE, signature=signed(boss, "approval")
    )
    with pytest.raises(ServiceError, match="更正原因") as caught:
        reports.correct_report(
            db.session, boss, old, reason="  ", base_url=BASE, signature=signed(boss, "approval")
        )
    assert caught.value.field == "reason"


def test_bulk_issue_skips_what_cannot_be_issued(concluded_sample, make_sample, flour, boss):
    good = [concluded_sample(), concluded_sample()]
    not_ready = make_sample(flour)
    seen = []
    outcome = reports.issue_many(
        db.session,
        boss,
        [good[0], not_ready, good[1]],
        base_url=BASE,
        progress=lambda s, r, m: seen.append(s),
        signature=signed(boss, "approval"),
    )
    db.session.commit()
    assert [r.sample_id for r in outcome.issued] == [good[0].id, good[1].id]
    assert [s.id for s, _ in outcome.failed] == [not_ready.id]
    assert len(seen) == 3
    assert db.session.get(type(not_ready), not_ready.id).status == SampleStatus.RECEIVED


def test_concurrent_issuing_never_repeats_a_number(app, concluded_sample, boss):
    samples = [concluded_sample().id for _ in range(6)]
    boss_id = boss.id
    db.session.commit()
    barrier = threading.Barrier(2)
    numbers, errors = [], []

    def issue(sample_ids):
        from labsys.models import Sample, User

        try:
            with app.app_context():
                barrier.wait()
                for sample_id in sample_ids:
                    actor = db.session.get(User, boss_id)
                    report = reports.issue_report(
                        db.session,
                        actor,
                        db.session.get(Sample, sample_id),
                        base_url=BASE,
                        signature=signed(actor, "approval"),
                    )
                    numbers.append(report.report_no)
                    db.session.commit()
                db.session.remove()
        except Exception as error:  # noqa: BLE001 - reported to the test thread
            errors.append(error)

    threads = [threading.Thread(target=issue, args=(samples[i::2],)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert len(numbers) == 6 and len(set(numbers)) == 6
    assert sorted(numbers) == [f"JC01-{this_year()}-{n:06d}" for n in range(1, 7)]


def test_a_sample_changed_meanwhile_is_a_conflict_not_a_crash(concluded_sample, boss):
    from sqlalchemy import text

    from labsys.services import ConflictError

    sample = concluded_sample()
    # Another transaction issued (or edited) the sample after we read it.
    db.session.execute(
        text("UPDATE samples SET version_id = version_id + 1 WHERE id = :id"), {"id": sample.id}
    )
    outcome = reports.issue_many(
        db.session, boss, [sample], base_url=BASE, signature=signed(boss, "approval")
    )
    assert outcome.issued == []
    assert "已被修改" in outcome.failed[0][1]
    assert db.session.scalar(select(Report)) is None

    sample = db.session.get(type(sample), sample.id)  # read again: now current
    db.session.execute(
        text("UPDATE samples SET version_id = version_id + 1 WHERE id = :id"), {"id": sample.id}
    )
    with pytest.raises(ConflictError):
        reports.issue_report(
            db.session, boss, sample, base_url=BASE, signature=signed(boss, "approval")
        )
