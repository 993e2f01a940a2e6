"""Shared pieces of the benchmarks: the machine, timing, and databases of a given size.

A benchmark database is built once and kept under ``bench/out/`` (SQLite) or as a
PostgreSQL database named after its size: ``labsys init``, then ``labsys demo`` for a
realistic year of up to ``DEMO_BASE`` samples, then copies of that year's visits, samples
and results (new ids and sample numbers, same dates, foods, districts and conclusions) up to
the size asked for.  The copies keep every distribution of the demo year, so aggregates and
list pages see realistic data; the audit trail is not copied (no benchmark reads it).
"""

from __future__ import annotations

import fcntl
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))

# The demo year the copies are made of (LABSYS_BENCH_DEMO_BASE: a smaller year builds a
# large database faster, with the same distributions repeated more often).
DEMO_BASE = int(os.environ.get("LABSYS_BENCH_DEMO_BASE", "20000"))
PG_BASE_URL = os.environ.get("LABSYS_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
# Several checkouts share one PostgreSQL server: each may name its own benchmark databases.
PG_PREFIX = os.environ.get("LABSYS_BENCH_PG_PREFIX", "labsys_bench")
SECRET = "benchmark-secret-key-0123456789-abcdefghij"
TODAY = date(2026, 11, 27)


def machine() -> str:
    """One line describing this machine, for BENCHMARKS.md."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        kib = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration):
        memory = "?"
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory} RAM, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def median_time(fn: Callable[[], object], runs: int = 5, warmup: int = 1) -> tuple[float, list]:
    """Median wall seconds of ``runs`` calls after ``warmup`` unmeasured ones."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times


def make_app(url: str):
    from labsys import create_app

    return create_app(
        {
            "SECRET_KEY": SECRET,
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(OUT / "instance"),
            "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        }
    )


def database_url(engine: str, samples: int) -> str:
    if engine == "sqlite":
        return f"sqlite:///{OUT / f'bench_{samples}.sqlite3'}"
    return f"{PG_BASE_URL}/{PG_PREFIX}_{samples}"


def prepare(engine: str, samples: int, *, fresh: bool = False) -> str:
    """A database holding ``samples`` samples (built once, then reused); returns its URL."""
    OUT.mkdir(parents=True, exist_ok=True)
    url = database_url(engine, samples)
    marker = OUT / f"ready_{engine}_{samples}"
    # One builder at a time: a second benchmark started meanwhile waits, then reuses it.
    with (OUT / f"build_{engine}_{samples}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists() and not fresh:
            return url
        _build(engine, samples, url)
        marker.write_text(url)
    return url


def _build(engine: str, samples: int, url: str) -> None:
    create_empty(engine, url)
    app = make_app(url)
    with app.app_context():
        from flask_migrate import upgrade

        from labsys.demo import load_demo
        from labsys.extensions import db

        upgrade(directory=app.extensions["migrate"].directory)
        base = min(samples, DEMO_BASE)
        print(f"  demo year of {base} samples ...", flush=True)
        load_demo(db.session, samples=base, seed=2019, year=2026, today=TODAY)
        db.session.commit()
        copies = -(-samples // base) - 1
        year_max = _max_ids(db)
        for k in range(1, copies + 1):
            _copy_year(db, k, year_max, limit=min(base, samples - k * base))
            print(f"  copy {k}/{copies}", flush=True)
        from labsys.services.stats import fold_deltas

        fold_deltas(db.session, wait=True)  # PostgreSQL's triggers left the copies as deltas
        db.session.commit()
        _analyze(db)


def create_empty(engine: str, url: str) -> None:
    if engine == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = url.rsplit("/", 1)[1]
    subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-q",
            "-c",
            f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
            "-c",
            f"CREATE DATABASE {name}",
        ],
        check=True,
    )


# Tables copied per year, with the columns that point at copied rows.
_COPIED = [
    ("sampling_visits", {}),
    ("visit_samplers", {"visit_id": "sampling_visits"}),
    ("samples", {"visit_id": "sampling_visits"}),
    ("sample_results", {"sample_id": "samples", "supersedes_id": "sample_results"}),
]


def _max_ids(db) -> dict[str, int]:
    from sqlalchemy import text

    return {
        t: db.session.execute(text(f"SELECT max(id) FROM {t}")).scalar() or 0
        for t in ("sampling_visits", "samples", "sample_results")
    }


def _copy_year(db, k: int, year_max: dict[str, int], limit: int) -> None:
    """Copy the first ``limit`` samples of the demo year (with their visits and results)
    as copy number ``k``: ids shifted by k × (the year's max id + 1), so copies never meet."""
    from sqlalchemy import text

    offsets = {t: k * (m + 1) for t, m in year_max.items()}
    sample_cut = db.session.execute(
        text("SELECT max(id) FROM (SELECT id FROM samples WHERE id <= :m ORDER BY id LIMIT :n) s"),
        {"m": year_max["samples"], "n": limit},
    ).scalar()
    for table, refs in _COPIED:
        columns = _columns(db, table)
        select_parts = []
        for column in columns:
            if column == "id":
                select_parts.append(f"id + {offsets[table]}")
            elif column in refs:
                select_parts.append(f"{column} + {offsets[refs[column]]}")
            elif table == "samples" and column == "sample_no":
                select_parts.append(f"sample_no || '-{k}'")
            elif table == "samples" and column in ("report_issued", "conclusion_served"):
                # Kept by triggers from reports and followups, which are not copied.
                select_parts.append("false")
            else:
                select_parts.append(column)
        where = _copy_filter(table, sample_cut)
        db.session.execute(
            text(
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"SELECT {', '.join(select_parts)} FROM {table} WHERE {where}"
            )
        )
    db.session.commit()


def _copy_filter(table: str, sample_cut: int) -> str:
    if table == "sampling_visits":
        return f"id IN (SELECT visit_id FROM samples WHERE id <= {sample_cut})"
    if table == "visit_samplers":
        return f"visit_id IN (SELECT visit_id FROM samples WHERE id <= {sample_cut})"
    if table == "samples":
        return f"id <= {sample_cut}"
    return f"sample_id <= {sample_cut}"


def _columns(db, table: str) -> list[str]:
    from sqlalchemy import inspect

    return [c["name"] for c in inspect(db.session.connection()).get_columns(table)]


def _analyze(db) -> None:
    from sqlalchemy import text

    if db.engine.dialect.name == "postgresql":
        for table in ("sampling_visits", "samples", "sample_results"):
            db.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            )
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def smoke_args(argv: list[str] | None = None) -> bool:
    return "--smoke" in (argv if argv is not None else sys.argv)
