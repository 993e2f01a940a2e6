"""No correction of the first test's result while a retest (复检) of it is under way.

SAMR Order No. 15 (2019) Arts. 30-35 *(verify)*: once a retest is applied for and until its
result is recorded (or it is refused), the result under dispute is with the retest lab,
whose conclusion will be the final one.  Correcting the first lab's result meanwhile would
change what the retest is judging: after the report, the correction request issued a
superseding report with a new conclusion under the retest's feet; before it, the lab's
correction withdrew the conclusion, and the retest's result could then not be recorded.
Both orders are refused: a correction asked while a retest is under way, and a pending
correction reviewed or approved after a retest was applied for (the application itself is
recorded: a pending correction is no Art. 31 ground to refuse it)."""

from __future__ import annotations

import pytest
import test_report_after_retest as after_retest
from sqlalchemy import func, select
from test_report_after_retest import RESULT, _issue, _retested

from labsys.core import clock
from labsys.extensions import db
from labsys.models import (
    Applicant,
    Conclusion,
    Correction,
    CorrectionStatus,
    Report,
    ReportStatus,
    RetestGround,
    RetestStatus,
    Role,
    SampleResult,
    SampleStatus,
    VisitSampler,
)
from labsys.services import ServiceError, corrections, reports, results, retests

from reports_support import approved_correction
from support import PASSWORD, signed

BASE = "http://labsys.test"
unqualified = after_retest.unqualified  # the fixture: an unqualified sample, notified today


def _cadmium(sample) -> SampleResult:
    return next(r for r in sample.results if r.item_name.startswith("镉"))


def _applied(sample, boss):
    retest = retests.apply_for_retest(
        db.session,
        boss,
        sample,
        applicant=Applicant.SAMPLED_UNIT,
        applicant_name="某超市",
        conclusion_received_on=clock.today(),
        applied_on=clock.today(),
    )
    db.session.commit()
    return retest


def _until(retest, boss, status: RetestStatus):
    """The retest taken step by step up to ``status`` (applied → … → backup received)."""
    today = clock.today()
    steps = [
        (RetestStatus.ACCEPTED, lambda: retests.accept_retest(
            db.session, boss, retest, decided_on=today)),
        (RetestStatus.LAB_CHOSEN, lambda: retests.choose_retest_lab(
            db.session, boss, retest, chosen_on=today, seed=1)),
        (RetestStatus.BACKUP_RECEIVED, lambda: retests.record_backup_handover(
            db.session, boss, retest, received_on=today, seal_intact=True)),
    ]  # fmt: skip
    for reached, step in steps:
        if retest.status == status:
            break
        step()
        assert retest.status == reached
    db.session.commit()
    return retest


def _ask(row, asker, value="0.05"):
    return corrections.correct_reported_result(
        db.session,
        asker,
        row,
        measured_text=value,
        reason="Transcription error: 0.05 read as 0.32",
        expected_version=row.version_id,
    )


def _refuse(retest, boss):
    """Art. 31 *(verify)*: the retest refused, the backup being unusable; the retest is over."""
    retests.refuse_retest(
        db.session,
        boss,
        retest,
        decided_on=clock.today(),
        ground=RetestGround.BACKUP_UNUSABLE,
        note="备份样品包装破损",
    )
    db.session.commit()


def _approve(request, approver):
    """The approval, signed by ``approver`` (a supervisor who signs reports)."""
    return corrections.approve(
        db.session,
        approver,
        request,
        expected_version=request.version_id,
        base_url=BASE,
        signature=signed(approver, "approval"),
    )


def _requests() -> int:
    return db.session.scalar(select(func.count()).select_from(Correction))


OPEN = [
    RetestStatus.APPLIED,
    RetestStatus.ACCEPTED,
    RetestStatus.LAB_CHOSEN,
    RetestStatus.BACKUP_RECEIVED,
]


# --- after the report: the correction request -------------------------------------------------


@pytest.mark.parametrize("status", OPEN)
def test_a_reported_result_is_not_corrected_while_its_retest_is_under_way(
    unqualified, boss, reviewer, status
):
    _issue(unqualified, boss)
    retest = _until(_applied(unqualified, boss), boss, status)
    cadmium = _cadmium(unqualified)
    with pytest.raises(ServiceError) as refused:
        _ask(cadmium, reviewer)
    message = refused.value.message
    assert unqualified.sample_no in message and "复检" in message
    assert retest.applied_on.isoformat() in message and retest.status.title in message
    assert "第三十五条" in message and "复检结果录入" in message  # what to do instead
    db.session.rollback()
    assert _requests() == 0 and cadmium.measured_text == "0.32"


def test_the_correction_page_refuses_it_and_crafted_posts(
    unqualified, boss, reviewer, client, login, post, make_user
):
    _issue(unqualified, boss)
    _until(_applied(unqualified, boss), boss, RetestStatus.BACKUP_RECEIVED)
    cadmium = _cadmium(unqualified)
    path = f"/lab/results/{cadmium.id}/correct"
    form = {"version": cadmium.version_id, "measured": "0.05", "reason": "抄录错误"}
    login(reviewer)
    html = post(path, form, token_from=path).get_data(as_text=True)
    assert "复检正在进行" in html and unqualified.sample_no in html
    # A stale version, no CSRF token, a role that may not correct: refused all the same.
    stale = post(path, {**form, "version": cadmium.version_id - 1}, token_from=path)
    assert "复检正在进行" in stale.get_data(as_text=True)
    assert client.post(path, data=form).status_code == 400
    login(make_user("tech2", Role.TECHNICIAN))
    assert post(path, form, token_from="/").status_code == 403
    db.session.expire_all()
    assert _requests() == 0
    assert db.session.get(SampleResult, cadmium.id).measured_text == "0.32"


# --- before the report: the lab's own correction or retest of the row -----------------------


def test_before_the_report_the_lab_neither_corrects_nor_retests_the_row(
    unqualified, boss, reviewer, make_user
):
    retest = _until(_applied(unqualified, boss), boss, RetestStatus.BACKUP_RECEIVED)
    cadmium = _cadmium(unqualified)
    rev2 = make_user("rev2", Role.REVIEWER)
    with pytest.raises(ServiceError, match="复检正在进行"):
        results.correct_result(
            db.session,
            rev2,
            cadmium,
            measured_text="0.05",
            expected_version=cadmium.version_id,
            reason="Transcription error",
        )
    db.session.rollback()
    with pytest.raises(ServiceError, match="复检正在进行"):
        results.retest(db.session, rev2, cadmium, "Suspected contamination")
    db.session.rollback()
    assert unqualified.status == SampleStatus.CONCLUDED
    assert unqualified.conclusion == Conclusion.UNQUALIFIED
    # The retest's result is recorded as ever, and then the row may be corrected (the
    # retest's conclusion stays: Art. 35).
    retests.record_retest_result(
        db.session,
        boss,
        retest,
        conclusion=Conclusion.QUALIFIED,
        result=RESULT,
        reported_on=clock.today(),
    )
    db.session.commit()
    results.correct_result(
        db.session,
        rev2,
        cadmium,
        measured_text="0.45",
        expected_version=cadmium.version_id,
        reason="Transcription error",
    )
    db.session.commit()
    results.accept_results(db.session, reviewer, [cadmium], signature=signed(reviewer))
    db.session.commit()
    assert unqualified.conclusion == Conclusion.QUALIFIED


def test_a_refused_retest_no_longer_holds_the_correction(unqualified, boss, reviewer):
    """Art. 31(4) *(verify)*: a refused retest is over; the result may be corrected again."""
    _issue(unqualified, boss)
    retest = _applied(unqualified, boss)
    _refuse(retest, boss)
    assert _ask(_cadmium(unqualified), reviewer).status == CorrectionStatus.PENDING


# --- the other order: a correction pending when the retest is applied for --------------------


def test_a_pending_correction_waits_for_the_retest(unqualified, boss, reviewer, make_user):
    """Asked before the application: neither reviewed nor approved while a retest is under
    way; rejecting or withdrawing it (which change nothing) stay possible."""
    first = _issue(unqualified, boss)
    cadmium = _cadmium(unqualified)
    request = _ask(cadmium, reviewer)
    db.session.commit()
    rev2 = make_user("rev2", Role.REVIEWER)
    # The application is recorded all the same (no Art. 31 ground); the review waits.
    retest = _applied(unqualified, boss)
    with pytest.raises(ServiceError, match="复检正在进行"):
        corrections.review_reported_result(
            db.session,
            rev2,
            request,
            expected_version=request.version_id,
            signature=signed(rev2),
        )
    db.session.rollback()
    assert request.reviewed_by_id is None
    # The retest refused: the review goes ahead.
    _refuse(retest, boss)
    corrections.review_reported_result(
        db.session, rev2, request, expected_version=request.version_id, signature=signed(rev2)
    )
    db.session.commit()
    # Reviewed, then a second application (possible after a refusal: the one retest of
    # Art. 35 is one not refused): the approval waits.
    _until(_applied(unqualified, boss), boss, RetestStatus.LAB_CHOSEN)
    with pytest.raises(ServiceError, match="复检正在进行"):
        _approve(request, boss)
    db.session.rollback()
    assert request.status == CorrectionStatus.PENDING
    assert db.session.get(Report, first.id).status == ReportStatus.ISSUED
    assert cadmium.measured_text == "0.32"
    corrections.reject(
        db.session, boss, request, expected_version=request.version_id, note="复检中，复检后再议"
    )
    db.session.commit()
    assert request.status == CorrectionStatus.REJECTED


def test_the_approval_page_refuses_it(unqualified, boss, reviewer, client, login, post, make_user):
    first = _issue(unqualified, boss)
    request = _ask(_cadmium(unqualified), reviewer)
    db.session.commit()
    rev2 = make_user("rev2", Role.REVIEWER)
    corrections.review_reported_result(
        db.session, rev2, request, expected_version=request.version_id, signature=signed(rev2)
    )
    db.session.commit()
    _until(_applied(unqualified, boss), boss, RetestStatus.BACKUP_RECEIVED)
    login(boss)
    page = f"/corrections/{request.id}"
    html = post(
        f"{page}/approve",
        {"version": request.version_id, "password": PASSWORD},
        token_from=page,
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "复检正在进行" in html and "已批准并生效" not in html
    db.session.expire_all()
    assert db.session.get(Correction, request.id).status == CorrectionStatus.PENDING
    assert db.session.get(Report, first.id).status == ReportStatus.ISSUED


def test_after_the_retest_the_correction_goes_through_and_keeps_its_conclusion(
    unqualified, boss, reviewer, make_user
):
    """Once the retest reported, the first test's row is corrected through the request; the
    conclusion stays the retest's (Art. 35 *(verify)*)."""
    _issue(unqualified, boss)
    _retested(unqualified, boss, Conclusion.QUALIFIED, signed(boss, "approval"))
    request = approved_correction(
        _cadmium(unqualified),
        reviewer,
        make_user("rev2", Role.REVIEWER),
        boss,
        measured_text="0.45",
        reason="Transcription error: 0.45 read as 0.32",
    )
    assert request.status == CorrectionStatus.APPROVED
    assert unqualified.conclusion == Conclusion.QUALIFIED
    assert reports.current_report(db.session, unqualified).conclusion == Conclusion.QUALIFIED


# --- the sampling form: it describes the backup the retest lab tests ----------------------


@pytest.fixture
def two_samplers(unqualified, make_user):
    """The visit's team of two, as a visit is validated (the factory makes one of one)."""
    colleague = make_user("sam2", Role.SAMPLER)
    unqualified.visit.sampler_links.append(VisitSampler(user_id=colleague.id))
    db.session.commit()


def _ask_form(sample, asker, *, visit: bool = False):
    if visit:
        return corrections.correct_visit(
            db.session,
            asker,
            sample.visit,
            changes={"place": "北京市东城区更正路1号"},
            reason="抽样地点抄错",
            expected_version=sample.visit.version_id,
        )
    return corrections.correct_sample(
        db.session,
        asker,
        sample,
        changes={"brand": "更正品牌"},
        reason="商标抄错",
        expected_version=sample.version_id,
    )


@pytest.mark.parametrize("visit", [False, True], ids=["batch", "visit"])
def test_the_sampling_form_is_not_corrected_once_the_retest_is_accepted(
    unqualified, boss, two_samplers, visit
):
    _issue(unqualified, boss)
    _until(_applied(unqualified, boss), boss, RetestStatus.ACCEPTED)
    before = _requests()
    with pytest.raises(ServiceError) as refused:
        _ask_form(unqualified, boss, visit=visit)
    db.session.rollback()
    message = refused.value.message
    assert "复检正在进行" in message and "抽样单" in message and unqualified.sample_no in message
    assert _requests() == before


@pytest.mark.parametrize("visit", [False, True], ids=["batch", "visit"])
def test_a_form_correction_asked_before_the_retest_waits_for_it(
    unqualified, boss, two_samplers, make_user, visit
):
    """Asked before the application, approved after the retest was accepted: refused,
    nothing applied, the request still pending."""
    _issue(unqualified, boss)
    asker = make_user("boss2", Role.SUPERVISOR)  # the approver (boss, a signatory) is another
    request = _ask_form(unqualified, asker, visit=visit)
    db.session.commit()
    _until(_applied(unqualified, boss), boss, RetestStatus.ACCEPTED)
    with pytest.raises(ServiceError, match="复检正在进行"):
        _approve(request, boss)
    db.session.rollback()
    assert request.status == CorrectionStatus.PENDING
    assert unqualified.brand != "更正品牌" and unqualified.visit.place != "北京市东城区更正路1号"


def test_a_form_error_that_decides_the_acceptance_is_corrected_before_it(
    unqualified, boss, make_user
):
    """The form says 保质期 5天 (it is 5年): Art. 31 (2) *(verify)* would find the backup
    expired and the retest refused.  Before the acceptance the form is corrected (a request,
    approved with the superseding report), and the retest is then accepted."""
    from datetime import timedelta

    unqualified.production_date = unqualified.sampling_date - timedelta(days=30)
    unqualified.shelf_life, unqualified.shelf_life_days = "5天", 5
    db.session.commit()
    _issue(unqualified, boss)
    retest = _applied(unqualified, boss)
    with pytest.raises(ServiceError, match="第三十一条"):
        retests.accept_retest(db.session, boss, retest, decided_on=clock.today())
    db.session.rollback()
    asker = make_user("boss2", Role.SUPERVISOR)
    request = corrections.correct_sample(
        db.session,
        asker,
        unqualified,
        changes={"shelf_life": "5年"},
        reason="保质期抄错：5年写成5天",
        expected_version=unqualified.version_id,
    )
    db.session.commit()
    _approve(request, boss)
    db.session.commit()
    assert request.status == CorrectionStatus.APPROVED and unqualified.shelf_life == "5年"
    retests.accept_retest(db.session, boss, retest, decided_on=clock.today())
    db.session.commit()
    assert retest.status == RetestStatus.ACCEPTED


@pytest.mark.parametrize("visit", [False, True], ids=["batch", "visit"])
def test_a_sample_under_retest_is_not_voided(unqualified, boss, make_user, visit):
    """Concluded and notified, not reported, a retest applied for: voiding is refused when
    asked, saying so (not "correct the form")."""
    _applied(unqualified, boss)
    asker = make_user("boss2", Role.SUPERVISOR)
    before = _requests()
    with pytest.raises(ServiceError) as refused:
        if visit:
            corrections.void_visit(
                db.session,
                asker,
                unqualified.visit,
                reason="误登记",
                expected_version=unqualified.visit.version_id,
            )
        else:
            corrections.void_sample(
                db.session,
                asker,
                unqualified,
                reason="误登记",
                expected_version=unqualified.version_id,
            )
    db.session.rollback()
    message = refused.value.message
    assert "不能作废" in message and "更正抽样单" not in message
    assert _requests() == before
