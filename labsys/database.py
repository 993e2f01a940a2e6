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
    elif engine.dialect.name == "postgresql":
        from labsys.models.search import decide_on

        decide_on(engine)  # 1-2 character searches by the character index, when rare


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


# --- a read replica ------------------------------------------------------------------------
# Statistics, exports and report downloads may read from a PostgreSQL streaming replica
# (REPLICA_DATABASE_URL): the bind "replica" of Flask-SQLAlchemy.  Those read paths take
# their session from ``read_session()``; everything else (logins, the session nonce, the
# audit trail, every write) stays on the primary.  A replica lags the primary by a little
# (usually well under a second): a page read from it may miss the last moment's changes,
# which is why only summaries, exports and already-issued documents read there, and a
# report just issued and not yet replayed is read from the primary instead.

REPLICA = "replica"


def replica_binds(settings: dict) -> dict:
    """The SQLALCHEMY_BINDS entry for the replica, if one is configured."""
    url = settings.get("REPLICA_DATABASE_URL")
    return {REPLICA: url} if url else {}


def read_engine() -> Engine:
    """The replica's engine when configured, else the primary's."""
    from labsys.extensions import db

    return db.engines.get(REPLICA) or db.engine


def read_session():
    """A session for reads that may come from the replica: one per app context (request or
    command), closed with it; the primary's own session when no replica is configured."""
    from flask import g

    from labsys.extensions import db

    engine = db.engines.get(REPLICA)
    if engine is None:
        return db.session
    session = g.get("_labsys_read_session")
    if session is None:
        from sqlalchemy.orm import Session

        session = g._labsys_read_session = Session(bind=engine, autoflush=False)
    return session


def close_read_session(_error=None) -> None:
    from flask import g

    session = g.pop("_labsys_read_session", None)
    if session is not None:
        session.close()
