"""Benchmark: the samples CSV on PostgreSQL, through COPY and row by row in Python.

    python bench/bench_copy.py [--samples 100000] [--labels zh] [--runs 3] [--smoke]

Both write every sample (``exports.export_csv_chunks`` with COPY, and ``export_table`` +
``csv_chunks``, the path SQLite keeps) into a discarded sink in this process; median wall
and CPU seconds of ``--runs`` (PostgreSQL's own work is in the server process: its CPU is
not counted, the wall time includes it).  The two outputs are checked equal.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import time

from common import PG_BASE_URL, machine, make_app, prepare, smoke_args

from labsys.database import write_intent


def _run(fn) -> tuple[float, float, str]:
    digest = hashlib.sha256()
    wall, cpu = time.perf_counter(), time.process_time()
    for chunk in fn():
        digest.update(chunk.encode("utf-8"))
    return time.perf_counter() - wall, time.process_time() - cpu, digest.hexdigest()


def _postgresql_up() -> bool:
    from sqlalchemy import create_engine
    from sqlalchemy.exc import OperationalError

    engine = create_engine(f"{PG_BASE_URL}/postgres")
    try:
        with engine.connect():
            return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--labels", choices=["zh", "en"], default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    if smoke_args():
        args.samples, args.runs = 300, 1
        if not _postgresql_up():
            print("PostgreSQL is not running: skipped")
            return
    app = make_app(prepare("postgresql", args.samples))
    write_intent.set(False)
    print(machine())
    print(f"postgresql, {args.samples} samples, labels {args.labels or 'machine'}")
    with app.app_context():
        from labsys.extensions import db
        from labsys.services import exports

        bom = args.labels is not None
        paths = {
            "COPY": lambda: exports.export_csv_chunks(
                db.session, "samples", labels=args.labels, bom=bom
            ),
            "Python rows": lambda: exports.csv_chunks(
                *exports.export_table(db.session, "samples", labels=args.labels), bom=bom
            ),
        }
        digests = set()
        for label, fn in paths.items():
            runs = [_run(fn) for _ in range(args.runs)]
            digests |= {digest for _wall, _cpu, digest in runs}
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            print(
                f"  {label:<12}{wall:>8.2f} s  CPU {cpu:>6.2f} s  {args.samples / wall:>9.0f} rows/s"
            )
            db.session.rollback()
        assert len(digests) == 1, "COPY and Python wrote different CSV"


if __name__ == "__main__":
    main()
