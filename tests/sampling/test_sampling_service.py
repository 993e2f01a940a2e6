"""The sampling form service: numbers, copies, validation, editing rules, corrections."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from labsys.extensions import db
from labsys.models import AuditEntry, Sample, SampleStatus, SamplingVisit
from labsys.services import ConflictError, PermissionDenied, ServiceError, sampling
from labsys.services.sampling import ValidationErrors, shelf_life_days

SAMPLING_DAY = date(2026, 11, 2)


def _create(world, batches=None, actor=None, **visit):
    visit_obj = sampling.create_visit(
        db.session, actor or world.ann, world.visit(**visit), batches or [world.batch()]
    )
    db.session.commit()
    return visit_obj


def _errors(world, batches=None, **visit) -> dict:
    with pytest.raises(ValidationErrors) as caught:
        sampling.create_visit(
            db.session, world.ann, world.visit(**visit), batches or [world.batch()]
        )
    db.session.rollback()
    return dict(caught.value.errors)


def test_a_visit_with_three_batches_gets_three_numbers_and_copies(world):
    visit = _create(
        world,
        [
            world.batch(),
            world.batch(food_name="高筋小麦粉"),
            world.batch(food_name="低筋小麦粉", producer_id=None),
        ],
    )
    samples = visit.samples
    assert [s.sample_no for s in samples] == ["SC202611010501" + f"{n:05d}" for n in (1, 2, 3)]
    first = samples[0]
    assert first.status == SampleStatus.REGISTERED
    assert (first.sampling_date, first.region_code, first.link.value) == (
        SAMPLING_DAY,
        "110105",
        "retail",
    )
    assert first.cat_l4_id == world.leaf.id and first.cat_l3_id == world.leaf.parent_id
    assert first.cat_l1_id == world.leaf.ancestor_ids[0]
    assert first.shelf_life_days == 360 and first.quantity == "2"
    assert first.due_delivery == date(2026, 11, 9)  # 5 working days after Monday 2 Nov
    assert {u.username for u in visit.samplers} == {"ann", "bob"}
    assert first.lab is not None and first.lab.code == "01"
    actions = db.session.execute(
        select(AuditEntry.entity, func.count())
        .where(AuditEntry.entity.like("sampl%"))
        .group_by(AuditEntry.entity)
    ).all()
    assert dict(actions) == {"sampling_visit": 1, "sample": 3}


def test_the_number_pattern_is_configurable(world, app, monkeypatch):
    monkeypatch.setitem(app.config, "SAMPLE_NO_PATTERN", "{prefix}-{yy}-{region}-{serial:04d}")
    monkeypatch.setitem(app.config, "SAMPLE_NO_PREFIX", "BJ")
    visit = _create(world)
    assert visit.samples[0].sample_no == "BJ-26-110105-0001"


def test_serials_run_per_year_and_district(world, make_enterprise):
    _create(world)
    other = make_enterprise("海淀店", region_code="110108")
    visit = _create(world, sampled_unit_id=other.id)
    assert visit.samples[0].sample_no == "SC20261101080100001"
    visit = _create(world)
    assert visit.samples[0].sample_no.endswith("00002")


@pytest.mark.parametrize(
    ("batch", "field", "message"),
    [
        (
            {"production_date": date(2026, 11, 3)},
            "batches-1-production_date",
            "第2批：生产日期晚于抽样日期。",
        ),
        ({"quantity": "0"}, "batches-1-quantity", "第2批：样品数量须为大于零的数字。"),
        ({"quantity": "abc"}, "batches-1-quantity", "第2批：样品数量须为大于零的数字。"),
        ({"quantity_unit": ""}, "batches-1-quantity_unit", "第2批：请填写样品数量的单位。"),
        (
            {"backup_quantity": "-1"},
            "batches-1-backup_quantity",
            "第2批：备份样品数量须为大于零的数字。",
        ),
        ({"food_name": ""}, "batches-1-food_name", "第2批：请填写食品名称。"),
        ({"category_id": None}, "batches-1-category", "第2批：请选择食品分类。"),
        (
            {"production_date": None, "batch_no": ""},
            "batches-1-production_date",
            "第2批：请填写生产日期或批号。",
        ),
        (
            {"shelf_life": "很久"},
            "batches-1-shelf_life",
            "第2批：无法识别保质期，请写成如 12个月、180天 或 6 months。",
        ),
        ({"shelf_life": "0天"}, "batches-1-shelf_life", "第2批：保质期须大于零天。"),
    ],
)
def test_each_batch_error_names_the_row_and_the_field(world, batch, field, message):
    errors = _errors(world, [world.batch(), world.batch(**batch)])
    assert errors == {field: message}
    assert db.session.scalar(select(func.count()).select_from(Sample)) == 0


def test_the_category_must_be_a_leaf_with_test_items(world, make_category):
    bare = make_category("食用油、油脂及其制品", "食用植物油", "食用植物油", "花生油")
    errors = _errors(
        world, [world.batch(category_id=world.parent.id), world.batch(category_id=bare.id)]
    )
    assert "细类" in errors["batches-0-category"] and errors["batches-0-category"].startswith(
        "第1批："
    )
    assert (
        errors["batches-1-category"] == "第2批：花生油在检验项目目录中没有检验项目，请联系管理员。"
    )


def test_visit_errors_team_date_unit(world, make_user):
    errors = _errors(
        world, sampler_ids=[], sampling_date=date(2999, 1, 1), sampled_unit_id=None, link="space"
    )
    assert set(errors) == {"sampler_ids", "sampling_date", "sampled_unit", "link"}
    assert errors["sampler_ids"] == "抽样小组至少需要 2 名抽样人员：请选择您的同事。"
    errors = _errors(world, sampler_ids=[world.tom.id])
    assert errors["sampler_ids"] == "Tom 不是在职的抽样人员。"


def test_all_batches_or_none(world):
    _errors(world, [world.batch(), world.batch(), world.batch(quantity="")])
    assert db.session.scalar(select(func.count()).select_from(SamplingVisit)) == 0
    assert db.session.scalar(select(func.count()).select_from(Sample)) == 0


def test_blank_rows_are_ignored_but_one_batch_is_needed(world):
    visit = _create(world, [world.batch(), {}, {"food_name": "", "quantity": ""}])
    assert len(visit.samples) == 1
    errors = _errors(world, [{}, {}])
    assert errors == {None: "请至少填写一个批次。"}


def test_only_samplers_create_visits(world):
    with pytest.raises(PermissionDenied):
        sampling.create_visit(db.session, world.tom, world.visit(), [world.batch()])


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("12个月", 360),
        ("180天", 180),
        ("6 months", 180),
        ("1年", 365),
        ("2 years", 730),
        ("3周", 21),
        ("常温 18个月", 540),
        ("", None),
        (None, None),
    ],
)
def test_shelf_life_days(text, days):
    assert shelf_life_days(text) == days


@pytest.mark.parametrize("text", ["很久", "12", "mg"])
def test_unreadable_shelf_life(text):
    with pytest.raises(ValueError):
        shelf_life_days(text)


def test_an_expired_product_is_sampled_with_a_warning(world):
    visit = _create(world, [world.batch(production_date=date(2025, 1, 1), shelf_life="180天")])
    warning = sampling.expiry_warning(visit.samples[0])
    assert warning and "2025-06-30" in warning and visit.samples[0].sample_no in warning
    fresh = _create(world)
    assert sampling.expiry_warning(fresh.samples[0]) is None


# --- editing -------------------------------------------------------------------------------


def test_the_team_edits_before_receipt_and_it_is_audited(world):
    sample = _create(world).samples[0]
    sampling.update_sample(db.session, world.bob, sample, 1, food_name="特一粉", quantity="3")
    db.session.commit()
    assert (sample.food_name, sample.quantity, sample.version_id) == ("特一粉", "3", 2)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "update")).one()
    assert entry.user_id == world.bob.id and "特一粉" in entry.new_values
    assert "通用小麦粉" in entry.old_values


def test_another_sampler_cannot_edit(world):
    sample = _create(world).samples[0]
    with pytest.raises(PermissionDenied):
        sampling.update_sample(db.session, world.eve, sample, 1, food_name="x")


def test_a_stale_version_is_a_conflict(world):
    sample = _create(world).samples[0]
    sampling.update_sample(db.session, world.ann, sample, 1, food_name="一")
    with pytest.raises(ConflictError):
        sampling.update_sample(db.session, world.ann, sample, 1, food_name="二")


def test_edits_are_validated_like_the_form(world):
    sample = _create(world).samples[0]
    with pytest.raises(ValidationErrors) as caught:
        sampling.update_sample(db.session, world.ann, sample, 1, production_date=date(2026, 12, 1))
    assert caught.value.errors == [("production_date", "生产日期晚于抽样日期。")]


def _receive(world, sample):
    from labsys.services import receipt

    receipt.receive_sample(db.session, world.tom, sample, arrived_at=None, seal_state="完好")
    db.session.commit()


def test_after_receipt_only_a_correction_request_with_a_reason(world):
    from labsys.services import corrections

    sample = _create(world).samples[0]
    _receive(world, sample)
    with pytest.raises(ServiceError, match="更正"):
        sampling.update_sample(db.session, world.ann, sample, sample.version_id, brand="x")

    def ask(actor, reason="商标抄错", **changes):
        return corrections.correct_sample(
            db.session, actor, sample, changes=changes, reason=reason, expected_version=None
        )

    with pytest.raises(ServiceError) as caught:
        ask(world.ann, reason="  ", brand="古船")
    assert caught.value.field == "reason"
    with pytest.raises(PermissionDenied):
        ask(world.eve, brand="古船")
    with pytest.raises(ServiceError, match="分类"):
        ask(world.ann, category_id=world.parent.id)
    request = ask(world.sue, brand="古船")
    db.session.commit()
    assert sample.brand == "五得利"  # nothing changes before the approval
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "request")).one()
    assert entry.reason == "商标抄错" and entry.user_id == world.sue.id
    assert '"brand":"五得利"' in entry.old_values and '"brand":"古船"' in entry.new_values
    assert request.status == "pending"


# --- deadlines -----------------------------------------------------------------------------


def test_delivery_due_date_skips_the_national_day_holiday(world):
    visit = _create(
        world,
        sampling_date=date(2025, 9, 30),
        batches=[world.batch(production_date=date(2025, 9, 1))],
    )
    # 1–8 Oct 2025 off; Sat 11 Oct is a make-up working day.
    assert visit.samples[0].due_delivery == date(2025, 10, 14)


def test_deadline_flags():
    check = sampling.DeadlineCheck(today=date(2026, 11, 10), soon=date(2026, 11, 13))
    registered = Sample(status=SampleStatus.REGISTERED, due_delivery=date(2026, 11, 9))
    assert check.flag(registered) == "overdue"
    registered.due_delivery = date(2026, 11, 13)
    assert check.flag(registered) == "due-soon"
    registered.due_delivery = date(2026, 11, 16)
    assert check.flag(registered) == ""
    received = Sample(
        status=SampleStatus.RECEIVED, due_delivery=date(2026, 1, 1), due_report=date(2026, 11, 10)
    )
    assert check.flag(received) == "due-soon"
    assert check.flag(Sample(status=SampleStatus.REPORTED, due_report=date(2020, 1, 1))) == ""
