"""Entry, judgement, review, conclusion, corrections and retests through the service layer."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from labsys.models import (
    AuditEntry,
    Conclusion,
    ResultStatus,
    Role,
    SampleResult,
    SampleStatus,
    VerdictValue,
)
from labsys.services import ConflictError, PermissionDenied, ServiceError
from labsys.services import results as svc

from results_support import by_name
from support import signed


def _enter(db, tech, result, measured=None, units=None):
    svc.enter_result(
        db.session,
        tech,
        result,
        measured_text=measured,
        expected_version=result.version_id,
        unit_values=units,
    )
    db.session.commit()
    return result


def _enter_all_passing(db, tech, sample):
    _enter(db, tech, by_name(sample, "铅"), "0.153")
    _enter(db, tech, by_name(sample, "过氧化"), "未检出")
    _enter(db, tech, by_name(sample, "菌落"), units=["50", "60", "70", "80", "90"])


@pytest.mark.parametrize(
    "typed, verdict, reported",
    [
        ("0.153", VerdictValue.PASS, "0.15"),
        ("0.2051", VerdictValue.FAIL, "0.21"),
        ("0.125", VerdictValue.PASS, "0.12"),  # GB/T 8170: exactly half rounds to even
        ("未检出", VerdictValue.PASS, "未检出(检出限: 0.005 mg/kg)"),
        ("0.003", VerdictValue.PASS, "未检出(检出限: 0.005 mg/kg)"),  # below the LOD
        ("nd", VerdictValue.PASS, "未检出(检出限: 0.005 mg/kg)"),
    ],
)
def test_entry_judges_against_the_frozen_limit_and_rounds(
    db, tech, flour_sample, typed, verdict, reported
):
    sample = flour_sample()
    lead = _enter(db, tech, by_name(sample, "铅"), typed)
    assert (lead.measured_text, lead.reported_text, lead.verdict, lead.status) == (
        typed,
        reported,
        verdict,
        ResultStatus.ENTERED,
    )
    assert lead.entered_by_id == tech.id and lead.entered_at is not None


def test_banned_item_fails_when_found(db, tech, flour_sample):
    banned = _enter(db, tech, by_name(flour_sample(), "过氧化"), "0.05")
    assert banned.verdict == VerdictValue.FAIL


@pytest.mark.parametrize(
    "units, verdict",
    [
        (["150", "900", "80", "60", "100"], VerdictValue.PASS),
        (["150", "900", "200", "60", "100"], VerdictValue.FAIL),
        (["50", "60", "70", "80", "1100"], VerdictValue.FAIL),
    ],
)
def test_microbiological_items_take_n_unit_results(db, tech, flour_sample, units, verdict):
    count = _enter(db, tech, by_name(flour_sample(), "菌落"), units=units)
    assert count.verdict == verdict
    assert json.loads(count.unit_values) == units
    assert count.reported_text == ",".join(units)


def test_a_micro_item_needs_all_n_units(db, tech, flour_sample):
    count = by_name(flour_sample(), "菌落")
    with pytest.raises(ServiceError, match="5") as error:
        svc.enter_result(
            db.session,
            tech,
            count,
            measured_text=None,
            expected_version=count.version_id,
            unit_values=["1", "2"],
        )
    assert error.value.field == "unit_values"


def test_input_that_is_not_a_result_is_refused_with_the_core_message(db, tech, flour_sample):
    lead = by_name(flour_sample(), "铅")
    with pytest.raises(ServiceError, match="无法识别的检验结果") as error:
        svc.enter_result(
            db.session, tech, lead, measured_text="0.1.5", expected_version=lead.version_id
        )
    assert error.value.field == "measured_text"
    db.session.rollback()
    assert db.session.get(SampleResult, lead.id).measured_text is None


def test_a_page_save_is_all_or_nothing_and_lists_every_bad_row(db, tech, flour_sample):
    sample = flour_sample()
    lead, banned = by_name(sample, "铅"), by_name(sample, "过氧化")
    entries = [
        svc.Entry(lead, "0.1", lead.version_id),
        svc.Entry(banned, "lots", banned.version_id),
    ]
    with pytest.raises(svc.EntryErrors) as error:
        svc.enter_results(db.session, tech, entries)
    assert list(error.value.errors) == [banned.id]
    db.session.rollback()
    assert db.session.get(SampleResult, lead.id).status == ResultStatus.PENDING


def test_only_technicians_enter_results(db, reviewer, flour_sample):
    lead = by_name(flour_sample(), "铅")
    with pytest.raises(PermissionDenied):
        svc.enter_result(
            db.session, reviewer, lead, measured_text="0.1", expected_version=lead.version_id
        )


def test_a_sample_not_yet_received_takes_no_results(
    db, tech, flour_sample, make_sample, flour, items
):
    sample = make_sample(flour, [{"test_item": items["lead"], "limit_text": "≤0.2"}])
    sample.status = SampleStatus.REGISTERED
    db.session.commit()
    lead = sample.results[0]
    with pytest.raises(ServiceError, match="not in testing|不在检验中"):
        svc.enter_result(
            db.session, tech, lead, measured_text="0.1", expected_version=lead.version_id
        )


def test_entry_and_submission_are_audited(db, tech, flour_sample):
    lead = _enter(db, tech, by_name(flour_sample(), "铅"), "0.153")
    svc.submit_results(db.session, tech, [lead])
    db.session.commit()
    entries = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity == "result", AuditEntry.entity_id == str(lead.id))
        .order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == ["enter", "submit"]
    assert json.loads(entries[0].new_values)["measured"] == "0.153"
    assert lead.status == ResultStatus.SUBMITTED


# --- review ----------------------------------------------------------------------------------


def test_nobody_reviews_their_own_result(db, make_user, flour_sample):
    both = make_user("both", Role.TECHNICIAN, Role.REVIEWER)
    lead = _enter(db, both, by_name(flour_sample(), "铅"), "0.1")
    svc.submit_results(db.session, both, [lead])
    with pytest.raises(PermissionDenied, match="yourself|本人录入"):
        svc.review_result(db.session, both, lead, accept=True, signature=signed(both))
    assert lead.status == ResultStatus.SUBMITTED


def test_only_reviewers_review(db, tech, make_user, flour_sample):
    lead = _enter(db, tech, by_name(flour_sample(), "铅"), "0.1")
    svc.submit_results(db.session, tech, [lead])
    other_tech = make_user("tech2", Role.TECHNICIAN)
    with pytest.raises(PermissionDenied):
        svc.review_result(db.session, other_tech, lead, accept=True, signature=signed(other_tech))


def test_returning_needs_a_reason_and_sends_the_result_back(db, tech, reviewer, flour_sample):
    lead = _enter(db, tech, by_name(flour_sample(), "铅"), "0.1")
    svc.submit_results(db.session, tech, [lead])
    with pytest.raises(ServiceError) as error:
        svc.review_result(db.session, reviewer, lead, accept=False, reason="  ")
    assert error.value.field == "reason"
    svc.review_result(db.session, reviewer, lead, accept=False, reason="Recalibrate first")
    db.session.commit()
    assert (lead.status, lead.return_reason) == (ResultStatus.RETURNED, "Recalibrate first")
    _enter(db, tech, lead, "0.12")
    assert lead.status == ResultStatus.ENTERED and lead.return_reason is None


def test_accepting_every_item_concludes_the_sample(db, tech, reviewer, flour_sample):
    sample = flour_sample()
    _enter_all_passing(db, tech, sample)
    svc.submit_results(db.session, tech, sample.results)
    svc.accept_results(db.session, reviewer, sample.results[:2], signature=signed(reviewer))
    assert sample.conclusion is None  # one item still awaits review
    svc.accept_results(db.session, reviewer, sample.results, signature=signed(reviewer))
    db.session.commit()
    assert (sample.conclusion, sample.status) == (Conclusion.QUALIFIED, SampleStatus.CONCLUDED)
    assert sample.due_unqualified_report is None and sample.concluded_at is not None


def test_an_unqualified_sample_gets_its_deadline_in_working_days(
    db, tech, reviewer, flour_sample, freeze_clock
):
    freeze_clock(date(2026, 11, 26))  # a Thursday
    sample = flour_sample()
    _enter_all_passing(db, tech, sample)
    _enter(db, tech, by_name(sample, "铅"), "0.35")
    svc.submit_results(db.session, tech, sample.results)
    for result in sample.results[:-1]:
        svc.review_result(db.session, reviewer, result, accept=True, signature=signed(reviewer))
    assert sample.due_unqualified_report is None
    svc.review_result(
        db.session, reviewer, sample.results[-1], accept=True, signature=signed(reviewer)
    )
    db.session.commit()
    assert sample.conclusion == Conclusion.UNQUALIFIED
    assert sample.due_unqualified_report == date(2026, 11, 30)


# --- corrections and retests -----------------------------------------------------------------


def _accepted_sample(db, tech, reviewer, flour_sample):
    sample = flour_sample()
    _enter_all_passing(db, tech, sample)
    svc.submit_results(db.session, tech, sample.results)
    svc.accept_results(db.session, reviewer, sample.results, signature=signed(reviewer))
    db.session.commit()
    return sample


def test_a_correction_keeps_old_and_new_values_and_moves_the_conclusion(
    db, tech, reviewer, make_user, flour_sample
):
    sample = _accepted_sample(db, tech, reviewer, flour_sample)
    lead = by_name(sample, "铅")
    with pytest.raises(ServiceError):
        svc.correct_result(
            db.session,
            reviewer,
            lead,
            measured_text="0.3",
            expected_version=lead.version_id,
            reason="",
        )
    svc.correct_result(
        db.session,
        reviewer,
        lead,
        measured_text="0.30",
        expected_version=lead.version_id,
        reason="Transcription error",
    )
    db.session.commit()
    # The corrected value is the corrector's and awaits another reviewer; meanwhile the
    # sample has no conclusion.
    assert (lead.measured_text, lead.verdict, lead.status) == (
        "0.30",
        VerdictValue.FAIL,
        ResultStatus.SUBMITTED,
    )
    assert lead.entered_by_id == reviewer.id and lead.reviewed_by_id is None
    assert sample.conclusion is None and sample.status == SampleStatus.RECEIVED
    with pytest.raises(PermissionDenied, match="yourself|本人"):
        svc.accept_results(db.session, reviewer, [lead], signature=signed(reviewer))
    db.session.rollback()
    second = make_user("rev2", Role.REVIEWER)
    svc.accept_results(db.session, second, [lead], signature=signed(second))
    db.session.commit()
    assert lead.status == ResultStatus.ACCEPTED and lead.reviewed_by_id == second.id
    assert sample.conclusion == Conclusion.UNQUALIFIED and sample.due_unqualified_report
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "result", AuditEntry.action == "correct")
    ).one()
    assert json.loads(entry.old_values)["measured"] == "0.153"
    assert json.loads(entry.new_values)["measured"] == "0.30"
    assert entry.reason == "Transcription error"
    actions = [e.action for e in svc.sample_history(db.session, sample)]
    assert "correct" in actions and "reopen" in actions and actions.count("conclude") == 2


def test_only_accepted_results_are_corrected(db, tech, reviewer, flour_sample):
    lead = _enter(db, tech, by_name(flour_sample(), "铅"), "0.1")
    with pytest.raises(ServiceError, match="accepted|已审核通过"):
        svc.correct_result(
            db.session,
            reviewer,
            lead,
            measured_text="0.2",
            expected_version=lead.version_id,
            reason="x",
        )


def test_a_retest_supersedes_the_original_and_the_conclusion_follows_it(
    db, tech, reviewer, flour_sample
):
    sample = flour_sample()
    _enter_all_passing(db, tech, sample)
    _enter(db, tech, by_name(sample, "铅"), "0.35")
    svc.submit_results(db.session, tech, sample.results)
    svc.accept_results(db.session, reviewer, sample.results, signature=signed(reviewer))
    db.session.commit()
    assert sample.conclusion == Conclusion.UNQUALIFIED
    original = by_name(sample, "铅")
    with pytest.raises(ServiceError):
        svc.retest(db.session, reviewer, original, reason="")
    new = svc.retest(db.session, reviewer, original, reason="Suspected contamination")
    db.session.commit()
    assert original.status == ResultStatus.SUPERSEDED and original.measured_text == "0.35"
    assert (new.supersedes_id, new.status, new.limit_text, new.lod) == (
        original.id,
        ResultStatus.PENDING,
        "≤0.2",
        "0.005",
    )
    assert sample.conclusion is None and sample.status == SampleStatus.RECEIVED
    svc.enter_result(db.session, tech, new, measured_text="0.08", expected_version=new.version_id)
    svc.submit_results(db.session, tech, [new])
    svc.review_result(db.session, reviewer, new, accept=True, signature=signed(reviewer))
    db.session.commit()
    assert sample.conclusion == Conclusion.QUALIFIED
    assert sample.due_unqualified_report is None
    actions = [e.action for e in svc.sample_history(db.session, sample)]
    assert {"retest", "create", "reopen"} <= set(actions)


# --- optimistic locking ----------------------------------------------------------------------


def test_a_stale_version_is_a_conflict_showing_the_current_value(db, tech, make_user, flour_sample):
    lead = by_name(flour_sample(), "铅")
    read_version = lead.version_id  # both technicians opened the page at this version
    other = make_user("tech2", Role.TECHNICIAN, full_name="Other Tech")
    svc.enter_result(db.session, other, lead, measured_text="0.111", expected_version=read_version)
    db.session.commit()
    with pytest.raises(ConflictError) as error:
        svc.enter_result(
            db.session, tech, lead, measured_text="0.222", expected_version=read_version
        )
    assert error.value.current == {"value": "0.111", "by": "Other Tech"}
    assert "0.111" in error.value.message and "Other Tech" in error.value.message
    db.session.rollback()
    assert db.session.get(SampleResult, lead.id).measured_text == "0.111"


def test_two_sessions_saving_the_same_result_conflict_at_flush(
    app, db, tech, make_user, flour_sample
):
    """Session A holds the row as read (version 1) while session B saves and commits."""
    from sqlalchemy.orm import Session

    lead_id = by_name(flour_sample(), "铅").id
    other = make_user("tech2", Role.TECHNICIAN, full_name="Other Tech")
    tech_id, other_id = tech.id, other.id
    db.session.rollback()
    with Session(db.engine, expire_on_commit=False) as a, Session(db.engine) as b:
        stale = a.get(SampleResult, lead_id)
        stale.sample  # noqa: B018 - loaded while reading, as the page does
        a_tech = a.get(type(tech), tech_id)
        a.commit()  # A's read transaction ends; its objects keep the values read
        fresh = b.get(SampleResult, lead_id)
        svc.enter_result(
            b,
            b.get(type(other), other_id),
            fresh,
            measured_text="0.111",
            expected_version=fresh.version_id,
        )
        b.commit()
        with pytest.raises(ConflictError) as error:
            svc.enter_result(a, a_tech, stale, measured_text="0.222", expected_version=1)
        a.rollback()
    assert error.value.current["value"] == "0.111"
    db.session.expire_all()
    assert db.session.get(SampleResult, lead_id).measured_text == "0.111"


def test_a_write_racing_past_the_version_check_is_caught_at_flush(app, db, tech, flour_sample):
    """Both sessions read the entered row (version 2); B submits first; A's submit is stale."""
    from sqlalchemy.orm import Session

    lead = _enter(db, tech, by_name(flour_sample(), "铅"), "0.111")
    lead_id, tech_id = lead.id, tech.id
    db.session.rollback()
    with Session(db.engine, expire_on_commit=False) as a, Session(db.engine) as b:
        stale = a.get(SampleResult, lead_id)
        a_tech = a.get(type(tech), tech_id)
        a.commit()
        svc.submit_results(b, b.get(type(tech), tech_id), [b.get(SampleResult, lead_id)])
        b.commit()
        with pytest.raises(ConflictError) as error:
            svc.submit_results(a, a_tech, [stale])
        a.rollback()
    assert error.value.current["value"] == "0.111"


def _half_mine(db, tech, both, sample):
    """Lead and the banned item entered by ``tech``, the plate count by ``both``; submitted."""
    lead = _enter(db, tech, by_name(sample, "铅"), "0.1")
    banned = _enter(db, tech, by_name(sample, "过氧化"), "未检出")
    count = _enter(db, both, by_name(sample, "菌落"), units=["50", "60", "70", "80", "90"])
    svc.submit_results(db.session, tech, [lead, banned])
    svc.submit_results(db.session, both, [count])
    db.session.commit()
    return [lead, banned, count]


def test_a_refused_review_keeps_nothing_it_did_before_the_refusal(
    db, tech, make_user, flour_sample
):
    """accept_results accepts (and flushes, and audits) the first two results before the
    four-eyes rule refuses the third: its savepoint takes all of it back, even when the
    caller commits afterwards as a request does."""
    both = make_user("both", Role.TECHNICIAN, Role.REVIEWER)
    sample = flour_sample()
    rows = _half_mine(db, tech, both, sample)
    accepts = select(AuditEntry).where(AuditEntry.action.in_(["accept", "conclude"]))
    with pytest.raises(PermissionDenied):
        svc.accept_results(db.session, both, rows, signature=signed(both))
    db.session.commit()
    db.session.expire_all()
    assert [r.status for r in rows] == [ResultStatus.SUBMITTED] * 3
    assert db.session.scalars(accepts).all() == []
    assert sample.conclusion is None
