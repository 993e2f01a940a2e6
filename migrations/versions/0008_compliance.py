"""pass rates and unqualified follow-up

Revision ID: 0008
Revises: 0007
"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "followups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("notified_on", sa.Date(), nullable=True),
        sa.Column("retest_window_end", sa.Date(), nullable=True),
        sa.Column("retest_requested_on", sa.Date(), nullable=True),
        sa.Column("retest_lab_id", sa.Integer(), nullable=True),
        sa.Column("retest_backup_received_on", sa.Date(), nullable=True),
        sa.Column("retest_due", sa.Date(), nullable=True),
        sa.Column("retest_result", sa.Text(), nullable=True),
        sa.Column(
            "retest_conclusion",
            sa.Enum(
                "qualified",
                "unqualified",
                "inconclusive",
                "not_judged",
                name="conclusion",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("retest_reported_on", sa.Date(), nullable=True),
        sa.Column(
            "objection_kind",
            sa.Enum(
                "sampling",
                "result",
                name="objection_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("objection_filed_on", sa.Date(), nullable=True),
        sa.Column("objection_outcome", sa.Text(), nullable=True),
        sa.Column("disposal_started_on", sa.Date(), nullable=True),
        sa.Column("disposal_first_due", sa.Date(), nullable=True),
        sa.Column("disposal_first_done_on", sa.Date(), nullable=True),
        sa.Column("disposal_second_due", sa.Date(), nullable=True),
        sa.Column("disposal_second_done_on", sa.Date(), nullable=True),
        sa.Column("disposal_due", sa.Date(), nullable=True),
        sa.Column("disposal_completed_on", sa.Date(), nullable=True),
        sa.Column("disposal_notes", sa.Text(), nullable=True),
        sa.Column("backup_retain_until", sa.Date(), nullable=True),
        sa.Column("notes", sa.String(length=500), nullable=True),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["opened_by_id"], ["users.id"], name=op.f("fk_followups_opened_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["retest_lab_id"], ["labs.id"], name=op.f("fk_followups_retest_lab_id_labs")
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["samples.id"], name=op.f("fk_followups_sample_id_samples")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followups")),
        sa.UniqueConstraint("sample_id", name=op.f("uq_followups_sample_id")),
    )
    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.create_index("ix_followups_disposal_due", ["disposal_due"], unique=False)
        batch_op.create_index("ix_followups_retest_due", ["retest_due"], unique=False)

    # The deadline board's range queries.
    with op.batch_alter_table("samples", schema=None) as batch_op:
        batch_op.create_index("ix_samples_due_delivery", ["due_delivery"], unique=False)
        batch_op.create_index("ix_samples_due_report", ["due_report"], unique=False)
        batch_op.create_index(
            "ix_samples_due_unqualified_report", ["due_unqualified_report"], unique=False
        )


def downgrade():
    with op.batch_alter_table("samples", schema=None) as batch_op:
        batch_op.drop_index("ix_samples_due_unqualified_report")
        batch_op.drop_index("ix_samples_due_report")
        batch_op.drop_index("ix_samples_due_delivery")

    with op.batch_alter_table("followups", schema=None) as batch_op:
        batch_op.drop_index("ix_followups_retest_due")
        batch_op.drop_index("ix_followups_disposal_due")

    op.drop_table("followups")
