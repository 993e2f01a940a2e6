"""Only supervision samples (监督抽检) have Order No. 15's follow-up rights (issue 12 §1):
an objection (Art. 37) or a disposal (Art. 45) about a risk-monitoring (风险监测) or
evaluation (评价性抽检) sample is refused, naming the article, and nothing is recorded;
the same sample as supervision is accepted (the refusal is the type's, not the data's)."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from labsys.extensions import db
from labsys.models import (
    Applicant,
    AuditEntry,
    Conclusion,
    Disposal,
    InspectionType,
    Objection,
    ObjectionKind,
    Report,
    ReportStatus,
)
from labsys.models.report import parties_of
from labsys.services import ServiceError, disposals, followup, objections

from stats_support import *  # noqa: F403 - the shared fixtures

NOTIFIED = date(2026, 3, 2)


@pytest.fixture
def reported(dataset, supervisor):
    """The unqualified 通用小麦粉 sample, concluded 1 March, its unqualified report issued,
    the sampled unit notified on 2 March."""
    sample = dataset.samples[3]
    sample.concluded_at = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    db.session.add(
        Report(
            report_no=f"R-{secrets.token_hex(4)}",
            sample_id=sample.id,
            status=ReportStatus.ISSUED,
            food_name=sample.food_name,
            **parties_of(sample),
            conclusion=Conclusion.UNQUALIFIED,
            author_id=supervisor.id,
            approver_id=supervisor.id,
            issued_at=datetime(2026, 3, 1, 3, tzinfo=UTC),
            pdf=b"%PDF",
            sha256="0" * 64,
            verify_token=secrets.token_urlsafe(32),
        )
    )
    record = followup.open_followup(db.session, sample, supervisor)
    followup.record_notification(db.session, supervisor, record, NOTIFIED)
    db.session.commit()
    return sample


def _object(sample, actor):
    return objections.file_objection(
        db.session,
        actor,
        sample,
        kind=ObjectionKind.TEST_METHOD,
        applicant=Applicant.PRODUCER,
        applicant_name="某面粉厂",
        grounds="检验方法不适用",
        filed_on=date(2026, 3, 4),
    )


def _receive(sample, actor):
    return disposals.record_conclusion_received(
        db.session, actor, sample, received_on=date(2026, 3, 3)
    )


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


STEPS = [
    ("objection", _object, Objection, "第三十七条"),
    ("disposal", _receive, Disposal, "第四十五条"),
]


@pytest.mark.parametrize(
    "kind", [InspectionType.RISK_MONITORING, InspectionType.EVALUATION], ids=str
)
@pytest.mark.parametrize(("step", "run", "model", "article"), STEPS, ids=[s[0] for s in STEPS])
def test_no_objection_nor_disposal_outside_supervision(
    reported, supervisor, kind, step, run, model, article
):
    reported.inspection_type = kind
    db.session.commit()
    before, trail = _count(model), _count(AuditEntry)
    with pytest.raises(ServiceError) as refused:
        run(reported, supervisor)
    assert article in refused.value.message, refused.value.message
    assert "监督抽检" in refused.value.message
    db.session.rollback()
    assert (_count(model), _count(AuditEntry)) == (before, trail)

    reported.inspection_type = InspectionType.SUPERVISION  # the same sample, supervised
    db.session.commit()
    run(reported, supervisor)
    db.session.commit()
    assert _count(model) == before + 1
