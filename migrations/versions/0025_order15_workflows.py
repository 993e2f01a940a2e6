"""Order No. 15 workflows: retests, objections and disposals as rows of their own

Revision ID: 0025
Revises: 0024

The retest (复检, SAMR Order No. 15 (2019) Arts. 30-36), the objections (异议, Arts. 37-39)
and the disposal (核查处置, Art. 45) each get a table and a state machine; the list of
qualified retest labs (复检机构名录) is kept by the administrator.  ``followups`` keeps the
notification and the backup's retention: its retest, objection and disposal columns go
(their values are not carried over: the old columns recorded typed dates, not the steps the
new tables record), and its status is open or notified.

``followups`` is rebuilt by a batch copy on SQLite (nothing refers to it); the new tables
refer to ``samples``, ``labs``, ``reports`` and ``users`` without changing them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

OLD_FOLLOWUP_STATES = ("open", "notified", "retest_requested", "backup_received", "retested")
NEW_FOLLOWUP_STATES = ("open", "notified")
FOLLOWUP_CHECK = "ck_followups_followup_status"


def _in_list(states) -> str:
    return ", ".join(f"'{s}'" for s in states)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(
        *values, name=name, native_enum=False, create_constraint=True, length=max(map(len, values))
    )


CONCLUSIONS = ("qualified", "unqualified", "inconclusive", "not_judged")
APPLICANTS = ("sampled_unit", "producer")


def _dates(*names: str) -> list[sa.Column]:
    return [sa.Column(name, sa.Date(), nullable=True) for name in names]


def upgrade():
    op.execute(
        "UPDATE followups SET status = 'notified' "
        f"WHERE status NOT IN ({_in_list(NEW_FOLLOWUP_STATES)})"
    )
    with op.batch_alter_table("followups", recreate="auto") as batch:
        batch.drop_index("ix_followups_disposal_due")
        batch.drop_index("ix_followups_retest_due")
        batch.drop_constraint(op.f(FOLLOWUP_CHECK), type_="check")
        batch.alter_column(
            "status", type_=sa.String(8), existing_type=sa.String(16), existing_nullable=False
        )
        batch.create_check_constraint(
            op.f(FOLLOWUP_CHECK), f"status IN ({_in_list(NEW_FOLLOWUP_STATES)})"
        )
        batch.drop_constraint(op.f("fk_followups_retest_lab_id_labs"), type_="foreignkey")
        batch.drop_constraint(op.f("ck_followups_conclusion"), type_="check")
        batch.drop_constraint(op.f("ck_followups_objection_kind"), type_="check")
        for column in (
            "retest_requested_on",
            "retest_lab_id",
            "retest_backup_received_on",
            "retest_due",
            "retest_result",
            "retest_conclusion",
            "retest_reported_on",
            "objection_kind",
            "objection_filed_on",
            "objection_outcome",
            "disposal_started_on",
            "disposal_first_due",
            "disposal_first_done_on",
            "disposal_second_due",
            "disposal_second_done_on",
            "disposal_due",
            "disposal_completed_on",
            "disposal_notes",
        ):
            batch.drop_column(column)

    op.create_table(
        "retest_labs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "lab_id",
            sa.Integer(),
            sa.ForeignKey("labs.id", name=op.f("fk_retest_labs_lab_id_labs")),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(200), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retest_labs")),
        sa.UniqueConstraint("lab_id", name=op.f("uq_retest_labs_lab_id")),
    )
    op.create_table(
        "retests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "sample_id",
            sa.Integer(),
            sa.ForeignKey("samples.id", name=op.f("fk_retests_sample_id_samples")),
            nullable=False,
        ),
        sa.Column(
            "status",
            _enum(
                "retest_status",
                "applied",
                "accepted",
                "refused",
                "lab_chosen",
                "backup_received",
                "retested",
            ),
            nullable=False,
        ),
        sa.Column("applicant", _enum("retest_applicant", *APPLICANTS), nullable=False),
        sa.Column("applicant_name", sa.String(200), nullable=False),
        sa.Column("conclusion_received_on", sa.Date(), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("window_end", sa.Date(), nullable=False),
        *_dates("decision_due", "decided_on"),
        sa.Column(
            "refusal_ground",
            _enum("retest_ground", "microbiological", "backup_expired", "late", "backup_unusable"),
            nullable=True,
        ),
        sa.Column("refusal_note", sa.Text(), nullable=True),
        *_dates("lab_due"),
        sa.Column("lab_extension_reason", sa.Text(), nullable=True),
        sa.Column(
            "lab_id",
            sa.Integer(),
            sa.ForeignKey("labs.id", name=op.f("fk_retests_lab_id_labs")),
            nullable=True,
        ),
        *_dates("lab_chosen_on"),
        sa.Column("lab_seed", sa.String(40), nullable=True),
        sa.Column("lab_candidates", sa.String(500), nullable=True),
        sa.Column("methods", sa.Text(), nullable=True),
        *_dates("handover_due", "backup_received_on"),
        sa.Column("seal_intact", sa.Boolean(), nullable=True),
        sa.Column("seal_note", sa.Text(), nullable=True),
        *_dates("result_due"),
        sa.Column("result_text", sa.Text(), nullable=True),
        sa.Column("conclusion", _enum("retest_conclusion", *CONCLUSIONS), nullable=True),
        *_dates("reported_on"),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retests")),
    )
    op.create_index("ix_retests_sample_id", "retests", ["sample_id"])
    for name, column in (
        ("decision", "decision_due"),
        ("lab", "lab_due"),
        ("handover", "handover_due"),
        ("result", "result_due"),
    ):
        op.create_index(f"ix_retests_{name}", "retests", ["status", column])

    op.create_table(
        "objections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "sample_id",
            sa.Integer(),
            sa.ForeignKey("samples.id", name=op.f("fk_objections_sample_id_samples")),
            nullable=False,
        ),
        sa.Column(
            "status",
            _enum("objection_status", "filed", "accepted", "refused", "upheld", "dismissed"),
            nullable=False,
        ),
        sa.Column(
            "kind",
            _enum("objection_kind", "sampling_process", "authenticity", "test_method", "standard"),
            nullable=False,
        ),
        sa.Column("applicant", _enum("objection_applicant", *APPLICANTS), nullable=False),
        sa.Column("applicant_name", sa.String(200), nullable=False),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("window_end", sa.Date(), nullable=False),
        *_dates("decision_due", "decided_on"),
        sa.Column("refusal_note", sa.Text(), nullable=True),
        *_dates("review_due", "outcome_on"),
        sa.Column("outcome_note", sa.Text(), nullable=True),
        sa.Column("effect", _enum("objection_effect", "withdrawn", "corrected"), nullable=True),
        sa.Column(
            "report_id",
            sa.Integer(),
            sa.ForeignKey("reports.id", name=op.f("fk_objections_report_id_reports")),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objections")),
    )
    op.create_index("ix_objections_sample_id", "objections", ["sample_id"])
    op.create_index("ix_objections_decision", "objections", ["status", "decision_due"])
    op.create_index("ix_objections_review", "objections", ["status", "review_due"])

    op.create_table(
        "disposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "sample_id",
            sa.Integer(),
            sa.ForeignKey("samples.id", name=op.f("fk_disposals_sample_id_samples")),
            nullable=False,
        ),
        sa.Column("status", _enum("disposal_status", "under_way", "completed"), nullable=False),
        sa.Column(
            "report_id",
            sa.Integer(),
            sa.ForeignKey("reports.id", name=op.f("fk_disposals_report_id_reports")),
            nullable=False,
        ),
        sa.Column("received_on", sa.Date(), nullable=False),
        *_dates("first_due", "first_done_on", "second_due", "second_done_on", "due"),
        *_dates("completed_on"),
        sa.Column("removed_quantity", sa.String(30), nullable=True),
        sa.Column("sealed_quantity", sa.String(30), nullable=True),
        sa.Column("recalled_quantity", sa.String(30), nullable=True),
        sa.Column("quantity_unit", sa.String(20), nullable=True),
        sa.Column("cause", sa.Text(), nullable=True),
        sa.Column("corrections", sa.Text(), nullable=True),
        sa.Column("case_filed", sa.Boolean(), nullable=True),
        sa.Column("case_no", sa.String(60), nullable=True),
        sa.Column("penalty", sa.Text(), nullable=True),
        sa.Column("penalty_amount", sa.String(30), nullable=True),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disposals")),
        sa.UniqueConstraint("sample_id", name=op.f("uq_disposals_sample_id")),
    )
    op.create_index("ix_disposals_due", "disposals", ["status", "due"])
    op.create_table(
        "disposal_extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "disposal_id",
            sa.Integer(),
            sa.ForeignKey(
                "disposals.id", name=op.f("fk_disposal_extensions_disposal_id_disposals")
            ),
            nullable=False,
        ),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("approved_by", sa.String(100), nullable=False),
        sa.Column("approved_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("previous_due", sa.Date(), nullable=False),
        sa.Column("new_due", sa.Date(), nullable=False),
        sa.Column(
            "recorded_by_id",
            sa.Integer(),
            sa.ForeignKey("users.id", name=op.f("fk_disposal_extensions_recorded_by_id_users")),
            nullable=True,
        ),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disposal_extensions")),
    )
    op.create_index("ix_disposal_extensions_disposal_id", "disposal_extensions", ["disposal_id"])


def downgrade():
    op.drop_table("disposal_extensions")
    op.drop_table("disposals")
    op.drop_table("objections")
    op.drop_table("retests")
    op.drop_table("retest_labs")
    with op.batch_alter_table("followups", recreate="auto") as batch:
        # The status column goes and comes back below as 0016 made it (its CHECK on the
        # column itself, which 0016's downgrade can drop on SQLite).
        batch.drop_constraint(op.f(FOLLOWUP_CHECK), type_="check")
        batch.drop_column("status")
        batch.add_column(sa.Column("retest_requested_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("retest_lab_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("retest_backup_received_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("retest_due", sa.Date(), nullable=True))
        batch.add_column(sa.Column("retest_result", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("retest_conclusion", _enum("conclusion", *CONCLUSIONS), nullable=True)
        )
        batch.add_column(sa.Column("retest_reported_on", sa.Date(), nullable=True))
        batch.add_column(
            sa.Column(
                "objection_kind", _enum("objection_kind", "sampling", "result"), nullable=True
            )
        )
        batch.add_column(sa.Column("objection_filed_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("objection_outcome", sa.Text(), nullable=True))
        for name in (
            "disposal_started_on",
            "disposal_first_due",
            "disposal_first_done_on",
            "disposal_second_due",
            "disposal_second_done_on",
            "disposal_due",
            "disposal_completed_on",
        ):
            batch.add_column(sa.Column(name, sa.Date(), nullable=True))
        batch.add_column(sa.Column("disposal_notes", sa.Text(), nullable=True))
        batch.create_foreign_key(
            "fk_followups_retest_lab_id_labs", "labs", ["retest_lab_id"], ["id"]
        )
        batch.create_index("ix_followups_disposal_due", ["disposal_due"])
        batch.create_index("ix_followups_retest_due", ["retest_due"])
    op.execute(
        "ALTER TABLE followups ADD COLUMN status VARCHAR(16) DEFAULT 'open' NOT NULL "
        f"CONSTRAINT {FOLLOWUP_CHECK} CHECK (status IN ({_in_list(OLD_FOLLOWUP_STATES)}))"
    )
    op.execute("UPDATE followups SET status = 'notified' WHERE notified_on IS NOT NULL")
