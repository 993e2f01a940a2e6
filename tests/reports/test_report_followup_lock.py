"""Records locked once reported (issue 18 §2) through the follow-up of an unqualified sample
(issue 12): a retest (复检, SAMR Order No. 15 (2019) Art. 35) that changes a reported
conclusion issues the signed superseding report in the same transaction; an objection upheld
by withdrawing the conclusion (Art. 39) withdraws the report, shown on the verification
page; a reopened sample is concluded again only towards a new report; a qualified retest or
a withdrawal ends the disposal (核查处置, Art. 45) under way.  In every case the report in
force, the announcement and the pass rates agree."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from labsys.core import clock
from labsys.extensions import db
from labsys.models import (
    Conclusion,
    Disposal,
    DisposalStatus,
    ObjectionEffect,
    Report,
    ReportStatus,
    Retest,
    RetestStatus,
    Role,
    SampleStatus,
)
from labsys.services import (
    PermissionDenied,
    ServiceError,
    disposals,
    exports,
    followup,
    objections,
    reports,
    results,
    retests,
    stats,
)
from labsys.services.access import SYSTEM

from reports_support import CADMIUM, accepted_objection, retest_due
from support import PASSWORD, signed

BASE = "http://labsys.test"


@pytest.fixture
def reported(concluded_sample, boss):
    """An unqualified supervision sample (cadmium 0.32 > 0.1), its report issued, the sampled
    unit notified, the regulator's disposal under way."""
    sample = concluded_sample(items=(CADMIUM,))
    report = reports.issue_report(
        db.session, boss, sample, base_url=BASE, signature=signed(boss, "approval")
    )
    today = clock.today()
    record = followup.open_followup(db.session, sample, boss)
    followup.record_notification(db.session, boss, record, today)
    disposals.record_conclusion_received(db.session, boss, sample, received_on=today)
    db.session.commit()
    return sample, report


@pytest.fixture
def retested(reported, boss):
    """A retest accepted, its lab drawn and the backup received: the result is due."""
    sample, _report = reported
    for code, name in (("08", "复检所乙"), ("09", "复检所甲")):
        retests.set_retest_lab(db.session, SYSTEM, code=code, name=name)
    return retest_due(sample, boss, seal_note="完好")


def _in_force(sample) -> Report | None:
    return db.session.scalar(
        select(Report).where(Report.sample_id == sample.id, Report.status == ReportStatus.ISSUED)
    )


def _published() -> list[str]:
    return [r["sample_no"] for r in exports.announcement_records(db.session)]


def _rates() -> tuple[int, int]:
    total = stats.compute(db.session).total
    return total.qualified, total.unqualified


def _disposal(sample) -> Disposal:
    return db.session.scalars(select(Disposal).where(Disposal.sample_id == sample.id)).one()


def _on_board(sample) -> bool:
    """Whether the deadline board lists the sample's disposal (on its due day) or counts it
    overdue (the day after)."""
    due = _disposal(sample).due
    listed = followup.deadline_board(db.session, due, kind="disposal")
    later = followup.deadline_board(db.session, due + timedelta(days=1), kind="disposal")
    return any(d.sample_id == sample.id for d in listed) or later.kinds[0].overdue > 0


def _record(retest, boss, conclusion, signature=None):
    return retests.record_retest_result(
        db.session,
        boss,
        retest,
        conclusion=conclusion,
        result="镉 0.05 mg/kg",
        reported_on=clock.today(),
        base_url=BASE,
        signature=signature,
    )


# --- 1. a retest on a reported sample ---------------------------------------------------------


def test_a_qualified_retest_issues_the_signed_superseding_report(reported, retested, boss, client):
    sample, first = reported
    assert _rates() == (0, 1)  # not yet published: a retest is pending (Art. 35)
    _record(retested, boss, Conclusion.QUALIFIED, signed(boss, "approval"))
    db.session.commit()
    second = _in_force(sample)
    assert second is not None and second.id != first.id
    assert second.conclusion == Conclusion.QUALIFIED == sample.conclusion
    assert (first.status, first.superseded_by_id) == (ReportStatus.SUPERSEDED, second.id)
    assert second.replaces_id == first.id and "复检" in second.correction_reason
    assert sample.status == SampleStatus.REPORTED
    assert retested.status == RetestStatus.RETESTED
    # The announcement and the pass rates follow the report in force.
    assert sample.sample_no not in _published()
    assert _rates() == (1, 0)
    # The old report's QR code says it is no longer valid; the new one's, valid.
    assert "已作废" in client.get(f"/verify/{first.verify_token}").get_data(as_text=True)
    page = client.get(f"/verify/{second.verify_token}").get_data(as_text=True)
    assert "合格" in page and "真实有效" in page


@pytest.mark.parametrize("signature", [None, "other", "review"])
def test_an_unsigned_retest_result_on_a_reported_sample_changes_nothing(
    reported, retested, boss, make_user, signature
):
    sample, first = reported
    other = make_user("boss2", Role.SUPERVISOR)
    given = {None: None, "other": signed(other, "approval"), "review": signed(boss, "review")}
    with pytest.raises(PermissionDenied):
        _record(retested, boss, Conclusion.QUALIFIED, given[signature])
    db.session.rollback()
    assert db.session.get(Retest, retested.id).status == RetestStatus.BACKUP_RECEIVED
    assert sample.conclusion == Conclusion.UNQUALIFIED and _in_force(sample).id == first.id
    assert _rates() == (0, 1)


def test_a_confirming_retest_issues_no_report_and_needs_no_signature(reported, retested, boss):
    sample, first = reported
    _record(retested, boss, Conclusion.UNQUALIFIED)
    db.session.commit()
    assert retested.status == RetestStatus.RETESTED and _in_force(sample).id == first.id
    assert _disposal(sample).status == DisposalStatus.UNDER_WAY
    assert sample.sample_no in _published() and _rates() == (0, 1)  # final now


def test_the_retest_result_page_signs_with_the_password(reported, retested, boss, login, post):
    sample, first = reported
    login(boss)
    page = f"/followup/{sample.id}"
    prefix = f"retest{retested.id}-result-"
    data = {
        f"{prefix}conclusion": "qualified",
        f"{prefix}result": "镉 0.05 mg/kg",
        f"{prefix}reported_on": clock.today().isoformat(),
    }
    for password, message in (("", "密码"), ("wrong-password", "密码错误")):
        response = post(
            f"{page}/retests/{retested.id}/result",
            {**data, f"{prefix}password": password},
            token_from=page,
            follow_redirects=True,
        )
        assert message in response.get_data(as_text=True)
        db.session.rollback()
        assert db.session.get(Retest, retested.id).status == RetestStatus.BACKUP_RECEIVED
        assert _in_force(sample).id == first.id
    assert f'name="{prefix}password"' in response.get_data(as_text=True)
    post(
        f"{page}/retests/{retested.id}/result",
        {**data, f"{prefix}password": PASSWORD},
        token_from=page,
    )
    db.session.rollback()
    assert _in_force(sample).conclusion == Conclusion.QUALIFIED
    assert first.status == ReportStatus.SUPERSEDED


# --- 2. an objection upheld by withdrawing a reported conclusion --------------------------------


def _objection(sample, boss):
    return accepted_objection(sample, boss)


def _withdraw(objection, boss, signature):
    return objections.uphold_objection(
        db.session,
        boss,
        objection,
        outcome_on=clock.today(),
        note="判定依据不适用",
        effect=ObjectionEffect.WITHDRAWN,
        base_url=BASE,
        signature=signature,
    )


def test_a_withdrawal_withdraws_the_report_shown_on_the_verify_page(reported, boss, client):
    sample, first = reported
    objection = _objection(sample, boss)
    _withdraw(objection, boss, signed(boss, "approval"))
    db.session.commit()
    assert sample.status == SampleStatus.REOPENED and sample.conclusion is None
    assert first.status == ReportStatus.WITHDRAWN and _in_force(sample) is None
    assert "异议成立" in first.withdrawal_reason and first.withdrawn_at is not None
    page = client.get(f"/verify/{first.verify_token}").get_data(as_text=True)
    assert "已撤销" in page and "判定依据不适用" in page and "真实有效" not in page
    answer = client.get(f"/api/v1/verify/{first.verify_token}")
    if answer.status_code == 200:
        assert answer.get_json()["valid"] is False
    # No conclusion: out of the announcement and the pass rates.
    assert sample.sample_no not in _published() and _rates() == (0, 0)


def test_an_unsigned_withdrawal_of_a_reported_conclusion_changes_nothing(reported, boss):
    sample, first = reported
    objection = _objection(sample, boss)
    with pytest.raises(PermissionDenied):
        _withdraw(objection, boss, None)
    db.session.rollback()
    assert sample.status == SampleStatus.REPORTED and sample.conclusion == Conclusion.UNQUALIFIED
    assert first.status == ReportStatus.ISSUED and objection.status.value == "accepted"
    assert _disposal(sample).status == DisposalStatus.UNDER_WAY


# --- 3. a reopened sample goes back to reported only through a new report -----------------------


def concluded_again_after_withdrawal(sample, boss, reviewer, make_user) -> None:
    """The report withdrawn by an upheld objection, the cadmium row corrected to a passing
    value by a second reviewer and accepted: the sample is concluded again, unreported."""
    _withdraw(_objection(sample, boss), boss, signed(boss, "approval"))
    db.session.commit()
    cadmium = sample.results[0]
    rev2 = make_user("rev2", Role.REVIEWER)
    results.correct_result(
        db.session,
        rev2,
        cadmium,
        measured_text="0.05",
        expected_version=cadmium.version_id,
        reason="transcription",
    )
    db.session.commit()
    results.accept_results(db.session, reviewer, [cadmium], signature=signed(reviewer))
    db.session.commit()


def test_a_reopened_sample_is_concluded_again_towards_a_new_report(
    reported, boss, reviewer, make_user
):
    sample, first = reported
    concluded_again_after_withdrawal(sample, boss, reviewer, make_user)
    # Concluded again, but not reported: no report says 合格 yet; nothing is published.
    assert sample.status == SampleStatus.CONCLUDED and sample.conclusion == Conclusion.QUALIFIED
    assert _in_force(sample) is None
    second = reports.issue_report(
        db.session, boss, sample, base_url=BASE, signature=signed(boss, "approval")
    )
    db.session.commit()
    assert sample.status == SampleStatus.REPORTED and _in_force(sample) == second
    assert second.conclusion == sample.conclusion and first.status == ReportStatus.WITHDRAWN
    assert _rates() == (1, 0)


def test_a_reopened_sample_with_a_report_in_force_is_locked(reported, boss, make_user):
    """A sample reopened before issue 18 (its report never withdrawn) is as locked as a
    reported one: its results are neither corrected nor retested outside a report
    correction."""
    sample, first = reported
    sample.status = SampleStatus.REOPENED  # as a reopened sample of the older rule left it
    sample.conclusion = None
    db.session.commit()
    cadmium = sample.results[0]
    rev2 = make_user("rev2", Role.REVIEWER)
    with pytest.raises(ServiceError, match="报告更正"):
        results.correct_result(
            db.session,
            rev2,
            cadmium,
            measured_text="0.05",
            expected_version=cadmium.version_id,
            reason="transcription",
        )
    db.session.rollback()
    with pytest.raises(ServiceError, match="已签发报告"):
        results.retest(db.session, rev2, cadmium, "Suspected contamination")
    db.session.rollback()
    assert sample.status == SampleStatus.REOPENED and _in_force(sample).id == first.id


# --- 6. the disposal ends with the unqualified conclusion ---------------------------------------


def test_a_qualified_retest_closes_the_disposal(reported, retested, boss, client, login):
    sample, _first = reported
    assert _on_board(sample)
    _record(retested, boss, Conclusion.QUALIFIED, signed(boss, "approval"))
    db.session.commit()
    disposal = _disposal(sample)
    assert disposal.status == DisposalStatus.CLOSED and disposal.closed_on == clock.today()
    assert "复检" in disposal.closed_reason
    assert not _on_board(sample)
    login(boss)
    page = client.get(f"/followup/{sample.id}").get_data(as_text=True)
    assert 'id="disposal-closed"' in page and "核查处置已终止" in page
    assert 'id="disposal-complete"' not in page


def test_a_withdrawal_closes_the_disposal(reported, boss):
    sample, _first = reported
    _withdraw(_objection(sample, boss), boss, signed(boss, "approval"))
    db.session.commit()
    disposal = _disposal(sample)
    assert disposal.status == DisposalStatus.CLOSED and "异议成立" in disposal.closed_reason
    assert not _on_board(sample)
