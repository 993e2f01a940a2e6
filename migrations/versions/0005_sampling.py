"""sampling forms, numbers, labels and receipt

Revision ID: 0005
Revises: 0004
"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    # The receipt desk lists the samples received today: a range on received_at.
    with op.batch_alter_table("samples") as batch_op:
        batch_op.create_index("ix_samples_received_at", ["received_at"], unique=False)


def downgrade():
    with op.batch_alter_table("samples") as batch_op:
        batch_op.drop_index("ix_samples_received_at")
