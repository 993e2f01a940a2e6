"""Benchmark: pass rates at national cardinality from the rollups, side by side with DuckDB.

    python bench/bench_national.py [--samples 1000000 5000000 10000000] [--runs 5] [--smoke]

For each size, on a database built by ``bench/national.py`` (2,800 counties, 300 labs,
every catalog leaf, 2024-01-01 to 2026-11-27, three inspection types), five questions
through ``labsys.services.stats.compute`` (what the pages, the API and ``labsys stats``
call), median of ``--runs`` after a warm-up:

- summary: 2025 by 大类 (level 1), with the total;
- drill-down: 2025, 亚类 (level 2) under the biggest 大类;
- district: 2025 by district (区县);
- year to date: 2026-01-01 to 2026-11-27 by 大类;
- year to date by district;
- supervision only: 2025 by 大类, inspection type supervision.

Then the same columns of the samples exported to Parquet and the same questions in DuckDB
(its group-by only: the total is left to it for free), median of the same runs; every count
is checked equal.  PostgreSQL by default; ``--smoke`` runs a tiny SQLite database once.
"""

from __future__ import annotations

import argparse
import csv
import time
from datetime import date
from pathlib import Path

from common import OUT, machine, make_app, median_time, smoke_args
from national import prepare

from labsys.database import write_intent

YEAR = (date(2025, 1, 1), date(2025, 12, 31))
YTD = (date(2026, 1, 1), date(2026, 11, 27))
COUNTED = "status NOT IN ('rejected', 'voided')"
EXPORTED = "sampling_date, status, inspection_type, cat_l1_id, cat_l2_id, region_code, conclusion"


def questions(biggest: int):
    """name -> (compute options, filters, DuckDB group column, extra DuckDB condition)."""
    from labsys.models import InspectionType
    from labsys.services.stats import StatsFilter

    year, ytd = StatsFilter(date_from=YEAR[0], date_to=YEAR[1]), StatsFilter(*YTD)
    return {
        "summary": ({"by": "category", "level": 1}, year, "cat_l1_id", YEAR, ""),
        "drill-down": (
            {"by": "category", "level": 2},
            StatsFilter(date_from=YEAR[0], date_to=YEAR[1], parent_id=biggest),
            "cat_l2_id",
            YEAR,
            f" AND cat_l1_id = {biggest}",
        ),
        "district": ({"by": "district"}, year, "region_code", YEAR, ""),
        "year to date": ({"by": "category", "level": 1}, ytd, "cat_l1_id", YTD, ""),
        "ytd district": ({"by": "district"}, ytd, "region_code", YTD, ""),
        "supervision": (
            {"by": "category", "level": 1},
            StatsFilter(
                date_from=YEAR[0],
                date_to=YEAR[1],
                inspection_types=(InspectionType.SUPERVISION,),
            ),
            "cat_l1_id",
            YEAR,
            " AND inspection_type = 'supervision'",
        ),
    }


def measure(engine: str, samples: int, runs: int) -> dict:
    url = prepare(engine, samples)
    app = make_app(url)
    write_intent.set(False)  # read-only, like the GET requests of the pages
    with app.app_context():
        from sqlalchemy import func, select, text

        from labsys.extensions import db
        from labsys.models import Sample
        from labsys.services import stats

        count = db.session.scalar(select(func.count()).select_from(Sample))
        first = stats.compute(db.session, filters=questions(0)["summary"][1])
        biggest = int(max(first.rows, key=lambda r: r.samples).key)
        ours, answers = {}, {}
        for name, (options, filters, *_) in questions(biggest).items():

            def ask(options=options, filters=filters):
                return stats.compute(db.session, filters=filters, **options)

            ours[name], _ = median_time(ask, runs)
            result = ask()
            answers[name] = {
                (str(r.key) if r.key is not None else None): (r.samples, r.qualified, r.unqualified)
                for r in result.rows
            }
        rollups = db.session.execute(
            text("SELECT rollup, grain, count(*) FROM sample_rollups GROUP BY 1, 2 ORDER BY 1, 2")
        ).all()
        sizes = {}
        if engine == "postgresql":
            for table in ("samples", "sample_rollups"):
                sizes[table] = db.session.execute(
                    text(f"SELECT pg_total_relation_size('{table}')")
                ).scalar_one()
        db.session.rollback()
        parquet, export_s = _export(db, engine, samples)
    duck = _duckdb(parquet, biggest, runs, answers)
    return {
        "engine": engine,
        "samples": count,
        "ours": ours,
        "duck": duck,
        "rollups": rollups,
        "sizes": sizes,
        "export_s": export_s,
    }


def _export(db, engine: str, samples: int) -> tuple[Path, float]:
    """The columns the questions read, from samples to a Parquet file (once per size)."""
    parquet = OUT / f"national_{engine}_{samples}.parquet"
    if parquet.exists():
        return parquet, 0.0
    import duckdb

    started = time.perf_counter()
    text_file = OUT / f"national_{engine}_{samples}.csv"
    query = f"SELECT {EXPORTED} FROM samples"
    if engine == "postgresql":
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            with (
                text_file.open("wb") as out,
                cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy,
            ):
                for chunk in copy:
                    out.write(chunk)
        finally:
            raw.close()
    else:
        from sqlalchemy import text

        with text_file.open("w", newline="") as out:
            writer = csv.writer(out)
            writer.writerow([c.strip() for c in EXPORTED.split(",")])
            writer.writerows(db.session.execute(text(query)))
    duckdb.sql(
        f"COPY (SELECT * FROM read_csv('{text_file}', header = true, "
        "types = {'region_code': 'VARCHAR', 'sampling_date': 'DATE'})) "
        f"TO '{parquet}' (FORMAT parquet)"
    )
    text_file.unlink()
    return parquet, time.perf_counter() - started


def _duckdb(parquet: Path, biggest: int, runs: int, answers: dict) -> dict:
    import duckdb

    connection = duckdb.connect()
    times = {}
    for name, (_, _, column, (low, high), extra) in questions(biggest).items():
        sql = (
            f"SELECT {column}, count(*), count(*) FILTER (WHERE conclusion = 'qualified'), "
            f"count(*) FILTER (WHERE conclusion = 'unqualified') FROM '{parquet}' "
            f"WHERE {COUNTED} AND sampling_date BETWEEN DATE '{low}' AND DATE '{high}'{extra} "
            f"GROUP BY {column}"
        )
        times[name], _ = median_time(lambda sql=sql: connection.sql(sql).fetchall(), runs)
        got = {
            (str(k) if k is not None else None): (int(n), int(q), int(u))
            for k, n, q, u in connection.sql(sql).fetchall()
        }
        assert got == answers[name], f"{name}: DuckDB and the rollups differ"
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--engine", default="postgresql", choices=["postgresql", "sqlite"])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="tiny SQLite data, one run (CI)")
    args = parser.parse_args()
    if smoke_args():
        args.samples, args.engine, args.runs = [2_000], "sqlite", 1
    print(machine())
    for samples in args.samples:
        r = measure(args.engine, samples, args.runs)
        print(f"\n{r['engine']}, {r['samples']:,} samples (Parquet export {r['export_s']:.0f} s)")
        print(f"{'question':<15}{'labsys ms':>11}{'DuckDB ms':>11}")
        for name, seconds in r["ours"].items():
            print(f"{name:<15}{seconds * 1000:>11.1f}{r['duck'][name] * 1000:>11.1f}")
        print("rollup rows: " + ", ".join(f"{k}/{g} {n:,}" for k, g, n in r["rollups"]))
        if r["sizes"]:
            print("sizes: " + ", ".join(f"{t} {b / 2**20:,.0f} MiB" for t, b in r["sizes"].items()))


if __name__ == "__main__":
    main()
