"""``labsys stats`` and ``labsys export`` only read: on SQLite they must not hold the write
lock while they run (issue #19 §2), or web saves and logins fail with "database is locked"
for as long as an export takes."""

from __future__ import annotations

import sqlite3

import pytest

from labsys.database import write_intent
from labsys.extensions import db
from labsys.services import exports, stats

from stats_support import *  # noqa: F403 - the shared fixtures


@pytest.fixture
def sqlite_path(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's database lock (PostgreSQL readers never lock out writers)")
    return db.engine.url.database


@pytest.fixture
def as_the_cli():
    """The CLI's own default: transactions begin BEGIN IMMEDIATE (the test fixtures read
    with a deferred BEGIN)."""
    token = write_intent.set(True)
    yield
    write_intent.reset(token)


def write_from_another_connection(path: str) -> str:
    """What a web request saving something does, without waiting for the lock: "ok", or
    SQLite's error."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE labs SET name = name")
        other.execute("COMMIT")
        return "ok"
    except sqlite3.OperationalError as error:
        return str(error)
    finally:
        other.close()


def test_an_export_midway_leaves_the_database_writable(
    app, tmp_path, dataset, sqlite_path, as_the_cli, monkeypatch
):
    seen = []
    csv_chunks = exports.csv_chunks

    def write_and_meanwhile_save(header, rows, *args, **options):
        def rows_then_a_save():
            for number, row in enumerate(rows):
                if number == 1:  # the export's transaction is open and reading
                    seen.append(write_from_another_connection(sqlite_path))
                yield row

        return csv_chunks(header, rows_then_a_save(), *args, **options)

    monkeypatch.setattr(exports, "csv_chunks", write_and_meanwhile_save)
    target = tmp_path / "samples.csv"
    result = app.test_cli_runner().invoke(
        args=["export", "samples", "--format", "csv", "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert seen == ["ok"]
    assert len(target.read_text(encoding="utf-8").splitlines()) > 2  # the export went on


def test_stats_leaves_the_database_writable_while_it_reads(
    app, dataset, sqlite_path, as_the_cli, monkeypatch
):
    seen = []
    stats_json = stats.stats_json

    def stats_then_a_save(session, **kwargs):
        data = stats_json(session, **kwargs)
        assert db.session().in_transaction()  # still inside the command's read
        seen.append(write_from_another_connection(sqlite_path))
        return data

    monkeypatch.setattr(stats, "stats_json", stats_then_a_save)
    result = app.test_cli_runner().invoke(args=["stats", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert seen == ["ok"]


def test_a_writing_command_still_takes_the_lock_first(app, sqlite_path, as_the_cli):
    """The other side: a command that writes begins IMMEDIATE (two writers queue rather
    than one failing halfway), so a concurrent writer is refused while it is open."""
    db.session.rollback()
    db.session.connection()  # begins the way a writing command's transaction does
    try:
        assert "locked" in write_from_another_connection(sqlite_path)
    finally:
        db.session.rollback()
