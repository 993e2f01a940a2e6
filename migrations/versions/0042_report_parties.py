"""the report keeps the parties as printed: producer's name and address, the sampled
unit's address

Revision ID: 0042
Revises: 0041

Issue 18 §2: the published announcement must never disagree with the issued report.  The
announcement read the producer's and the sampled unit's name and address from the
enterprise register as they are now, so renaming an enterprise after the report changed
the announcement and not the report.  The report already kept the sampled unit's name;
it now keeps the producer's name and address and the sampled unit's address as they were
at issue (a superseding report takes them again from the sample at its own issue).

Upgrade: the three columns, filled for every existing report from the current register
(the best record there is of what was printed).  Downgrade: the columns go.
"""

import sqlalchemy as sa
from alembic import op

revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None

COLUMNS = ("producer_name", "producer_address", "sampled_unit_address")
# Every report from the register as it is now (tests/reports/test_report_parties.py runs it).
BACKFILL = """
UPDATE reports SET
  producer_name = (
    SELECT e.name FROM samples s JOIN enterprises e ON e.id = s.producer_id
    WHERE s.id = reports.sample_id),
  producer_address = (
    SELECT e.address FROM samples s JOIN enterprises e ON e.id = s.producer_id
    WHERE s.id = reports.sample_id),
  sampled_unit_address = (
    SELECT e.address FROM samples s
    JOIN sampling_visits v ON v.id = s.visit_id
    JOIN enterprises e ON e.id = v.sampled_unit_id
    WHERE s.id = reports.sample_id)
"""


def upgrade():
    # Plain ALTERs (no table copy on SQLite: the reports' search and counter triggers stay).
    op.add_column("reports", sa.Column("producer_name", sa.String(length=200), nullable=True))
    op.add_column("reports", sa.Column("producer_address", sa.String(length=300), nullable=True))
    op.add_column(
        "reports", sa.Column("sampled_unit_address", sa.String(length=300), nullable=True)
    )
    op.execute(BACKFILL)


def downgrade():
    for name in reversed(COLUMNS):
        op.drop_column("reports", name)
