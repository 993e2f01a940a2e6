"""deadline board counters kept by triggers (issue #19 §3)

Revision ID: 0034
Revises: 0033

``deadline_counts`` holds, per kind of deadline and due date, how many items are open (the
deadline board's kinds, ``services.followup.DEADLINE_KINDS``).  The board's "overdue" is
then a sum over the due dates before today and "due soon" one over the next few days: the
rows per kind grow with the calendar (one per due date), never with the samples, and the
sums stay exact as days pass because the counts are per date, not per "overdue".

Two kinds depend on other tables (an issued report; a served conclusion), so ``samples``
carries both as flags (``report_issued``, ``conclusion_served``), recomputed by triggers on
``reports`` and ``followups`` from the rows as they are after the change (idempotent, so
exact whatever order a statement's rows are visited in).  Every count then follows from one
row's old and new values: the triggers on ``samples``, ``retests``, ``objections`` and
``disposals`` subtract the old row's items and add the new row's.
"""

import sqlalchemy as sa
from alembic import op

from labsys.models import deadline_sql

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

KINDS, FLAGS = deadline_sql.KINDS, deadline_sql.FLAGS


def _watched(table: str) -> list[str]:
    columns = {"status"}
    for _kind, due, condition in KINDS[table]:
        columns.add(due)
        columns.update(
            word.removeprefix("{r}.")
            for word in condition.replace("(", " ").split()
            if word.startswith("{r}.")
        )
    return sorted(columns)


def _decrement(table: str) -> list[str]:
    """Statements taking the OLD row's items off (an UPDATE only: a count already gone, as
    when a test empties the tables, stays gone)."""
    return [
        f"UPDATE deadline_counts SET items = items - 1 WHERE kind = '{kind}' "
        f"AND due = OLD.{due} AND {condition.format(r='OLD')}"
        for kind, due, condition in KINDS[table]
    ]


def _increment(table: str) -> list[str]:
    return [
        f"INSERT INTO deadline_counts (kind, due, items) SELECT '{kind}', NEW.{due}, 1 "
        f"WHERE NEW.{due} IS NOT NULL AND {condition.format(r='NEW')} "
        "ON CONFLICT (kind, due) DO UPDATE SET items = deadline_counts.items + 1"
        for kind, due, condition in KINDS[table]
    ]


def _flag_update(column: str, table: str, condition: str, sample: str) -> str:
    have = f"EXISTS (SELECT 1 FROM {table} t WHERE t.sample_id = samples.id AND {condition})"
    return f"UPDATE samples SET {column} = {have} WHERE id = {sample} AND {column} <> {have}"


def _sqlite() -> list[str]:
    statements = []
    for table in KINDS:
        watched = ", ".join(_watched(table))
        statements += [
            f"CREATE TRIGGER deadline_counts_{table}_insert AFTER INSERT ON {table} "
            f"FOR EACH ROW BEGIN {'; '.join(_increment(table))}; END",
            f"CREATE TRIGGER deadline_counts_{table}_update AFTER UPDATE OF {watched} "
            f"ON {table} FOR EACH ROW BEGIN {'; '.join(_decrement(table) + _increment(table))}; "
            "END",
            f"CREATE TRIGGER deadline_counts_{table}_delete AFTER DELETE ON {table} "
            f"FOR EACH ROW BEGIN {'; '.join(_decrement(table))}; END",
        ]
    for column, table, condition, watched in FLAGS:
        new, old = (
            _flag_update(column, table, condition, f"{r}.sample_id") for r in ("NEW", "OLD")
        )
        statements += [
            f"CREATE TRIGGER {column}_insert AFTER INSERT ON {table} FOR EACH ROW BEGIN {new}; END",
            f"CREATE TRIGGER {column}_update AFTER UPDATE OF {', '.join(watched)} ON {table} "
            f"FOR EACH ROW BEGIN {old}; {new}; END",
            f"CREATE TRIGGER {column}_delete AFTER DELETE ON {table} FOR EACH ROW BEGIN {old}; END",
        ]
    return statements


def _postgresql() -> list[str]:
    statements = []
    for table, function in zip(KINDS, deadline_sql.direct_functions_pg(), strict=True):
        statements += [
            function,
            f"CREATE TRIGGER deadline_counts_{table}_insert AFTER INSERT ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION deadline_counts_{table}()",
            f"CREATE TRIGGER deadline_counts_{table}_update AFTER UPDATE OF "
            f"{', '.join(_watched(table))} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION deadline_counts_{table}()",
            f"CREATE TRIGGER deadline_counts_{table}_delete AFTER DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION deadline_counts_{table}()",
        ]
    for column, table, condition, watched in FLAGS:
        new, old = (
            _flag_update(column, table, condition, f"{r}.sample_id") for r in ("NEW", "OLD")
        )
        statements += [
            f"""CREATE FUNCTION {column}_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN {old}; END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN {new}; END IF;
  RETURN NULL;
END
$$""",
            f"CREATE TRIGGER {column}_insert AFTER INSERT ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {column}_sync()",
            f"CREATE TRIGGER {column}_update AFTER UPDATE OF {', '.join(watched)} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {column}_sync()",
            f"CREATE TRIGGER {column}_delete AFTER DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {column}_sync()",
        ]
    return statements


def _backfill() -> list[str]:
    return [*deadline_sql.flag_backfill_sql(), deadline_sql.fill_sql()]


def upgrade():
    op.create_table(
        "deadline_counts",
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "due", name=op.f("pk_deadline_counts")),
    )
    for column in ("report_issued", "conclusion_served"):
        op.add_column(
            "samples", sa.Column(column, sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    for statement in _backfill():
        op.execute(statement)
    dialect = op.get_bind().dialect.name
    for statement in _postgresql() if dialect == "postgresql" else _sqlite():
        op.execute(statement)


def _triggers() -> list[tuple[str, str]]:
    names = [
        (f"deadline_counts_{table}_{event}", table)
        for table in KINDS
        for event in ("insert", "update", "delete")
    ]
    names += [
        (f"{column}_{event}", table)
        for column, table, _c, _w in FLAGS
        for event in ("insert", "update", "delete")
    ]
    return names


def downgrade():
    dialect = op.get_bind().dialect.name
    for name, table in _triggers():
        op.execute(
            f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if dialect == "postgresql" else "")
        )
    if dialect == "postgresql":
        for table in KINDS:
            op.execute(f"DROP FUNCTION IF EXISTS deadline_counts_{table}()")
        for column, *_rest in FLAGS:
            op.execute(f"DROP FUNCTION IF EXISTS {column}_sync()")
    op.drop_column("samples", "conclusion_served")
    op.drop_column("samples", "report_issued")
    op.drop_table("deadline_counts")
