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


# --- spreadsheets ----------------------------------------------------------------------------

FORMULAS = ["=1+1", "+1+1", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)", "\t=1", "\r=1", "-A1", "-１"]


@pytest.mark.parametrize("formula", FORMULAS)
def test_a_cell_a_spreadsheet_would_run_is_made_inert(formula):
    assert exports.neutralise(formula) == "'" + formula


@pytest.mark.parametrize("data", ["-0.5", "-12", "+3", "1e-3", "-.5", "甲-乙", "a=b", 7, -3, None])
def test_numbers_and_plain_text_are_kept(data):
    assert exports.neutralise(data) == data


def test_hostile_names_are_inert_in_the_samples_csv_and_text_in_the_xlsx(app, dataset, tmp_path):
    from openpyxl import load_workbook

    sample = dataset.samples[0]
    sample.food_name = "-2+3+cmd|' /C calc'!A0"
    db.session.commit()
    runner = app.test_cli_runner()
    out = tmp_path / "s.csv"
    assert (
        runner.invoke(args=["export", "samples", "--format", "csv", "-o", str(out)]).exit_code == 0
    )
    assert "'-2+3+cmd|' /C calc'!A0" in out.read_text("utf-8")
    out = tmp_path / "s.xlsx"
    assert (
        runner.invoke(args=["export", "samples", "--format", "xlsx", "-o", str(out)]).exit_code == 0
    )
    cells = {c.value: c.data_type for row in load_workbook(out).active.iter_rows() for c in row}
    assert cells[sample.food_name] == "s"


def test_the_stats_csv_makes_names_inert(app, dataset):
    import csv

    dataset.flour.parent.parent.parent.name_zh = "=HYPERLINK(1)"
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["stats", "--format", "csv"])
    assert result.exit_code == 0, result.output
    names = [row["name"] for row in csv.DictReader(io.StringIO(result.output))]
    assert "'=HYPERLINK(1)" in names
