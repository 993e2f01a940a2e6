"""records locked once reported: a withdrawn report, a closed disposal (issue 18 §2, #12)

Revision ID: 0041
Revises: 0040

An objection upheld by withdrawing the conclusion (SAMR Order No. 15 (2019) Art. 39) withdraws
the issued report: ``reports.status`` gains ``withdrawn`` with ``withdrawn_at`` and
``withdrawal_reason``.  A disposal (核查处置) whose unqualified conclusion no longer stands (a
qualified retest, a withdrawal) is closed: ``disposals.status`` gains ``closed`` with
``closed_on`` and ``closed_reason``.  A reported result's correction is reviewed (审核) by a
second reviewer before a supervisor approves it: ``corrections.reviewed_by_id`` and
``reviewed_at``.  The CHECKs are widened as 0030 did (SQLite: the table's
stored SQL is edited in place, no table copy: other tables refer to both).
"""

import sqlalchemy as sa
from alembic import op

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None

REPORT_STATES = ("issued", "superseded")
DISPOSAL_STATES = ("under_way", "completed")
CHECKS = {
    # table: (constraint, old states, new states)
    "reports": ("ck_reports_report_status", REPORT_STATES, (*REPORT_STATES, "withdrawn")),
    "disposals": ("ck_disposals_disposal_status", DISPOSAL_STATES, (*DISPOSAL_STATES, "closed")),
}


REVIEWER_FK = "fk_corrections_reviewed_by_id_users"
REVIEWER_IX = "ix_corrections_reviewed_by_id"


def _in_list(states) -> str:
    return ", ".join(f"'{s}'" for s in states)


def _set_states(table: str, name: str, old, new) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.drop_constraint(op.f(name), table, type_="check")
        op.create_check_constraint(op.f(name), table, f"status IN ({_in_list(new)})")
        return
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
    before, after = f"status IN ({_in_list(old)})", f"status IN ({_in_list(new)})"
    if sql.count(before) != 1:
        raise RuntimeError(f"{table}: the CHECK {before} was not found once in {sql!r}")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
        (sql.replace(before, after), table),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade():
    for table, (name, old, new) in CHECKS.items():
        _set_states(table, name, old, new)
    # Plain ADD COLUMN (no foreign key, no batch copy of tables others refer to).
    op.add_column("reports", sa.Column("withdrawn_at", sa.DateTime(), nullable=True))
    op.add_column("reports", sa.Column("withdrawal_reason", sa.Text(), nullable=True))
    op.add_column("disposals", sa.Column("closed_on", sa.Date(), nullable=True))
    op.add_column("disposals", sa.Column("closed_reason", sa.Text(), nullable=True))
    # Who reviewed (审核) a reported result's correction, and when.
    if op.get_bind().dialect.name == "sqlite":
        op.add_column("corrections", sa.Column("reviewed_by_id", sa.Integer(), nullable=True))
        _sqlite_add_named_fk()
    else:
        op.add_column("corrections", sa.Column("reviewed_by_id", sa.Integer(), nullable=True))
        op.create_foreign_key(op.f(REVIEWER_FK), "corrections", "users", ["reviewed_by_id"], ["id"])
    op.add_column("corrections", sa.Column("reviewed_at", sa.DateTime(), nullable=True))
    op.create_index(op.f(REVIEWER_IX), "corrections", ["reviewed_by_id"])


def downgrade():
    # The older states have no place for these rows: a withdrawn report becomes superseded
    # (no longer in force), a closed disposal completed (off the board).
    op.execute("UPDATE reports SET status = 'superseded' WHERE status = 'withdrawn'")
    op.execute("UPDATE disposals SET status = 'completed' WHERE status = 'closed'")
    for column in ("withdrawal_reason", "withdrawn_at"):
        _drop_column("reports", column)
    for column in ("closed_reason", "closed_on"):
        _drop_column("disposals", column)
    op.drop_index(op.f(REVIEWER_IX), table_name="corrections")
    _drop_column("corrections", "reviewed_at")
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_drop_named_fk()
    else:
        op.drop_constraint(op.f(REVIEWER_FK), "corrections", type_="foreignkey")
    _drop_column("corrections", "reviewed_by_id")
    for table, (name, old, new) in CHECKS.items():
        _set_states(table, name, new, old)


def _sqlite_add_named_fk() -> None:
    """SQLite keeps no name for a column's inline REFERENCES: the named table constraint is
    written into the stored table SQL (as 0030 widened a CHECK), no table copy."""
    bind = op.get_bind()
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'corrections'"
    ).scalar_one()
    body = sql.rstrip().removesuffix(")")
    constraint = f"CONSTRAINT {REVIEWER_FK} FOREIGN KEY(reviewed_by_id) REFERENCES users (id)"
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'corrections'",
        (f"{body}, \n\t{constraint}\n)",),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def _sqlite_drop_named_fk() -> None:
    """Undo ``_sqlite_add_named_fk`` (SQLite drops no column a constraint names)."""
    bind = op.get_bind()
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'corrections'"
    ).scalar_one()
    constraint = f", \n\tCONSTRAINT {REVIEWER_FK} FOREIGN KEY(reviewed_by_id) REFERENCES users (id)"
    if sql.count(constraint) != 1:
        raise RuntimeError(f"corrections: {REVIEWER_FK} was not found once in {sql!r}")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'corrections'",
        (sql.replace(constraint, ""),),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def _drop_column(table: str, column: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")  # SQLite ≥ 3.35
    else:
        op.drop_column(table, column)
