"""an account's failed-login counter notes the addresses its failures came from

Revision ID: 0044
Revises: 0043

Unlocking an account cleared the account's counter but not the lock of the address the
colleague had failed from (their own computer, locked too when its limit was reached), so
the unlocked colleague was still refused at the login page.  The account's counter now
keeps the addresses its failures in the current window came from (JSON, newest last, at
most ten), and the administrator's unlock offers their locks (services/security.py).

Upgrade: the column (NULL: no address noted; counters last at most the lockout window, so
none needs a backfill).  Downgrade: the column goes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0044"
down_revision = "0043"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("login_throttle", sa.Column("addresses", sa.Text(), nullable=True))


def downgrade():
    op.drop_column("login_throttle", "addresses")
