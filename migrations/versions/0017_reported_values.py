"""reported values: significant figures and colony counts

Revision ID: 0017
Revises: 0016

A reporting rule may be n significant figures instead of an interval (several GB 5009
methods report so), on the specification and frozen onto each result; plate counts are
flagged on the test item (and frozen) so they are entered, judged and printed by GB 4789.2.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("test_items") as batch:
        batch.add_column(
            sa.Column("is_colony_count", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("specifications") as batch:
        batch.add_column(sa.Column("significant_digits", sa.Integer(), nullable=True))
    with op.batch_alter_table("sample_results") as batch:
        batch.add_column(sa.Column("significant_digits", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("is_colony_count", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade():
    with op.batch_alter_table("sample_results") as batch:
        batch.drop_column("is_colony_count")
        batch.drop_column("significant_digits")
    with op.batch_alter_table("specifications") as batch:
        batch.drop_column("significant_digits")
    with op.batch_alter_table("test_items") as batch:
        batch.drop_column("is_colony_count")
