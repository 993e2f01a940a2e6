"""indexes for the list pages at scale

Revision ID: 0011
Revises: 0010

The deadline board counts and lists the most urgent items per kind on (status, due date)
and (conclusion, due date); the review queue's samples in id order are an index range scan on
sample_results by status.
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_samples_status_due_delivery", "samples", ["status", "due_delivery"]),
    ("ix_samples_status_due_report", "samples", ["status", "due_report"]),
    ("ix_samples_conclusion_due_unqualified", "samples", ["conclusion", "due_unqualified_report"]),
    ("ix_sample_results_review", "sample_results", ["status", "sample_id", "entered_by_id"]),
]


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)
    bind = op.get_bind()
    if (
        bind.dialect.name == "sqlite"
        and bind.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first()
    ):
        # A database analysed before would plan without statistics for the new indexes
        # (and might pick one that cannot give the order wanted); PostgreSQL keeps
        # statistics per column, so it needs nothing.
        for name, _table, _columns in INDEXES:
            op.execute(f"ANALYZE {name}")


def downgrade():
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
