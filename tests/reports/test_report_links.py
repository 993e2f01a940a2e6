"""Issue 20: links printed on reports work on the quick-start install — the same default
as the server when BASE_URL is unset, and the configured base (``make run PORT=…``) for
the demo's reports."""

from __future__ import annotations

from sqlalchemy import select

from labsys.demo import load_demo
from labsys.extensions import db
from labsys.models import Report

from reports_support import decode_qr
from support import PASSWORD


def test_report_issue_works_without_base_url(app, concluded_sample, boss, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "")
    sample = concluded_sample()
    result = app.test_cli_runner().invoke(
        args=["report", "issue", sample.sample_no, "--as", "boss"], input=PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    report = db.session.scalars(select(Report)).one()
    assert decode_qr(report.pdf) == f"http://127.0.0.1:8000/verify/{report.verify_token}"


def test_demo_reports_link_to_the_configured_base(app, monkeypatch):
    from datetime import date

    monkeypatch.setitem(app.config, "BASE_URL", "http://127.0.0.1:8123")
    load_demo(db.session, samples=30, seed=3, year=2026, today=date(2026, 11, 20), reports=1)
    db.session.commit()
    report = db.session.scalars(select(Report)).first()
    assert decode_qr(report.pdf) == f"http://127.0.0.1:8123/verify/{report.verify_token}"
