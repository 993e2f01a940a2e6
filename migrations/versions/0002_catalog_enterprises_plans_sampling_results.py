"""catalog, enterprises, plans, sampling and results

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 23:07:56.856269

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "catalog_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("loaded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_versions")),
        sa.UniqueConstraint("name", name=op.f("uq_catalog_versions_name")),
    )
    op.create_table(
        "food_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("name_zh", sa.String(length=80), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("is_key_food", sa.Boolean(), nullable=False),
        sa.Column("path", sa.String(length=200), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.CheckConstraint("level BETWEEN 1 AND 4", name=op.f("ck_food_categories_level_range")),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["food_categories.id"],
            name=op.f("fk_food_categories_parent_id_food_categories"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_food_categories")),
        sa.UniqueConstraint("code", name=op.f("uq_food_categories_code")),
    )
    with op.batch_alter_table("food_categories", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_food_categories_parent_id"), ["parent_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_food_categories_path"), ["path"], unique=False)

    op.create_table(
        "holidays",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("is_workday", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_holidays")),
    )
    op.create_table(
        "labs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_labs")),
        sa.UniqueConstraint("code", name=op.f("uq_labs_code")),
    )
    op.create_table(
        "number_sequences",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_number_sequences")),
    )
    op.create_table(
        "regions",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("name_zh", sa.String(length=60), nullable=False),
        sa.Column("name_en", sa.String(length=80), nullable=False),
        sa.Column("parent_code", sa.String(length=12), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_code"], ["regions.code"], name=op.f("fk_regions_parent_code_regions")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_regions")),
    )
    op.create_table(
        "test_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=160), nullable=False),
        sa.Column("unit", sa.String(length=30), nullable=False),
        sa.Column("method_standard", sa.String(length=120), nullable=False),
        sa.Column("is_microbiological", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_test_items")),
        sa.UniqueConstraint("code", name=op.f("uq_test_items_code")),
    )
    op.create_table(
        "enterprises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column("uscc", sa.String(length=18), nullable=True),
        sa.Column("licence_no", sa.String(length=60), nullable=False),
        sa.Column(
            "risk_grade",
            sa.Enum(
                "A", "B", "C", "D", name="risk_grade", native_enum=False, create_constraint=True
            ),
            nullable=True,
        ),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("contact", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_enterprises_region_code_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprises")),
        sa.UniqueConstraint("uscc", name=op.f("uq_enterprises_uscc")),
    )
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.create_index("ix_enterprises_name", ["name"], unique=False)
        batch_op.create_index("ix_enterprises_region", ["region_code"], unique=False)

    op.create_table(
        "plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("inspection_type", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_plans_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
        sa.UniqueConstraint("code", name=op.f("uq_plans_code")),
    )
    op.create_table(
        "specifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("test_item_id", sa.Integer(), nullable=False),
        sa.Column("limit_text", sa.String(length=60), nullable=False),
        sa.Column("unit", sa.String(length=30), nullable=False),
        sa.Column("method_standard", sa.String(length=120), nullable=False),
        sa.Column("judgement_basis", sa.String(length=120), nullable=False),
        sa.Column("lod", sa.String(length=30), nullable=True),
        sa.Column("loq", sa.String(length=30), nullable=True),
        sa.Column("interval", sa.String(length=20), nullable=True),
        sa.Column(
            "comparison_method",
            sa.Enum(
                "full",
                "rounded",
                name="comparison_method",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "decision_rule",
            sa.Enum(
                "simple", "guarded", name="decision_rule", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("uncertainty", sa.String(length=30), nullable=True),
        sa.Column("micro_n", sa.Integer(), nullable=True),
        sa.Column("micro_c", sa.Integer(), nullable=True),
        sa.Column("micro_m", sa.String(length=30), nullable=True),
        sa.Column("micro_big_m", sa.String(length=30), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("excluded", sa.Boolean(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["food_categories.id"],
            name=op.f("fk_specifications_category_id_food_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["test_item_id"],
            ["test_items.id"],
            name=op.f("fk_specifications_test_item_id_test_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_specifications")),
        sa.UniqueConstraint(
            "category_id",
            "test_item_id",
            "effective_from",
            name=op.f("uq_specifications_category_id_test_item_id_effective_from"),
        ),
    )
    with op.batch_alter_table("specifications", schema=None) as batch_op:
        batch_op.create_index("ix_specifications_item", ["test_item_id"], unique=False)

    op.create_table(
        "plan_quotas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column(
            "link",
            sa.Enum(
                "production",
                "retail",
                "catering",
                "online",
                name="link",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("quota", sa.Integer(), nullable=False),
        sa.CheckConstraint("quota > 0", name=op.f("ck_plan_quotas_quota_positive")),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["food_categories.id"],
            name=op.f("fk_plan_quotas_category_id_food_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_plan_quotas_plan_id_plans"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_plan_quotas_region_code_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_quotas")),
    )
    with op.batch_alter_table("plan_quotas", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_quotas_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("quota_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=True),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column(
            "link",
            sa.Enum(
                "production",
                "retail",
                "catering",
                "online",
                name="link",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("quota", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("lab_id", sa.Integer(), nullable=True),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("quota > 0", name=op.f("ck_tasks_quota_positive")),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["food_categories.id"],
            name=op.f("fk_tasks_category_id_food_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_tasks_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(["lab_id"], ["labs.id"], name=op.f("fk_tasks_lab_id_labs")),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], name=op.f("fk_tasks_plan_id_plans")),
        sa.ForeignKeyConstraint(
            ["quota_id"], ["plan_quotas.id"], name=op.f("fk_tasks_quota_id_plan_quotas")
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_tasks_region_code_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sa.UniqueConstraint("code", name=op.f("uq_tasks_code")),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tasks_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tasks_quota_id"), ["quota_id"], unique=False)

    op.create_table(
        "sampling_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("sampled_unit_id", sa.Integer(), nullable=False),
        sa.Column("sampling_date", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=False),
        sa.Column(
            "link",
            sa.Enum(
                "production",
                "retail",
                "catering",
                "online",
                name="link",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_sampling_visits_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_sampling_visits_region_code_regions")
        ),
        sa.ForeignKeyConstraint(
            ["sampled_unit_id"],
            ["enterprises.id"],
            name=op.f("fk_sampling_visits_sampled_unit_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_sampling_visits_task_id_tasks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sampling_visits")),
    )
    with op.batch_alter_table("sampling_visits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sampling_visits_sampled_unit_id"), ["sampled_unit_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sampling_visits_task_id"), ["task_id"], unique=False)

    op.create_table(
        "task_samplers",
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_task_samplers_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_task_samplers_user_id_users")
        ),
        sa.PrimaryKeyConstraint("task_id", "user_id", name=op.f("pk_task_samplers")),
    )
    with op.batch_alter_table("task_samplers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_samplers_user_id"), ["user_id"], unique=False)

    op.create_table(
        "samples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_no", sa.String(length=40), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "registered",
                "received",
                "rejected",
                "concluded",
                "reported",
                name="sample_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("food_name", sa.String(length=200), nullable=False),
        sa.Column("brand", sa.String(length=100), nullable=False),
        sa.Column("specification", sa.String(length=100), nullable=False),
        sa.Column("production_date", sa.Date(), nullable=True),
        sa.Column("batch_no", sa.String(length=60), nullable=False),
        sa.Column("shelf_life", sa.String(length=40), nullable=False),
        sa.Column("shelf_life_days", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.String(length=30), nullable=False),
        sa.Column("quantity_unit", sa.String(length=20), nullable=False),
        sa.Column("backup_quantity", sa.String(length=30), nullable=True),
        sa.Column("sampling_base", sa.String(length=60), nullable=False),
        sa.Column("producer_id", sa.Integer(), nullable=True),
        sa.Column("remarks", sa.Text(), nullable=True),
        sa.Column("sampling_date", sa.Date(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=True),
        sa.Column(
            "link",
            sa.Enum(
                "production",
                "retail",
                "catering",
                "online",
                name="link",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("lab_id", sa.Integer(), nullable=True),
        sa.Column("sampler_id", sa.Integer(), nullable=False),
        sa.Column("cat_l1_id", sa.Integer(), nullable=False),
        sa.Column("cat_l2_id", sa.Integer(), nullable=True),
        sa.Column("cat_l3_id", sa.Integer(), nullable=True),
        sa.Column("cat_l4_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=True),
        sa.Column("received_by_id", sa.Integer(), nullable=True),
        sa.Column("seal_state", sa.String(length=40), nullable=True),
        sa.Column("condition", sa.String(length=200), nullable=True),
        sa.Column("temperature", sa.String(length=20), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column(
            "conclusion",
            sa.Enum(
                "qualified",
                "unqualified",
                "inconclusive",
                "not_judged",
                name="conclusion",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("concluded_at", sa.DateTime(), nullable=True),
        sa.Column("due_delivery", sa.Date(), nullable=True),
        sa.Column("due_report", sa.Date(), nullable=True),
        sa.Column("due_unqualified_report", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "shelf_life_days IS NULL OR shelf_life_days > 0",
            name=op.f("ck_samples_shelf_life_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["cat_l1_id"], ["food_categories.id"], name=op.f("fk_samples_cat_l1_id_food_categories")
        ),
        sa.ForeignKeyConstraint(
            ["cat_l2_id"], ["food_categories.id"], name=op.f("fk_samples_cat_l2_id_food_categories")
        ),
        sa.ForeignKeyConstraint(
            ["cat_l3_id"], ["food_categories.id"], name=op.f("fk_samples_cat_l3_id_food_categories")
        ),
        sa.ForeignKeyConstraint(
            ["cat_l4_id"], ["food_categories.id"], name=op.f("fk_samples_cat_l4_id_food_categories")
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["food_categories.id"],
            name=op.f("fk_samples_category_id_food_categories"),
        ),
        sa.ForeignKeyConstraint(["lab_id"], ["labs.id"], name=op.f("fk_samples_lab_id_labs")),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], name=op.f("fk_samples_plan_id_plans")),
        sa.ForeignKeyConstraint(
            ["producer_id"], ["enterprises.id"], name=op.f("fk_samples_producer_id_enterprises")
        ),
        sa.ForeignKeyConstraint(
            ["received_by_id"], ["users.id"], name=op.f("fk_samples_received_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_samples_region_code_regions")
        ),
        sa.ForeignKeyConstraint(
            ["sampler_id"], ["users.id"], name=op.f("fk_samples_sampler_id_users")
        ),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_samples_task_id_tasks")),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["sampling_visits.id"], name=op.f("fk_samples_visit_id_sampling_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_samples")),
        sa.UniqueConstraint("sample_no", name=op.f("uq_samples_sample_no")),
    )
    with op.batch_alter_table("samples", schema=None) as batch_op:
        batch_op.create_index("ix_samples_cat_l1", ["cat_l1_id", "sampling_date"], unique=False)
        batch_op.create_index("ix_samples_cat_l2", ["cat_l2_id", "sampling_date"], unique=False)
        batch_op.create_index("ix_samples_cat_l3", ["cat_l3_id", "sampling_date"], unique=False)
        batch_op.create_index("ix_samples_cat_l4", ["cat_l4_id", "sampling_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_samples_producer_id"), ["producer_id"], unique=False)
        batch_op.create_index("ix_samples_region", ["region_code", "sampling_date"], unique=False)
        batch_op.create_index("ix_samples_sampler", ["sampler_id", "id"], unique=False)
        batch_op.create_index("ix_samples_sampling_date", ["sampling_date", "id"], unique=False)
        batch_op.create_index("ix_samples_status", ["status", "id"], unique=False)
        batch_op.create_index("ix_samples_task", ["task_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_samples_visit_id"), ["visit_id"], unique=False)

    op.create_table(
        "visit_samplers",
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_visit_samplers_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"],
            ["sampling_visits.id"],
            name=op.f("fk_visit_samplers_visit_id_sampling_visits"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("visit_id", "user_id", name=op.f("pk_visit_samplers")),
    )
    with op.batch_alter_table("visit_samplers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_samplers_user_id"), ["user_id"], unique=False)

    op.create_table(
        "sample_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("test_item_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("item_name", sa.String(length=100), nullable=False),
        sa.Column("unit", sa.String(length=30), nullable=False),
        sa.Column("limit_text", sa.String(length=60), nullable=False),
        sa.Column("method_standard", sa.String(length=120), nullable=False),
        sa.Column("judgement_basis", sa.String(length=120), nullable=False),
        sa.Column("lod", sa.String(length=30), nullable=True),
        sa.Column("loq", sa.String(length=30), nullable=True),
        sa.Column("interval", sa.String(length=20), nullable=True),
        sa.Column(
            "comparison_method",
            sa.Enum(
                "full",
                "rounded",
                name="comparison_method",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "decision_rule",
            sa.Enum(
                "simple", "guarded", name="decision_rule", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("uncertainty", sa.String(length=30), nullable=True),
        sa.Column("micro_n", sa.Integer(), nullable=True),
        sa.Column("micro_c", sa.Integer(), nullable=True),
        sa.Column("micro_m", sa.String(length=30), nullable=True),
        sa.Column("micro_big_m", sa.String(length=30), nullable=True),
        sa.Column("measured_text", sa.String(length=60), nullable=True),
        sa.Column("unit_values", sa.Text(), nullable=True),
        sa.Column("reported_text", sa.String(length=80), nullable=True),
        sa.Column(
            "verdict",
            sa.Enum(
                "pass",
                "fail",
                "inconclusive",
                "not_judged",
                name="verdict",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "entered",
                "submitted",
                "returned",
                "accepted",
                "superseded",
                name="result_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("entered_at", sa.DateTime(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("return_reason", sa.Text(), nullable=True),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entered_by_id"], ["users.id"], name=op.f("fk_sample_results_entered_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"], ["users.id"], name=op.f("fk_sample_results_reviewed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"],
            ["samples.id"],
            name=op.f("fk_sample_results_sample_id_samples"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["sample_results.id"],
            name=op.f("fk_sample_results_supersedes_id_sample_results"),
        ),
        sa.ForeignKeyConstraint(
            ["test_item_id"],
            ["test_items.id"],
            name=op.f("fk_sample_results_test_item_id_test_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sample_results")),
    )
    with op.batch_alter_table("sample_results", schema=None) as batch_op:
        batch_op.create_index("ix_sample_results_sample", ["sample_id", "seq"], unique=False)
        batch_op.create_index("ix_sample_results_status", ["status", "id"], unique=False)
        batch_op.create_index(
            "ix_sample_results_worksheet", ["test_item_id", "status", "sample_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("sample_results", schema=None) as batch_op:
        batch_op.drop_index("ix_sample_results_worksheet")
        batch_op.drop_index("ix_sample_results_status")
        batch_op.drop_index("ix_sample_results_sample")

    op.drop_table("sample_results")
    with op.batch_alter_table("visit_samplers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_samplers_user_id"))

    op.drop_table("visit_samplers")
    with op.batch_alter_table("samples", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_samples_visit_id"))
        batch_op.drop_index("ix_samples_task")
        batch_op.drop_index("ix_samples_status")
        batch_op.drop_index("ix_samples_sampling_date")
        batch_op.drop_index("ix_samples_sampler")
        batch_op.drop_index("ix_samples_region")
        batch_op.drop_index(batch_op.f("ix_samples_producer_id"))
        batch_op.drop_index("ix_samples_cat_l4")
        batch_op.drop_index("ix_samples_cat_l3")
        batch_op.drop_index("ix_samples_cat_l2")
        batch_op.drop_index("ix_samples_cat_l1")

    op.drop_table("samples")
    with op.batch_alter_table("task_samplers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_samplers_user_id"))

    op.drop_table("task_samplers")
    with op.batch_alter_table("sampling_visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sampling_visits_task_id"))
        batch_op.drop_index(batch_op.f("ix_sampling_visits_sampled_unit_id"))

    op.drop_table("sampling_visits")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tasks_quota_id"))
        batch_op.drop_index(batch_op.f("ix_tasks_plan_id"))

    op.drop_table("tasks")
    with op.batch_alter_table("plan_quotas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_quotas_plan_id"))

    op.drop_table("plan_quotas")
    with op.batch_alter_table("specifications", schema=None) as batch_op:
        batch_op.drop_index("ix_specifications_item")

    op.drop_table("specifications")
    op.drop_table("plans")
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.drop_index("ix_enterprises_region")
        batch_op.drop_index("ix_enterprises_name")

    op.drop_table("enterprises")
    op.drop_table("test_items")
    op.drop_table("regions")
    op.drop_table("number_sequences")
    op.drop_table("labs")
    op.drop_table("holidays")
    with op.batch_alter_table("food_categories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_food_categories_path"))
        batch_op.drop_index(batch_op.f("ix_food_categories_parent_id"))

    op.drop_table("food_categories")
    op.drop_table("catalog_versions")
