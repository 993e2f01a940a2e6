"""statutory periods on the deadline board: qualified results, service of the report, a
delivery extension

Revision ID: 0028
Revises: 0027

``samples.due_qualified_report``: a qualified conclusion is reported to the regulator within
7 working days (SAMR Order No. 15 Art. 25 ¶1 *(verify)*); ``samples.due_service``: the
regulator serves the report and the notice of results within 5 working days of receiving an
unqualified conclusion (Art. 29 *(verify)*); ``samples.delivery_extension_workdays`` and
``delivery_extension_reason``: an extension of the 5-working-day delivery approved by the
regulator (Art. 20 ¶1 *(verify)*).  Plain ADD COLUMN: no table is rebuilt.
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("samples", sa.Column("due_qualified_report", sa.Date(), nullable=True))
    op.add_column("samples", sa.Column("due_service", sa.Date(), nullable=True))
    op.add_column("samples", sa.Column("delivery_extension_workdays", sa.Integer(), nullable=True))
    op.add_column(
        "samples", sa.Column("delivery_extension_reason", sa.String(length=300), nullable=True)
    )
    op.create_index(
        "ix_samples_conclusion_due_qualified", "samples", ["conclusion", "due_qualified_report"]
    )
    op.create_index("ix_samples_due_service", "samples", ["due_service"])


def downgrade():
    op.drop_index("ix_samples_due_service", table_name="samples")
    op.drop_index("ix_samples_conclusion_due_qualified", table_name="samples")
    op.drop_column("samples", "delivery_extension_reason")
    op.drop_column("samples", "delivery_extension_workdays")
    op.drop_column("samples", "due_service")
    op.drop_column("samples", "due_qualified_report")
