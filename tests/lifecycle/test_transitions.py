"""``services.lifecycle.transition`` on real rows: every (state, event) pair of every machine
either moves the entity as its table says and writes one audit entry, or is refused with a
clear message, the state unchanged and no audit entry; role and four-eyes refusals name the
rule; a property: any sequence of events on a result row follows the table."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from labsys.core import lifecycle as tables
from labsys.extensions import db
from labsys.models import (
    Applicant,
    AuditEntry,
    Conclusion,
    Correction,
    CorrectionAction,
    CorrectionStatus,
    CorrectionTarget,
    Disposal,
    FollowUp,
    FollowUpStatus,
    Objection,
    ObjectionKind,
    ObjectionStatus,
    Report,
    ReportStatus,
    ResultStatus,
    Retest,
    RetestStatus,
    Role,
    SampleResult,
    SampleStatus,
)
from labsys.services import PermissionDenied, ServiceError, lifecycle
from labsys.services import calendar as workcal

DAY = date(2026, 11, 4)


@pytest.fixture
def everyone(make_user):
    """A user with every role (so that only the state decides), and a second reviewer."""
    return make_user("all", *Role, full_name="Ada All"), make_user("rev2", Role.REVIEWER)


@pytest.fixture
def sample(make_sample, make_category, make_item):
    category = make_category("粮食加工品", "小麦粉", "小麦粉", "通用小麦粉")
    return make_sample(
        category, [{"test_item": make_item("铅(以Pb计)", "mg/kg"), "limit_text": "≤0.2"}]
    )


@pytest.fixture
def entities(sample, everyone):
    """One row of each machine: the sample, its result, a report, a follow-up."""
    actor, other = everyone
    report = Report(
        report_no="R-1",
        sample=sample,
        status=ReportStatus.ISSUED,
        food_name=sample.food_name,
        sampled_unit_name="某超市",
        conclusion=Conclusion.QUALIFIED,
        author_id=actor.id,
        approver_id=actor.id,
        issued_at=datetime(2026, 11, 20, tzinfo=UTC),
        pdf=b"%PDF",
        sha256="0" * 64,
        verify_token="t" * 43,
    )
    followup = FollowUp(sample=sample, status=FollowUpStatus.OPEN)
    retest = Retest(
        sample=sample, status=RetestStatus.APPLIED, applicant=Applicant.SAMPLED_UNIT,
        applicant_name="某超市", conclusion_received_on=DAY, applied_on=DAY, window_end=DAY,
    )  # fmt: skip
    objection = Objection(
        sample=sample, status=ObjectionStatus.FILED, kind=ObjectionKind.SAMPLING_PROCESS,
        applicant=Applicant.SAMPLED_UNIT, applicant_name="某超市", grounds="抽样过程",
        filed_on=DAY, window_end=DAY,
    )  # fmt: skip
    disposal = Disposal(sample=sample, report=report, received_on=DAY)
    correction = Correction(
        target=CorrectionTarget.SAMPLE,
        target_id=sample.id,
        action=CorrectionAction.CORRECT,
        status=CorrectionStatus.PENDING,
        visit_id=sample.visit_id,
        sample_id=sample.id,
        target_version=sample.version_id,
        reason="typo",
        requested_by_id=other.id,
    )
    db.session.add_all([report, followup, retest, objection, disposal, correction])
    db.session.commit()
    return {
        "sample": sample,
        "result": sample.results[0],
        "report": report,
        "followup": followup,
        "retest": retest,
        "objection": objection,
        "disposal": disposal,
        "correction": correction,
    }


def _audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry))


def _pairs(machine):
    return list(itertools.product(machine.states, machine.events))


@pytest.mark.parametrize(
    "name",
    ["sample", "result", "report", "followup", "retest", "objection", "disposal", "correction"],
)
def test_every_state_and_event_through_the_service(entities, everyone, name):
    """Each pair runs in a savepoint rolled back afterwards, from the same row."""
    entity, actor = entities[name], everyone[0]
    machine, states = lifecycle.machine_of(type(entity))
    for state, event in _pairs(machine):
        with db.session.begin_nested() as savepoint:
            entity.status = states(state)
            db.session.flush()
            before, row = _audit_count(), machine.find(state, event)
            if row is None:
                with pytest.raises(ServiceError) as refused:
                    lifecycle.transition(db.session, actor, entity, event, on=DAY)
                assert entity.status == state, (state, event)
                assert _audit_count() == before, (state, event)
                assert states(state).title in refused.value.message
            else:
                lifecycle.transition(db.session, actor, entity, event, on=DAY)
                assert entity.status == row.target, (state, event)
                entry = db.session.execute(
                    select(AuditEntry.entity, AuditEntry.action, AuditEntry.new_values)
                    .order_by(AuditEntry.id.desc())
                    .limit(1)
                ).one()
                assert (entry.entity, entry.action) == (machine.name, row.action)
                assert f'"status":"{row.target}"' in entry.new_values
                assert _audit_count() == before + 1
            savepoint.rollback()


def test_an_illegal_event_names_the_state_in_the_users_language(entities, everyone):
    sample, before = entities["sample"], _audit_count()  # received
    with pytest.raises(ServiceError) as refused:
        lifecycle.transition(db.session, everyone[0], sample, "reject")
    assert refused.value.message == f"样品 {sample.sample_no} 当前为“检验中”，现在不能拒收。"
    assert sample.status == SampleStatus.RECEIVED and _audit_count() == before


def test_a_wrong_role_is_refused_naming_the_roles(entities, make_user):
    sampler = make_user("sam", Role.SAMPLER)
    result, before = entities["result"], _audit_count()
    with pytest.raises(PermissionDenied) as refused:
        lifecycle.transition(db.session, sampler, result, "enter")
    assert "只有检验人员可以录入" in refused.value.message
    assert result.status == ResultStatus.PENDING and _audit_count() == before


def test_four_eyes_the_person_who_entered_a_result_never_accepts_it(entities, everyone):
    actor, other = everyone
    result = entities["result"]
    result.status, result.entered_by_id = ResultStatus.SUBMITTED, actor.id
    db.session.commit()
    before = _audit_count()
    with pytest.raises(PermissionDenied) as refused:
        lifecycle.transition(db.session, actor, result, "accept")
    assert "四眼原则" in refused.value.message and "本人录入" in refused.value.message
    assert result.status == ResultStatus.SUBMITTED and _audit_count() == before
    lifecycle.transition(db.session, other, result, "accept")
    assert result.status == ResultStatus.ACCEPTED


def test_four_eyes_for_a_report_is_checked_before_it_exists(everyone):
    actor, _other = everyone
    with pytest.raises(PermissionDenied, match="四眼原则"):
        lifecycle.start(actor, Report, "issue", done_by={"author_id": actor.id})
    with pytest.raises(PermissionDenied, match="本人审核"):
        lifecycle.start(actor, Report, "reissue", done_by={"reviewer_id": actor.id})
    _row, state = lifecycle.start(actor, Report, "issue", done_by={"author_id": -1})
    assert state == ReportStatus.ISSUED


def test_the_deadline_effects(entities, everyone):
    actor = everyone[0]
    sample = entities["sample"]
    sample.status = SampleStatus.REGISTERED
    lifecycle.transition(db.session, actor, sample, "receive", on=date(2026, 9, 30))
    # 20 working days, counted on the lab's calendar (the National Day holiday skipped).
    assert sample.due_report == workcal.add_workdays(db.session, date(2026, 9, 30), 20)
    assert sample.due_report > date(2026, 10, 28)
    sample.conclusion = Conclusion.UNQUALIFIED
    lifecycle.transition(db.session, actor, sample, "conclude", on=date(2026, 11, 6))
    assert sample.due_unqualified_report == date(2026, 11, 10)  # Friday + 2 working days
    lifecycle.transition(db.session, actor, sample, "withdraw")
    assert (sample.status, sample.conclusion, sample.due_unqualified_report) == (
        SampleStatus.RECEIVED,
        None,
        None,
    )
    with pytest.raises(ValueError, match="on="):
        lifecycle.transition(db.session, actor, entities["followup"], "notify")


def test_a_bulk_path_takes_the_tables_to_state_and_nothing_else():
    assert lifecycle.next_state(SampleResult, "pending", "enter") == ResultStatus.ENTERED
    with pytest.raises(ServiceError):
        lifecycle.next_state(SampleResult, "accepted", "enter")


def test_a_refused_result_in_a_batch_changes_no_row(entities, everyone, make_item, sample):
    actor = everyone[0]
    first = entities["result"]
    second = SampleResult(
        sample_id=sample.id,
        test_item_id=make_item("镉", "mg/kg").id,
        item_name="镉",
        status=ResultStatus.ACCEPTED,
    )
    db.session.add(second)
    db.session.commit()
    before = _audit_count()
    with pytest.raises(ServiceError):
        lifecycle.transition_many(db.session, actor, [first, second], "enter")
    assert (first.status, second.status) == (ResultStatus.PENDING, ResultStatus.ACCEPTED)
    assert _audit_count() == before


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(events=st.lists(st.sampled_from(tables.RESULT.events), max_size=12), data=st.data())
def test_any_sequence_on_a_result_follows_the_table(entities, everyone, events, data):
    result = entities["result"]
    people = list(everyone)
    with db.session.begin_nested() as savepoint:
        result.status, result.entered_by_id = ResultStatus.PENDING, None
        db.session.flush()
        for event in events:
            actor = data.draw(st.sampled_from(people))
            state, before = result.status, _audit_count()
            row = tables.RESULT.find(state, event)
            try:
                lifecycle.transition(db.session, actor, result, event)
            except ServiceError:
                assert result.status == state and _audit_count() == before
                continue
            assert row is not None and result.status == row.target
            assert _audit_count() == before + 1
            if event == "enter":
                result.entered_by_id = actor.id
        savepoint.rollback()


def test_four_eyes_the_requester_never_decides_their_own_correction(entities, everyone):
    actor, other = everyone
    correction = entities["correction"]  # asked by ``other``
    before = _audit_count()
    for event in ("approve", "reject"):
        with pytest.raises(PermissionDenied) as refused:
            lifecycle.transition(db.session, other, correction, event)
        assert "四眼原则" in refused.value.message and "本人申请" in refused.value.message
    assert correction.status == CorrectionStatus.PENDING and _audit_count() == before
    lifecycle.transition(db.session, actor, correction, "approve")
    assert correction.status == CorrectionStatus.APPROVED


def test_every_event_has_words_for_its_refusal():
    """A refusal names what the user tried in words ("…现在不能终止核查处置（第三十五条…）"), never
    the event's code ("现在不能close"): every event of every table has its title."""
    from labsys.core import lifecycle as core_tables
    from labsys.services.lifecycle import EVENTS

    machines = [
        value for value in vars(core_tables).values() if isinstance(value, core_tables.Machine)
    ]
    assert len(machines) >= 9
    missing = [
        (machine.name, row.event)
        for machine in machines
        for row in machine.transitions
        if (machine.name, row.event) not in EVENTS
    ]
    assert missing == []
