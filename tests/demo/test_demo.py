"""The demo is a living lab: real rows, consistent with what the services write."""

from datetime import date

import pytest
from sqlalchemy import func, select

from labsys.core import workdays
from labsys.core.judgement import conclude
from labsys.core.rates import pass_rate
from labsys.demo import load_demo
from labsys.demo.generator import KEY_FOOD_RATE, _key_food_counts
from labsys.models import (
    Conclusion,
    InspectionType,
    ResultStatus,
    Sample,
    SampleResult,
    SampleStatus,
    VerdictValue,
)
from labsys.services import audit, calendar
from labsys.services import results as result_service

TODAY = date(2026, 11, 20)


@pytest.fixture
def demo(database_snapshot, db):
    """The demo year, built once per test worker and copied for each test."""
    return database_snapshot(
        "demo",
        lambda: load_demo(db.session, samples=160, seed=7, year=2026, today=TODAY, reports=25),
    )


def test_demo_fills_every_stage_of_the_workflow(demo, db):
    assert demo.samples == 160
    statuses = dict(
        db.session.execute(select(Sample.status, func.count()).group_by(Sample.status)).all()
    )
    assert statuses.get(SampleStatus.CONCLUDED, 0) + statuses[SampleStatus.REPORTED] > 100
    assert 0 < statuses[SampleStatus.REPORTED] <= 25, "the newest concluded samples get reports"
    assert statuses.get(SampleStatus.RECEIVED, 0) + statuses.get(SampleStatus.REGISTERED, 0) > 0, (
        "some samples are still in progress near today"
    )
    assert (
        db.session.scalar(select(func.count()).where(Sample.conclusion == Conclusion.UNQUALIFIED))
        >= 1
    )


def test_issued_reports_are_real_pdfs_dated_in_the_year(demo, db):
    import hashlib

    from labsys.models import Report

    reports = db.session.scalars(select(Report)).all()
    assert reports
    for report in reports[:20]:
        assert report.pdf.startswith(b"%PDF") and hashlib.sha256(report.pdf).hexdigest() == (
            report.sha256
        )
        assert report.issued_at.date() <= TODAY
        assert report.approver_id != report.author_id


def test_unqualified_samples_have_follow_ups(demo, db):
    from labsys.models import Objection, ObjectionStatus, Retest, RetestStatus
    from labsys.models.followup import FollowUp

    unqualified = set(
        db.session.scalars(
            select(Sample.id).where(
                Sample.conclusion == Conclusion.UNQUALIFIED,
                Sample.inspection_type == InspectionType.SUPERVISION,
            )
        )
    )
    # The follow-ups whose conclusion a qualified retest (Art. 35) or an upheld objection
    # (Art. 39) changed since.
    changed = set(
        db.session.scalars(
            select(Retest.sample_id).where(
                Retest.status == RetestStatus.RETESTED, Retest.conclusion == Conclusion.QUALIFIED
            )
        )
    ) | set(
        db.session.scalars(
            select(Objection.sample_id).where(Objection.status == ObjectionStatus.UPHELD)
        )
    )
    # Only supervision samples are followed up (issue #12 §1), every unqualified one.
    followed = set(db.session.scalars(select(FollowUp.sample_id)))
    assert unqualified <= followed and followed - unqualified <= changed
    assert (
        db.session.scalar(
            select(func.count()).select_from(FollowUp).where(FollowUp.notified_on.is_not(None))
        )
        >= 1
    )


def test_every_stored_verdict_is_the_engines(demo, db):
    """Re-judging each stored value with the results service gives the stored row."""
    rows = db.session.scalars(
        select(SampleResult).where(
            SampleResult.measured_text.is_not(None) | SampleResult.unit_values.is_not(None)
        )
    ).all()
    assert rows
    for row in rows:
        units = result_service.units_of(row) if row.unit_values else None
        judged = result_service.judge_values(row, row.measured_text, units)
        assert (judged.verdict, judged.reported_text) == (row.verdict, row.reported_text)


def test_conclusions_follow_the_accepted_verdicts(demo, db):
    from labsys.models import Retest, RetestStatus

    retested = dict(
        db.session.execute(
            select(Retest.sample_id, Retest.conclusion).where(
                Retest.status == RetestStatus.RETESTED
            )
        ).all()
    )
    for sample in db.session.scalars(select(Sample).where(Sample.conclusion.is_not(None))):
        rows = [r for r in sample.results if r.status != ResultStatus.SUPERSEDED]
        assert all(r.status == ResultStatus.ACCEPTED for r in rows)
        assert all(r.reviewed_by_id != r.entered_by_id for r in rows)  # four eyes
        if sample.id in retested:  # the retest lab's conclusion decides (Art. 35)
            assert sample.conclusion == retested[sample.id]
            continue
        assert sample.conclusion == conclude(r.verdict.value for r in rows)
        if sample.conclusion == Conclusion.UNQUALIFIED:
            assert any(r.verdict == VerdictValue.FAIL for r in rows)
            assert sample.due_unqualified_report is not None


def test_dates_follow_the_working_day_calendar(demo, db):
    table = calendar.holiday_table(db.session)
    for sample in db.session.scalars(select(Sample).limit(60)):
        assert workdays.is_workday(sample.sampling_date, table)
        # An online sample's delivery clock starts when its parcel arrives.
        start = sample.visit.parcel_arrival_date or sample.sampling_date
        assert sample.due_delivery == workdays.add_workdays(start, 5, table)
        assert sample.sampling_date <= TODAY


def test_audit_chain_of_the_demo_verifies(demo, db):
    checked, broken = audit.verify_chain(db.session)
    assert broken is None and checked > demo.samples


def test_receipt_through_the_service_freezes_what_the_bulk_path_writes(demo, db):
    """A sample entered and received through the real services gets exactly the frozen rows
    the demo's bulk receipt writes for that food on that date."""
    import random

    from labsys.demo.generator import _Demo
    from labsys.services import receipt, sampling
    from labsys.services.users import get_by_username

    twin = db.session.scalars(
        select(Sample).where(Sample.received_at.is_not(None)).order_by(Sample.id)
    ).first()
    sampler = get_by_username(db.session, "sampler1")
    visit = sampling.create_visit(
        db.session,
        sampler,
        {
            "sampled_unit_id": twin.visit.sampled_unit_id,
            "sampling_date": twin.sampling_date,
            "place": "门店",
            "link": twin.link.value,
            "sampler_ids": [sampler.id, get_by_username(db.session, "sampler2").id],
        },
        [
            {
                "food_name": twin.food_name,
                "category_id": twin.category_id,
                "quantity": "2",
                "quantity_unit": "袋",
                "batch_no": "20261101",
            }
        ],
    )
    sample = visit.samples[0]
    bulk = _Demo(db.session, random.Random(0), 0, 2026, TODAY, lambda *_: None)._templates(
        sample.category, sample.sampling_date
    )
    receipt.receive_sample(
        db.session, get_by_username(db.session, "tech1"), sample, arrived_at=None, seal_state="完好"
    )
    columns = [c for c in bulk[0] if c not in ("status",)]
    assert [{c: getattr(r, c) for c in columns} for r in sample.results] == [
        {c: row[c] for c in columns} for row in bulk
    ]


def test_new_samples_continue_the_demo_numbering(demo, db, app):
    from labsys.services import numbering

    sample = db.session.scalars(select(Sample).order_by(Sample.id.desc())).first()
    name = f"sample:{sample.sampling_date.year}:{sample.region_code}"
    serial = int(sample.sample_no[-5:])
    assert numbering.current_value(db.session, name) >= serial


def test_the_same_seed_gives_the_same_year(app, db):
    first = load_demo(db.session, samples=40, seed=11, year=2026, today=TODAY, reports=0)
    numbers = db.session.scalars(select(Sample.sample_no).order_by(Sample.id)).all()
    verdicts = db.session.scalars(
        select(SampleResult.reported_text).order_by(SampleResult.id)
    ).all()
    db.session.rollback()
    second = load_demo(db.session, samples=40, seed=11, year=2026, today=TODAY, reports=0)
    assert db.session.scalars(select(Sample.sample_no).order_by(Sample.id)).all() == numbers
    assert (
        db.session.scalars(select(SampleResult.reported_text).order_by(SampleResult.id)).all()
        == verdicts
    )
    assert (first.concluded, first.unqualified) == (second.concluded, second.unqualified)


@pytest.mark.parametrize(
    "concluded", [3300, 3301, 3457, 3500, 4999, 6001, 9999, 10_000, 35_000, 62_028]
)
def test_key_food_counts_reach_the_exact_rate(concluded):
    kept, unqualified = _key_food_counts(concluded)
    assert concluded - 50 < kept <= concluded
    assert pass_rate(kept - unqualified, kept) == KEY_FOOD_RATE


def test_report_numbers_follow_the_issue_dates(demo, db):
    from labsys.models import Report

    reports = db.session.scalars(select(Report).order_by(Report.issued_at, Report.id)).all()
    assert [r.report_no for r in reports] == sorted(r.report_no for r in reports)


def test_the_demo_has_plans_of_every_inspection_type(demo, db):
    from labsys.models import FollowUp, Plan

    plans = {kind for (kind,) in db.session.execute(select(Plan.inspection_type))}
    assert plans == set(InspectionType)
    sampled = dict(
        db.session.execute(
            select(Sample.inspection_type, func.count()).group_by(Sample.inspection_type)
        ).all()
    )
    assert set(sampled) == set(InspectionType) and all(sampled.values())
    followed = db.session.scalars(
        select(Sample.inspection_type).join(FollowUp, FollowUp.sample_id == Sample.id).distinct()
    ).all()
    assert set(followed) <= {InspectionType.SUPERVISION}


def test_the_demo_fills_the_national_form_with_some_online_samples(demo, db):
    from labsys.core.form_fields import licence_problem, split_standards, standard_problem
    from labsys.models import Link, SamplingVisit

    samples = db.session.scalars(select(Sample)).all()
    assert all(s.sample_source and s.physical_state and s.packaging for s in samples)
    assert all(s.storage_conditions and s.sampling_method and s.unit_price for s in samples)
    for s in samples:  # what the demo writes passes the form's own checks
        assert all(standard_problem(x, latest_year=2027) is None
                   for x in split_standards(s.product_standard))  # fmt: skip
        assert not s.licence_no or licence_problem(s.licence_no) is None
    assert sum(1 for s in samples if s.licence_no) > len(samples) // 3
    online = db.session.scalars(
        select(SamplingVisit).where(SamplingVisit.link == Link.ONLINE)
    ).all()
    assert online, "some visits are online sampling"
    table = calendar.holiday_table(db.session)
    for visit in online:
        assert visit.online_shop and visit.online_order_no and visit.online_payment_amount
        assert visit.parcel_arrival_date >= visit.sampling_date
        for sample in visit.samples:
            assert sample.due_delivery == workdays.add_workdays(visit.parcel_arrival_date, 5, table)
            if sample.received_at:
                assert visit.parcel_arrival_date <= sample.received_at.date()


def test_the_demo_shows_every_workflow_state(database_snapshot, db):
    """Issue 12 "Done when": the quick start's demo (the default 300 samples and seed) shows
    every state of each Order No. 15 workflow, a disposal with an extension, and risk-
    monitoring problem samples on the risk notice list; the key-food figure stays exactly
    KEY_FOOD_RATE, in the summary the quick start prints and in the pass rates."""
    from labsys.demo.generator import DEFAULT_SAMPLES
    from labsys.models import (
        BackupSample,
        BackupStatus,
        Disposal,
        DisposalExtension,
        DisposalStatus,
        Objection,
        ObjectionStatus,
        Retest,
        RetestStatus,
    )
    from labsys.services import exports, stats

    summary = database_snapshot(
        "demo_default", lambda: load_demo(db.session, samples=DEFAULT_SAMPLES, today=TODAY)
    )
    assert summary.samples == DEFAULT_SAMPLES
    for model, states in (
        (Retest, RetestStatus),
        (Objection, ObjectionStatus),
        (Disposal, DisposalStatus),
        (BackupSample, BackupStatus),
    ):
        shown = set(db.session.scalars(select(model.status).distinct()))
        assert shown == set(states), (model.__name__, set(states) - shown)
    retested = set(
        db.session.scalars(
            select(Retest.conclusion).where(Retest.status == RetestStatus.RETESTED).distinct()
        )
    )
    assert retested == {Conclusion.QUALIFIED, Conclusion.UNQUALIFIED}
    assert db.session.scalar(select(func.count()).select_from(DisposalExtension)) >= 1
    notices = list(exports.risk_notice_records(db.session))
    assert notices, "the risk notice list is empty"
    assert db.session.scalar(
        select(func.count()).where(
            Sample.inspection_type == InspectionType.RISK_MONITORING,
            Sample.conclusion == Conclusion.UNQUALIFIED,
        )
    ) == len(notices)
    assert summary.key_food_rate == KEY_FOOD_RATE
    assert stats.key_food_indicator(db.session).total.rate == KEY_FOOD_RATE


def test_every_demo_enterprise_has_its_grade_explained(demo, db):
    """The demo ends as a supervisor's first recomputation would: every enterprise graded
    by the rules from the year's samples, each grade recorded with its score and reasons
    (the grades page explains every one), dated the demo's today."""
    from labsys.models import Enterprise, GradeChange
    from labsys.services import grading

    enterprises = db.session.scalar(select(func.count()).select_from(Enterprise))
    latest = {
        change.enterprise_id: change
        for change in db.session.scalars(select(GradeChange).order_by(GradeChange.id))
    }
    assert len(latest) == enterprises > 0
    for enterprise in db.session.scalars(select(Enterprise)):
        change = latest[enterprise.id]
        assert change.grade == enterprise.risk_grade and change.score is not None
        assert change.graded_on == TODAY
    assert any(grading.reasons_from_json(c.reasons) for c in latest.values())
    assert demo.extra["graded"] == enterprises
