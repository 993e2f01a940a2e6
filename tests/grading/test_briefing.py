"""The weekly risk briefing: PDF and XLSX, with hostile enterprise names printed inert."""

import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from labsys.extensions import db
from labsys.models import Role
from labsys.services import briefing, grading

MARKUP = ('<img src="/etc/passwd"/>', '<a href="http://x">', "<font color=red>", "<b>")
TODAY = date(2026, 11, 30)
FORMULAS = ["=1+1", "+1+1", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)", "\t=1", "\r=1"]


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("hostile", MARKUP)
def test_markup_in_an_enterprise_name_prints_literally_in_the_pdf(app, history, make_user, hostile):
    history["producer"].name = hostile
    grading.recompute(db.session, make_user("boss", Role.SUPERVISOR), TODAY)
    db.session.commit()
    data = briefing.briefing_pdf(db.session, hostile, TODAY).getvalue()
    text = _flat("".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))
    assert "风险预警简报" in text
    assert text.count(_flat(hostile)) >= 3  # the lab, the week's change, the top list
    assert b"/URI" not in data


@pytest.mark.parametrize("formula", FORMULAS)
def test_a_formula_in_an_enterprise_name_stays_inert_in_the_xlsx(
    app, history, make_user, formula, tmp_path
):
    history["producer"].name = formula
    grading.recompute(db.session, make_user("boss", Role.SUPERVISOR), TODAY)
    db.session.commit()
    out = tmp_path / "b.xlsx"
    briefing.briefing_xlsx(db.session, out, "实验室", TODAY)
    cells = [c for row in load_workbook(out).active.iter_rows() for c in row if c.value]
    mine = [
        c for c in cells if str(c.value).strip() == formula.strip()
    ]  # \r may be read back as \n
    assert mine and all(c.data_type == "s" for c in mine)


def test_the_briefing_downloads(app, client, history, make_user, login, freeze_clock):
    freeze_clock(TODAY)
    boss = make_user("boss", Role.SUPERVISOR)
    grading.recompute(db.session, boss, TODAY)
    db.session.commit()
    login(boss)
    pdf = client.get("/risk/briefing.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    pdf.close()
    xlsx = client.get("/risk/briefing.xlsx?date=2026-11-30")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    sections = {row[0] for row in sheet.iter_rows(min_row=4, values_only=True)}
    assert {"等级分布", "本周等级变化", "高风险企业"} <= sections
    xlsx.close()
    assert client.get("/risk/briefing.pdf?date=nonsense").status_code == 400
    login(make_user("sam", Role.SAMPLER))
    assert client.get("/risk/briefing.pdf").status_code == 403


def test_the_briefing_leads_with_the_risk_signals(app, history, make_user, monkeypatch):
    """Whatever the signals service ranks first is printed first (its own tests check the
    ranking); names printed as typed."""
    from labsys.services import risk

    found = [briefing.SignalRow("标称生产者", "<b>坏油厂</b>", 4, 3, 9.5, "近3个月3批次不合格")]
    monkeypatch.setattr(briefing, "top_signals", lambda session, day, limit=15: found)
    assert risk.compute_signals  # the service the briefing calls exists
    data = briefing.briefing_data(db.session, "实验室", TODAY)
    assert data.signals == found
    text = "".join(
        page.extract_text()
        for page in PdfReader(briefing.briefing_pdf(db.session, "实验室", TODAY)).pages
    )
    assert "风险信号" in text and "<b>坏油厂</b>" in text and "3/4" in text


def test_the_top_signals_come_from_the_signals_service(app, history):
    rows = briefing.top_signals(db.session, TODAY)
    assert all(isinstance(r, briefing.SignalRow) and r.scope for r in rows)


def test_a_first_grading_that_confirms_the_grade_is_no_change_of_the_week(app, history, make_user):
    """The first recomputation records every enterprise's grading (its score and reasons);
    the week's changes list only the grades that changed."""
    from labsys.models import RiskGrade

    history["producer"].risk_grade = RiskGrade.D  # the register's grade, which the rules give
    db.session.commit()
    done = grading.recompute(db.session, make_user("boss", Role.SUPERVISOR), TODAY)
    db.session.commit()
    data = briefing.briefing_data(db.session, "实验室", TODAY)
    names = [c.name for c in data.changes]
    assert history["producer"].name not in names
    assert len(data.changes) == done.changed
