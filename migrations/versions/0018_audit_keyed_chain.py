"""a keyed, numbered audit chain; append-only on PostgreSQL

Revision ID: 0018
Revises: 0017

``seq`` (position in the chain) and ``key_id`` (which HMAC key signed the row; NULL for
rows written before: plain SHA-256, still verified the old way up to the first keyed row).
Existing rows keep NULL in both: their hashes never covered them.

On PostgreSQL a statement trigger refuses UPDATE, DELETE and TRUNCATE on ``audit_log``.
Only a superuser can step round it (``SET session_replication_role = replica`` skips
ordinary triggers): the test suite does, to empty its tables between tests.  The
application's role should moreover hold no UPDATE/DELETE/TRUNCATE right on the table
(README, "Operations").
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

FUNCTION = """CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$"""
TRIGGER = """CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"""


def upgrade():
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("key_id", sa.String(length=16), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_audit_log_seq"), ["seq"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION)
        op.execute(TRIGGER)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_log_seq"), type_="unique")
        batch_op.drop_column("key_id")
        batch_op.drop_column("seq")
