"""index every foreign key (issue #19): deleting a referenced row no longer scans the table

Deleting one sample_results row checked sample_results.supersedes_id by a full scan (5.6 M
rows on PostgreSQL, 3.1 s each).  tests/foundation/test_fk_indexes.py keeps every foreign
key indexed from now on.

Revision ID: 0029
Revises: 0028
"""

from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

# (table, index, columns): one per foreign key that no index led with.
INDEXES = [
    ("attachments", "ix_attachments_uploaded_by_id", ["uploaded_by_id"]),
    ("backup_samples", "ix_backup_samples_disposed_by_id", ["disposed_by_id"]),
    ("backup_samples", "ix_backup_samples_handed_over_by_id", ["handed_over_by_id"]),
    ("backup_samples", "ix_backup_samples_handed_to_lab_id", ["handed_to_lab_id"]),
    ("backup_samples", "ix_backup_samples_stored_by_id", ["stored_by_id"]),
    ("audit_log", "ix_audit_log_user_id", ["user_id"]),
    ("authorised_signatories", "ix_authorised_signatories_created_by_id", ["created_by_id"]),
    ("bench_records", "ix_bench_records_recorded_by_id", ["recorded_by_id"]),
    ("disposal_extensions", "ix_disposal_extensions_recorded_by_id", ["recorded_by_id"]),
    ("disposals", "ix_disposals_report_id", ["report_id"]),
    ("followups", "ix_followups_opened_by_id", ["opened_by_id"]),
    ("objections", "ix_objections_report_id", ["report_id"]),
    ("plan_quotas", "ix_plan_quotas_category_id", ["category_id"]),
    ("plan_quotas", "ix_plan_quotas_region_code", ["region_code"]),
    ("plans", "ix_plans_created_by_id", ["created_by_id"]),
    ("regions", "ix_regions_parent_code", ["parent_code"]),
    ("reports", "ix_reports_approver_id", ["approver_id"]),
    ("reports", "ix_reports_author_id", ["author_id"]),
    ("reports", "ix_reports_replaces_id", ["replaces_id"]),
    ("reports", "ix_reports_reviewer_id", ["reviewer_id"]),
    ("reports", "ix_reports_superseded_by_id", ["superseded_by_id"]),
    ("result_assignments", "ix_result_assignments_assigned_by_id", ["assigned_by_id"]),
    ("retests", "ix_retests_lab_id", ["lab_id"]),
    ("sample_results", "ix_sample_results_entered_by_id", ["entered_by_id"]),
    ("sample_results", "ix_sample_results_reviewed_by_id", ["reviewed_by_id"]),
    ("sample_results", "ix_sample_results_supersedes_id", ["supersedes_id"]),
    ("samples", "ix_samples_category_id", ["category_id"]),
    ("samples", "ix_samples_lab_id", ["lab_id"]),
    ("samples", "ix_samples_plan_id", ["plan_id"]),
    ("samples", "ix_samples_received_by_id", ["received_by_id"]),
    ("sampling_visits", "ix_sampling_visits_created_by_id", ["created_by_id"]),
    ("sampling_visits", "ix_sampling_visits_region_code", ["region_code"]),
    ("signatory_scopes", "ix_signatory_scopes_category_id", ["category_id"]),
    ("tasks", "ix_tasks_category_id", ["category_id"]),
    ("tasks", "ix_tasks_created_by_id", ["created_by_id"]),
    ("tasks", "ix_tasks_lab_id", ["lab_id"]),
    ("tasks", "ix_tasks_region_code", ["region_code"]),
    ("webhook_deliveries", "ix_webhook_deliveries_event_id", ["event_id"]),
]


def upgrade():
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade():
    for table, name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
