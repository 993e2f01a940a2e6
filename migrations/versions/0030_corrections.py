"""corrections: requests to correct or void a received record, voided samples and visits

Revision ID: 0030
Revises: 0029

``corrections`` holds the requests (issue 13 §3, issue 18 §2); ``samples.status`` gains
``voided`` (作废), which the pass-rate summary leaves out like ``rejected``: the triggers of
0010 are made again with both states excluded.  ``sampling_visits`` records when and why a
whole form was voided.  The CHECK on ``samples.status`` is widened as 0016 did (SQLite:
the stored schema text edited in the migration's transaction).
"""

import sqlalchemy as sa
from alembic import op

from labsys.models import summary_sql

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

OLD_SAMPLE_STATES = ("registered", "received", "rejected", "concluded", "reported", "reopened")
NEW_SAMPLE_STATES = (*OLD_SAMPLE_STATES, "voided")
SAMPLE_CHECK = "ck_samples_sample_status"

# --- the pass-rate summary's triggers (0010), with the states they leave out as a parameter
# (their SQL: labsys.models.summary_sql)


def _in_list(states) -> str:
    return summary_sql.in_list(states)


def _replace_triggers(excluded) -> None:
    dialect = op.get_bind().dialect.name
    for statement in summary_sql.legacy_drop(dialect):
        op.execute(statement)
    for statement in summary_sql.legacy_triggers_0030(dialect, excluded):
        op.execute(statement)


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
    _replace_triggers(("rejected", "voided"))
    # Plain ADD COLUMN (no foreign key): a batch copy of sampling_visits would drop the
    # table its samples refer to.
    op.add_column("sampling_visits", sa.Column("voided_at", sa.DateTime(), nullable=True))
    op.add_column("sampling_visits", sa.Column("void_reason", sa.Text(), nullable=True))
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "target",
            sa.Enum(
                "visit",
                "sample",
                "result",
                name="correction_target",
                native_enum=False,
                create_constraint=True,
                length=6,
            ),
            nullable=False,
        ),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "correct",
                "void",
                name="correction_action",
                native_enum=False,
                create_constraint=True,
                length=7,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "approved",
                "rejected",
                "withdrawn",
                name="correction_status",
                native_enum=False,
                create_constraint=True,
                length=9,
            ),
            nullable=False,
        ),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=True),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("target_version", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_corrections_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_corrections_report_id_reports")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_corrections_requested_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["samples.id"], name=op.f("fk_corrections_sample_id_samples")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["sampling_visits.id"],
            name=op.f("fk_corrections_visit_id_sampling_visits"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrections")),
    )
    op.create_index("ix_corrections_status", "corrections", ["status", "id"])
    op.create_index("ix_corrections_target", "corrections", ["target", "target_id", "status"])
    op.create_index(op.f("ix_corrections_sample_id"), "corrections", ["sample_id"])
    op.create_index(op.f("ix_corrections_visit_id"), "corrections", ["visit_id"])
    for column in ("requested_by_id", "decided_by_id", "report_id"):
        op.create_index(op.f(f"ix_corrections_{column}"), "corrections", [column])


def downgrade():
    for column in ("report_id", "decided_by_id", "requested_by_id"):
        op.drop_index(op.f(f"ix_corrections_{column}"), table_name="corrections")
    op.drop_index(op.f("ix_corrections_visit_id"), table_name="corrections")
    op.drop_index(op.f("ix_corrections_sample_id"), table_name="corrections")
    op.drop_index("ix_corrections_target", table_name="corrections")
    op.drop_index("ix_corrections_status", table_name="corrections")
    op.drop_table("corrections")
    op.drop_column("sampling_visits", "void_reason")
    op.drop_column("sampling_visits", "voided_at")
    # A voided sample has no place in the older states: it becomes a rejected one (both are
    # left out of the pass rates, so the summary does not move).
    op.execute("UPDATE samples SET status = 'rejected' WHERE status = 'voided'")
    _replace_triggers(("rejected",))
    _set_sample_states(NEW_SAMPLE_STATES, OLD_SAMPLE_STATES)
