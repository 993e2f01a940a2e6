"""the audit trail as several chains: writers no longer queue behind one lock

Revision ID: 0036
Revises: 0035

``audit_log.chain`` (0, 1, ...): each transaction appends to one chain under that chain's
own lock (issue #19 §2), so audited writes run side by side.  Existing rows are chain 0 and
keep their hashes; positions (``seq``) run per chain: the unique key becomes (chain, seq).
``ix_audit_log_chain_id`` finds a chain's head and its rows in order.  A downgrade with rows
outside chain 0 is refused: the old code would see a forked chain.
"""

import sqlalchemy as sa
from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("chain", sa.SmallInteger(), server_default="0", nullable=False)
        )
        batch_op.drop_constraint("uq_audit_log_seq", type_="unique")
        batch_op.create_unique_constraint("uq_audit_log_chain_seq", ["chain", "seq"])
        batch_op.create_index("ix_audit_log_chain_id", ["chain", "id"], unique=False)


def downgrade():
    others = op.get_bind().scalar(sa.text("SELECT count(*) FROM audit_log WHERE chain <> 0"))
    if others:
        raise RuntimeError(
            f"{others} audit entries are in chains other than 0: the schema before 0036 "
            "holds one chain only (restore a backup made before the upgrade instead)"
        )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_chain_id")
        batch_op.drop_constraint("uq_audit_log_chain_seq", type_="unique")
        batch_op.create_unique_constraint("uq_audit_log_seq", ["seq"])
        batch_op.drop_column("chain")
