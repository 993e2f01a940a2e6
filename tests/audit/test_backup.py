"""`labsys backup` while people work, `labsys restore` into a fresh database: nothing lost,
and the restored trail, reports and results verify.  On SQLite and on PostgreSQL."""

from __future__ import annotations

import contextvars
import json
import tarfile
import threading
import uuid

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from labsys import create_app
from labsys.extensions import db as _db
from labsys.models import AuditEntry, Report, Role, User
from labsys.services import anchor, users
from labsys.services.access import SYSTEM

from audit_support import BASE_URL, Lab, run_cli
from support import TEST_SECRET


@pytest.fixture
def lab(app, make_user, make_sample, make_item, make_category):
    return Lab(make_user, make_sample, make_item, make_category)


@pytest.fixture
def fresh_database(database_url, tmp_path):
    """The URL of a new, empty database of the same kind as the test database."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    name = f"labsys_restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture
def second_app(app, fresh_database, tmp_path):
    """Another installation on the fresh database, holding the same audit key (kept apart
    from backups, as the README says)."""
    other = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": TEST_SECRET,
            "DATABASE_URL": fresh_database,
            "INSTANCE_PATH": str(tmp_path / "restored-instance"),
            "BASE_URL": BASE_URL,
            "AUDIT_KEY": anchor.current_key().secret.decode(),
        }
    )
    yield other
    with other.app_context():
        _db.session.remove()
        _db.engine.dispose()


class Writer(threading.Thread):
    """Someone working through the services (audited writes) until told to stop."""

    def __init__(self, app):
        super().__init__(daemon=True)
        self.app, self.stop, self.written, self.error = app, threading.Event(), 0, None

    def run(self):
        try:
            with self.app.app_context():
                while not self.stop.is_set() or self.written < 5:
                    users.create_user(
                        _db.session,
                        SYSTEM,
                        username=f"w{self.written}",
                        password="pass-word-9",
                        roles=[Role.SAMPLER],
                    )
                    _db.session.commit()
                    self.written += 1
                _db.session.remove()
        except Exception as error:  # pragma: no cover - reported by the test
            self.error = error


def _counts(session) -> dict:
    return {
        "reports": dict(session.execute(select(Report.report_no, Report.sha256)).all()),
        "users": session.scalar(select(func.count()).select_from(User)),
        "audit": session.scalar(select(func.count()).select_from(AuditEntry)),
    }


def test_backup_while_writing_then_restore_loses_nothing(app, db, lab, second_app, tmp_path):
    for value in ("0.05", "0.31", "0.12"):
        lab.reported_sample(value)
    db.session.rollback()
    writer = Writer(app)
    contextvars.Context().run(writer.start)  # the thread must not share the test's context
    while writer.written < 3:
        writer.join(0.05)
    before = _counts(db.session)
    db.session.rollback()
    archive = tmp_path / "labsys-backup.tar.gz"
    result = run_cli(app, "backup", "-o", str(archive))
    writer.stop.set()
    writer.join(60)
    assert writer.error is None and not writer.is_alive()
    assert result.exit_code == 0, result.output
    assert writer.written > 3, "the writer kept writing during the backup"
    assert archive.stat().st_mode & 0o777 == 0o600

    manifest = _manifest(archive)
    assert manifest["counts"]["users"] >= before["users"]
    assert manifest["audit_head"]["seq"] == manifest["counts"]["audit_log"]

    restored = _run_in(second_app, "restore", str(archive))
    assert restored.exit_code == 0, restored.output
    assert "verified: audit trail intact" in restored.output
    assert "3 report hashes" in restored.output
    with second_app.app_context():
        after = _counts(_db.session)
        _db.session.remove()
    assert after["reports"] == before["reports"]  # every report, with its hash
    assert after["users"] == manifest["counts"]["users"] >= before["users"]
    assert after["audit"] == manifest["counts"]["audit_log"] >= before["audit"]
    verify = _run_in(second_app, "audit", "verify")
    assert verify.exit_code == 0, verify.output


def test_the_archive_holds_a_manifest_with_every_members_hash(app, db, lab, tmp_path):
    lab.reported_sample()
    attachments = tmp_path / "attachments"
    (attachments / "2026").mkdir(parents=True)
    (attachments / "2026" / "scan.pdf").write_bytes(b"%PDF scan")
    app.config["ATTACHMENTS_DIR"] = str(attachments)
    try:
        result = run_cli(app, "backup", "-o", str(tmp_path / "b.tar.gz"))
    finally:
        app.config["ATTACHMENTS_DIR"] = None
    assert result.exit_code == 0, result.output
    manifest = _manifest(tmp_path / "b.tar.gz")
    database = "database.pgdump" if db.engine.dialect.name == "postgresql" else "database.sqlite3"
    assert set(manifest["members"]) == {
        database,
        "audit_checkpoint.json",
        "attachments/2026/scan.pdf",
    }
    assert manifest["versions"]["schema"] and manifest["versions"]["labsys"]
    assert manifest["counts"]["reports"] == 1
    with tarfile.open(tmp_path / "b.tar.gz") as archive:
        checkpoint = anchor.parse_checkpoint(archive.extractfile("audit_checkpoint.json").read())
    assert (checkpoint.seq, checkpoint.head_hash) == (
        manifest["audit_head"]["seq"],
        manifest["audit_head"]["hash"],
    )


def test_restore_refuses_a_database_that_is_not_empty(app, db, lab, tmp_path):
    lab.reported_sample()
    archive = tmp_path / "b.tar.gz"
    assert run_cli(app, "backup", "-o", str(archive)).exit_code == 0
    users_before = db.session.scalar(select(func.count()).select_from(User))
    db.session.rollback()
    result = run_cli(app, "restore", str(archive))
    assert result.exit_code == 1
    assert "is not empty" in result.output and "new, empty database" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == users_before


def test_restore_refuses_a_damaged_archive(app, db, lab, second_app, tmp_path):
    lab.reported_sample()
    archive = tmp_path / "b.tar.gz"
    assert run_cli(app, "backup", "-o", str(archive)).exit_code == 0
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == "audit_checkpoint.json":
                data = data.replace(b'"seq": ', b'"seq": 1')
                member.size = len(data)
            target.addfile(member, __import__("io").BytesIO(data))
    result = _run_in(second_app, "restore", str(damaged))
    assert result.exit_code == 1
    assert "damaged" in result.output


def _run_in(other_app, *args):
    """A command of the other installation (Flask's CLI reuses an app context already
    pushed, so push the other app's own)."""
    with other_app.app_context():
        result = other_app.test_cli_runner().invoke(args=list(args))
        _db.session.remove()
    return result


def _manifest(archive) -> dict:
    with tarfile.open(archive) as opened:
        return json.loads(opened.extractfile("manifest.json").read())


def test_attachments_survive_a_backup_and_restore(app, db, lab, second_app, tmp_path, monkeypatch):
    """Photos stored through the attachment service come back with their rows, and the
    restored store still proves each file by its SHA-256 (the audit trail verifies too)."""
    import io

    from PIL import Image

    from labsys.models import Attachment
    from labsys.services import attachments

    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", str(tmp_path / "attachments"))
    lab.reported_sample()  # a report too, whose hash the restore verifies
    # Files go on a sample not yet reported (a reported one's files are locked, issue 18 §2).
    sample = lab.make_sample(
        lab.category,
        [{"test_item": lab.lead, "limit_text": "≤0.2", "judgement_basis": "GB 2762-2022"}],
    )
    photo = io.BytesIO()
    Image.new("RGB", (64, 48), (1, 2, 3)).save(photo, "PNG")
    scan = b"%PDF-1.4\n%signed sampling form\n%%EOF\n"
    stored = [
        attachments.attach(
            db.session,
            lab.tech,
            entity="sample",
            entity_id=sample.id,
            kind=kind,
            filename=name,
            stream=io.BytesIO(data),
        )  # fmt: skip
        for kind, name, data in (
            ("unboxing", "开箱.png", photo.getvalue()),
            ("signed_form", "抽样单签字.pdf", scan),
        )
    ]
    db.session.commit()
    expected = {(a.filename, a.sha256, a.size) for a in stored}
    archive = tmp_path / "b.tar.gz"
    result = run_cli(app, "backup", "-o", str(archive))
    assert result.exit_code == 0, result.output
    members = set(_manifest(archive)["members"])
    assert {f"attachments/{a.sha256[:2]}/{a.sha256}" for a in stored} <= members

    restored = _run_in(second_app, "restore", str(archive))
    assert restored.exit_code == 0, restored.output
    with second_app.app_context():
        rows = _db.session.scalars(select(Attachment)).all()
        assert {(a.filename, a.sha256, a.size) for a in rows} == expected
        for row in rows:  # each file is back, unchanged, in the new instance's store
            path = attachments.verified_path(row)
            assert path.is_relative_to(second_app.instance_path)
        _db.session.remove()
    verify = _run_in(second_app, "audit", "verify")
    assert verify.exit_code == 0, verify.output
