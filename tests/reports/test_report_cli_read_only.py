"""``labsys report pdf`` and ``report zip`` only read: on SQLite a web save commits while
they run (issue #19 §2)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from labsys.database import write_intent
from labsys.extensions import db
from labsys.models import Report
from labsys.services import reports

from support import PASSWORD, write_from_another_connection


@pytest.mark.parametrize("command", ["pdf", "zip"])
def test_report_pdf_and_zip_leave_the_database_writable(
    app, concluded_sample, boss, tmp_path, monkeypatch, command
):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's database lock (PostgreSQL readers never lock out writers)")
    sample = concluded_sample()
    runner = app.test_cli_runner()
    issued = runner.invoke(
        args=["report", "issue", sample.sample_no, "--as", "boss"], input=PASSWORD + "\n"
    )
    assert issued.exit_code == 0, issued.output
    report_no = db.session.scalar(select(Report.report_no))
    db.session.rollback()
    seen = []
    get_by_no = reports.get_by_no

    def read_then_save(session, number):
        report = get_by_no(session, number)
        seen.append(write_from_another_connection(db.engine.url.database))
        return report

    monkeypatch.setattr(reports, "get_by_no", read_then_save)
    token = write_intent.set(True)  # the CLI's default: BEGIN IMMEDIATE
    try:
        result = runner.invoke(args=["report", command, report_no, "-o", str(tmp_path / "out")])
    finally:
        write_intent.reset(token)
    assert result.exit_code == 0, result.output
    assert seen == ["ok"]
