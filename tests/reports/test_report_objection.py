"""An objection upheld by correcting the conclusion (SAMR Order No. 15 (2019) Art. 39): a
corrected report supersedes the issued one, names the objection, and is signed."""

from __future__ import annotations

import pytest

from labsys.core import clock
from labsys.extensions import db
from labsys.models import ObjectionEffect, ObjectionStatus, ReportStatus
from labsys.services import PermissionDenied, followup, objections, reports

from reports_support import CADMIUM, accepted_objection
from support import signed

BASE = "https://lims.example.cn"


@pytest.fixture
def objection(concluded_sample, boss):
    sample = concluded_sample(items=(CADMIUM,))
    reports.issue_report(
        db.session, boss, sample, base_url=BASE, signature=signed(boss, "approval")
    )
    today = clock.today()
    record = followup.open_followup(db.session, sample, boss)
    followup.record_notification(db.session, boss, record, today)
    db.session.commit()
    return accepted_objection(sample, boss)


def test_an_upheld_objection_corrects_the_conclusion_by_a_superseding_report(objection, boss):
    first = reports._current_report(db.session, objection.sample)
    objections.uphold_objection(
        db.session,
        boss,
        objection,
        outcome_on=clock.today(),
        note="判定依据应为现行版本",
        effect=ObjectionEffect.CORRECTED,
        base_url=BASE,
        signature=signed(boss, "approval"),
    )
    db.session.commit()
    corrected = objection.report
    assert (
        objection.status == ObjectionStatus.UPHELD and objection.effect is ObjectionEffect.CORRECTED
    )
    assert (first.status, first.superseded_by_id) == (ReportStatus.SUPERSEDED, corrected.id)
    assert corrected.replaces_id == first.id and "异议成立" in corrected.correction_reason


def test_the_corrected_report_is_signed_or_nothing_changes(objection, boss):
    first = reports._current_report(db.session, objection.sample)
    with pytest.raises(PermissionDenied):
        objections.uphold_objection(
            db.session,
            boss,
            objection,
            outcome_on=clock.today(),
            note="x",
            effect=ObjectionEffect.CORRECTED,
            base_url=BASE,
        )
    assert objection.status == ObjectionStatus.ACCEPTED and objection.report_id is None
    assert first.status == ReportStatus.ISSUED
