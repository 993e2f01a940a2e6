"""a risk grade set by hand, with its reason, holds until cleared or its last day

Revision ID: 0045
Revises: 0044

A supervisor's grade set by hand was a bare value on the enterprise form (any sampler
could change it, with no reason), and the next recomputation silently replaced it by the
rules' grade.  It is now a ``grade_changes`` row of its own: ``by_hand``, the reason in
``note``, who set it (``set_by_id``) and, when given, its last day (``hold_until``); a
recomputation keeps it while it is the enterprise's latest change and not past that day,
and reports how many it kept (services/grading.py).  ``note`` also says why a grade set by
hand ended.

Upgrade: the four columns (existing rows are the rules' grades: ``by_hand`` false), the
foreign key's index, and a check that a grade set by hand has its reason.  Downgrade: they
go (a grade set by hand stays the enterprise's recorded grade, as before).
"""

import sqlalchemy as sa
from alembic import op

revision = "0045"
down_revision = "0044"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("grade_changes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("by_hand", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("hold_until", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("set_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_grade_changes_set_by_id_users"), "users", ["set_by_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_grade_changes_set_by_id"), ["set_by_id"])
        batch_op.create_check_constraint(
            batch_op.f("ck_grade_changes_by_hand_has_note"), "NOT by_hand OR note IS NOT NULL"
        )


def downgrade():
    with op.batch_alter_table("grade_changes", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_grade_changes_by_hand_has_note"), type_="check")
        batch_op.drop_index(batch_op.f("ix_grade_changes_set_by_id"))
        batch_op.drop_constraint(batch_op.f("fk_grade_changes_set_by_id_users"), type_="foreignkey")
        batch_op.drop_column("set_by_id")
        batch_op.drop_column("hold_until")
        batch_op.drop_column("note")
        batch_op.drop_column("by_hand")
