"""The test databases: one per pytest-xdist worker, and snapshots of built fixtures.

Imported by name (``from databases import ...``) like ``support``.

PostgreSQL: the run's ``LABSYS_TEST_DATABASE_URL`` names a base database; each worker (or
the single process) works in its own fresh ``<base>_<worker>`` database, created here and
dropped at the end, so that workers never see each other's rows.

Snapshots: an expensive fixture (the demo year) is built once per worker, copied aside,
and copied back for each test that wants it.  SQLite copies the whole file through
SQLite's backup API.  PostgreSQL keeps the copy as tables in a schema of the worker's
database and copies the rows back with triggers off (``session_replication_role``: the
summary tables are copied, not recomputed), then moves each sequence past the copied ids.
(``CREATE DATABASE ... TEMPLATE`` was tried first: dropping and recreating the database
costs seconds per test on a busy cluster, each DROP forcing a checkpoint.)  Either way the
test gets the same rows a fresh build would have written.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Table, create_engine, make_url, text
from sqlalchemy.engine import URL, Connection, Engine

# Databases are created and dropped from this one (a database cannot be dropped, or used
# as a template, while someone is connected to it).
MAINTENANCE_DB = "postgres"


def _admin_engine(url: URL) -> Engine:
    return create_engine(url.set(database=MAINTENANCE_DB), isolation_level="AUTOCOMMIT")


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _recreate(admin: Engine, name: str) -> None:
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {_quoted(name)}"))


def _drop(admin: Engine, name: str) -> None:
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)"))


@contextmanager
def worker_database(base_url: str, worker: str) -> Iterator[str]:
    """A fresh PostgreSQL database ``<base>_<worker>`` for the duration of the block."""
    url = make_url(base_url)
    name = f"{url.database}_{worker}"
    admin = _admin_engine(url)
    try:
        _recreate(admin, name)
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        _drop(admin, name)
        admin.dispose()


class Snapshots:
    """Copies of the worker's database, by key, taken after building a fixture once."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.kept: dict[str, Any] = {}  # key -> what the build returned

    def restore_or_build(self, db, key: str, build: Callable[[], Any]) -> Any:
        """Make the (empty) test database a copy of snapshot ``key``, building it first if
        this worker has not yet; returns what ``build`` returned."""
        if key in self.kept:
            self._copy(db, key, restore=True)
        else:
            value = build()
            db.session.commit()
            self._copy(db, key, restore=False)
            self.kept[key] = value
        return self.kept[key]

    def _copy(self, db, key: str, restore: bool) -> None:
        db.session.remove()
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                copy = _restore_postgres if restore else _keep_postgres
                copy(connection, f"snapshot_{key}", db.metadata.sorted_tables)
        else:
            # Every pooled connection goes: the copy replaces the file under them.
            db.engine.dispose()
            self._copy_sqlite(db.engine, key, restore)

    def _copy_sqlite(self, engine: Engine, key: str, restore: bool) -> None:
        snapshot = self.folder / f"{key}.sqlite3"
        live_path = engine.url.database
        assert live_path is not None
        with (
            closing(sqlite3.connect(live_path)) as live,
            closing(sqlite3.connect(snapshot)) as kept,
        ):
            source, target = (kept, live) if restore else (live, kept)
            source.backup(target)


def _keep_postgres(connection: Connection, schema: str, tables: list[Table]) -> None:
    connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    connection.execute(text(f"CREATE SCHEMA {schema}"))
    for table in tables:
        connection.execute(text(f"CREATE TABLE {schema}.{table.name} AS TABLE public.{table.name}"))


def _restore_postgres(connection: Connection, schema: str, tables: list[Table]) -> None:
    # Triggers (foreign keys' included) stay off for this transaction only: rows go back
    # exactly as kept, and the trigger-kept summary tables are copied, not recounted.
    connection.execute(text("SET LOCAL session_replication_role = replica"))
    quote = connection.dialect.identifier_preparer.quote
    for table in tables:
        columns = ", ".join(quote(column.name) for column in table.columns)
        connection.execute(
            text(
                f"INSERT INTO public.{table.name} ({columns}) OVERRIDING SYSTEM VALUE"
                f" SELECT {columns} FROM {schema}.{table.name}"
            )
        )
    # Serial and identity columns: the next id follows the copied ones.
    sequences = connection.execute(
        text(
            "SELECT table_name, column_name, pg_get_serial_sequence(table_name, column_name)"
            " FROM information_schema.columns WHERE table_schema = 'public'"
            " AND pg_get_serial_sequence(table_name, column_name) IS NOT NULL"
        )
    ).all()
    for table, column, sequence in sequences:
        connection.execute(
            text(
                f"SELECT setval('{sequence}',"
                f" COALESCE((SELECT max({quote(column)}) FROM public.{table}), 0) + 1, false)"
            )
        )
