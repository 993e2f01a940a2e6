"""pass-rate rollups at month and day grain with the inspection type; delta journal on PostgreSQL

Revision ID: 0035
Revises: 0034

``sample_stats`` (one row per month × every dimension × conclusion) grows almost as fast as
the samples at national cardinality and has no day or type in it.  ``sample_rollups``
replaces it: several small rollups (``summary_sql.ROLLUPS``) at month and day grain, each
keyed by the inspection type and a few dimensions, with qualified and unqualified counts as
columns.  On PostgreSQL the triggers only append to ``sample_rollup_deltas`` (folded in
later), so concurrent writers neither deadlock nor queue on shared summary rows.  Downgrade
brings ``sample_stats`` and 0030's triggers back, recounted from the samples.
"""

import sqlalchemy as sa
from alembic import op

from labsys.models import summary_sql

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

EXCLUDED = ("rejected", "voided")


def upgrade():
    dialect = op.get_bind().dialect.name
    for statement in summary_sql.legacy_drop(dialect):
        op.execute(statement)
    op.drop_table("sample_stats")
    op.create_table(
        "sample_rollups",
        sa.Column("rollup", sa.String(length=8), nullable=False),
        sa.Column("grain", sa.String(length=5), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("inspection_type", sa.String(length=20), nullable=False),
        sa.Column("cat_l1_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("cat_l2_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("cat_l3_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("cat_l4_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("link", sa.String(length=20), nullable=False),
        sa.Column("lab_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("qualified", sa.Integer(), nullable=False),
        sa.Column("unqualified", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*summary_sql.ROLLUP_KEY, name=op.f("pk_sample_rollups")),
    )
    op.create_table(
        "sample_rollup_deltas",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("inspection_type", sa.String(length=20), nullable=False),
        sa.Column("cat_l1_id", sa.Integer(), nullable=False),
        sa.Column("cat_l2_id", sa.Integer(), nullable=False),
        sa.Column("cat_l3_id", sa.Integer(), nullable=False),
        sa.Column("cat_l4_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("link", sa.String(length=20), nullable=False),
        sa.Column("lab_id", sa.Integer(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("qualified", sa.Integer(), nullable=False),
        sa.Column("unqualified", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sample_rollup_deltas")),
    )
    for statement in summary_sql.rollup_triggers(dialect, EXCLUDED):
        op.execute(statement)
    op.execute(summary_sql.rollup_fill_sql(dialect, EXCLUDED))


def downgrade():
    dialect = op.get_bind().dialect.name
    for statement in summary_sql.rollup_drop(dialect):
        op.execute(statement)
    op.drop_table("sample_rollup_deltas")
    op.drop_table("sample_rollups")
    op.create_table(
        "sample_stats",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("cat_l1_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("cat_l2_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("cat_l3_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("cat_l4_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("link", sa.String(length=20), nullable=False),
        sa.Column("lab_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("conclusion", sa.String(length=20), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*summary_sql.LEGACY_DIMENSIONS, name=op.f("pk_sample_stats")),
    )
    for statement in summary_sql.legacy_triggers_0030(dialect, EXCLUDED):
        op.execute(statement)
    op.execute(summary_sql.legacy_fill(dialect, summary_sql.counted_not_in(EXCLUDED)))
