"""risk grades: the grading settings, each enterprise's grade history, plan proposals

Revision ID: 0032
Revises: 0031

Issue 17 §2–3: ``risk_settings`` (the grading rules an administrator edits, JSON per name),
``grade_changes`` (a row each time an enterprise's grade changes, with its score and
reasons), ``plan_proposals`` and ``proposal_quotas`` (a risk-based plan in draft, which
becomes a real plan when accepted).  New tables only: the downgrade drops them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "risk_settings",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_risk_settings_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_risk_settings")),
    )
    with op.batch_alter_table("risk_settings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_risk_settings_updated_by_id"), ["updated_by_id"], unique=False
        )

    op.create_table(
        "grade_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("graded_on", sa.Date(), nullable=False),
        sa.Column(
            "grade",
            sa.Enum("A", "B", "C", "D", name="grade", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column(
            "previous_grade",
            sa.Enum(
                "A", "B", "C", "D", name="previous_grade", native_enum=False, create_constraint=True
            ),
            nullable=True,
        ),
        sa.Column("score", sa.String(length=20), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_grade_changes_enterprise_id_enterprises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grade_changes")),
    )
    with op.batch_alter_table("grade_changes", schema=None) as batch_op:
        batch_op.create_index("ix_grade_changes_enterprise", ["enterprise_id", "id"], unique=False)

    op.create_table(
        "plan_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("min_per_category", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "accepted",
                "discarded",
                name="proposal_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "min_per_category >= 0", name=op.f("ck_plan_proposals_min_not_negative")
        ),
        sa.CheckConstraint("total > 0", name=op.f("ck_plan_proposals_total_positive")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_plan_proposals_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_plan_proposals_plan_id_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_proposals")),
    )
    with op.batch_alter_table("plan_proposals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_plan_proposals_created_by_id"), ["created_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_plan_proposals_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "proposal_quotas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column("quota", sa.Integer(), nullable=False),
        sa.Column("risk", sa.String(length=20), nullable=False),
        sa.CheckConstraint("quota >= 0", name=op.f("ck_proposal_quotas_quota_not_negative")),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["food_categories.id"],
            name=op.f("fk_proposal_quotas_category_id_food_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["plan_proposals.id"],
            name=op.f("fk_proposal_quotas_proposal_id_plan_proposals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_proposal_quotas_region_code_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_quotas")),
    )
    with op.batch_alter_table("proposal_quotas", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_proposal_quotas_category_id"), ["category_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_proposal_quotas_proposal_id"), ["proposal_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_proposal_quotas_region_code"), ["region_code"], unique=False
        )


def downgrade():
    with op.batch_alter_table("proposal_quotas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposal_quotas_region_code"))
        batch_op.drop_index(batch_op.f("ix_proposal_quotas_proposal_id"))
        batch_op.drop_index(batch_op.f("ix_proposal_quotas_category_id"))

    op.drop_table("proposal_quotas")
    with op.batch_alter_table("plan_proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_proposals_plan_id"))
        batch_op.drop_index(batch_op.f("ix_plan_proposals_created_by_id"))

    op.drop_table("plan_proposals")
    with op.batch_alter_table("grade_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_grade_changes_enterprise")

    op.drop_table("grade_changes")
    with op.batch_alter_table("risk_settings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_settings_updated_by_id"))

    op.drop_table("risk_settings")
