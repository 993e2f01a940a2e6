"""The SAMR Order No. 15 (2019) workflows through their services: retest (Arts. 30-36),
objections (Arts. 37-39), disposal (Art. 45).

Table-driven: every (state, step) pair of each workflow either moves as the table says with
one audit entry, or is refused naming the state and the article, nothing changed; then each
rule the services check, with the article its refusal names."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from labsys.core import lifecycle as tables
from labsys.extensions import db
from labsys.models import (
    Applicant,
    AuditEntry,
    Conclusion,
    DisposalStatus,
    InspectionType,
    Objection,
    ObjectionEffect,
    ObjectionKind,
    ObjectionStatus,
    Report,
    ReportStatus,
    Retest,
    RetestGround,
    RetestStatus,
    Sample,
    SampleResult,
    SampleStatus,
    VerdictValue,
)
from labsys.services import ServiceError, backups, disposals, followup, objections, retests
from labsys.services.access import SYSTEM

from stats_support import *  # noqa: F403 - the shared fixtures

NOTIFIED = date(2026, 3, 2)  # Monday: the sampled unit received the conclusion
APPLIED = date(2026, 3, 4)


@pytest.fixture
def unqualified(dataset):
    """The unqualified 通用小麦粉 sample (sampled 2026-01-15, tested by the default lab 01),
    concluded 2026-03-01, no plan (handled as supervision)."""
    sample = dataset.samples[3]
    sample.concluded_at = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    db.session.commit()
    return sample


@pytest.fixture
def retest_lab_list(app):
    """The list of retest labs: two labs, and the first lab (01) itself, never drawn."""
    for code, name in (("01", "检验中心"), ("08", "复检所乙"), ("09", "复检所甲")):
        retests.set_retest_lab(db.session, SYSTEM, code=code, name=name)
    db.session.commit()


@pytest.fixture
def notified(unqualified, supervisor, retest_lab_list):
    record = followup.open_followup(db.session, unqualified, supervisor)
    followup.record_notification(db.session, supervisor, record, NOTIFIED)
    db.session.commit()
    return unqualified


def _audits() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry))


def _audits_of(entity: str, action: str) -> int:
    return db.session.scalar(
        select(func.count()).where(AuditEntry.entity == entity, AuditEntry.action == action)
    )


def _last_audit() -> AuditEntry:
    return db.session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))


# --- retest: the steps ------------------------------------------------------------------------


def _apply(sample, actor, applied_on=APPLIED) -> Retest:
    return retests.apply_for_retest(
        db.session,
        actor,
        sample,
        applicant=Applicant.SAMPLED_UNIT,
        applicant_name="某超市",
        conclusion_received_on=NOTIFIED,
        applied_on=applied_on,
    )


RETEST_STEPS = {
    "accept": lambda r, a: retests.accept_retest(db.session, a, r, decided_on=date(2026, 3, 5)),
    "refuse": lambda r, a: retests.refuse_retest(
        db.session,
        a,
        r,
        decided_on=date(2026, 3, 5),
        ground=RetestGround.BACKUP_UNUSABLE,
        note="包装破损",
    ),
    "extend_lab_choice": lambda r, a: retests.extend_lab_choice(
        db.session, a, r, reason="名录内机构暂无能力"
    ),
    "choose_lab": lambda r, a: retests.choose_retest_lab(
        db.session, a, r, chosen_on=date(2026, 3, 9), seed=20260309
    ),
    "receive_backup": lambda r, a: retests.record_backup_handover(
        db.session, a, r, received_on=date(2026, 3, 10), seal_intact=True, seal_note="拍照"
    ),
    "backup_unusable": lambda r, a: retests.record_backup_unusable(
        db.session, a, r, on=date(2026, 3, 10), note="封条破损"
    ),
    "record_result": lambda r, a: retests.record_retest_result(
        db.session,
        a,
        r,
        conclusion=Conclusion.QUALIFIED,
        result="铅 0.15 mg/kg",
        reported_on=date(2026, 3, 20),
    ),
}
RETEST_PATHS = {
    RetestStatus.APPLIED: [],
    RetestStatus.ACCEPTED: ["accept"],
    RetestStatus.REFUSED: ["refuse"],
    RetestStatus.LAB_CHOSEN: ["accept", "choose_lab"],
    RetestStatus.BACKUP_RECEIVED: ["accept", "choose_lab", "receive_backup"],
    RetestStatus.RETESTED: ["accept", "choose_lab", "receive_backup", "record_result"],
}


def test_the_retest_table_covers_every_step():
    assert set(RETEST_STEPS) == set(tables.RETEST.events) - {"apply"}
    assert set(RETEST_PATHS) == set(RetestStatus)


@pytest.mark.parametrize("state", list(RetestStatus), ids=str)
def test_every_retest_step_in_every_state(notified, supervisor, state):
    """Allowed: the table's target and one audit entry naming the step.  Refused: the state
    and the article named, the retest and the audit trail unchanged."""
    for event, run in RETEST_STEPS.items():
        with db.session.begin_nested() as savepoint:
            retest = _apply(notified, supervisor)
            for step in RETEST_PATHS[state]:
                RETEST_STEPS[step](retest, supervisor)
            assert retest.status == state
            before, row = _audits(), tables.RETEST.find(state, event)
            logged = _audits_of("retest", row.action) if row else 0
            if row is None:
                with pytest.raises(ServiceError) as refused:
                    run(retest, supervisor)
                assert retest.status == state and _audits() == before, event
                assert state.title in refused.value.message and "条" in refused.value.message
            else:
                run(retest, supervisor)
                assert retest.status == row.target, event
                assert _audits_of("retest", row.action) == logged + 1, event
            savepoint.rollback()


def test_a_retest_walks_to_the_final_conclusion(notified, supervisor):
    """Each step sets its period (working days): decision in 5 (Art. 32), lab in 5 (+5),
    hand-over in 3 (Art. 33), result in 10 (Art. 35); the result decides the conclusion."""
    backups.register(db.session, supervisor, notified)  # received with its retest backup
    retest = _apply(notified, supervisor)
    assert retest.window_end == date(2026, 3, 11)  # 7 working days after Monday 03-02
    assert retest.decision_due == date(2026, 3, 11)  # 5 working days after 03-04
    RETEST_STEPS["accept"](retest, supervisor)
    assert retest.lab_due == date(2026, 3, 12)
    RETEST_STEPS["extend_lab_choice"](retest, supervisor)
    assert retest.lab_due == date(2026, 3, 19)
    RETEST_STEPS["choose_lab"](retest, supervisor)
    assert retest.lab.code in ("08", "09") and retest.lab_candidates == "08,09"
    assert retest.lab_seed == "20260309" and retest.handover_due == date(2026, 3, 12)
    again = retests.draw_lab([retest.lab, *[e.lab for e in retests.retest_labs(db.session)]], 1)
    assert again.code in ("01", "08", "09")  # the draw itself is a plain seeded choice
    RETEST_STEPS["receive_backup"](retest, supervisor)
    assert retest.result_due == date(2026, 3, 24)
    RETEST_STEPS["record_result"](retest, supervisor)
    db.session.commit()
    db.session.refresh(notified)
    assert notified.conclusion == Conclusion.QUALIFIED
    followup.open_followup(db.session, notified, supervisor)
    kept = backups.backup_of(db.session, notified)  # the register follows the conclusion
    assert kept.retain_until == date(2026, 6, 1)  # 3 months after a qualified one
    change = db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.entity == "sample", AuditEntry.action == "retest_conclusion"
        )
    )
    assert "unqualified" in change.old_values and retest.lab.name in change.reason


def test_the_draw_is_repeatable_from_its_seed_and_never_the_first_lab(notified, supervisor):
    chosen = set()
    for seed in range(12):
        with db.session.begin_nested() as savepoint:
            retest = _apply(notified, supervisor)
            RETEST_STEPS["accept"](retest, supervisor)
            retests.choose_retest_lab(
                db.session, supervisor, retest, chosen_on=date(2026, 3, 9), seed=seed
            )
            candidates = [e.lab for e in retests.retest_labs(db.session) if e.lab.code != "01"]
            assert retest.lab == retests.draw_lab(candidates, seed)
            chosen.add(retest.lab.code)
            savepoint.rollback()
    assert chosen == {"08", "09"}


def test_the_retest_uses_the_first_tests_methods(notified, supervisor, make_item):
    item = make_item("铅(以Pb计)", method="GB 5009.12-2023")
    db.session.add(
        SampleResult(
            sample_id=notified.id, test_item_id=item.id, seq=1, item_name="铅(以Pb计)",
            method_standard="GB 5009.12-2023", verdict=VerdictValue.FAIL, status="accepted",
        )
    )  # fmt: skip
    retest = _apply(notified, supervisor)
    RETEST_STEPS["accept"](retest, supervisor)
    RETEST_STEPS["choose_lab"](retest, supervisor)
    assert retest.methods == "GB 5009.12-2023"


# --- retest: the rules and the articles they name ------------------------------------------------


def _failed(sample, make_item, name, *, micro, **fields):
    item = make_item(name, "CFU/g", micro=micro)
    db.session.add(
        SampleResult(
            sample_id=sample.id, test_item_id=item.id, seq=2, item_name=name,
            verdict=VerdictValue.FAIL, status="accepted", **fields,
        )
    )  # fmt: skip
    db.session.commit()


@pytest.mark.parametrize(
    ("name", "fields"),
    [("霉菌", {}), ("菌落总数", {"micro_n": 5, "micro_c": 2})],
    ids=["plain-limit", "sampling-plan"],
)
def test_any_failed_microbiological_item_refuses_the_retest(
    notified, supervisor, make_item, name, fields
):
    """Art. 31(1): 霉菌 judged by a plain limit (no n/c/m/M) counts as much as a plan."""
    _failed(notified, make_item, name, micro=True, **fields)
    retest = _apply(notified, supervisor)
    with pytest.raises(ServiceError, match=rf"第三十一条第（一）项.*{name}"):
        RETEST_STEPS["accept"](retest, supervisor)
    assert retest.status == RetestStatus.APPLIED
    retests.refuse_retest(
        db.session,
        supervisor,
        retest,
        decided_on=date(2026, 3, 5),
        ground=RetestGround.MICROBIOLOGICAL,
    )
    assert retest.status == RetestStatus.REFUSED and name in retest.refusal_note


def test_a_failed_chemical_item_leaves_the_retest_open(notified, supervisor, make_item):
    _failed(notified, make_item, "镉", micro=False)
    retest = _apply(notified, supervisor)
    RETEST_STEPS["accept"](retest, supervisor)
    assert retest.status == RetestStatus.ACCEPTED


def test_a_backup_past_its_shelf_life_refuses_the_retest(notified, supervisor):
    notified.production_date, notified.shelf_life_days = date(2025, 12, 1), 90  # ends 03-01
    db.session.commit()
    retest = _apply(notified, supervisor)
    with pytest.raises(ServiceError, match="第三十一条第（二）项.*2026-03-01"):
        RETEST_STEPS["accept"](retest, supervisor)


def test_a_late_application_is_recorded_and_must_be_refused(notified, supervisor):
    retest = _apply(notified, supervisor, applied_on=date(2026, 3, 12))  # window ended 03-11
    with pytest.raises(ServiceError, match="第三十条、第三十一条第（三）项.*2026-03-11"):
        retests.accept_retest(db.session, supervisor, retest, decided_on=date(2026, 3, 13))
    retests.refuse_retest(
        db.session, supervisor, retest, decided_on=date(2026, 3, 13), ground=RetestGround.LATE
    )
    assert retest.refusal_ground == RetestGround.LATE


def test_a_ground_the_system_does_not_find_cannot_be_given(notified, supervisor):
    retest = _apply(notified, supervisor)
    with pytest.raises(ServiceError, match="系统未发现"):
        retests.refuse_retest(
            db.session, supervisor, retest, decided_on=date(2026, 3, 5), ground=RetestGround.LATE
        )
    with pytest.raises(ServiceError, match="第三十一条第（四）项") as refused:
        retests.refuse_retest(
            db.session,
            supervisor,
            retest,
            decided_on=date(2026, 3, 5),
            ground=RetestGround.BACKUP_UNUSABLE,
        )
    assert refused.value.field == "note" and retest.status == RetestStatus.APPLIED


@pytest.mark.parametrize(
    ("case", "article"),
    [
        ("qualified", "第三十条"),
        ("risk_monitoring", "第三十条"),
        ("second", "第三十五条"),
    ],
)
def test_who_may_apply(notified, supervisor, dataset, case, article):
    sample = notified
    if case == "qualified":
        sample = dataset.samples[0]
    elif case == "risk_monitoring":
        sample.inspection_type = InspectionType.RISK_MONITORING
        db.session.commit()
    else:
        _apply(sample, supervisor)
    before = db.session.scalar(select(func.count()).select_from(Retest))
    with pytest.raises(ServiceError, match=article):
        _apply(sample, supervisor)
    assert db.session.scalar(select(func.count()).select_from(Retest)) == before


def test_one_extension_of_the_lab_choice(notified, supervisor):
    retest = _apply(notified, supervisor)
    RETEST_STEPS["accept"](retest, supervisor)
    RETEST_STEPS["extend_lab_choice"](retest, supervisor)
    with pytest.raises(ServiceError, match="第三十二条"):
        RETEST_STEPS["extend_lab_choice"](retest, supervisor)


def test_no_lab_but_the_first_on_the_list_refuses_the_draw(notified, supervisor):
    for code in ("08", "09"):
        retests.set_retest_lab(db.session, SYSTEM, code=code, name="", active=False)
    retest = _apply(notified, supervisor)
    RETEST_STEPS["accept"](retest, supervisor)
    with pytest.raises(ServiceError, match="第三十二条"):
        RETEST_STEPS["choose_lab"](retest, supervisor)
    assert retest.lab_id is None and retest.status == RetestStatus.ACCEPTED


@pytest.mark.parametrize("seal", [None, False], ids=["unchecked", "broken"])
def test_the_seal_is_checked_at_hand_over(notified, supervisor, seal):
    retest = _apply(notified, supervisor)
    RETEST_STEPS["accept"](retest, supervisor)
    RETEST_STEPS["choose_lab"](retest, supervisor)
    with pytest.raises(ServiceError, match="第三十三条") as refused:
        retests.record_backup_handover(
            db.session, supervisor, retest, received_on=date(2026, 3, 10), seal_intact=seal
        )
    assert refused.value.field == "seal_intact" and retest.backup_received_on is None


@pytest.mark.parametrize("conclusion", [None, Conclusion.INCONCLUSIVE])
def test_a_retest_concludes_qualified_or_unqualified(notified, supervisor, conclusion):
    retest = _apply(notified, supervisor)
    for step in ("accept", "choose_lab", "receive_backup"):
        RETEST_STEPS[step](retest, supervisor)
    with pytest.raises(ServiceError):
        retests.record_retest_result(
            db.session,
            supervisor,
            retest,
            conclusion=conclusion,
            result="x",
            reported_on=date(2026, 3, 20),
        )
    assert notified.conclusion == Conclusion.UNQUALIFIED


def test_dates_cannot_run_backwards_or_into_the_future(notified, supervisor):
    with pytest.raises(ServiceError, match="不能晚于今天"):
        _apply(notified, supervisor, applied_on=date(2099, 1, 1))
    retest = _apply(notified, supervisor)
    with pytest.raises(ServiceError, match="不能早于申请"):
        retests.accept_retest(db.session, supervisor, retest, decided_on=date(2026, 3, 3))


def test_a_wrong_role_cannot_take_a_step(notified, supervisor, make_user):
    from labsys.models import Role
    from labsys.services import PermissionDenied

    retest = _apply(notified, supervisor)
    with pytest.raises(PermissionDenied):
        RETEST_STEPS["accept"](retest, make_user("tech", Role.TECHNICIAN))
    assert retest.status == RetestStatus.APPLIED


# --- objections -------------------------------------------------------------------------------


def _file(sample, actor, kind=ObjectionKind.TEST_METHOD, filed_on=date(2026, 3, 4)) -> Objection:
    return objections.file_objection(
        db.session,
        actor,
        sample,
        kind=kind,
        applicant=Applicant.PRODUCER,
        applicant_name="某面粉厂",
        grounds="检验方法不适用",
        filed_on=filed_on,
    )


OBJECTION_STEPS = {
    "accept": lambda o, a: objections.accept_objection(
        db.session, a, o, decided_on=date(2026, 3, 5)
    ),
    "refuse": lambda o, a: objections.refuse_objection(
        db.session, a, o, decided_on=date(2026, 3, 5), note="材料不全"
    ),
    "uphold": lambda o, a: objections.uphold_objection(
        db.session,
        a,
        o,
        outcome_on=date(2026, 3, 20),
        note="方法不适用",
        effect=ObjectionEffect.WITHDRAWN,
    ),
    "dismiss": lambda o, a: objections.dismiss_objection(
        db.session, a, o, outcome_on=date(2026, 3, 20), note="维持原结论"
    ),
}
OBJECTION_PATHS = {
    ObjectionStatus.FILED: [],
    ObjectionStatus.ACCEPTED: ["accept"],
    ObjectionStatus.REFUSED: ["refuse"],
    ObjectionStatus.UPHELD: ["accept", "uphold"],
    ObjectionStatus.DISMISSED: ["accept", "dismiss"],
}


def test_the_objection_table_covers_every_step():
    assert set(OBJECTION_STEPS) == set(tables.OBJECTION.events) - {"file"}
    assert set(OBJECTION_PATHS) == set(ObjectionStatus)


@pytest.mark.parametrize("state", list(ObjectionStatus), ids=str)
def test_every_objection_step_in_every_state(notified, supervisor, state):
    for event, run in OBJECTION_STEPS.items():
        with db.session.begin_nested() as savepoint:
            objection = _file(notified, supervisor)
            for step in OBJECTION_PATHS[state]:
                OBJECTION_STEPS[step](objection, supervisor)
            before, row = _audits(), tables.OBJECTION.find(state, event)
            if row is None:
                with pytest.raises(ServiceError) as refused:
                    run(objection, supervisor)
                assert objection.status == state and _audits() == before, event
                assert state.title in refused.value.message and "条" in refused.value.message
            else:
                run(objection, supervisor)
                assert objection.status == row.target, event
            savepoint.rollback()


@pytest.mark.parametrize(
    ("kind", "filed_on", "window_end"),
    [
        # Sampled Thursday 2026-01-15: 7 working days later is Monday 2026-01-26.
        (ObjectionKind.SAMPLING_PROCESS, date(2026, 1, 27), date(2026, 1, 26)),
        (ObjectionKind.AUTHENTICITY, date(2026, 3, 12), date(2026, 3, 11)),
        (ObjectionKind.TEST_METHOD, date(2026, 3, 12), date(2026, 3, 11)),
        (ObjectionKind.STANDARD, date(2026, 3, 12), date(2026, 3, 11)),
    ],
    ids=str,
)
def test_a_late_objection_is_recorded_and_cannot_be_accepted(
    notified, supervisor, kind, filed_on, window_end
):
    """Art. 37: sampling process from the sampling day, the others from the conclusion."""
    objection = _file(notified, supervisor, kind=kind, filed_on=filed_on)
    assert objection.window_end == window_end
    with pytest.raises(ServiceError, match=rf"第三十七条.*{window_end.isoformat()}"):
        objections.accept_objection(db.session, supervisor, objection, decided_on=filed_on)
    objections.refuse_objection(db.session, supervisor, objection, decided_on=filed_on, note="")
    assert objection.status == ObjectionStatus.REFUSED and "第三十七条" in objection.refusal_note


def test_several_objections_each_of_one_kind(notified, supervisor):
    first = _file(
        notified, supervisor, kind=ObjectionKind.SAMPLING_PROCESS, filed_on=date(2026, 1, 20)
    )
    second = _file(notified, supervisor, kind=ObjectionKind.STANDARD)
    OBJECTION_STEPS["accept"](second, supervisor)
    assert second.review_due == date(2026, 4, 2)  # 20 working days after 03-05 (verify)
    assert first.decision_due == date(2026, 1, 27)  # 5 working days after 01-20 (verify)
    assert [o.kind for o in objections.objections_of(db.session, notified.id)] == [
        ObjectionKind.SAMPLING_PROCESS,
        ObjectionKind.STANDARD,
    ]


def test_an_objection_about_the_result_needs_the_day_it_was_received(unqualified, supervisor):
    with pytest.raises(ServiceError, match="第三十七条"):
        _file(unqualified, supervisor)
    assert db.session.scalar(select(func.count()).select_from(Objection)) == 0


def test_an_upheld_objection_withdraws_the_conclusion(notified, supervisor):
    objection = _file(notified, supervisor)
    OBJECTION_STEPS["accept"](objection, supervisor)
    OBJECTION_STEPS["uphold"](objection, supervisor)
    db.session.commit()
    db.session.refresh(notified)
    assert notified.conclusion is None and notified.status == SampleStatus.RECEIVED
    withdrawal = _last_audit()
    assert (withdrawal.entity, withdrawal.action) == ("sample", "reopen")
    assert "异议成立" in withdrawal.reason


def test_an_upheld_objection_needs_its_effect(notified, supervisor):
    objection = _file(notified, supervisor)
    OBJECTION_STEPS["accept"](objection, supervisor)
    with pytest.raises(ServiceError) as refused:
        objections.uphold_objection(
            db.session, supervisor, objection, outcome_on=date(2026, 3, 20), note="x", effect=None
        )
    assert refused.value.field == "effect" and objection.status == ObjectionStatus.ACCEPTED
    assert notified.conclusion == Conclusion.UNQUALIFIED


# --- disposal ---------------------------------------------------------------------------------


def _issue_report(sample, supervisor, issued=datetime(2026, 3, 1, 3, tzinfo=UTC)) -> Report:
    report = Report(
        report_no=f"R-{secrets.token_hex(4)}", sample_id=sample.id, status=ReportStatus.ISSUED,
        food_name=sample.food_name, sampled_unit_name="x", conclusion=Conclusion.UNQUALIFIED,
        author_id=supervisor.id, approver_id=supervisor.id, issued_at=issued, pdf=b"%PDF",
        sha256="0" * 64, verify_token=secrets.token_urlsafe(32),
    )  # fmt: skip
    db.session.add(report)
    db.session.commit()
    return report


DISPOSAL_STEPS = {
    "receive": lambda d, a: disposals.record_conclusion_received(
        db.session, a, d.sample, received_on=date(2026, 3, 3)
    ),
    "extend": lambda d, a: disposals.extend_disposal(
        db.session,
        a,
        d,
        days=30,
        approved_by="局长 王某",
        approved_on=date(2026, 5, 20),
        reason="跨省协查",
    ),
    "milestone": lambda d, a: disposals.record_milestone(
        db.session, a, d, milestone="first", done_on=date(2026, 3, 6)
    ),
    "complete": lambda d, a: disposals.complete_disposal(
        db.session,
        a,
        d,
        completed_on=date(2026, 5, 1),
        removed_quantity="12",
        sealed_quantity="3",
        recalled_quantity="0",
        quantity_unit="袋",
        cause="原料把关不严",
        corrections="更换供应商",
        case_filed=True,
        case_no="京市监立〔2026〕12号",
        penalty="罚款",
        penalty_amount="5000",
    ),
    # The unqualified conclusion no longer stands (a qualified retest, a withdrawal).
    "close": lambda d, a: disposals.close_disposal(
        db.session, a, d, reason="复检合格（第三十五条）", closed_on=date(2026, 5, 1)
    ),
}


@pytest.fixture
def received(notified, supervisor):
    _issue_report(notified, supervisor)
    return disposals.record_conclusion_received(
        db.session, supervisor, notified, received_on=date(2026, 3, 2)
    )


def test_the_disposal_clock_starts_when_the_regulator_receives_the_conclusion(
    received, app, monkeypatch
):
    """Art. 45: 90 days from the receipt; the 5/30-day milestones are local settings."""
    assert received.status == DisposalStatus.UNDER_WAY
    assert (received.first_due, received.second_due, received.due) == (
        date(2026, 3, 7),
        date(2026, 4, 1),
        date(2026, 5, 31),
    )
    entry = _last_audit()
    assert (entry.entity, entry.action) == ("disposal", "receive")


@pytest.mark.parametrize("state", list(DisposalStatus), ids=str)
def test_every_disposal_step_in_every_state(received, supervisor, state):
    for event, run in DISPOSAL_STEPS.items():
        with db.session.begin_nested() as savepoint:
            if state is DisposalStatus.COMPLETED:
                DISPOSAL_STEPS["complete"](received, supervisor)
            if state is DisposalStatus.CLOSED:
                DISPOSAL_STEPS["close"](received, supervisor)
            before, row = _audits(), tables.DISPOSAL.find(state, event)
            if row is None:
                with pytest.raises(ServiceError) as refused:
                    run(received, supervisor)
                assert received.status == state and _audits() == before, event
                message = refused.value.message
                assert state.title in message, event
                # Order No. 15's article, or the milestones' local-practice label.
                assert "条" in message or "地方做法" in message, (event, message)
            else:
                run(received, supervisor)
                assert received.status == row.target, event
            savepoint.rollback()


def test_an_approved_extension_moves_the_deadline_and_is_recorded(received, supervisor):
    extension = DISPOSAL_STEPS["extend"](received, supervisor)
    assert (extension.previous_due, extension.new_due, received.due) == (
        date(2026, 5, 31),
        date(2026, 6, 30),
        date(2026, 6, 30),
    )
    assert "局长 王某" in _last_audit().reason
    with pytest.raises(ServiceError, match="第四十五条"):
        disposals.extend_disposal(
            db.session,
            supervisor,
            received,
            days=10,
            approved_by="",
            approved_on=date(2026, 5, 20),
            reason="x",
        )


def test_the_outcome_records_quantities_causes_and_enforcement(received, supervisor):
    DISPOSAL_STEPS["complete"](received, supervisor)
    assert (received.removed_quantity, received.sealed_quantity, received.quantity_unit) == (
        "12",
        "3",
        "袋",
    )
    assert received.case_filed and received.case_no == "京市监立〔2026〕12号"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"removed_quantity": "-1"}, "removed_quantity"),
        ({"removed_quantity": "十二"}, "removed_quantity"),
        ({"quantity_unit": ""}, "quantity_unit"),
        ({"cause": " "}, "cause"),
        ({"case_filed": None}, "case_filed"),
        ({"case_no": ""}, "case_no"),
        ({"penalty_amount": "NaN"}, "penalty_amount"),
    ],
)
def test_an_incomplete_outcome_is_refused(received, supervisor, fields, field):
    values = {
        "completed_on": date(2026, 5, 1),
        "removed_quantity": "12",
        "quantity_unit": "袋",
        "cause": "原料",
        "corrections": "整改",
        "case_filed": True,
        "case_no": "1",
        **fields,
    }
    with pytest.raises(ServiceError) as refused:
        disposals.complete_disposal(db.session, supervisor, received, **values)
    assert refused.value.field == field and received.status == DisposalStatus.UNDER_WAY


def test_no_clock_without_an_issued_unqualified_report(notified, supervisor):
    with pytest.raises(ServiceError, match="第四十五条"):
        disposals.record_conclusion_received(
            db.session, supervisor, notified, received_on=date(2026, 3, 2)
        )
    _issue_report(notified, supervisor, issued=datetime(2026, 3, 3, 3, tzinfo=UTC))
    with pytest.raises(ServiceError, match="2026-03-03"):
        disposals.record_conclusion_received(
            db.session, supervisor, notified, received_on=date(2026, 3, 2)
        )
    assert disposals.disposal_of(db.session, notified.id) is None


# --- the deadline board shows each step's period ---------------------------------------------


def test_each_workflow_period_is_on_the_board(notified, supervisor):
    retest = _apply(notified, supervisor)
    objection = _file(notified, supervisor)
    db.session.commit()
    board = followup.deadline_board(db.session, date(2026, 3, 10))
    shown = {(d.kind, d.due) for d in board}
    assert ("retest_decision", retest.decision_due) in shown
    assert ("objection_decision", objection.decision_due) in shown
    RETEST_STEPS["accept"](retest, supervisor)
    db.session.commit()
    board = followup.deadline_board(db.session, date(2026, 3, 10))
    assert ("retest_lab", retest.lab_due) in {(d.kind, d.due) for d in board}
    assert "retest_decision" not in {d.kind for d in board}


def test_the_regulators_receipt_restarts_the_service_clock(unqualified, supervisor):
    """Art. 29 (verify): the 5 working days run from the regulator's receipt of the
    conclusion once it is recorded (they ran from the report's issue until then); a unit
    already served keeps its date."""
    _issue_report(unqualified, supervisor)
    unqualified.due_service = date(2026, 3, 6)  # 1 March (Sunday) + 5 working days
    db.session.commit()
    disposals.record_conclusion_received(
        db.session, supervisor, unqualified, received_on=date(2026, 3, 4)
    )
    db.session.commit()
    assert db.session.get(Sample, unqualified.id).due_service == date(2026, 3, 11)


def test_a_served_unit_keeps_its_service_date(notified, supervisor):
    _issue_report(notified, supervisor)
    notified.due_service = date(2026, 3, 6)
    db.session.commit()
    disposals.record_conclusion_received(
        db.session, supervisor, notified, received_on=date(2026, 3, 4)
    )
    db.session.commit()
    assert db.session.get(Sample, notified.id).due_service == date(2026, 3, 6)
