"""Receipt: accepting freezes the specification; rejecting needs a reason; never twice."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from labsys.extensions import db
from labsys.models import AuditEntry, ResultStatus, SampleResult, SampleStatus, Specification
from labsys.services import PermissionDenied, ServiceError, receipt, sampling


def _sample(world, **batch):
    visit = sampling.create_visit(db.session, world.ann, world.visit(), [world.batch(**batch)])
    db.session.commit()
    return visit.samples[0]


def _receive(world, sample, **kwargs):
    kwargs.setdefault("arrived_at", datetime(2026, 11, 4, 1, 30, tzinfo=UTC))
    kwargs.setdefault("seal_state", "完好")
    results = receipt.receive_sample(db.session, world.tom, sample, **kwargs)
    db.session.commit()
    return results


def test_receipt_freezes_one_result_row_per_test_item(world):
    sample = _sample(world)
    results = _receive(world, sample, condition="包装完好", temperature="4.5")
    assert sample.status == SampleStatus.RECEIVED
    assert (sample.seal_state, sample.condition, sample.temperature) == ("完好", "包装完好", "4.5")
    assert sample.received_by_id == world.tom.id
    # 4 Nov 2026 (Wednesday, Beijing) + 20 working days
    assert sample.due_report == date(2026, 12, 2)
    assert [(r.seq, r.item_name, r.limit_text, r.lod, r.status) for r in results] == [
        (1, "铅(以Pb计)", "≤0.2", "0.005", ResultStatus.PENDING),
        (2, "镉(以Cd计)", "≤0.1", "0.002", ResultStatus.PENDING),
    ]
    assert results[0].interval == "0.01" and results[1].uncertainty == "0.01"
    assert results[0].method_standard == "GB 5009.12-2023"
    assert results[0].judgement_basis == "GB 2762-2022"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "receive")).one()
    assert entry.user_id == world.tom.id and "镉(以Cd计)" in entry.new_values


def test_a_later_catalog_edit_does_not_change_the_received_sample(world):
    sample = _sample(world)
    _receive(world, sample)
    spec = db.session.scalars(
        select(Specification).where(Specification.test_item_id == world.lead.id)
    ).one()
    spec.limit_text = "≤0.1"
    spec.lod = "0.001"
    db.session.commit()
    row = db.session.scalars(
        select(SampleResult).where(SampleResult.sample_id == sample.id, SampleResult.seq == 1)
    ).one()
    assert (row.limit_text, row.lod) == ("≤0.2", "0.005")


def test_the_specification_in_force_on_the_sampling_date_is_frozen(world, make_spec):
    make_spec(world.leaf, world.lead, "≤0.15", effective_from=date(2027, 1, 1))
    sample = _sample(world)
    results = _receive(world, sample)
    assert results[0].limit_text == "≤0.2"


def test_receiving_twice_is_refused_clearly(world):
    sample = _sample(world)
    _receive(world, sample)
    with pytest.raises(ServiceError, match="已于 2026-11-04 接收"):
        _receive(world, sample)
    assert db.session.query(SampleResult).count() == 2


def test_a_category_without_test_items_is_refused(world, make_category, make_sample):
    bare = make_category("蔬菜制品", "酱腌菜", "酱腌菜", "酱腌菜")
    sample = make_sample(bare, received=False, sampling_date=date(2026, 11, 2))
    with pytest.raises(ServiceError, match="没有适用的检验项目"):
        _receive(world, sample)
    db.session.rollback()
    assert sample.status == SampleStatus.REGISTERED


def test_receipt_checks_its_inputs(world):
    sample = _sample(world)
    for kwargs, field in [
        ({"seal_state": " "}, "seal_state"),
        ({"temperature": "warm"}, "temperature"),
        ({"arrived_at": datetime(2026, 10, 1, tzinfo=UTC)}, "arrived_at"),
        ({"arrived_at": datetime(2999, 1, 1, tzinfo=UTC)}, "arrived_at"),
    ]:
        with pytest.raises(ServiceError) as caught:
            _receive(world, sample, **kwargs)
        assert caught.value.field == field
        db.session.rollback()
    with pytest.raises(PermissionDenied):
        receipt.receive_sample(db.session, world.ann, sample, arrived_at=None, seal_state="完好")


def test_rejecting_needs_a_reason_and_blocks_receipt(world):
    sample = _sample(world)
    with pytest.raises(ServiceError) as caught:
        receipt.reject_sample(db.session, world.tom, sample, reason="")
    assert caught.value.field == "reason"
    receipt.reject_sample(db.session, world.tom, sample, reason="封条破损", seal_state="破损")
    db.session.commit()
    assert (sample.status, sample.rejection_reason) == (SampleStatus.REJECTED, "封条破损")
    with pytest.raises(ServiceError, match="拒收"):
        _receive(world, sample, arrived_at=None)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "reject")).one()
    assert entry.reason == "封条破损"


def test_report_due_date_skips_the_national_day_holiday(world):
    visit = sampling.create_visit(
        db.session,
        world.ann,
        world.visit(sampling_date=date(2025, 9, 28)),
        [world.batch(production_date=date(2025, 9, 1))],
    )
    sample = visit.samples[0]
    # Arrived 30 Sep 2025 at 17:00 Beijing time; 1–8 Oct off, Sat 11 Oct a make-up workday.
    _receive(world, sample, arrived_at=datetime(2025, 9, 30, 9, 0, tzinfo=UTC))
    assert sample.due_report == date(2025, 11, 4)  # without the holiday: 28 Oct


def test_find_by_number(world):
    sample = _sample(world)
    assert receipt.find_by_number(db.session, " " + sample.sample_no.lower()) == sample
    with pytest.raises(ServiceError, match="没有样品编号"):
        receipt.find_by_number(db.session, "NOPE")
