"""1- and 2-character searches: a GIN index of each searched column's characters (PostgreSQL)

Revision ID: 0046
Revises: 0045

Issue #19 §3: a query of 1 or 2 characters (米, 鹅, 牛奶) holds no trigram, so the pg_trgm
indexes of 0039 cannot narrow it, and a rare or absent one read the whole table (395 ms at
1,000,000 samples).  One GIN index per searched column on ``string_to_array(lower(col),
NULL)`` (an array element per character), ``ix_<table>_<column>_chars``: it finds the rows
holding a character, and its statistics (``pg_stats``, kept by ANALYZE) say how common
each character is, from which ``labsys.models.search`` decides whether to use it.  Upgrade:
the indexes, then an ANALYZE of the three tables so that the statistics exist at once
(a sample of the rows: seconds at any size).  Downgrade: the indexes go.

SQLite: nothing (its FTS5 index has no tokenizer of single characters; short queries stay
answered by the LIKE).
"""

from alembic import op

revision = "0046"
down_revision = "0045"
branch_labels = None
depends_on = None

# Frozen here (a migration must not change when the application does); mirrors
# labsys.models.search.SEARCHED.
SEARCHED = {
    "samples": ("food_name", "sample_no"),
    "reports": ("report_no", "food_name", "sampled_unit_name"),
    "enterprises": ("name",),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in SEARCHED.items():
        for column in columns:
            op.execute(
                f"CREATE INDEX ix_{table}_{column}_chars ON {table} "
                f"USING gin (string_to_array(lower({column}), NULL))"
            )
        op.execute(f"ANALYZE {table}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in SEARCHED.items():
        for column in columns:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_{column}_chars")
