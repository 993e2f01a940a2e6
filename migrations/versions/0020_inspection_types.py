"""inspection types: plans.inspection_type an enum, copied onto samples

Revision ID: 0020
Revises: 0019

``plans.inspection_type`` was free text (default 监督抽检); it becomes one of ``supervision``,
``risk_monitoring``, ``evaluation`` with a CHECK.  Existing values map as
``labsys.core.inspection.from_text`` does (the three Chinese names, anything naming 风险监测
or 评价, the rest supervision); the downgrade writes the Chinese names back.

``samples.inspection_type`` is the plan's type copied onto the sample (supervision without a
plan), so rights, lists and pass rates filter one table.

No table is rebuilt (a batch copy of ``plans`` or ``samples`` would meet the rows referring
to them and the triggers on ``samples``): the old column is renamed, the new one added with
its default and named CHECK in one statement both databases accept, filled, and the old one
dropped.
"""

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

TYPES = ("supervision", "risk_monitoring", "evaluation")
CHINESE = {"supervision": "监督抽检", "risk_monitoring": "风险监测", "evaluation": "评价性抽检"}


def _column(table: str) -> str:
    listed = ", ".join(f"'{t}'" for t in TYPES)
    return (
        f"ALTER TABLE {table} ADD COLUMN inspection_type VARCHAR(15) DEFAULT 'supervision' "
        f"NOT NULL CONSTRAINT ck_{table}_inspection_type CHECK (inspection_type IN ({listed}))"
    )


# labsys.core.inspection.from_text in SQL (tests/planning/test_inspection_migration.py checks
# that they agree).
FROM_TEXT = (
    "CASE "
    "WHEN lower(trim(inspection_text)) IN ('supervision', 'risk_monitoring', 'evaluation') "
    "THEN lower(trim(inspection_text)) "
    "WHEN inspection_text LIKE '%风险监测%' OR lower(trim(inspection_text)) LIKE 'risk%' "
    "THEN 'risk_monitoring' "
    "WHEN inspection_text LIKE '%评价%' OR lower(trim(inspection_text)) LIKE 'evaluat%' "
    "THEN 'evaluation' "
    "ELSE 'supervision' END"
)


def upgrade():
    op.execute("ALTER TABLE plans RENAME COLUMN inspection_type TO inspection_text")
    op.execute(_column("plans"))
    op.execute(f"UPDATE plans SET inspection_type = {FROM_TEXT}")
    op.execute("ALTER TABLE plans DROP COLUMN inspection_text")
    op.execute(_column("samples"))
    op.execute(
        "UPDATE samples SET inspection_type = (SELECT p.inspection_type FROM plans p "
        "WHERE p.id = samples.plan_id) WHERE plan_id IS NOT NULL"
    )


def downgrade():
    op.execute("ALTER TABLE samples DROP COLUMN inspection_type")
    op.execute("ALTER TABLE plans RENAME COLUMN inspection_type TO inspection_kind")
    op.execute(
        "ALTER TABLE plans ADD COLUMN inspection_type VARCHAR(40) DEFAULT '监督抽检' NOT NULL"
    )
    cases = " ".join(f"WHEN '{kind}' THEN '{name}'" for kind, name in CHINESE.items())
    op.execute(f"UPDATE plans SET inspection_type = CASE inspection_kind {cases} END")
    op.execute("ALTER TABLE plans DROP COLUMN inspection_kind")
