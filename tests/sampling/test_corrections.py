"""Correcting and voiding a saved sampling form (issue 13 §3): directly by the sampling team
until receipt; after receipt only as a request with a reason that a reviewer or supervisor
other than the requester approves; a batch or a whole form voided with a reason, its number
kept and never reused, out of every queue, pass rate and export.  Table-driven: who may do
what in which state, allowed and refused."""

from __future__ import annotations

import enum
from datetime import date

import pytest
from sqlalchemy import func, select, update

from labsys.extensions import db
from labsys.models import (
    AuditEntry,
    Correction,
    CorrectionStatus,
    OilProcess,
    Role,
    Sample,
    SampleStatus,
    SamplingVisit,
)
from labsys.services import (
    ConflictError,
    PermissionDenied,
    ServiceError,
    corrections,
    exports,
    receipt,
    sampling,
    stats,
)
from labsys.services.sampling import BATCH_FIELDS, ValidationErrors

BASE = "http://labsys.test"


@pytest.fixture
def rita(make_user):
    return make_user("rita", Role.REVIEWER, full_name="Rita Reviewer")


def _visit(world, n=1):
    visit = sampling.create_visit(
        db.session,
        world.ann,
        world.visit(),
        [world.batch(food_name=f"小麦粉{i}") for i in range(n)],
    )
    db.session.commit()
    return visit


def _receive(world, sample):
    receipt.receive_sample(db.session, world.tom, sample, arrived_at=None, seal_state="完好")
    db.session.commit()


def _people(world, rita):
    return {"ann": world.ann, "bob": world.bob, "eve": world.eve, "tom": world.tom,
            "sue": world.sue, "rita": rita}  # fmt: skip


def _audit(action: str, entity: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.action == action)
    if entity:
        query = query.where(AuditEntry.entity == entity)
    return list(db.session.scalars(query.order_by(AuditEntry.id)))


# --- who may ask, in which state -------------------------------------------------------------

# (state, who, operation) → "applied" | "request" | refusal class
ASKING = [
    ("registered", "ann", "correct", "applied"),
    ("registered", "bob", "correct", "applied"),
    ("registered", "eve", "correct", PermissionDenied),  # another team
    ("registered", "sue", "correct", PermissionDenied),  # the team corrects its own
    ("registered", "tom", "correct", PermissionDenied),
    ("registered", "rita", "correct", PermissionDenied),
    ("received", "ann", "correct", "request"),
    ("received", "sue", "correct", "request"),
    ("received", "eve", "correct", PermissionDenied),
    ("received", "tom", "correct", PermissionDenied),
    ("received", "rita", "correct", PermissionDenied),
    ("registered", "ann", "void", "applied"),
    ("registered", "sue", "void", "applied"),
    ("registered", "eve", "void", PermissionDenied),
    ("registered", "tom", "void", PermissionDenied),
    ("received", "bob", "void", "request"),
    ("received", "sue", "void", "request"),
    ("received", "eve", "void", PermissionDenied),
    ("rejected", "ann", "void", "request"),
    ("rejected", "ann", "correct", "request"),
    ("voided", "ann", "correct", ServiceError),
    ("voided", "ann", "void", ServiceError),
]


def _ask(operation, actor, sample, reason="商标抄错"):
    if operation == "correct":
        return corrections.correct_sample(
            db.session,
            actor,
            sample,
            changes={"brand": "古船"},
            reason=reason,
            expected_version=sample.version_id,
        )
    return corrections.void_sample(
        db.session, actor, sample, reason=reason, expected_version=sample.version_id
    )


def _in_state(world, state: str) -> Sample:
    sample = _visit(world).samples[0]
    if state == "received":
        _receive(world, sample)
    elif state == "rejected":
        receipt.reject_sample(db.session, world.tom, sample, reason="封条破损")
        db.session.commit()
    elif state == "voided":
        corrections.void_sample(
            db.session, world.ann, sample, reason="重复录入", expected_version=None
        )
        db.session.commit()
    assert sample.status == state
    return sample


@pytest.mark.parametrize(("state", "who", "operation", "expected"), ASKING)
def test_who_may_correct_or_void_in_which_state(world, rita, state, who, operation, expected):
    sample = _in_state(world, state)
    actor = _people(world, rita)[who]
    before = (sample.brand, sample.status, db.session.scalar(select(func.count(Correction.id))))
    if isinstance(expected, type):
        with pytest.raises(expected):
            _ask(operation, actor, sample)
        db.session.rollback()
        after = (sample.brand, sample.status, db.session.scalar(select(func.count(Correction.id))))
        assert after == before
        return
    asked = _ask(operation, actor, sample)
    db.session.commit()
    if expected == "applied":
        assert asked is None
        assert (sample.brand if operation == "correct" else sample.status) == (
            "古船" if operation == "correct" else SampleStatus.VOIDED
        )
    else:
        assert asked.status == CorrectionStatus.PENDING and asked.requested_by == actor
        assert (sample.brand, sample.status) == before[:2]  # nothing until approved


# --- who may decide --------------------------------------------------------------------------

# (asked by, decided by, decision) → "approved" | "rejected" | "withdrawn" | refusal class
DECIDING = [
    ("ann", "rita", "approve", "approved"),
    ("ann", "sue", "approve", "approved"),
    ("ann", "ann", "approve", PermissionDenied),  # a sampler never decides
    ("ann", "bob", "approve", PermissionDenied),
    ("ann", "tom", "approve", PermissionDenied),
    ("sue", "sue", "approve", PermissionDenied),  # four eyes: not one's own request
    ("sue", "rita", "approve", "approved"),
    ("ann", "rita", "reject", "rejected"),
    ("sue", "sue", "reject", PermissionDenied),
    ("ann", "tom", "reject", PermissionDenied),
    ("ann", "ann", "withdraw", "withdrawn"),
    ("ann", "bob", "withdraw", PermissionDenied),  # only the requester
    ("ann", "sue", "withdraw", PermissionDenied),
]


def _decide(decision, actor, request):
    version = request.version_id
    if decision == "approve":
        return corrections.approve(
            db.session, actor, request, expected_version=version, base_url=BASE
        )
    if decision == "reject":
        return corrections.reject(
            db.session, actor, request, expected_version=version, note="证据不足"
        )
    return corrections.withdraw(db.session, actor, request, expected_version=version)


@pytest.mark.parametrize(("asker", "decider", "decision", "expected"), DECIDING)
def test_who_may_decide_a_request(world, rita, asker, decider, decision, expected):
    people = _people(world, rita)
    sample = _in_state(world, "received")
    request = _ask("correct", people[asker], sample)
    db.session.commit()
    audited = len(_audit(decision if decision != "withdraw" else "withdraw", "correction"))
    if isinstance(expected, type):
        with pytest.raises(expected):
            _decide(decision, people[decider], request)
        db.session.rollback()
        assert request.status == CorrectionStatus.PENDING and sample.brand == "五得利"
        assert len(_audit(decision, "correction")) == audited
        return
    _decide(decision, people[decider], request)
    db.session.commit()
    assert request.status == expected
    assert sample.brand == ("古船" if expected == "approved" else "五得利")
    entry = _audit(decision, "correction")[-1]
    assert entry.user_id == people[decider].id and f'"status":"{expected}"' in entry.new_values
    if expected == "approved":  # the change itself, before/after, with the request's reason
        change = _audit("correct", "sample")[-1]
        assert '"brand":"五得利"' in change.old_values and '"brand":"古船"' in change.new_values
        assert "商标抄错" in change.reason and f"#{request.id}" in change.reason


def test_a_rejection_needs_a_reason_and_changes_nothing(world, rita):
    sample = _in_state(world, "received")
    request = _ask("correct", world.ann, sample)
    db.session.commit()
    with pytest.raises(ServiceError) as refused:
        corrections.reject(
            db.session, rita, request, expected_version=request.version_id, note="  "
        )
    assert refused.value.field == "note"
    db.session.rollback()
    assert request.status == CorrectionStatus.PENDING


def test_a_decided_request_cannot_be_decided_again(world, rita):
    sample = _in_state(world, "received")
    request = _ask("correct", world.ann, sample)
    corrections.reject(
        db.session, rita, request, expected_version=request.version_id, note="不同意"
    )
    db.session.commit()
    for decision in ("approve", "reject"):
        with pytest.raises(ServiceError, match="已驳回"):
            _decide(decision, world.sue, request)
        db.session.rollback()
    assert sample.brand == "五得利"


def test_one_pending_request_at_a_time_and_stale_versions(world, rita):
    sample = _in_state(world, "received")
    with pytest.raises(ConflictError):  # asked from a page read before someone's change
        corrections.correct_sample(
            db.session,
            world.ann,
            sample,
            changes={"brand": "古船"},
            reason="x",
            expected_version=sample.version_id - 1,
        )
    db.session.rollback()
    request = _ask("correct", world.ann, sample)
    db.session.commit()
    with pytest.raises(ServiceError, match=f"#{request.id}"):
        _ask("void", world.bob, sample)
    db.session.rollback()
    # The record moved after the request: approval is refused, nothing applied.
    db.session.execute(
        update(Sample).where(Sample.id == sample.id).values(version_id=Sample.version_id + 1)
    )
    db.session.commit()
    db.session.refresh(sample)
    with pytest.raises(ConflictError):
        _decide("approve", rita, request)
    db.session.rollback()
    assert sample.brand == "五得利" and request.status == CorrectionStatus.PENDING


def test_a_change_committed_by_another_user_before_the_approval_is_not_overwritten(world, rita):
    """Another user's change, committed after the approver's page read the record (its
    session still holds the old version): the approval is refused as a conflict, and the
    other user's value stays.  PostgreSQL: on SQLite the approver's transaction, begun
    before the other's commit, cannot write at all (its snapshot is stale)."""
    from sqlalchemy.orm import Session

    if db.engine.dialect.name != "postgresql":
        pytest.skip("two writers at once: PostgreSQL")
    sample = _in_state(world, "received")
    request = _ask("correct", world.ann, sample)
    db.session.commit()
    assert sample.version_id == request.target_version  # read now, before the change
    with Session(bind=db.engine) as other:
        other.execute(
            update(Sample)
            .where(Sample.id == sample.id)
            .values(remarks="另一用户的备注", version_id=Sample.version_id + 1)
        )
        other.commit()
    with pytest.raises(ConflictError):
        _decide("approve", rita, request)
    db.session.rollback()
    db.session.expire_all()
    stored = db.session.get(Sample, sample.id)
    assert stored.remarks == "另一用户的备注" and stored.brand == "五得利"
    assert db.session.get(Correction, request.id).status == CorrectionStatus.PENDING


def test_a_request_is_validated_like_the_form_and_must_change_something(world):
    sample = _in_state(world, "received")
    with pytest.raises(ValidationErrors) as caught:
        corrections.correct_sample(
            db.session,
            world.ann,
            sample,
            changes={"production_date": date(2026, 12, 1)},
            reason="日期抄错",
            expected_version=None,
        )
    assert caught.value.errors == [("production_date", "生产日期晚于抽样日期。")]
    db.session.rollback()
    with pytest.raises(ServiceError, match="没有任何变化"):
        corrections.correct_sample(
            db.session,
            world.ann,
            sample,
            changes={"brand": sample.brand},
            reason="nothing",
            expected_version=None,
        )
    db.session.rollback()
    assert db.session.scalar(select(func.count(Correction.id))) == 0


# Every field of the batch form is correctable after receipt by the same request (the
# category excepted: its test items were fixed at receipt).
NEW_VALUES = {
    "food_name": "特一粉",
    "brand": "古船",
    "specification": "10kg/袋",
    "production_date": date(2026, 9, 30),
    "batch_no": "B2",
    "shelf_life": "6个月",
    "oil_process": OilProcess.PRESSED.value,
    "quantity": "3",
    "quantity_unit": "包",
    "backup_quantity": "2",
    "sampling_base": "300袋",
    "remarks": "<script>alert(1)</script> 备注",
    # The national form's fields (issue 13 §1), correctable by the same request.
    "product_standard": "GB/T 1355-2021",
    "quality_grade": "一级",
    "licence_no": "SC10111010500017",
    "unit_price": "25.50",
    "supplier": "某粮油批发部",
    "seal_checker": "张三",
    "sample_source": "purchased",
    "sample_attribute": "seasonal",
    "physical_state": "liquid",
    "packaging": "bulk",
    "storage_conditions": "refrigerated,dark",
    "sampling_method": "aseptic",
    "purchase_cost": "51.00",
    "purchase_date": date(2026, 10, 28),
}


def test_the_correction_test_covers_every_field_of_the_batch_form():
    """A new form field is listed in NEW_VALUES, so the test below corrects it too."""
    assert set(BATCH_FIELDS) - {"category_id", "producer_id"} == set(NEW_VALUES)


@pytest.mark.parametrize("field", [f for f in BATCH_FIELDS if f != "category_id"])
def test_every_field_of_a_batch_is_correctable_after_receipt(world, rita, make_enterprise, field):
    sample = _in_state(world, "received")
    value = make_enterprise("另一生产者").id if field == "producer_id" else NEW_VALUES[field]
    request = corrections.correct_sample(
        db.session,
        world.ann,
        sample,
        changes={field: value},
        reason=f"{field} 抄错",
        expected_version=sample.version_id,
    )
    db.session.commit()
    assert set(corrections.changes_of(request)) == {field}
    corrections.approve(
        db.session, rita, request, expected_version=request.version_id, base_url=BASE
    )
    db.session.commit()
    db.session.refresh(sample)
    stored = getattr(sample, field)
    assert (stored.value if isinstance(stored, enum.Enum) else stored) == value


# --- the visit's own fields ------------------------------------------------------------------


def test_the_team_corrects_a_visit_directly_before_receipt(world):
    visit = _visit(world, n=2)
    asked = corrections.correct_visit(
        db.session,
        world.bob,
        visit,
        changes={"place": "北京市朝阳区测试路2号", "sampling_date": date(2026, 10, 30)},
        reason="",
        expected_version=visit.version_id,
    )
    db.session.commit()
    assert asked is None and visit.place == "北京市朝阳区测试路2号"
    assert {s.sampling_date for s in visit.samples} == {date(2026, 10, 30)}
    assert [s.sample_no for s in visit.samples] == [s.sample_no for s in visit.samples]
    entry = _audit("correct", "sampling_visit")[-1]
    assert "测试路1号" in entry.old_values and "测试路2号" in entry.new_values
    assert len(_audit("correct", "sample")) == 2  # each batch's copied date, audited


def test_after_receipt_a_visit_correction_is_a_request(world, rita):
    visit = _visit(world, n=2)
    numbers = [s.sample_no for s in visit.samples]
    _receive(world, visit.samples[0])
    with pytest.raises(ServiceError) as refused:  # a reason is required now
        corrections.correct_visit(
            db.session, world.ann, visit, changes={"link": "catering"}, reason="",
            expected_version=None,
        )  # fmt: skip
    assert refused.value.field == "reason"
    db.session.rollback()
    request = corrections.correct_visit(
        db.session,
        world.ann,
        visit,
        changes={"link": "catering", "sampler_ids": [world.ann.id, world.eve.id]},
        reason="环节和抽样人员填错",
        expected_version=visit.version_id,
    )
    db.session.commit()
    assert visit.link == "retail"
    assert set(corrections.changes_of(request)) == {"link", "sampler_ids"}
    corrections.approve(
        db.session, rita, request, expected_version=request.version_id, base_url=BASE
    )
    db.session.commit()
    db.session.expire_all()
    visit = db.session.get(SamplingVisit, visit.id)
    assert visit.link == "catering" and {s.link for s in visit.samples} == {"catering"}
    assert {u.username for u in visit.samplers} == {"ann", "eve"}
    assert [s.sample_no for s in visit.samples] == numbers  # numbers never change


def test_a_visit_correction_is_validated_like_the_form(world):
    visit = _visit(world)
    with pytest.raises(ValidationErrors) as caught:
        corrections.correct_visit(
            db.session,
            world.ann,
            visit,
            changes={"sampling_date": date(2026, 9, 1)},  # before the production date
            reason="",
            expected_version=None,
        )
    assert caught.value.errors[0][0] == "sampling_date"
    db.session.rollback()
    with pytest.raises(PermissionDenied):
        corrections.correct_visit(
            db.session, world.eve, visit, changes={"place": "x"}, reason="", expected_version=None
        )


# --- voiding ---------------------------------------------------------------------------------


def test_a_voided_batch_leaves_queues_rates_and_exports_but_keeps_its_number(world, rita):
    visit = _visit(world, n=3)
    first, second, third = visit.samples
    _receive(world, second)
    _receive(world, third)
    assert stats.compute(db.session).total.samples == 3
    corrections.void_sample(
        db.session, world.ann, first, reason="重复录入", expected_version=first.version_id
    )
    request = corrections.void_sample(
        db.session, world.ann, second, reason="样品混淆", expected_version=second.version_id
    )
    db.session.commit()
    assert first.status == SampleStatus.VOIDED and second.status == SampleStatus.RECEIVED
    corrections.approve(
        db.session, rita, request, expected_version=request.version_id, base_url=BASE
    )
    db.session.commit()
    assert second.status == SampleStatus.VOIDED
    assert stats.compute(db.session).total.samples == 1
    assert stats.summary_matches_samples(db.session)
    exported = [row[0] for row in exports.sample_rows(db.session)]
    assert exported == [third.sample_no]
    # The numbers stay on file; a new batch draws a fresh one.
    kept = db.session.scalars(select(Sample.sample_no).order_by(Sample.id)).all()
    assert kept[:2] == [first.sample_no, second.sample_no]
    new = _visit(world).samples[0]
    assert new.sample_no not in kept
    voids = _audit("void", "sample")
    assert [e.reason for e in voids] == ["重复录入", "样品混淆"]
    # Nothing more happens to a voided sample.
    with pytest.raises(ServiceError):
        receipt.receive_sample(db.session, world.tom, first, arrived_at=None, seal_state="完好")
    db.session.rollback()


def test_voiding_a_whole_form(world, rita):
    visit = _visit(world, n=2)
    corrections.void_visit(
        db.session, world.bob, visit, reason="走错单位", expected_version=visit.version_id
    )
    db.session.commit()
    assert visit.voided_at is not None and visit.void_reason == "走错单位"
    assert {s.status for s in visit.samples} == {SampleStatus.VOIDED}
    assert stats.compute(db.session).total.samples == 0
    with pytest.raises(ServiceError):
        corrections.void_visit(db.session, world.ann, visit, reason="x", expected_version=None)
    db.session.rollback()


def test_voiding_a_received_form_waits_for_approval(world, rita):
    visit = _visit(world, n=2)
    _receive(world, visit.samples[0])
    request = corrections.void_visit(
        db.session, world.ann, visit, reason="走错单位", expected_version=visit.version_id
    )
    db.session.commit()
    assert visit.voided_at is None and request.action == "void"
    corrections.approve(
        db.session, world.sue, request, expected_version=request.version_id, base_url=BASE
    )
    db.session.commit()
    assert visit.voided_at is not None
    assert {s.status for s in visit.samples} == {SampleStatus.VOIDED}


def test_the_national_visit_fields_are_correctable_too(world, rita):
    visit = _visit(world)
    _receive(world, visit.samples[0])
    request = corrections.correct_visit(
        db.session,
        world.ann,
        visit,
        changes={"sampling_basis": "《食品安全抽样检验管理办法》", "task_source": "市局抽检任务"},
        reason="抽样依据漏填",
        expected_version=visit.version_id,
    )
    db.session.commit()
    assert set(corrections.changes_of(request)) == {"sampling_basis", "task_source"}
    corrections.approve(
        db.session, rita, request, expected_version=request.version_id, base_url=BASE
    )
    db.session.commit()
    assert visit.sampling_basis == "《食品安全抽样检验管理办法》"
    assert visit.task_source == "市局抽检任务"
