"""The SQL that keeps the deadline board's counters (``deadline_counts``), in one place for
the migrations that make it (0034, 0037) and the services that check and rebuild it.

Per kind of deadline (``services.followup.DEADLINE_KINDS``) and due date, how many items are
open.  Every count follows from one row's old and new values: the triggers on ``samples``,
``retests``, ``objections`` and ``disposals`` take the old row's items off and add the new
row's.  Two kinds depend on other tables (an issued report, a served conclusion), so
``samples`` carries both as flags kept by triggers on ``reports`` and ``followups``.

- SQLite (0034): the triggers update ``deadline_counts`` directly (one writer at a time).
- PostgreSQL (0037): the triggers only append ±1 rows to ``deadline_count_deltas``, which
  no two transactions share, so concurrent writers neither queue on a hot (kind, due) row
  nor deadlock when they touch two of them in opposite orders (0034 updated the counters in
  place, and did both).  The board adds the deltas not folded yet; ``fold_sql`` folds them
  in with the pass-rate rollups' deltas (``labsys stats fold``, and after every web write).
"""

from __future__ import annotations

# (kind, due column, condition on the row {r}) per table; mirrors services.followup's
# _deadline_branches, which the tests compare against.
SAMPLE_KINDS = [
    ("delivery", "due_delivery", "{r}.status = 'registered'"),
    ("report", "due_report", "{r}.status IN ('received', 'concluded')"),
    (
        "qualified_report",
        "due_qualified_report",
        "{r}.conclusion = 'qualified' AND NOT {r}.report_issued",
    ),
    (
        "unqualified_report",
        "due_unqualified_report",
        "{r}.conclusion = 'unqualified' AND NOT {r}.report_issued",
    ),
    ("service", "due_service", "NOT {r}.conclusion_served"),
]
WORKFLOW_KINDS = {
    "retests": [
        ("retest_decision", "decision_due", "{r}.status = 'applied'"),
        ("retest_lab", "lab_due", "{r}.status = 'accepted'"),
        ("retest_handover", "handover_due", "{r}.status = 'lab_chosen'"),
        ("retest_result", "result_due", "{r}.status = 'backup_received'"),
    ],
    "objections": [
        ("objection_decision", "decision_due", "{r}.status = 'filed'"),
        ("objection_review", "review_due", "{r}.status = 'accepted'"),
    ],
    "disposals": [("disposal", "due", "{r}.status = 'under_way'")],
}
KINDS = {"samples": SAMPLE_KINDS, **WORKFLOW_KINDS}
# The flags on samples: (column, table, condition on that table's row t, watched columns).
FLAGS = [
    ("report_issued", "reports", "t.status = 'issued'", ["status", "sample_id"]),
    ("conclusion_served", "followups", "t.notified_on IS NOT NULL", ["notified_on", "sample_id"]),
]
# PostgreSQL: the advisory lock one folder holds (the pass-rate rollups' fold takes it too:
# both fold in one transaction, see ``services.stats.fold_deltas``).


def recount_sql() -> str:
    """(kind, due, items) of every open item, counted from the items themselves."""
    return " UNION ALL ".join(
        f"SELECT '{kind}' AS kind, r.{due} AS due, count(*) AS items FROM {table} r "
        f"WHERE r.{due} IS NOT NULL AND {condition.format(r='r')} GROUP BY r.{due}"
        for table, kinds in KINDS.items()
        for kind, due, condition in kinds
    )


def fill_sql() -> str:
    """Fill the (empty) counters from the items."""
    return f"INSERT INTO deadline_counts (kind, due, items) {recount_sql()}"


def flag_backfill_sql() -> list[str]:
    return [
        f"UPDATE samples SET {column} = true WHERE id IN "
        f"(SELECT t.sample_id FROM {table} t WHERE {condition})"
        for column, table, condition, _watched in FLAGS
    ]


def _delta_inserts(table: str, row: str, sign: int) -> str:
    return "; ".join(
        f"IF {row}.{due} IS NOT NULL AND {condition.format(r=row)} THEN "
        f"INSERT INTO deadline_count_deltas (kind, due, items) "
        f"VALUES ('{kind}', {row}.{due}, {sign}); END IF"
        for kind, due, condition in KINDS[table]
    )


def delta_functions_pg() -> list[str]:
    """PostgreSQL (0037): the counters' trigger functions appending deltas only (the
    triggers of 0034 call these functions by name and stay as they are)."""
    return [
        f"""CREATE OR REPLACE FUNCTION deadline_counts_{table}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN {_delta_inserts(table, "OLD", -1)}; END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN {_delta_inserts(table, "NEW", 1)}; END IF;
  RETURN NULL;
END
$$"""
        for table in KINDS
    ]


def direct_functions_pg() -> list[str]:
    """PostgreSQL (0034, and 0037's downgrade): the functions updating the counters in place."""
    statements = []
    for table in KINDS:
        decrement = "; ".join(
            f"UPDATE deadline_counts SET items = items - 1 WHERE kind = '{kind}' "
            f"AND due = OLD.{due} AND {condition.format(r='OLD')}"
            for kind, due, condition in KINDS[table]
        )
        increment = "; ".join(
            f"INSERT INTO deadline_counts (kind, due, items) SELECT '{kind}', NEW.{due}, 1 "
            f"WHERE NEW.{due} IS NOT NULL AND {condition.format(r='NEW')} "
            "ON CONFLICT (kind, due) DO UPDATE SET items = deadline_counts.items + 1"
            for kind, due, condition in KINDS[table]
        )
        statements.append(
            f"""CREATE OR REPLACE FUNCTION deadline_counts_{table}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN {decrement}; END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN {increment}; END IF;
  RETURN NULL;
END
$$"""
        )
    return statements


def fold_sql() -> list[str]:
    """PostgreSQL: move every committed delta into the counters, in key order (one folder at
    a time, under the rollups' fold lock: never a deadlock).  A (kind, due) whose deltas sum
    to 0 writes nothing."""
    return [
        "WITH d AS (DELETE FROM deadline_count_deltas RETURNING kind, due, items), "
        "s AS (SELECT kind, due, sum(items) AS items FROM d GROUP BY kind, due "
        "HAVING sum(items) <> 0) "
        "INSERT INTO deadline_counts (kind, due, items) "
        "SELECT kind, due, items FROM s ORDER BY kind, due "
        "ON CONFLICT (kind, due) DO UPDATE SET items = deadline_counts.items + EXCLUDED.items",
    ]
