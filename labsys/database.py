"""Engine set-up that differs between the embedded SQLite database and PostgreSQL.

SQLite: WAL (readers never wait for the writer), foreign keys on, a busy timeout, and
transactions we begin ourselves.  pysqlite's own transaction handling breaks SAVEPOINT and
starts transactions late; we emit BEGIN on SQLAlchemy's begin event instead.  A request
that may write (anything but GET/HEAD/OPTIONS, and every CLI command) starts with
``BEGIN IMMEDIATE`` so two writers queue on the busy timeout instead of one failing halfway
with "database is locked".
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine

# Whether the transaction about to begin may write.  Read-only web requests set it False.
write_intent: ContextVar[bool] = ContextVar("labsys_write_intent", default=True)


def configure_engine(engine: Engine, busy_timeout_ms: int) -> None:
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, busy_timeout_ms)


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "do_connect")
    def create_private(_dialect, _record, _cargs, _cparams):
        # The database file is created readable by its owner only (SQLite gives its WAL
        # and shared-memory files the same permissions).
        path = engine.url.database
        if path and path != ":memory:" and not path.startswith("file:"):
            _create_private_file(Path(path))

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")


def _create_private_file(path: Path) -> None:
    # A missing folder stays missing: connecting fails with a clear error, as before.
    if path.exists() or not path.parent.is_dir():
        return
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


def is_postgres(session) -> bool:
    return session.get_bind().dialect.name == "postgresql"
