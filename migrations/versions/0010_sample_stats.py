"""pass-rate summary table kept in step by triggers

Revision ID: 0010
Revises: 0009

``sample_stats`` counts the samples (all but rejected ones) per month and dimension; the
triggers on ``samples`` keep it exact on every write path (services, bulk inserts, copies),
so the statistics pages sum a small table instead of scanning every sample.  The trigger
SQL comes from ``labsys.models.summary_sql`` (the one source 0010, 0030 and 0031 share).
"""

from alembic import op
import sqlalchemy as sa

from labsys.models import summary_sql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

DIMENSIONS = summary_sql.LEGACY_DIMENSIONS
TRIGGERS = summary_sql.LEGACY_TRIGGERS
# What 0010 counted: every sample but rejected ones (0030 leaves out voided ones too).
STATUS_CHANGED = "(OLD.status = 'rejected') <> (NEW.status = 'rejected')"


def _triggers(dialect: str) -> list[str]:
    return summary_sql.legacy_triggers(
        dialect,
        counted=summary_sql.counted_0010,
        watched=summary_sql.WATCHED_0010,
        status_changed=STATUS_CHANGED,
    )


def upgrade():
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
        sa.PrimaryKeyConstraint(*DIMENSIONS, name=op.f("pk_sample_stats")),
    )
    dialect = op.get_bind().dialect.name
    for statement in _triggers(dialect):
        op.execute(statement)
    op.execute(summary_sql.legacy_fill(dialect, summary_sql.counted_0010))


def downgrade():
    for statement in summary_sql.legacy_drop(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table("sample_stats")
