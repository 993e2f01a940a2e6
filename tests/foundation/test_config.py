"""Settings sources and start-up refusals."""

import pytest

from labsys import create_app
from labsys.config import ConfigurationError


def test_refuses_to_start_without_a_long_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("LABSYS_SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app({"INSTANCE_PATH": str(tmp_path)})
    with pytest.raises(ConfigurationError):
        create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "short"})


def test_testing_mode_starts_without_a_key(tmp_path):
    assert create_app({"INSTANCE_PATH": str(tmp_path), "TESTING": True}).testing


def test_sources_in_order_defaults_instance_file_environment(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text(
        'LAB_NAME = "从配置文件"\nPAGE_SIZE = 20\nSECRET_KEY = "k" * 40\n', encoding="utf-8"
    )
    monkeypatch.setenv("LABSYS_PAGE_SIZE", "30")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["LAB_NAME"] == "从配置文件"  # instance file over default
    assert app.config["PAGE_SIZE"] == 30  # environment over instance file, parsed as int


def test_database_url_from_environment_and_sqlite_default(tmp_path, monkeypatch):
    monkeypatch.setenv("LABSYS_SECRET_KEY", "x" * 40)
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'labsys.sqlite3'}"
    monkeypatch.setenv("LABSYS_DATABASE_URL", "postgresql+psycopg://u@h/db")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


def test_creating_the_app_never_touches_the_database(tmp_path, monkeypatch):
    monkeypatch.setenv("LABSYS_SECRET_KEY", "x" * 40)
    create_app({"INSTANCE_PATH": str(tmp_path)})
    assert not (tmp_path / "labsys.sqlite3").exists()


def test_secret_key_kept_in_instance_folder_is_used(tmp_path, monkeypatch):
    from labsys.config import ensure_secret_key

    monkeypatch.delenv("LABSYS_SECRET_KEY", raising=False)
    key = ensure_secret_key(tmp_path)
    assert len(key) >= 32 and ensure_secret_key(tmp_path) == key
    assert create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"] == key


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(tmp_path):
    """The embedded database's connection settings (on a SQLite file of its own, whatever
    database the suite runs on)."""
    from labsys.extensions import db

    app = create_app({"INSTANCE_PATH": str(tmp_path), "TESTING": True})
    with app.app_context(), db.engine.connect() as connection:
        pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") == 30_000
    with app.app_context():
        db.engine.dispose()
