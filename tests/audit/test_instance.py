"""The instance folder, the SQLite file and the keys are readable by their owner only."""

from __future__ import annotations

import stat

from click.testing import CliRunner

from labsys import create_app
from labsys.cli import main
from labsys.extensions import db

from support import TEST_SECRET


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_creates_an_owner_only_instance(tmp_path):
    instance = tmp_path / "instance"
    app = create_app({"TESTING": True, "SECRET_KEY": TEST_SECRET, "INSTANCE_PATH": str(instance)})
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["init"])
        db.session.remove()
        db.engine.dispose()
    assert result.exit_code == 0, result.output
    assert _mode(instance) == 0o700
    assert _mode(instance / "labsys.sqlite3") == 0o600
    assert _mode(instance / "audit_key") == 0o600
    assert len((instance / "audit_key").read_text().strip()) >= 32


def test_init_tightens_an_existing_instance_folder(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    database = instance / "labsys.sqlite3"
    database.touch(mode=0o644)
    app = create_app({"TESTING": True, "SECRET_KEY": TEST_SECRET, "INSTANCE_PATH": str(instance)})
    with app.app_context():
        assert app.test_cli_runner().invoke(args=["init"]).exit_code == 0
        db.session.remove()
        db.engine.dispose()
    assert (_mode(instance), _mode(database)) == (0o700, 0o600)


def test_secret_key_command_keeps_both_keys_owner_only(tmp_path):
    instance = tmp_path / "fresh"
    result = CliRunner().invoke(
        main, ["secret-key"], env={"LABSYS_INSTANCE_PATH": str(instance), "LABSYS_AUDIT_KEY": ""}
    )
    assert result.exit_code == 0, result.output
    assert "audit key kept in" in result.output
    assert _mode(instance) == 0o700
    assert _mode(instance / "secret_key") == 0o600
    assert _mode(instance / "audit_key") == 0o600
