"""lifecycle states: a reported sample reopened for a retest; the follow-up's status

Revision ID: 0016
Revises: 0015

``samples.status`` gains ``reopened`` (reported, its conclusion withdrawn for a retest: until
now a reported sample without a conclusion); ``followups.status`` records the retest track
(open → notified → retest requested → backup received → retested), derived from the dates
already recorded.

SQLite cannot alter a CHECK constraint, and rebuilding ``samples`` would drop its triggers
and, with foreign keys on, cascade the implicit DELETE to its results.  Adding a value to
the IN list only loosens the constraint, which the SQLite documentation allows to be done by
editing the stored schema text in the migration's transaction ("Making Other Kinds Of Table
Schema Changes", https://www.sqlite.org/lang_altertable.html#otheralter).
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

OLD_SAMPLE_STATES = ("registered", "received", "rejected", "concluded", "reported")
NEW_SAMPLE_STATES = (*OLD_SAMPLE_STATES, "reopened")
FOLLOWUP_STATES = ("open", "notified", "retest_requested", "backup_received", "retested")
SAMPLE_CHECK = "ck_samples_sample_status"


def _in_list(states) -> str:
    return ", ".join(f"'{s}'" for s in states)


def _set_sample_states(old, new) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.drop_constraint(op.f(SAMPLE_CHECK), "samples", type_="check")
        op.create_check_constraint(op.f(SAMPLE_CHECK), "samples", f"status IN ({_in_list(new)})")
        return
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'samples'"
    ).scalar_one()
    before, after = f"status IN ({_in_list(old)})", f"status IN ({_in_list(new)})"
    if sql.count(before) != 1:
        raise RuntimeError(f"samples: the CHECK {before} was not found once in {sql!r}")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'samples'",
        (sql.replace(before, after),),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")


def upgrade():
    _set_sample_states(OLD_SAMPLE_STATES, NEW_SAMPLE_STATES)
    op.execute(
        "UPDATE samples SET status = 'reopened' WHERE status = 'reported' AND conclusion IS NULL"
    )
    # One statement both databases accept: the column, its default and its named CHECK.
    op.execute(
        "ALTER TABLE followups ADD COLUMN status VARCHAR(16) DEFAULT 'open' NOT NULL "
        "CONSTRAINT ck_followups_followup_status "
        f"CHECK (status IN ({_in_list(FOLLOWUP_STATES)}))"
    )
    op.execute(
        "UPDATE followups SET status = CASE "
        "WHEN retest_conclusion IS NOT NULL THEN 'retested' "
        "WHEN retest_backup_received_on IS NOT NULL THEN 'backup_received' "
        "WHEN retest_requested_on IS NOT NULL THEN 'retest_requested' "
        "WHEN notified_on IS NOT NULL THEN 'notified' ELSE 'open' END"
    )


def downgrade():
    op.drop_column("followups", "status")
    op.execute("UPDATE samples SET status = 'reported' WHERE status = 'reopened'")
    _set_sample_states(NEW_SAMPLE_STATES, OLD_SAMPLE_STATES)
