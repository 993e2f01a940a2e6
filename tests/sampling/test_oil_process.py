"""The sample records 压榨/浸出 from an oil's label (GB 2716-2018 solvent residue)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from labsys.extensions import db
from labsys.models import AuditEntry, OilProcess
from labsys.services import receipt, sampling
from labsys.services.sampling import ValidationErrors


@pytest.fixture
def oil(world, make_category, make_item, make_spec):
    leaf = make_category("食用油、油脂及其制品", "食用植物油", "食用植物油", "花生油")
    solvent = make_item("溶剂残留量", "mg/kg", method="GB 5009.262-2016")
    make_spec(leaf, solvent, "≤20", oil_process="solvent", judgement_basis="GB 2716-2018")
    make_spec(
        leaf, solvent, "不得检出", lod="10", oil_process="pressed", judgement_basis="GB 2716-2018"
    )
    return leaf


def _batch(world, oil, **fields):
    return world.batch(food_name="花生油", category_id=oil.id, **fields)


def test_an_oil_without_pressed_or_solvent_is_refused_with_a_clear_message(world, oil):
    with pytest.raises(ValidationErrors) as caught:
        sampling.create_visit(db.session, world.ann, world.visit(), [_batch(world, oil)])
    db.session.rollback()
    errors = dict(caught.value.errors)
    assert "压榨" in errors["batches-0-oil_process"]


def test_an_unknown_process_is_refused(world, oil):
    with pytest.raises(ValidationErrors) as caught:
        sampling.create_visit(
            db.session, world.ann, world.visit(), [_batch(world, oil, oil_process="cold")]
        )
    db.session.rollback()
    assert "batches-0-oil_process" in dict(caught.value.errors)


def test_other_foods_need_no_process(world):
    visit = sampling.create_visit(db.session, world.ann, world.visit(), [world.batch()])
    assert visit.samples[0].oil_process is None


def test_the_process_is_saved_audited_and_decides_the_frozen_limit(world, oil):
    visit = sampling.create_visit(
        db.session, world.ann, world.visit(), [_batch(world, oil, oil_process="pressed")]
    )
    db.session.commit()
    sample = visit.samples[0]
    assert sample.oil_process is OilProcess.PRESSED
    sampling.update_sample(db.session, world.ann, sample, sample.version_id, oil_process="solvent")
    db.session.commit()
    change = db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "sample").order_by(AuditEntry.id.desc())
    ).first()
    assert json.loads(change.new_values)["oil_process"] == "solvent"
    results = receipt.receive_sample(
        db.session,
        world.tom,
        sample,
        arrived_at=datetime(2026, 11, 4, 1, 30, tzinfo=UTC),
        seal_state="完好",
    )
    assert [(r.item_name, r.limit_text) for r in results] == [("溶剂残留量", "≤20")]
