"""risk plans and the dashboard count: a plan's enterprises to visit, the stored signal count,
what shaped each proposed quota

Revision ID: 0038
Revises: 0037

Issue 17 §3–4: ``plan_visits`` (the enterprises a plan made from a risk-based proposal is to
visit, with the grade and reasons they had when it was accepted) and ``risk_signal_counts``
(how many signals were open each time they were computed in full; the supervisor's
dashboard reads the newest row); ``proposal_quotas.signal`` and ``grade_share`` (what shifted
the quota, shown beside it; "0" for the proposals made before).  The downgrade drops them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "plan_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column(
            "grade",
            sa.Enum(
                "A", "B", "C", "D", name="visit_grade", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_plan_visits_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["plans.id"],
            name=op.f("fk_plan_visits_plan_id_plans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_visits")),
        sa.UniqueConstraint(
            "plan_id", "enterprise_id", name=op.f("uq_plan_visits_plan_id_enterprise_id")
        ),
    )
    with op.batch_alter_table("plan_visits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plan_visits_enterprise_id"), ["enterprise_id"], unique=False
        )
    op.create_table(
        "risk_signal_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("open_count", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "open_count >= 0", name=op.f("ck_risk_signal_counts_open_count_not_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_signal_counts")),
    )

    with op.batch_alter_table("proposal_quotas", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("signal", sa.String(length=20), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("grade_share", sa.String(length=20), server_default="0", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("proposal_quotas", schema=None) as batch_op:
        batch_op.drop_column("grade_share")
        batch_op.drop_column("signal")
    op.drop_table("risk_signal_counts")
    with op.batch_alter_table("plan_visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_visits_enterprise_id"))
    op.drop_table("plan_visits")
