"""catalog editions: transition ends, oil-process specifications, the sample's 压榨/浸出

Revision ID: 0015
Revises: 0014

A specification row may carry the end of its transition period (food made before a newer
edition may be judged by the old one until then); a row may apply only to pressed or
solvent-extracted oils (GB 2716-2018), so the unique key gains that column; a sample records
whether its oil is pressed or solvent-extracted.
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

OLD_KEY = "uq_specifications_category_id_test_item_id_effective_from"
NEW_KEY = "uq_specifications_category_id_test_item_id_effective_from_oil_process"


def upgrade():
    with op.batch_alter_table("specifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("transition_end", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("oil_process", sa.String(length=10), server_default="", nullable=False)
        )
        batch_op.create_check_constraint(
            op.f("ck_specifications_oil_process_values"),
            "oil_process IN ('', 'pressed', 'solvent')",
        )
        batch_op.drop_constraint(op.f(OLD_KEY), type_="unique")
        batch_op.create_unique_constraint(
            op.f(NEW_KEY), ["category_id", "test_item_id", "effective_from", "oil_process"]
        )
    _add_sample_oil_process()


def _add_sample_oil_process():
    # Not a batch: on SQLite a batch recreates the samples table and would drop the
    # sample_stats triggers of 0010.  SQLite takes a column CHECK in ADD COLUMN.
    check = "oil_process IN ('pressed', 'solvent')"
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE samples ADD COLUMN oil_process VARCHAR(7) "
            f"CONSTRAINT ck_samples_oil_process CHECK ({check})"
        )
        return
    op.add_column("samples", sa.Column("oil_process", sa.String(length=7), nullable=True))
    op.create_check_constraint(op.f("ck_samples_oil_process"), "samples", check)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE samples DROP COLUMN oil_process")  # SQLite ≥ 3.35, no batch
    else:
        op.drop_constraint(op.f("ck_samples_oil_process"), "samples", type_="check")
        op.drop_column("samples", "oil_process")
    # Rows that differ only by oil process cannot keep the old key: keep the solvent one.
    op.execute("DELETE FROM specifications WHERE oil_process = 'pressed'")
    with op.batch_alter_table("specifications", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(NEW_KEY), type_="unique")
        batch_op.create_unique_constraint(
            op.f(OLD_KEY), ["category_id", "test_item_id", "effective_from"]
        )
        batch_op.drop_constraint(op.f("ck_specifications_oil_process_values"), type_="check")
        batch_op.drop_column("oil_process")
        batch_op.drop_column("transition_end")
