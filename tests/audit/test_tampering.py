"""`labsys audit verify` detects every way of tampering with the trail or the data behind
it: edits even when re-chained, deleted newest rows, an emptied trail, and data that no
longer agrees with the trail (report hashes, result values)."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import func, select

from labsys.models import AuditEntry, Report, SampleResult
from labsys.services import anchor, audit, integrity

from audit_support import Lab, run_cli, tamper


@pytest.fixture
def lab(app, make_user, make_sample, make_item, make_category):
    return Lab(make_user, make_sample, make_item, make_category)


@pytest.fixture
def reported(lab):
    """Two reported samples: every kind of entry a lab writes, checkpointed on commit."""
    return [lab.reported_sample("0.05"), lab.reported_sample("0.12")]


def _verify(app):
    return run_cli(app, "audit", "verify")


def _entries(db):
    return db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()


def test_a_clean_lab_verifies_with_its_reports_and_results(app, reported):
    result = _verify(app)
    assert result.exit_code == 0, result.output
    assert "2 reports and 2 results agree with the trail" in result.output
    assert "anchored by the signed checkpoint of" in result.output


def test_an_edited_row_is_detected_even_when_the_whole_chain_is_recomputed(app, db, reported):
    """The attacker edits a row and recomputes every later hash with plain SHA-256 (all they
    can do without the audit key); the chain links up again, the keys do not."""
    rows = _entries(db)
    victim = rows[3]
    prev = victim.prev_hash
    for row in rows[3:]:
        reason = "forged" if row.id == victim.id else row.reason
        fields = dict(
            prev_hash=prev, at=row.at, user_id=row.user_id, entity=row.entity,
            entity_id=row.entity_id, action=row.action, old_values=row.old_values,
            new_values=row.new_values, reason=reason,
        )  # fmt: skip
        new_hash = audit._hash(**fields)
        tamper(
            "UPDATE audit_log SET reason = :reason, prev_hash = :prev, row_hash = :hash, "
            "key_id = NULL WHERE id = :id",
            reason=reason, prev=prev, hash=new_hash, id=row.id,
        )  # fmt: skip
        prev = new_hash
    result = _verify(app)
    assert result.exit_code == 1
    assert f"entry {victim.id}" in result.output
    assert "unkeyed entry after the keyed chain began" in result.output


def test_an_edited_row_rehashed_with_a_guessed_key_is_detected(app, db, reported):
    rows = _entries(db)
    victim = rows[2]
    tamper("UPDATE audit_log SET new_values = :v WHERE id = :id", v='{"x":1}', id=victim.id)
    result = _verify(app)
    assert result.exit_code == 1
    assert f"BROKEN at entry {victim.id}: content does not match its hash" in result.output


def test_deleting_the_newest_rows_is_detected_by_the_checkpoint(app, db, reported):
    count = db.session.scalar(select(func.count()).select_from(AuditEntry))
    newest = _entries(db)[-3].id
    tamper("DELETE FROM audit_log WHERE id >= :id", id=newest)
    # What is left is a perfectly chained trail: only the checkpoint knows it was longer.
    assert audit.verify_chain(db.session)[1] is None
    result = _verify(app)
    assert result.exit_code == 1
    assert f"({count - 3} entries in all, {count} at the checkpoint)" in result.output
    assert "newest entries were deleted" in result.output


def test_an_emptied_trail_is_detected(app, db, reported):
    tamper("DELETE FROM audit_log")
    result = _verify(app)
    assert result.exit_code == 1
    assert "ends after 0 entries" in result.output


def test_an_emptied_trail_is_detected_even_after_new_work(app, db, lab, reported):
    """The app goes on writing after the trail was emptied: the old checkpoint is kept as
    evidence (never overwritten by a head that does not extend it)."""
    kept = anchor.read_checkpoint()
    tamper("DELETE FROM audit_log")
    for _ in range(4):
        lab.reported_sample()
    assert anchor.read_checkpoint() == kept
    result = _verify(app)
    assert result.exit_code == 1
    assert "differs from the checkpoint" in result.output or "ends after" in result.output


def test_a_deleted_checkpoint_file_is_reported(app, reported):
    anchor.checkpoint_path().unlink()
    result = _verify(app)
    assert result.exit_code == 1
    assert "no audit checkpoint" in result.output


def test_a_forged_checkpoint_is_refused(app, db, reported):
    path = anchor.checkpoint_path()
    data = json.loads(path.read_text())
    data["seq"] = 3
    path.write_text(json.dumps(data))
    result = _verify(app)
    assert result.exit_code == 1
    assert "not signed by a configured audit key" in result.output


def test_a_changed_report_hash_is_detected(app, db, reported):
    report = reported[1]
    forged = hashlib.sha256(b"another pdf").hexdigest()
    tamper("UPDATE reports SET sha256 = :h WHERE id = :id", h=forged, id=report.id)
    result = _verify(app)
    assert result.exit_code == 1
    assert f"report {report.report_no}" in result.output
    assert "recorded when it was issued" in result.output


def test_a_replaced_report_pdf_is_detected(app, db, reported):
    report = reported[0]
    tamper("UPDATE reports SET pdf = :pdf WHERE id = :id", pdf=b"%PDF-1.4 forged", id=report.id)
    result = _verify(app)
    assert result.exit_code == 1
    assert f"report {report.report_no}: the stored PDF does not match" in result.output


def test_a_result_value_changed_behind_the_trail_is_detected(app, db, reported):
    result_id = db.session.scalar(select(SampleResult.id).order_by(SampleResult.id))
    tamper("UPDATE sample_results SET measured_text = '0.01' WHERE id = :id", id=result_id)
    result = _verify(app)
    assert result.exit_code == 1
    assert f"result {result_id}: value “0.01” differs from “0.05”" in result.output


def test_a_result_verdict_changed_behind_the_trail_is_detected(app, db, reported):
    result_id = db.session.scalar(select(SampleResult.id).order_by(SampleResult.id))
    tamper("UPDATE sample_results SET verdict = 'fail' WHERE id = :id", id=result_id)
    outcome = integrity.verify(db.session)
    assert not outcome.intact
    assert f"result {result_id}: verdict fail differs" in outcome.problems[0]


def test_a_row_signed_with_an_unknown_key_is_named(app, db, reported, monkeypatch):
    monkeypatch.setitem(app.config, "AUDIT_KEY", "k" * 40)
    result = _verify(app)
    assert result.exit_code == 1
    assert "which is not configured" in result.output


def test_a_rotated_key_still_verifies_the_rows_it_signed(app, db, lab, reported, monkeypatch):
    old = anchor.current_key().secret.decode()
    monkeypatch.setitem(app.config, "AUDIT_KEY", "n" * 40)
    monkeypatch.setitem(app.config, "AUDIT_PREVIOUS_KEYS", [old])
    lab.reported_sample()  # rows under the new key, after rows under the old one
    keys = {row.key_id for row in _entries(db)}
    assert len(keys) == 2
    assert _verify(app).exit_code == 0


def test_the_checkpoint_command_prints_the_signed_head(app, db, reported):
    result = run_cli(app, "audit", "checkpoint")
    assert result.exit_code == 0, result.output
    count = db.session.scalar(select(func.count()).select_from(AuditEntry))
    assert f'"seq": {count}' in result.output
    head = db.session.scalar(select(AuditEntry.row_hash).order_by(AuditEntry.id.desc()))
    assert head in result.output


def test_every_report_row_is_checked(db, reported):
    outcome = integrity.verify(db.session)
    assert outcome.intact, outcome.problems
    assert outcome.reports == db.session.scalar(select(func.count()).select_from(Report))


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET reason = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log CASCADE"],
)
def test_postgresql_refuses_changes_to_the_trail(db, reported, statement):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's (SQLite has no roles to protect)")
    from sqlalchemy import text
    from sqlalchemy.exc import ProgrammingError

    count = db.session.scalar(select(func.count()).select_from(AuditEntry))
    with pytest.raises(ProgrammingError, match="audit_log is append-only"):
        db.session.execute(text(statement))
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == count
