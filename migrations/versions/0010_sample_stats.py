"""pass-rate summary table kept in step by triggers

Revision ID: 0010
Revises: 0009

``sample_stats`` counts the samples (all but rejected ones) per month and dimension; the
triggers on ``samples`` keep it exact on every write path (services, bulk inserts, copies),
so the statistics pages sum a small table instead of scanning every sample.
"""

from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

DIMENSIONS = [
    "month",
    "cat_l1_id",
    "cat_l2_id",
    "cat_l3_id",
    "cat_l4_id",
    "region_code",
    "link",
    "lab_id",
    "conclusion",
]
# Columns of samples whose change moves a sample to another summary row.
WATCHED = [
    "sampling_date",
    "cat_l1_id",
    "cat_l2_id",
    "cat_l3_id",
    "cat_l4_id",
    "region_code",
    "link",
    "lab_id",
    "conclusion",
    "status",
]
TRIGGERS = ["sample_stats_insert", "sample_stats_update", "sample_stats_delete"]


def _values(row: str, dialect: str) -> list[str]:
    """The summary dimensions of a samples row (NEW, OLD, or a table alias)."""
    month = (
        f"to_char({row}.sampling_date, 'YYYY-MM')"
        if dialect == "postgresql"
        else f"strftime('%Y-%m', {row}.sampling_date)"
    )
    return [
        month,
        f"coalesce({row}.cat_l1_id, 0)",
        f"coalesce({row}.cat_l2_id, 0)",
        f"coalesce({row}.cat_l3_id, 0)",
        f"coalesce({row}.cat_l4_id, 0)",
        f"coalesce({row}.region_code, '')",
        f"{row}.link",
        f"coalesce({row}.lab_id, 0)",
        f"coalesce({row}.conclusion, '')",
    ]


def _match(row: str, dialect: str) -> str:
    return " AND ".join(
        f"{column} = {value}"
        for column, value in zip(DIMENSIONS, _values(row, dialect), strict=True)
    )


def _changed(dialect: str) -> str:
    differ = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    parts = [f"OLD.{c} {differ} NEW.{c}" for c in WATCHED if c != "status"]
    parts.append("(OLD.status = 'rejected') <> (NEW.status = 'rejected')")
    return " OR ".join(parts)


def _upsert(row: str, dialect: str, where: str = "") -> str:
    return (
        f"INSERT INTO sample_stats ({', '.join(DIMENSIONS)}, samples) "
        f"SELECT {', '.join(_values(row, dialect))}, 1{where} "
        f"ON CONFLICT ({', '.join(DIMENSIONS)}) DO UPDATE SET "
        f"samples = sample_stats.samples + 1"
    )


def _sqlite_triggers() -> list[str]:
    decrement = (
        "DELETE FROM sample_stats WHERE {match} AND samples <= 1{old};\n"
        "  UPDATE sample_stats SET samples = samples - 1 WHERE {match}{old};"
    )
    old_match = _match("OLD", "sqlite")
    return [
        f"""CREATE TRIGGER sample_stats_insert AFTER INSERT ON samples
FOR EACH ROW WHEN NEW.status <> 'rejected'
BEGIN
  {_upsert("NEW", "sqlite", " WHERE true")};
END""",
        f"""CREATE TRIGGER sample_stats_update AFTER UPDATE OF {", ".join(WATCHED)} ON samples
FOR EACH ROW WHEN {_changed("sqlite")}
BEGIN
  {decrement.format(match=old_match, old=" AND OLD.status <> 'rejected'")}
  {_upsert("NEW", "sqlite", " WHERE NEW.status <> 'rejected'")};
END""",
        f"""CREATE TRIGGER sample_stats_delete AFTER DELETE ON samples
FOR EACH ROW WHEN OLD.status <> 'rejected'
BEGIN
  {decrement.format(match=old_match, old="")}
END""",
    ]


def _postgresql_triggers() -> list[str]:
    old_match = _match("OLD", "postgresql")
    return [
        f"""CREATE FUNCTION sample_stats_sync() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  remaining integer;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status <> 'rejected' THEN
    -- The UPDATE locks the row, so the count read back is exact under concurrency.
    UPDATE sample_stats SET samples = samples - 1 WHERE {old_match}
      RETURNING samples INTO remaining;
    IF remaining IS NOT NULL AND remaining <= 0 THEN
      DELETE FROM sample_stats WHERE {old_match} AND samples <= 0;
    END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status <> 'rejected' THEN
    {_upsert("NEW", "postgresql")};
  END IF;
  RETURN NULL;
END
$$""",
        """CREATE TRIGGER sample_stats_insert AFTER INSERT ON samples
FOR EACH ROW EXECUTE FUNCTION sample_stats_sync()""",
        f"""CREATE TRIGGER sample_stats_update AFTER UPDATE OF {", ".join(WATCHED)} ON samples
FOR EACH ROW WHEN ({_changed("postgresql")}) EXECUTE FUNCTION sample_stats_sync()""",
        """CREATE TRIGGER sample_stats_delete AFTER DELETE ON samples
FOR EACH ROW EXECUTE FUNCTION sample_stats_sync()""",
    ]


def upgrade():
    op.create_table(
        "sample_stats",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("cat_l1_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("cat_l2_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("cat_l3_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("cat_l4_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("link", sa.String(length=20), nullable=False),
        sa.Column("lab_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("conclusion", sa.String(length=20), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*DIMENSIONS, name=op.f("pk_sample_stats")),
    )
    dialect = op.get_bind().dialect.name
    for statement in _postgresql_triggers() if dialect == "postgresql" else _sqlite_triggers():
        op.execute(statement)
    op.execute(
        f"INSERT INTO sample_stats ({', '.join(DIMENSIONS)}, samples) "
        f"SELECT {', '.join(_values('s', dialect))}, count(*) FROM samples s "
        f"WHERE s.status <> 'rejected' GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9"
    )


def downgrade():
    dialect = op.get_bind().dialect.name
    for name in TRIGGERS:
        op.execute(
            f"DROP TRIGGER IF EXISTS {name}" + (" ON samples" if dialect == "postgresql" else "")
        )
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS sample_stats_sync()")
    op.drop_table("sample_stats")
