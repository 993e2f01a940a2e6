"""deadline counters: PostgreSQL writers append deltas instead of updating shared rows

Revision ID: 0037
Revises: 0036

0034's triggers updated ``deadline_counts`` in place: on PostgreSQL every writer of items due
on the same date queued on one row, and two transactions touching two dates in opposite
orders deadlocked.  The trigger functions now append ±1 rows to ``deadline_count_deltas``
(never updated, so never shared); the board adds them, and the rollups' fold folds them in.
SQLite keeps 0034's direct triggers (one writer at a time); the table exists there, empty.
Downgrade folds the deltas in and restores 0034's functions.
"""

import sqlalchemy as sa
from alembic import op

from labsys.models import deadline_sql

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "deadline_count_deltas",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadline_count_deltas")),
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in deadline_sql.delta_functions_pg():
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in deadline_sql.direct_functions_pg():
            op.execute(statement)
        for statement in deadline_sql.fold_sql():
            op.execute(statement)
    op.drop_table("deadline_count_deltas")
