"""authorised signatories (授权签字人) and the food categories each may sign

Revision ID: 0014
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op


revision = "0014"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "authorised_signatories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_authorised_signatories_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_authorised_signatories_created_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorised_signatories")),
        sa.UniqueConstraint("user_id", name=op.f("uq_authorised_signatories_user_id")),
    )
    op.create_table(
        "signatory_scopes",
        sa.Column("signatory_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["signatory_id"],
            ["authorised_signatories.id"],
            name=op.f("fk_signatory_scopes_signatory_id_authorised_signatories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["food_categories.id"],
            name=op.f("fk_signatory_scopes_category_id_food_categories"),
        ),
        sa.PrimaryKeyConstraint("signatory_id", "category_id", name=op.f("pk_signatory_scopes")),
    )


def downgrade():
    op.drop_table("signatory_scopes")
    op.drop_table("authorised_signatories")
