"""bench work (issue #13 §4): the instrument register, further methods of a test item,
result assignments to technicians, and the bench record of each result

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "instruments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("asset_no", sa.String(length=60), nullable=False),
        sa.Column("serial_no", sa.String(length=100), nullable=False),
        sa.Column("calibration_due", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "in_service",
                "out_of_service",
                "retired",
                name="instrument_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instruments")),
        sa.UniqueConstraint("asset_no", name=op.f("uq_instruments_asset_no")),
    )
    op.create_table(
        "test_item_methods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("test_item_id", sa.Integer(), nullable=False),
        sa.Column("method_standard", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["test_item_id"],
            ["test_items.id"],
            name=op.f("fk_test_item_methods_test_item_id_test_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_test_item_methods")),
        sa.UniqueConstraint(
            "test_item_id",
            "method_standard",
            name=op.f("uq_test_item_methods_test_item_id_method_standard"),
        ),
    )
    op.create_table(
        "bench_records",
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=False),
        sa.Column("method_standard", sa.String(length=120), nullable=False),
        sa.Column("instrument_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("ended_on >= started_on", name=op.f("ck_bench_records_dates_in_order")),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instruments.id"],
            name=op.f("fk_bench_records_instrument_id_instruments"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_bench_records_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["sample_results.id"],
            name=op.f("fk_bench_records_result_id_sample_results"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("result_id", name=op.f("pk_bench_records")),
    )
    op.create_index(
        op.f("ix_bench_records_instrument_id"), "bench_records", ["instrument_id"], unique=False
    )
    op.create_table(
        "result_assignments",
        sa.Column("result_id", sa.Integer(), nullable=False),
        sa.Column("technician_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by_id", sa.Integer(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"],
            ["users.id"],
            name=op.f("fk_result_assignments_assigned_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["sample_results.id"],
            name=op.f("fk_result_assignments_result_id_sample_results"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["technician_id"], ["users.id"], name=op.f("fk_result_assignments_technician_id_users")
        ),
        sa.PrimaryKeyConstraint("result_id", name=op.f("pk_result_assignments")),
    )
    op.create_index(
        "ix_result_assignments_technician",
        "result_assignments",
        ["technician_id", "result_id"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_result_assignments_technician", table_name="result_assignments")
    op.drop_table("result_assignments")
    op.drop_index(op.f("ix_bench_records_instrument_id"), table_name="bench_records")
    op.drop_table("bench_records")
    op.drop_table("test_item_methods")
    op.drop_table("instruments")
