"""the planner learns how many rows each rollup kind holds (PostgreSQL extended statistics)

Revision ID: 0043
Revises: 0042

Issue 19 §1, measured at 10,000,000 samples of national cardinality: a pass-rate question
by county read the 32,692 month rows of kind ``region`` in 2025 by a parallel scan of the
whole ``sample_rollups`` table (17 million rows, 3.8 GB): 458 ms.  PostgreSQL estimated
188,559 rows, multiplying the share of ``rollup = 'region'`` by the share of ``grain =
'month'`` as if the two were independent, while most month rows are of kind ``all``.  A
multivariate MCV list on (rollup, grain) gives it the real share of each pair; with it the
planner reads the primary key's range: 21 ms.  (CREATE STATISTICS, PostgreSQL 10+; the
column pair has a few tens of values, so the list is exact.)

Not a model object: alembic's compare does not know statistics objects, and SQLite has no
such thing (its planner reads the primary key's range here anyway).  Upgrade: the
statistics and an ANALYZE of the table (a sample of its rows: seconds at any size).
Downgrade: the statistics go.
"""

from alembic import op

revision = "0043"
down_revision = "0042"
branch_labels = None
depends_on = None

NAME = "st_sample_rollups_kind"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"CREATE STATISTICS IF NOT EXISTS {NAME} (mcv, dependencies) "
        "ON rollup, grain FROM sample_rollups"
    )
    op.execute("ANALYZE sample_rollups")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP STATISTICS IF EXISTS {NAME}")
