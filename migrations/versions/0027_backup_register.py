"""the register of retest backups (复检备份样品)

Revision ID: 0027
Revises: 0026

One row per received sample: where its backup is kept, until when (SAMR Order No. 15
Art. 25/26 *(verify)*), its hand-over to a retest lab and its disposal.  Samples received
before the register are entered by ``labsys backups sync``.
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

# The indexes of its foreign keys are created by 0029 (foreign_key_indexes).


def upgrade():
    op.create_table(
        "backup_samples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "held",
                "handed_over",
                "disposed",
                name="backup_status",
                native_enum=False,
                create_constraint=True,
                length=11,
            ),
            nullable=False,
        ),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("stored_on", sa.Date(), nullable=True),
        sa.Column("stored_by_id", sa.Integer(), nullable=True),
        sa.Column("retain_until", sa.Date(), nullable=True),
        sa.Column("handed_over_on", sa.Date(), nullable=True),
        sa.Column("handed_to_lab_id", sa.Integer(), nullable=True),
        sa.Column("handed_over_by_id", sa.Integer(), nullable=True),
        sa.Column("seal_intact", sa.Boolean(), nullable=True),
        sa.Column("handover_notes", sa.String(length=500), nullable=True),
        sa.Column("disposed_on", sa.Date(), nullable=True),
        sa.Column("disposed_by_id", sa.Integer(), nullable=True),
        sa.Column("disposal_method", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["samples.id"], name=op.f("fk_backup_samples_sample_id_samples")
        ),
        sa.ForeignKeyConstraint(
            ["stored_by_id"], ["users.id"], name=op.f("fk_backup_samples_stored_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["handed_to_lab_id"], ["labs.id"], name=op.f("fk_backup_samples_handed_to_lab_id_labs")
        ),
        sa.ForeignKeyConstraint(
            ["handed_over_by_id"],
            ["users.id"],
            name=op.f("fk_backup_samples_handed_over_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["disposed_by_id"], ["users.id"], name=op.f("fk_backup_samples_disposed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backup_samples")),
        sa.UniqueConstraint("sample_id", name=op.f("uq_backup_samples_sample_id")),
    )
    op.create_index(
        "ix_backup_samples_status_retain_until",
        "backup_samples",
        ["status", "retain_until"],
    )


def downgrade():
    op.drop_index("ix_backup_samples_status_retain_until", table_name="backup_samples")
    op.drop_table("backup_samples")
