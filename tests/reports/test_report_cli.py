"""``labsys report issue`` and ``labsys report pdf``."""

from __future__ import annotations

import hashlib
import io
import zipfile

from sqlalchemy import select

from labsys.extensions import db
from labsys.models import Report

from support import PASSWORD


def test_issue_then_write_the_stored_pdf(app, concluded_sample, make_sample, flour, boss, tmp_path):
    ready = [concluded_sample(), concluded_sample()]
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["report", "issue", ready[0].sample_no, ready[1].sample_no, "--as", "boss"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    reports = db.session.scalars(select(Report).order_by(Report.id)).all()
    assert [r.sample_id for r in reports] == [ready[0].id, ready[1].id]
    assert f"{ready[0].sample_no}\t{reports[0].report_no}" in result.output
    assert "2 issued, 0 failed" in result.output

    target = tmp_path / "out.pdf"
    result = runner.invoke(args=["report", "pdf", reports[1].report_no, "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == reports[1].pdf
    assert hashlib.sha256(target.read_bytes()).hexdigest() == reports[1].sha256

    archive = tmp_path / "all.zip"
    result = runner.invoke(
        args=["report", "zip", *[r.report_no for r in reports], "-o", str(archive)]
    )
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(io.BytesIO(archive.read_bytes())) as z:
        assert z.read(f"{reports[0].report_no}.pdf") == reports[0].pdf


def test_issue_lists_what_it_could_not_issue_and_fails(
    app, concluded_sample, make_sample, flour, boss
):
    good, not_ready = concluded_sample(), make_sample(flour)
    result = app.test_cli_runner().invoke(
        args=["report", "issue", good.sample_no, not_ready.sample_no, "--as", "boss"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 1
    assert f"{not_ready.sample_no}\tNOT ISSUED" in result.output
    assert db.session.scalar(select(Report).where(Report.sample_id == good.id)) is not None


def test_unknown_user_sample_or_report_is_an_error(app, concluded_sample, boss, tmp_path):
    runner = app.test_cli_runner()
    sample = concluded_sample()
    assert (
        runner.invoke(args=["report", "issue", sample.sample_no, "--as", "nobody"]).exit_code == 1
    )
    result = runner.invoke(args=["report", "issue", "NOPE", "--as", "boss"], input=PASSWORD + "\n")
    assert result.exit_code == 1 and "NOPE" in result.output
    result = runner.invoke(args=["report", "pdf", "JC-NONE", "-o", str(tmp_path / "x.pdf")])
    assert result.exit_code == 1 and "JC-NONE" in result.output


def test_issuing_signs_with_the_approvers_password_read_once(app, concluded_sample, boss):
    """21 CFR Part 11 §11.200: the CLI issues as the named user, who re-enters their
    password (standard input or a prompt); a wrong one issues nothing and is audited."""
    from labsys.models import AuditEntry

    samples = [concluded_sample(), concluded_sample()]
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["report", "issue", *[s.sample_no for s in samples], "--as", "boss"],
        input="not-the-password-1\n",
    )
    assert result.exit_code == 1 and "password is wrong" in result.output
    assert db.session.scalar(select(Report)) is None
    refused = db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "access", AuditEntry.action == "refused")
    ).one()
    assert refused.user_id == boss.id and "labsys report issue" in refused.new_values
    result = runner.invoke(
        args=["report", "issue", *[s.sample_no for s in samples], "--as", "boss"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    issued = db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "report", AuditEntry.action == "issue")
    ).all()
    assert len(issued) == 2 and all('"signed":"approval"' in e.new_values for e in issued)
