"""The SQL of the pass-rate summaries' triggers: the one source the migrations make them from.

Two generations:

- ``legacy_*``: the single summary table ``sample_stats`` (month × every dimension ×
  conclusion), made by migration 0010 (rejected samples left out) and again by 0030
  (rejected and voided left out), and again by the downgrade of 0035.  The text produced
  for each of those migrations is exactly the text they produced before this module
  existed (``tests/stats/test_summary_sql.py`` pins it), so a database migrated then is the
  database migrated now.
- ``rollup_*``: the rollups of migration 0035 (``sample_rollups``): one table holding, per
  rollup kind, counts over a small key (``ROLLUPS``) at month and day grain.  On SQLite the
  triggers add their ±1 to every kind directly (SQLite has one writer at a time anyway).
  On PostgreSQL a trigger only appends a delta row to ``sample_rollup_deltas``, which no
  two transactions ever share (no row locks, no deadlock, no queue behind a hot summary
  row); readers add the deltas not folded yet, and ``rollup_fold_sql`` folds them in
  (``labsys stats fold``, and after every web write, one folder at a time).

Every key column holds a sentinel instead of NULL (0 for an id, '' for a text) so the
primary key is the upsert target on both databases.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

# --- sample_stats (0010, 0030) ----------------------------------------------------------

LEGACY_DIMENSIONS = [
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
LEGACY_TRIGGERS = ["sample_stats_insert", "sample_stats_update", "sample_stats_delete"]
# The columns of samples whose change moves a sample to another summary row, in the order
# each migration listed them (the order is part of the stored trigger text).
WATCHED_0010 = [
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
WATCHED_0030 = [*LEGACY_DIMENSIONS[1:], "sampling_date", "status"]


def in_list(states: Sequence[str]) -> str:
    return ", ".join(f"'{s}'" for s in states)


def counted_0010(row: str) -> str:
    return f"{row}.status <> 'rejected'"


def counted_not_in(excluded: Sequence[str]) -> Callable[[str], str]:
    """``row.status NOT IN (...)``: whether a samples row counts (0030 onwards)."""
    return lambda row: f"{row}.status NOT IN ({in_list(excluded)})"


def _month(row: str, dialect: str) -> str:
    if dialect == "postgresql":
        return f"to_char({row}.sampling_date, 'YYYY-MM')"
    return f"strftime('%Y-%m', {row}.sampling_date)"


def legacy_values(row: str, dialect: str) -> list[str]:
    """The ``sample_stats`` dimensions of a samples row (NEW, OLD, or a table alias)."""
    return [
        _month(row, dialect),
        f"coalesce({row}.cat_l1_id, 0)",
        f"coalesce({row}.cat_l2_id, 0)",
        f"coalesce({row}.cat_l3_id, 0)",
        f"coalesce({row}.cat_l4_id, 0)",
        f"coalesce({row}.region_code, '')",
        f"{row}.link",
        f"coalesce({row}.lab_id, 0)",
        f"coalesce({row}.conclusion, '')",
    ]


def _legacy_match(row: str, dialect: str) -> str:
    return " AND ".join(
        f"{column} = {value}"
        for column, value in zip(LEGACY_DIMENSIONS, legacy_values(row, dialect), strict=True)
    )


def _legacy_changed(dialect: str, watched: Sequence[str], status_changed: str) -> str:
    differ = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    parts = [f"OLD.{c} {differ} NEW.{c}" for c in watched if c != "status"]
    parts.append(status_changed)
    return " OR ".join(parts)


def _legacy_upsert(row: str, dialect: str, where: str = "") -> str:
    return (
        f"INSERT INTO sample_stats ({', '.join(LEGACY_DIMENSIONS)}, samples) "
        f"SELECT {', '.join(legacy_values(row, dialect))}, 1{where} "
        f"ON CONFLICT ({', '.join(LEGACY_DIMENSIONS)}) DO UPDATE SET "
        f"samples = sample_stats.samples + 1"
    )


def legacy_triggers(
    dialect: str,
    *,
    counted: Callable[[str], str],
    watched: Sequence[str],
    status_changed: str,
) -> list[str]:
    """CREATE statements of the ``sample_stats`` triggers (and PostgreSQL's function).

    ``counted(row)`` is the condition under which a samples row counts; ``status_changed``
    the part of the update trigger's condition that notices a change of ``counted``."""
    changed = _legacy_changed(dialect, watched, status_changed)
    old_match = _legacy_match("OLD", dialect)
    if dialect != "postgresql":
        decrement = (
            "DELETE FROM sample_stats WHERE {match} AND samples <= 1{old};\n"
            "  UPDATE sample_stats SET samples = samples - 1 WHERE {match}{old};"
        )
        return [
            f"""CREATE TRIGGER sample_stats_insert AFTER INSERT ON samples
FOR EACH ROW WHEN {counted("NEW")}
BEGIN
  {_legacy_upsert("NEW", "sqlite", " WHERE true")};
END""",
            f"""CREATE TRIGGER sample_stats_update AFTER UPDATE OF {", ".join(watched)} ON samples
FOR EACH ROW WHEN {changed}
BEGIN
  {decrement.format(match=old_match, old=" AND " + counted("OLD"))}
  {_legacy_upsert("NEW", "sqlite", " WHERE " + counted("NEW"))};
END""",
            f"""CREATE TRIGGER sample_stats_delete AFTER DELETE ON samples
FOR EACH ROW WHEN {counted("OLD")}
BEGIN
  {decrement.format(match=old_match, old="")}
END""",
        ]
    return [
        f"""CREATE FUNCTION sample_stats_sync() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  remaining integer;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND {counted("OLD")} THEN
    -- The UPDATE locks the row, so the count read back is exact under concurrency.
    UPDATE sample_stats SET samples = samples - 1 WHERE {old_match}
      RETURNING samples INTO remaining;
    IF remaining IS NOT NULL AND remaining <= 0 THEN
      DELETE FROM sample_stats WHERE {old_match} AND samples <= 0;
    END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND {counted("NEW")} THEN
    {_legacy_upsert("NEW", "postgresql")};
  END IF;
  RETURN NULL;
END
$$""",
        """CREATE TRIGGER sample_stats_insert AFTER INSERT ON samples
FOR EACH ROW EXECUTE FUNCTION sample_stats_sync()""",
        f"""CREATE TRIGGER sample_stats_update AFTER UPDATE OF {", ".join(watched)} ON samples
FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION sample_stats_sync()""",
        """CREATE TRIGGER sample_stats_delete AFTER DELETE ON samples
FOR EACH ROW EXECUTE FUNCTION sample_stats_sync()""",
    ]


def legacy_triggers_0030(dialect: str, excluded: Sequence[str]) -> list[str]:
    """The ``sample_stats`` triggers as 0030 made them, leaving out ``excluded`` states."""
    counted = counted_not_in(excluded)
    return legacy_triggers(
        dialect,
        counted=counted,
        watched=WATCHED_0030,
        status_changed=f"({counted('OLD')}) <> ({counted('NEW')})",
    )


def legacy_drop(dialect: str) -> list[str]:
    on = " ON samples" if dialect == "postgresql" else ""
    statements = [f"DROP TRIGGER IF EXISTS {name}{on}" for name in LEGACY_TRIGGERS]
    if dialect == "postgresql":
        statements.append("DROP FUNCTION IF EXISTS sample_stats_sync()")
    return statements


def legacy_fill(dialect: str, counted: Callable[[str], str]) -> str:
    return (
        f"INSERT INTO sample_stats ({', '.join(LEGACY_DIMENSIONS)}, samples) "
        f"SELECT {', '.join(legacy_values('s', dialect))}, count(*) FROM samples s "
        f"WHERE {counted('s')} GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9"
    )


# --- sample_rollups (0035) ---------------------------------------------------------------

# Key columns of a rollup row after (rollup, grain, period).
ROLLUP_DIMENSIONS = (
    "inspection_type",
    "cat_l1_id",
    "cat_l2_id",
    "cat_l3_id",
    "cat_l4_id",
    "region_code",
    "link",
    "lab_id",
)
ROLLUP_KEY = ("rollup", "grain", "period", *ROLLUP_DIMENSIONS)
ROLLUP_COUNTS = ("samples", "qualified", "unqualified")
GRAINS = ("month", "day")
_TYPE = "inspection_type"
_LEVELS = ("cat_l1_id", "cat_l2_id", "cat_l3_id", "cat_l4_id")
# kind -> (dimensions it keeps, grains it is kept at), smallest first: the statistics read
# the first kind that keeps every dimension a question needs.  A category level keeps its
# ancestors too (they follow from it: no extra rows).  The districts are kept with and
# without the inspection type: 2,800 counties a day are the biggest rows read.
ROLLUPS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "l1": ((_TYPE, *_LEVELS[:1]), GRAINS),
    "link": ((_TYPE, "link"), GRAINS),
    "l2": ((_TYPE, *_LEVELS[:2]), GRAINS),
    "l3": ((_TYPE, *_LEVELS[:3]), GRAINS),
    "lab": ((_TYPE, "lab_id"), GRAINS),
    "l4": ((_TYPE, *_LEVELS), GRAINS),
    "region": (("region_code",), GRAINS),
    "region_t": ((_TYPE, "region_code"), GRAINS),
    # Every dimension: the month grain only (at day grain it would be as big as samples).
    "all": ((_TYPE, *_LEVELS, "region_code", "link", "lab_id"), ("month",)),
}
# The columns of samples a rollup row is made of (and whose change moves a sample).
ROLLUP_WATCHED = [
    "sampling_date",
    "inspection_type",
    *_LEVELS,
    "region_code",
    "link",
    "lab_id",
    "conclusion",
    "status",
]
ROLLUP_TRIGGERS = ["sample_rollups_insert", "sample_rollups_update", "sample_rollups_delete"]
ROLLUP_FUNCTION = "sample_rollups_delta"
# pg_try_advisory_xact_lock key of the folder (one folder at a time): 'rollups' in ASCII.
FOLD_LOCK = 0x726F6C6C757073
_SENTINEL = {"region_code": "''", "link": "''", "inspection_type": "''"}


def _sentinel(column: str) -> str:
    return _SENTINEL.get(column, "0")


def rollup_kinds_sql() -> str:
    """A derived table ``k`` with one row per (kind, grain) and a 0/1 flag per dimension."""
    rows = []
    for name, (dimensions, grains) in ROLLUPS.items():
        for grain in grains:
            flags = ", ".join(
                f"{1 if column in dimensions else 0} AS k_{column}" for column in ROLLUP_DIMENSIONS
            )
            rows.append(f"SELECT '{name}' AS rollup, '{grain}' AS grain, {flags}")
    return "(" + " UNION ALL ".join(rows) + ") AS k"


def month_start(day: str, dialect: str) -> str:
    if dialect == "postgresql":
        return f"CAST(date_trunc('month', {day}) AS date)"
    return f"date({day}, 'start of month')"


def rollup_key_values(row: str, dialect: str, *, day: str = "sampling_date") -> list[str]:
    """The key of the rollup row of kind ``k`` a samples (or delta) row ``row`` counts in."""
    values = [
        "k.rollup",
        "k.grain",
        f"CASE WHEN k.grain = 'month' THEN {month_start(f'{row}.{day}', dialect)} "
        f"ELSE {row}.{day} END",
    ]
    for column in ROLLUP_DIMENSIONS:
        sentinel = _sentinel(column)
        values.append(
            f"CASE WHEN k.k_{column} = 1 THEN coalesce({row}.{column}, {sentinel}) "
            f"ELSE {sentinel} END"
        )
    return values


def conclusion_counts(row: str, sign: str = "1") -> list[str]:
    """samples, qualified, unqualified of one samples row, times ``sign``."""
    return [
        sign,
        f"CASE WHEN {row}.conclusion = 'qualified' THEN {sign} ELSE 0 END",
        f"CASE WHEN {row}.conclusion = 'unqualified' THEN {sign} ELSE 0 END",
    ]


def _rollup_upsert_tail() -> str:
    return f"ON CONFLICT ({', '.join(ROLLUP_KEY)}) DO UPDATE SET " + ", ".join(
        f"{c} = sample_rollups.{c} + excluded.{c}" for c in ROLLUP_COUNTS
    )


def _sqlite_apply(row: str, sign: str, where: str = "true") -> str:
    return (
        f"INSERT INTO sample_rollups ({', '.join(ROLLUP_KEY)}, {', '.join(ROLLUP_COUNTS)}) "
        f"SELECT {', '.join(rollup_key_values(row, 'sqlite'))}, "
        f"{', '.join(conclusion_counts(row, sign))} FROM {rollup_kinds_sql()} WHERE {where} "
        f"{_rollup_upsert_tail()}"
    )


def _sqlite_prune(row: str) -> str:
    """Delete the emptied rows of ``row``'s keys (an IN-list on the primary key's prefix)."""
    kinds = in_list(list(ROLLUPS))
    conditions = [
        "samples = 0",
        f"rollup IN ({kinds})",
        f"grain IN ({in_list(GRAINS)})",
        f"period IN ({row}.sampling_date, {month_start(f'{row}.sampling_date', 'sqlite')})",
    ]
    for column in ROLLUP_DIMENSIONS:
        sentinel = _sentinel(column)
        conditions.append(f"{column} IN ({sentinel}, coalesce({row}.{column}, {sentinel}))")
    return "DELETE FROM sample_rollups WHERE " + " AND ".join(conditions)


def _changed(dialect: str, counted: Callable[[str], str]) -> str:
    differ = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    parts = [f"OLD.{c} {differ} NEW.{c}" for c in ROLLUP_WATCHED if c != "status"]
    parts.append(f"({counted('OLD')}) <> ({counted('NEW')})")
    return " OR ".join(parts)


def rollup_triggers(dialect: str, excluded: Sequence[str]) -> list[str]:
    """CREATE statements of the triggers keeping ``sample_rollups`` exact."""
    counted = counted_not_in(excluded)
    watched = ", ".join(ROLLUP_WATCHED)
    if dialect != "postgresql":
        return [
            f"""CREATE TRIGGER sample_rollups_insert AFTER INSERT ON samples
FOR EACH ROW WHEN {counted("NEW")}
BEGIN
  {_sqlite_apply("NEW", "1")};
END""",
            f"""CREATE TRIGGER sample_rollups_update AFTER UPDATE OF {watched} ON samples
FOR EACH ROW WHEN {_changed("sqlite", counted)}
BEGIN
  {_sqlite_apply("OLD", "-1", counted("OLD"))};
  {_sqlite_prune("OLD")};
  {_sqlite_apply("NEW", "1", counted("NEW"))};
END""",
            f"""CREATE TRIGGER sample_rollups_delete AFTER DELETE ON samples
FOR EACH ROW WHEN {counted("OLD")}
BEGIN
  {_sqlite_apply("OLD", "-1")};
  {_sqlite_prune("OLD")};
END""",
        ]
    columns = ", ".join(("day", *ROLLUP_DIMENSIONS, *ROLLUP_COUNTS))

    def delta(row: str, sign: str) -> str:
        values = [f"{row}.sampling_date", f"{row}.inspection_type"]
        values += [f"coalesce({row}.{c}, {_sentinel(c)})" for c in ROLLUP_DIMENSIONS[1:]]
        values += conclusion_counts(row, sign)
        return f"INSERT INTO sample_rollup_deltas ({columns}) VALUES ({', '.join(values)})"

    return [
        f"""CREATE FUNCTION {ROLLUP_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Append only: concurrent writers never touch the same row (no lock, no deadlock).
  IF TG_OP IN ('UPDATE', 'DELETE') AND {counted("OLD")} THEN
    {delta("OLD", "-1")};
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND {counted("NEW")} THEN
    {delta("NEW", "1")};
  END IF;
  RETURN NULL;
END
$$""",
        f"""CREATE TRIGGER sample_rollups_insert AFTER INSERT ON samples
FOR EACH ROW EXECUTE FUNCTION {ROLLUP_FUNCTION}()""",
        f"""CREATE TRIGGER sample_rollups_update AFTER UPDATE OF {watched} ON samples
FOR EACH ROW WHEN ({_changed("postgresql", counted)}) EXECUTE FUNCTION {ROLLUP_FUNCTION}()""",
        f"""CREATE TRIGGER sample_rollups_delete AFTER DELETE ON samples
FOR EACH ROW EXECUTE FUNCTION {ROLLUP_FUNCTION}()""",
    ]


def rollup_drop(dialect: str) -> list[str]:
    on = " ON samples" if dialect == "postgresql" else ""
    statements = [f"DROP TRIGGER IF EXISTS {name}{on}" for name in ROLLUP_TRIGGERS]
    if dialect == "postgresql":
        statements.append(f"DROP FUNCTION IF EXISTS {ROLLUP_FUNCTION}()")
    return statements


def rollup_fill_sql(dialect: str, excluded: Sequence[str], *, kind: str | None = None) -> str:
    """INSERT every rollup row (or those of one kind) counted from ``samples``."""
    where = f"WHERE {counted_not_in(excluded)('s')}"
    if kind is not None:
        where += f" AND k.rollup = '{kind}'"
    key = rollup_key_values("s", dialect)
    positions = ", ".join(str(i) for i in range(1, len(key) + 1))
    return (
        f"INSERT INTO sample_rollups ({', '.join(ROLLUP_KEY)}, {', '.join(ROLLUP_COUNTS)}) "
        f"SELECT {', '.join(key)}, count(*), "
        f"sum(CASE WHEN s.conclusion = 'qualified' THEN 1 ELSE 0 END), "
        f"sum(CASE WHEN s.conclusion = 'unqualified' THEN 1 ELSE 0 END) "
        f"FROM samples s CROSS JOIN {rollup_kinds_sql()} {where} GROUP BY {positions} "
        f"ORDER BY {positions}"  # rows read together are stored together
    )


def rollup_fold_sql() -> list[str]:
    """PostgreSQL: move every committed delta into the rollups (under ``FOLD_LOCK``).

    The deltas are taken out and summed per rollup row into a temporary table; the rollup
    rows are then upserted in key order (one folder at a time, so never a deadlock) and the
    ones left at zero deleted.  Readers see the deltas or their sum, never both or neither:
    the whole fold commits at once."""
    key = rollup_key_values("d", "postgresql", day="day")
    positions = ", ".join(str(i) for i in range(1, len(key) + 1))
    names = ", ".join(ROLLUP_KEY)
    sums = ", ".join(f"sum(d.{c}) AS {c}" for c in ROLLUP_COUNTS)
    labelled = ", ".join(f"{value} AS {name}" for value, name in zip(key, ROLLUP_KEY, strict=True))
    return [
        "CREATE TEMPORARY TABLE rollup_fold (LIKE sample_rollups) ON COMMIT DROP",
        "WITH d AS (DELETE FROM sample_rollup_deltas RETURNING *) "
        f"INSERT INTO rollup_fold ({names}, {', '.join(ROLLUP_COUNTS)}) "
        f"SELECT {labelled}, {sums} FROM d CROSS JOIN {rollup_kinds_sql()} "
        f"GROUP BY {positions}",
        f"INSERT INTO sample_rollups ({names}, {', '.join(ROLLUP_COUNTS)}) "
        f"SELECT {names}, {', '.join(ROLLUP_COUNTS)} FROM rollup_fold ORDER BY {names} "
        f"{_rollup_upsert_tail()}",
        "DELETE FROM sample_rollups r USING rollup_fold f WHERE r.samples = 0 AND "
        + " AND ".join(f"r.{c} = f.{c}" for c in ROLLUP_KEY),
    ]
