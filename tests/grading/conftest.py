"""Fixtures of the risk grade tests: a crafted sampling history."""

from datetime import date

import pytest

from labsys.extensions import db
from labsys.models import Conclusion, HazardClass, ResultStatus, SampleStatus, VerdictValue

TODAY = date(2026, 11, 30)


@pytest.fixture
def history(make_category, make_item, make_enterprise, make_sample, make_user):
    """A producer with two unqualified batches in 12 months (an illegal additive, an acid
    value), one older unqualified batch and one voided; a clean unit sampled long ago."""
    category = make_category("食用油、油脂及其制品", "食用植物油")
    additive = make_item("苏丹红I")
    additive.hazard_class = HazardClass.ILLEGAL_ADDITIVE
    acid = make_item("酸价")
    acid.hazard_class = HazardClass.QUALITY_INDICATOR
    producer = make_enterprise("<b>坏油厂</b>", licence_no="SC10244010600015")

    def batch(day, item=None, *, conclusion=Conclusion.UNQUALIFIED, **fields):
        sample = make_sample(
            category,
            [{"test_item": item}] if item else [],
            sampling_date=day,
            producer_id=producer.id,
            **fields,
        )
        sample.conclusion = conclusion
        for row in sample.results:
            row.verdict = VerdictValue.FAIL
            row.status = ResultStatus.ACCEPTED
        db.session.commit()
        return sample

    batch(date(2026, 3, 1), additive)
    batch(date(2026, 1, 5), acid)
    batch(date(2025, 10, 1), additive)  # outside the 12 months
    voided = batch(date(2026, 9, 1), additive)
    voided.status = SampleStatus.VOIDED
    clean = batch(date(2024, 6, 1), conclusion=Conclusion.QUALIFIED)
    db.session.commit()
    return {"producer": producer, "unit": clean.visit.sampled_unit}
