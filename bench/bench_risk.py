"""Benchmark: risk signals (issue 17) over every scope, SQLite and PostgreSQL.

    python bench/bench_risk.py [--samples 100000 1000000] [--engines sqlite postgresql]
                               [--national] [--runs 5] [--smoke]

For each size and engine: ``labsys.services.risk.compute_signals`` for every scope (the
warnings page, ``labsys risk signals`` and ``GET /api/v1/risk/signals`` call it), median of
``--runs`` after one warm-up; then each scope alone, to show where the time goes.  The
databases are the benchmarks' shared demo-year copies (``bench/common.py``), or with
``--national`` the national-cardinality database of ``bench/national.py`` (PostgreSQL;
2,800 counties, 300 labs, several years).  Category, district and link counts come from the
pass-rate rollups (supervision batches by the rollups' inspection type); producers, units
and test items from ``samples`` by their indexes.
"""

from __future__ import annotations

import argparse

from common import TODAY, machine, make_app, median_time, prepare, smoke_args

from labsys.database import write_intent


def measure(engine: str, samples: int, runs: int, *, national: bool = False) -> dict:
    if national:
        import national as national_data

        url = national_data.prepare(engine, samples)
    else:
        url = prepare(engine, samples)
    app = make_app(url)
    write_intent.set(False)  # read-only, like the GET requests of the pages
    with app.app_context():
        from sqlalchemy import func, select

        from labsys.extensions import db
        from labsys.models import Sample
        from labsys.services import risk

        count = db.session.scalar(select(func.count()).select_from(Sample))

        def every_scope():
            return risk.compute_signals(db.session, today=TODAY)

        total, _ = median_time(every_scope, runs)
        found = every_scope()
        per_scope = {
            scope: median_time(
                lambda scope=scope: risk.compute_signals(db.session, today=TODAY, scopes=[scope]),
                max(1, runs // 2),
            )[0]
            for scope in risk.SCOPES
        }
        db.session.rollback()
    return {
        "engine": engine,
        "samples": count,
        "total": total,
        "tested": len(found),
        "signalled": len(risk.signalled(found)),
        **per_scope,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--engines", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--national", action="store_true", help="bench/national.py's data (PostgreSQL)"
    )
    parser.add_argument("--smoke", action="store_true", help="tiny data, one run (CI)")
    args = parser.parse_args()
    if smoke_args():
        args.samples, args.engines, args.runs = [300], ["sqlite"], 1
    print(machine())
    from labsys.services.risk import SCOPES

    print(
        f"{'engine':<11}{'samples':>10}{'all s':>8}{'tested':>8}{'signals':>8}  "
        + " ".join(f"{s[:10]:>10}" for s in SCOPES)
    )
    for samples in args.samples:
        for engine in args.engines:
            r = measure(engine, samples, args.runs, national=args.national)
            print(
                f"{r['engine']:<11}{r['samples']:>10}{r['total']:>8.3f}{r['tested']:>8}"
                f"{r['signalled']:>8}  " + " ".join(f"{r[s]:>10.3f}" for s in SCOPES),
                flush=True,
            )


if __name__ == "__main__":
    main()
