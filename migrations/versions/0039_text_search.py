"""indexed free-text search: pg_trgm on PostgreSQL, FTS5 trigram on SQLite (issue #19 §3)

Revision ID: 0039
Revises: 0038

The searched columns (``labsys.models.search.SEARCHED``; the tests compare the two):
samples' food name and number, reports' number, food and sampled unit, enterprises' name.

PostgreSQL: the ``pg_trgm`` extension (trusted since PostgreSQL 13: the database owner
that runs ``labsys init`` may create it without superuser rights) and one GIN index
``ix_<table>_<column>_trgm`` with ``gin_trgm_ops`` per searched column, which serves
``ILIKE '%…%'``.  The operator class is named with the extension's schema, so the indexes
build whatever the search path (the extension may already live in another schema).  The
downgrade drops the indexes and leaves the extension: other database objects may use it,
and dropping it needs its owner.

SQLite: one FTS5 table ``<table>_fts`` per searched table with the ``trigram`` tokenizer
(SQLite 3.34+), external content (the text stays in the table only; the FTS index holds
the trigrams), kept in step by triggers on insert, on update of a searched column and on
delete, and filled from the existing rows by ``rebuild``.
"""

from alembic import op

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None

# Frozen here (a migration must not change when the application does); mirrors
# labsys.models.search.SEARCHED.
SEARCHED = {
    "samples": ("food_name", "sample_no"),
    "reports": ("report_no", "food_name", "sampled_unit_name"),
    "enterprises": ("name",),
}


def _sqlite_upgrade(table: str, columns: tuple[str, ...]) -> list[str]:
    fts = f"{table}_fts"
    names = ", ".join(columns)
    new = ", ".join(f"NEW.{c}" for c in columns)
    old = ", ".join(f"OLD.{c}" for c in columns)
    insert = f"INSERT INTO {fts} (rowid, {names}) VALUES (NEW.id, {new})"
    delete = f"INSERT INTO {fts} ({fts}, rowid, {names}) VALUES ('delete', OLD.id, {old})"
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='{table}', "
        "content_rowid='id', tokenize='trigram')",
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} FOR EACH ROW BEGIN {insert}; END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {names} ON {table} FOR EACH ROW "
        f"BEGIN {delete}; {insert}; END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} FOR EACH ROW BEGIN {delete}; END",
        f"INSERT INTO {fts} ({fts}) VALUES ('rebuild')",
    ]


def _trgm_schema() -> str:
    schema = (
        op.get_bind()
        .exec_driver_sql(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'pg_trgm'"
        )
        .scalar_one()
    )
    return '"' + schema.replace('"', '""') + '"'


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema = _trgm_schema()
        for table, columns in SEARCHED.items():
            for column in columns:
                op.execute(
                    f"CREATE INDEX ix_{table}_{column}_trgm ON {table} "
                    f"USING gin ({column} {schema}.gin_trgm_ops)"
                )
        return
    for table, columns in SEARCHED.items():
        for statement in _sqlite_upgrade(table, columns):
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table, columns in SEARCHED.items():
            for column in columns:
                op.execute(f"DROP INDEX IF EXISTS ix_{table}_{column}_trgm")
        return
    for table in SEARCHED:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{event}")
        op.execute(f"DROP TABLE IF EXISTS {table}_fts")
