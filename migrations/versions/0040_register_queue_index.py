"""the retest backup's retention is kept by the register alone; the work queues' due-date
index

Revision ID: 0040
Revises: 0039

``followups.backup_retain_until`` repeated what the register of retest backups
(``backup_samples.retain_until``, migration 0027) holds, and could disagree with it (the
register follows every change of conclusion; the column only the follow-up's own steps).
Upgrade: a follow-up whose sample has no register row gets one (held, kept until the
column's day, as ``labsys backups sync`` would enter it); a register row with no retention
yet (not disposed) takes the column's day; then the column goes.  Downgrade: the column
comes back, filled from the register (the rows the upgrade entered stay in the register).

The work queues sorted by due date read (status, due date, id) in that order (keyset
paging): ``ix_samples_status_due_delivery`` / ``_due_report`` (0011: status, due date) get
the id as their last column, so that PostgreSQL's index order is the page's order too
(SQLite's indexes end with the rowid already).

The worksheet reads one test item's open results (pending, entered, returned) in id order,
a page at a time: a partial index on (test item, id) of the open rows alone, which the
worksheet's query names literally (PostgreSQL walked the primary key past the item's
accepted rows instead: 43 ms a page at 100,000 samples).
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None

followups = sa.table(
    "followups",
    sa.column("sample_id", sa.Integer),
    sa.column("backup_retain_until", sa.Date),
)
backup_samples = sa.table(
    "backup_samples",
    sa.column("sample_id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("retain_until", sa.Date),
    sa.column("created_at", sa.DateTime),
    sa.column("version_id", sa.Integer),
)


# (name, due column) of the queue indexes on samples.
QUEUE_INDEXES = [
    ("ix_samples_status_due_delivery", "due_delivery"),
    ("ix_samples_status_due_report", "due_report"),
]


def _queue_indexes(with_id: bool) -> None:
    for name, due in QUEUE_INDEXES:
        op.drop_index(name, table_name="samples")
        op.create_index(name, "samples", ["status", due, "id"] if with_id else ["status", due])


# The worksheet's rows: one item's open results in id order (models.results.OPEN_RESULTS).
OPEN_RESULTS = "status IN ('pending', 'entered', 'returned')"


def upgrade():
    _queue_indexes(with_id=True)
    op.create_index(
        "ix_sample_results_open_by_item",
        "sample_results",
        ["test_item_id", "id"],
        postgresql_where=sa.text(OPEN_RESULTS),
        sqlite_where=sa.text(OPEN_RESULTS),
    )
    registered = (
        sa.select(backup_samples.c.sample_id)
        .where(backup_samples.c.sample_id == followups.c.sample_id)
        .exists()
    )
    now = datetime.now(UTC).replace(tzinfo=None)  # stored as naive UTC (models.base)
    op.execute(
        backup_samples.insert().from_select(
            ["sample_id", "status", "retain_until", "created_at", "version_id"],
            sa.select(
                followups.c.sample_id,
                sa.literal("held"),
                followups.c.backup_retain_until,
                sa.literal(now, sa.DateTime),
                sa.literal(1),
            ).where(followups.c.backup_retain_until.is_not(None), ~registered),
        )
    )
    kept = (
        sa.select(followups.c.backup_retain_until)
        .where(followups.c.sample_id == backup_samples.c.sample_id)
        .scalar_subquery()
    )
    op.execute(
        backup_samples.update()
        .where(
            backup_samples.c.retain_until.is_(None),
            backup_samples.c.status != "disposed",
            kept.is_not(None),
        )
        .values(retain_until=kept)
    )
    op.drop_column("followups", "backup_retain_until")


def downgrade():
    op.drop_index("ix_sample_results_open_by_item", table_name="sample_results")
    _queue_indexes(with_id=False)
    op.add_column("followups", sa.Column("backup_retain_until", sa.Date(), nullable=True))
    op.execute(
        followups.update().values(
            backup_retain_until=sa.select(backup_samples.c.retain_until)
            .where(backup_samples.c.sample_id == followups.c.sample_id)
            .scalar_subquery()
        )
    )
