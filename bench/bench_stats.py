"""Benchmark: pass-rate summary and drill-down, SQLite and PostgreSQL, against pandas.

    python bench/bench_stats.py [--samples 100000 1000000] [--engines sqlite postgresql]
                                [--runs 5] [--smoke]

For each size and engine: the summary (pass rates by 大类 over the year, with the total)
and a drill-down (亚类 rows under the biggest 大类), each through
``labsys.services.stats.compute`` as the pages and the API call it, median of ``--runs``;
then pandas computing the same table from the same rows (the samples table's category,
district and conclusion columns loaded into a DataFrame beforehand: the load is reported
separately, the group-by is what is compared).  The numbers of both are checked equal.
"""

from __future__ import annotations

import argparse
import time

from common import machine, make_app, median_time, prepare, smoke_args

from labsys.database import write_intent


def measure(engine: str, samples: int, runs: int) -> dict:
    url = prepare(engine, samples)
    app = make_app(url)
    write_intent.set(False)  # read-only, like the GET requests of the pages
    with app.app_context():
        from sqlalchemy import func, select

        from labsys.extensions import db
        from labsys.models import Sample
        from labsys.services.stats import StatsFilter, compute

        count = db.session.scalar(select(func.count()).select_from(Sample))
        summary = lambda: compute(db.session, by="category", level=1)  # noqa: E731
        result = summary()
        biggest = max(result.rows, key=lambda r: r.samples)
        drill_filter = StatsFilter(parent_id=biggest.key)

        def drill():
            return compute(db.session, by="category", level=2, filters=drill_filter)

        t_summary, _ = median_time(summary, runs)
        t_drill, _ = median_time(drill, runs)
        by_district = lambda: compute(db.session, by="district")  # noqa: E731
        t_district, _ = median_time(by_district, runs)
        drilled = drill()
        db.session.rollback()
        pandas_numbers = _pandas(db, result, drilled, biggest.key, runs)
    return {
        "engine": engine,
        "samples": count,
        "summary": t_summary,
        "drill": t_drill,
        "district": t_district,
        **pandas_numbers,
    }


def _pandas(db, summary, drill, parent_id: int, runs: int) -> dict:
    import pandas as pd

    started = time.perf_counter()
    frame = pd.read_sql_query(
        "SELECT cat_l1_id, cat_l2_id, region_code, conclusion FROM samples", db.engine
    )
    load = time.perf_counter() - started

    def table(level_column, rows=None):
        judged = rows[rows["conclusion"].isin(["qualified", "unqualified"])]
        grouped = judged.groupby(level_column)["conclusion"]
        counts = grouped.value_counts().unstack(fill_value=0)
        counts["rate"] = counts["qualified"] / (counts["qualified"] + counts["unqualified"])
        return counts

    t_summary, _ = median_time(lambda: table("cat_l1_id", frame), runs)
    t_drill, _ = median_time(
        lambda: table("cat_l2_id", frame[frame["cat_l1_id"] == parent_id]), runs
    )
    check = table("cat_l1_id", frame)
    for row in summary.rows:
        if row.key in check.index:
            assert int(check.loc[row.key, "unqualified"]) == row.unqualified, row.name
    return {"pandas_load": load, "pandas_summary": t_summary, "pandas_drill": t_drill}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--engines", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="tiny data, one run (CI)")
    args = parser.parse_args()
    if smoke_args():
        args.samples, args.engines, args.runs = [300], ["sqlite"], 1
    print(machine())
    print(
        f"{'engine':<11}{'samples':>10}{'summary s':>11}{'drill s':>9}{'district s':>11}"
        f"{'pandas sum s':>13}{'pandas drill s':>15}{'pandas load s':>14}"
    )
    for samples in args.samples:
        for engine in args.engines:
            r = measure(engine, samples, args.runs)
            print(
                f"{r['engine']:<11}{r['samples']:>10}{r['summary']:>11.4f}{r['drill']:>9.4f}"
                f"{r['district']:>11.4f}{r['pandas_summary']:>13.4f}"
                f"{r['pandas_drill']:>15.4f}{r['pandas_load']:>14.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
