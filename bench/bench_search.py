"""Benchmark: the free-text search conditions alone (the SQL, no page), old and new.

    python bench/bench_search.py [--samples 100000] [--engines sqlite postgresql]
                                 [--runs 3] [--old] [--smoke]

Each case is a list's shape: the newest 51 ids matching the condition (keyset page), or all
matching ids of the small tables.  ``--old`` times the conditions the lists used before
migration 0039 (``LIKE``/``ILIKE '%q%'``, a scan); run it on a database downgraded to 0038
(``labsys db downgrade 0038``) so PostgreSQL cannot use the trigram indexes for them.
Median wall time of ``--runs`` after a warm-up; the database's own work is inside it.
"""

from __future__ import annotations

import argparse

from common import machine, make_app, median_time, prepare, smoke_args

CASES = [
    # (label, table, columns, query)
    ("samples, 3 chars (frequent)", "samples", ("food_name",), "小麦粉"),
    ("samples, 2 chars (frequent)", "samples", ("food_name",), "大米"),
    ("samples, 1 char (frequent)", "samples", ("food_name",), "米"),
    ("samples, 6 chars, none", "samples", ("food_name",), "不存在的食品"),
    ("samples, 2 chars, none", "samples", ("food_name",), "无此"),
    ("samples + number, 3 chars", "samples", ("sample_no", "food_name"), "小麦粉"),
    ("reports, 3 chars", "reports", ("report_no", "food_name", "sampled_unit_name"), "小麦粉"),
    ("enterprises, 4 chars", "enterprises", ("name",), "生鲜超市"),
    ("enterprises, 2 chars", "enterprises", ("name",), "超市"),
]


def _statement(table: str, columns: tuple[str, ...], q: str, old: bool):
    from sqlalchemy import or_, select

    from labsys.models import Enterprise, Report, Sample
    from labsys.models.search import contains_text

    model = {"samples": Sample, "reports": Report, "enterprises": Enterprise}[table]
    attributes = [getattr(model, c) for c in columns]
    if old:  # what the lists wrote before: a substring LIKE, escaped
        condition = or_(*(a.contains(q, autoescape=True) for a in attributes))
    else:
        condition = contains_text(q, *attributes)
    statement = select(model.id).where(condition)
    if table == "samples":
        statement = statement.order_by(model.id.desc()).limit(51)
    return statement


def measure(engine: str, samples: int, runs: int, old: bool) -> list[tuple[str, float, int]]:
    from labsys.database import write_intent

    app = make_app(prepare(engine, samples))
    write_intent.set(False)
    out = []
    with app.app_context():
        from labsys.extensions import db

        for label, table, columns, q in CASES:
            statement = _statement(table, columns, q, old)
            rows = len(db.session.execute(statement).all())
            seconds, _ = median_time(lambda s=statement: db.session.execute(s).all(), runs)
            out.append((label, seconds, rows))
        db.session.rollback()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, nargs="+", default=[100_000])
    parser.add_argument("--engines", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--old", action="store_true", help="the conditions before 0039")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    if smoke_args():
        args.samples, args.engines, args.runs = [300], ["sqlite"], 1
    print(machine())
    for samples in args.samples:
        for engine in args.engines:
            print(f"\n{engine}, {samples} samples, {'old' if args.old else 'new'} conditions")
            for label, seconds, rows in measure(engine, samples, args.runs, args.old):
                print(f"  {label:<30}{seconds * 1000:>9.1f} ms  {rows:>6} rows", flush=True)


if __name__ == "__main__":
    main()
