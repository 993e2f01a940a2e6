"""A plan's inspection type travels with its samples: the sample copies it at registration,
the plan's type is fixed once it has samples, and a supervision sample must conclude (the
guarded decision rule is not available to it)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from labsys.extensions import db
from labsys.models import DecisionRule, InspectionType, Specification, VerdictValue
from labsys.services import ServiceError, followup, planning, receipt, results, sampling

TYPES = list(InspectionType)


def _task(world, kind: InspectionType):
    plan = planning.create_plan(
        db.session, world.sue, code=f"P-{kind.value}", name="计划", year=2026, inspection_type=kind
    )
    quota = planning.add_quota(db.session, world.sue, plan, category_id=world.leaf.id, quota=5)
    task = planning.create_task(
        db.session,
        world.sue,
        quota,
        name="任务",
        number=5,
        due_date=date(2026, 12, 20),
        sampler_ids=[world.ann.id, world.bob.id],
        today=date(2026, 11, 1),
    )
    db.session.commit()
    return plan, task


def _sample(world, task=None):
    visit_data = world.visit(task_id=task.id) if task else world.visit()
    visit = sampling.create_visit(db.session, world.ann, visit_data, [world.batch()])
    db.session.commit()
    return visit.samples[0]


def _receive(world, sample):
    rows = receipt.receive_sample(
        db.session,
        world.tom,
        sample,
        arrived_at=datetime(2026, 11, 4, 1, 30, tzinfo=UTC),
        seal_state="完好",
    )
    db.session.commit()
    return {row.item_name: row for row in rows}


@pytest.mark.parametrize("kind", TYPES)
def test_a_sample_copies_its_plans_type(world, kind):
    _plan, task = _task(world, kind)
    sample = _sample(world, task)
    assert (sample.plan_id, sample.inspection_type) == (task.plan_id, kind)


def test_a_sample_outside_a_plan_is_supervision(world):
    assert _sample(world).inspection_type == InspectionType.SUPERVISION


def test_the_type_of_a_plan_with_samples_cannot_change(world):
    plan, task = _task(world, InspectionType.SUPERVISION)

    def change(kind):
        planning.update_plan(
            db.session, world.sue, plan, code=plan.code, name=plan.name, year=2026,
            inspection_type=kind,
        )  # fmt: skip

    change(InspectionType.EVALUATION)  # no sample yet: allowed
    change(InspectionType.SUPERVISION)
    db.session.commit()
    _sample(world, task)
    with pytest.raises(ServiceError) as caught:
        change(InspectionType.RISK_MONITORING)
    assert caught.value.field == "inspection_type"
    db.session.rollback()
    assert db.session.get(type(plan), plan.id).inspection_type == InspectionType.SUPERVISION


@pytest.mark.parametrize("value", ["监督抽检", "bogus", "", None, "SUPERVISION "])
def test_an_unknown_type_is_refused(world, value):
    with pytest.raises(ServiceError) as caught:
        planning.create_plan(
            db.session, world.sue, code="X", name="X", year=2026, inspection_type=value
        )
    assert caught.value.field == "inspection_type"


def _guarded(world):
    spec = db.session.query(Specification).filter_by(test_item_id=world.cadmium.id).one()
    spec.decision_rule = DecisionRule.GUARDED  # ≤0.1 with U = 0.01
    db.session.commit()


# (type, rule frozen, verdict of 0.095 against ≤0.1 with U = 0.01)
GUARDED = [
    (InspectionType.SUPERVISION, DecisionRule.SIMPLE, VerdictValue.PASS),
    (InspectionType.RISK_MONITORING, DecisionRule.GUARDED, VerdictValue.INCONCLUSIVE),
    (InspectionType.EVALUATION, DecisionRule.GUARDED, VerdictValue.INCONCLUSIVE),
]


@pytest.mark.parametrize(("kind", "frozen", "verdict"), GUARDED)
def test_supervision_samples_are_judged_by_simple_acceptance(world, kind, frozen, verdict):
    _guarded(world)
    _plan, task = _task(world, kind)
    cadmium = _receive(world, _sample(world, task))["镉(以Cd计)"]
    assert cadmium.decision_rule == frozen
    assert results.judge_values(cadmium, "0.095").verdict == verdict


def test_a_tampered_guarded_row_on_a_supervision_sample_is_refused(world):
    cadmium = _receive(world, _sample(world))["镉(以Cd计)"]
    cadmium.decision_rule = DecisionRule.GUARDED  # crafted past the receipt
    with pytest.raises(ServiceError) as caught:
        results.judge_values(cadmium, "0.095")
    assert "监督抽检" in caught.value.message or "supervision" in caught.value.message.lower()


@pytest.mark.parametrize(
    ("kind", "allowed"),
    [
        (InspectionType.SUPERVISION, True),
        (InspectionType.RISK_MONITORING, False),
        (InspectionType.EVALUATION, False),
    ],
)
def test_only_supervision_samples_are_followed_up(world, kind, allowed):
    _plan, task = _task(world, kind)
    sample = _sample(world, task)
    sample.conclusion = "unqualified"
    db.session.commit()
    if allowed:
        assert followup.open_followup(db.session, sample, world.sue).sample_id == sample.id
        return
    with pytest.raises(ServiceError) as caught:
        followup.open_followup(db.session, sample, world.sue)
    assert "监督抽检" in caught.value.message


@pytest.mark.parametrize(
    ("kind", "conclusion", "shown"),
    [
        (InspectionType.SUPERVISION, "unqualified", "不合格"),
        (InspectionType.SUPERVISION, "qualified", "合格"),
        (InspectionType.EVALUATION, "unqualified", "不合格"),
        (InspectionType.RISK_MONITORING, "unqualified", "问题样品"),
        (InspectionType.RISK_MONITORING, "qualified", "未发现问题"),
        (InspectionType.RISK_MONITORING, "inconclusive", "不确定"),
    ],
)
def test_the_conclusion_is_shown_in_the_types_words(world, kind, conclusion, shown):
    sample = _sample(world)
    sample.inspection_type, sample.conclusion = kind, conclusion
    assert sample.conclusion_title == shown
