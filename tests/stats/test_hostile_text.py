"""Text typed by samplers reaches the compliance PDF and the spreadsheets as typed: no
reportlab markup acted on, no spreadsheet formula run (issue 18 §5)."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from labsys.extensions import db
from labsys.models import SampleResult, VerdictValue
from labsys.services import exports

from stats_support import *  # noqa: F403 - the shared fixtures

MARKUP = ('<img src="/etc/passwd"/>', '<a href="http://x">', "<font color=red>", "<b>")


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("hostile", MARKUP)
def test_markup_in_sampler_fields_prints_literally_in_the_compliance_pdf(
    dataset, make_item, hostile
):
    sample = dataset.samples[3]
    sample.food_name = hostile
    sample.visit.sampled_unit.name = hostile
    item = make_item("铅")
    db.session.add(
        SampleResult(
            sample_id=sample.id,
            test_item_id=item.id,
            seq=1,
            item_name=hostile,
            unit=hostile,
            limit_text=hostile,
            measured_text="0.35",
            reported_text=hostile,
            verdict=VerdictValue.FAIL,
            status="accepted",
        )
    )
    db.session.commit()
    data = exports.compliance_pdf(db.session, lab_name=hostile).getvalue()
    text = _flat("".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))
    assert text.count(_flat(hostile)) >= 4  # lab, food, unit, failed item (its parts)
    assert b"/URI" not in data
