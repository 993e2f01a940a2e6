"""A benchmark database with national cardinality, built in SQL.

    python bench/national.py --samples 1000000 [--fresh]

Unlike ``common.prepare`` (copies of one city's demo year: the same months, foods and
districts whatever the size), the samples here spread over

- 2,800 counties (区县) in 300 cities of 30 provinces (made-up codes ``PPCCNN``, provinces
  20–49, besides the demo's Beijing districts), weighted so a few counties sample far more
  than others, as real ones do;
- 300 labs;
- every leaf of the catalog (all four category levels filled as the catalog has them);
- several years (2024-01-01 to the benchmark's today, 2026-11-27), more in later months;
- the three inspection types (supervision 80 %, risk monitoring 12 %, evaluation 8 %),
  four links, and about 2.5 % unqualified, 4 % still pending, 1 % rejected, 0.2 % voided.

It starts from ``labsys init`` and a small demo (users, catalog, enterprises, one visit the
generated samples point at: the statistics never read visits), then inserts the samples with
one ``INSERT ... SELECT`` per million over ``generate_series`` (PostgreSQL) or a recursive
series (SQLite, for the smoke run), with triggers and foreign-key checks off
(``session_replication_role = replica``); then counts the rollups from the samples
(``stats.refill``: one GROUP BY per rollup kind) and analyses the tables.
"""

from __future__ import annotations

import argparse
import fcntl
import sys
import time

from common import OUT, PG_BASE_URL, TODAY, create_empty, make_app

COUNTIES = 2_800
CITIES_PER_PROVINCE = 10
PROVINCES = 30
LABS = 300
FIRST_DAY = "2024-01-01"
CHUNK = 1_000_000
DEMO_SAMPLES = 300
BUCKETS = 100_000


def database_url(engine: str, samples: int) -> str:
    if engine == "sqlite":
        return f"sqlite:///{OUT / f'national_{samples}.sqlite3'}"
    return f"{PG_BASE_URL}/labsys_national_{samples}"


def prepare(engine: str, samples: int, *, fresh: bool = False) -> str:
    """A national-cardinality database of ``samples`` samples (built once); its URL."""
    OUT.mkdir(parents=True, exist_ok=True)
    url = database_url(engine, samples)
    marker = OUT / f"ready_national_{engine}_{samples}"
    with (OUT / f"build_national_{engine}_{samples}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists() and not fresh:
            return url
        timings = build(engine, samples, url)
        marker.write_text(f"{url}\n{timings}\n")
    return url


def build(engine: str, samples: int, url: str) -> dict:
    create_empty(engine, url)
    app = make_app(url)
    timings: dict[str, float] = {}
    with app.app_context():
        from flask_migrate import upgrade
        from sqlalchemy import text

        from labsys.demo import load_demo
        from labsys.extensions import db
        from labsys.services import stats

        upgrade(directory=app.extensions["migrate"].directory)
        load_demo(db.session, samples=DEMO_SAMPLES, seed=2019, year=2026, today=TODAY, reports=0)
        db.session.commit()
        started = time.perf_counter()
        _reference(db, engine)
        db.session.commit()
        pg = engine == "postgresql"
        if pg:
            db.session.execute(text("SET session_replication_role = replica"))
        else:
            db.session.execute(text("PRAGMA foreign_keys = OFF"))
        done = 0
        while done < samples:
            n = min(CHUNK, samples - done)
            _insert_samples(db, engine, n, offset=done)
            db.session.commit()
            done += n
            print(f"  {done:,} samples ({time.perf_counter() - started:.0f} s)", flush=True)
        timings["samples_s"] = time.perf_counter() - started
        if pg:
            db.session.execute(text("SET session_replication_role = DEFAULT"))
        started = time.perf_counter()
        stats.refill(db.session)
        db.session.commit()
        timings["rollups_s"] = time.perf_counter() - started
        print(f"  rollups counted ({timings['rollups_s']:.0f} s)", flush=True)
        _analyze(db, pg)
    return timings


def _series(engine: str, n: int) -> str:
    if engine == "postgresql":
        return f"generate_series(1, {n}) AS g(n)"
    return (
        f"(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {n}) "
        "SELECT n FROM s) AS g"
    )


def _uniform(engine: str) -> str:
    """A random number in [0, 1), per row."""
    if engine == "postgresql":
        return "random()"
    return "((random() & 9007199254740991) / 9007199254740992.0)"


def _reference(db, engine: str) -> None:
    """Provinces, cities and 2,800 counties; 300 labs; index tables the generator joins."""
    from sqlalchemy import text

    def run(sql: str) -> None:
        db.session.execute(text(sql))

    u = _uniform(engine)
    run(
        f"INSERT INTO regions (code, name_zh, name_en, parent_code) "
        f"SELECT printf_code, '省' || p, '', NULL FROM (SELECT p, {_code(engine, 'p', '0', '0')} "
        f"AS printf_code FROM ({_range(engine, 20, 20 + PROVINCES - 1, 'p')}) AS x) AS y"
    )
    run(
        "INSERT INTO regions (code, name_zh, name_en, parent_code) "
        f"SELECT {_code(engine, 'p', 'c', '0')}, '市' || p || '-' || c, '', "
        f"{_code(engine, 'p', '0', '0')} FROM ({_range(engine, 20, 20 + PROVINCES - 1, 'p')}) "
        f"AS x CROSS JOIN ({_range(engine, 1, CITIES_PER_PROVINCE, 'c')}) AS y"
    )
    per_city = -(-COUNTIES // (PROVINCES * CITIES_PER_PROVINCE))
    run("CREATE TABLE bench_counties (i integer PRIMARY KEY, code varchar(12), weight float)")
    run(
        "INSERT INTO bench_counties (i, code, weight) "
        f"SELECT row_number() OVER (ORDER BY p, c, k) - 1, {_code(engine, 'p', 'c', 'k')}, "
        f"{u} * {u} FROM ({_range(engine, 20, 20 + PROVINCES - 1, 'p')}) AS x "
        f"CROSS JOIN ({_range(engine, 1, CITIES_PER_PROVINCE, 'c')}) AS y "
        f"CROSS JOIN ({_range(engine, 1, per_city, 'k')}) AS z"
    )
    run(f"DELETE FROM bench_counties WHERE i >= {COUNTIES}")
    run(
        "INSERT INTO regions (code, name_zh, name_en, parent_code) "
        "SELECT code, '县' || code, '', substr(code, 1, 4) || '00' FROM bench_counties"
    )
    # Skewed draws: BUCKETS buckets, each county holding a share as big as its weight.
    run("CREATE TABLE bench_county_buckets (i integer PRIMARY KEY, code varchar(12))")
    weights = db.session.execute(text("SELECT code, weight FROM bench_counties ORDER BY i")).all()
    total = sum(w for _, w in weights)
    rows, upto = [], 0.0
    for code, weight in weights:
        end = round((upto + weight) / total * BUCKETS)
        rows.extend({"i": b, "code": code} for b in range(round(upto / total * BUCKETS), end))
        upto += weight
    db.session.execute(text("INSERT INTO bench_county_buckets VALUES (:i, :code)"), rows)
    run(
        "INSERT INTO labs (code, name) "
        f"SELECT 'N' || n, '检验机构 ' || n FROM ({_range(engine, 1, LABS, 'n')}) AS x"
    )
    run("CREATE TABLE bench_labs (i integer PRIMARY KEY, id integer)")
    run(
        "INSERT INTO bench_labs SELECT row_number() OVER (ORDER BY id) - 1, id FROM labs "
        "WHERE code LIKE 'N%'"
    )
    run(
        "CREATE TABLE bench_leaves (i integer PRIMARY KEY, id integer, l1 integer, l2 integer, "
        "l3 integer, l4 integer)"
    )
    leaves = _leaves(db)
    for i, row in enumerate(leaves):
        db.session.execute(
            text("INSERT INTO bench_leaves VALUES (:i, :id, :l1, :l2, :l3, :l4)"),
            {"i": i, **row},
        )


def _range(engine: str, low: int, high: int, name: str) -> str:
    if engine == "postgresql":
        return f"SELECT generate_series({low}, {high}) AS {name}"
    return (
        f"WITH RECURSIVE r({name}) AS (SELECT {low} UNION ALL SELECT {name} + 1 FROM r "
        f"WHERE {name} < {high}) SELECT {name} FROM r"
    )


def _code(engine: str, p: str, c: str, k: str) -> str:
    """A six-digit region code from province, city and county numbers."""
    if engine == "postgresql":
        return f"lpad({p}::text, 2, '0') || lpad({c}::text, 2, '0') || lpad({k}::text, 2, '0')"
    return f"printf('%02d%02d%02d', {p}, {c}, {k})"


def _leaves(db) -> list[dict]:
    """Every catalog category without children, with its four level ids (None if absent)."""
    from labsys.models import FoodCategory

    categories = {c.id: c for c in db.session.query(FoodCategory)}
    parents = {c.parent_id for c in categories.values() if c.parent_id}
    rows = []
    for category in categories.values():
        if category.id in parents:
            continue
        levels = {1: None, 2: None, 3: None, 4: None}
        node = category
        while node is not None:
            levels[node.level] = node.id
            node = categories.get(node.parent_id) if node.parent_id else None
        rows.append({"id": category.id, **{f"l{k}": v for k, v in levels.items()}})
    return sorted(rows, key=lambda r: r["id"])


def _insert_samples(db, engine: str, n: int, offset: int) -> None:
    """``n`` samples over the counties, labs, leaves, days, types and outcomes."""
    from sqlalchemy import inspect, text

    columns = [c["name"] for c in inspect(db.session.connection()).get_columns("samples")]
    template = db.session.execute(text("SELECT min(id) FROM samples")).scalar_one()
    days = db.session.execute(text(f"SELECT {_days_between(engine)}")).scalar_one()
    u = _uniform(engine)
    leaves = db.session.execute(text("SELECT count(*) FROM bench_leaves")).scalar_one()
    buckets = db.session.execute(text("SELECT count(*) FROM bench_county_buckets")).scalar_one()
    overrides = {
        "sample_no": f"'N' || ({offset} + d.n)",
        "sampling_date": _day_expr(engine, "d.day_index"),
        "region_code": "cb.code",
        "lab_id": "lb.id",
        "category_id": "lf.id",
        "cat_l1_id": "lf.l1",
        "cat_l2_id": "lf.l2",
        "cat_l3_id": "lf.l3",
        "cat_l4_id": "lf.l4",
        "link": "CASE WHEN d.r_link < 0.15 THEN 'production' WHEN d.r_link < 0.65 THEN "
        "'retail' WHEN d.r_link < 0.9 THEN 'catering' ELSE 'online' END",
        "inspection_type": "CASE WHEN d.r_type < 0.8 THEN 'supervision' WHEN d.r_type < 0.92 "
        "THEN 'risk_monitoring' ELSE 'evaluation' END",
        "status": "CASE WHEN d.r_state < 0.01 THEN 'rejected' WHEN d.r_state < 0.012 THEN "
        "'voided' WHEN d.r_state < 0.052 THEN 'received' ELSE 'concluded' END",
        "conclusion": "CASE WHEN d.r_state < 0.052 THEN NULL WHEN d.r_result < 0.025 THEN "
        "'unqualified' WHEN d.r_result < 0.03 THEN 'inconclusive' ELSE 'qualified' END",
        "plan_id": "NULL",
        "task_id": "NULL",
    }
    columns = [c for c in columns if c != "id"]
    select_list = ", ".join(overrides.get(c) or f"t.{c}" for c in columns)
    # Later days a little more likely (sampling grows year on year): sqrt of a uniform.
    draws = (
        f"SELECT n, CAST(floor(sqrt({u}) * {days}) AS integer) AS day_index, "
        f"CAST(floor({u} * {buckets}) AS integer) AS r_county, "
        f"CAST(floor({u} * {LABS}) AS integer) AS r_lab, "
        f"CAST(floor({u} * {leaves}) AS integer) AS r_leaf, "
        f"{u} AS r_link, {u} AS r_type, {u} AS r_state, {u} AS r_result "
        f"FROM {_series(engine, n)}"
    )
    if engine != "postgresql":  # SQLite would draw again for every reference to a draw
        db.session.execute(text("DROP TABLE IF EXISTS bench_draws"))
        db.session.execute(text(f"CREATE TEMPORARY TABLE bench_draws AS {draws}"))
        draws = "SELECT * FROM bench_draws"
    db.session.execute(
        text(
            f"INSERT INTO samples ({', '.join(columns)}) SELECT {select_list} "
            f"FROM ({draws}) AS d JOIN bench_leaves lf ON lf.i = d.r_leaf "
            "JOIN bench_county_buckets cb ON cb.i = d.r_county "
            "JOIN bench_labs lb ON lb.i = d.r_lab "
            f"CROSS JOIN (SELECT * FROM samples WHERE id = {template}) AS t"
        )
    )


def _days_between(engine: str) -> str:
    if engine == "postgresql":
        return f"DATE '{TODAY.isoformat()}' - DATE '{FIRST_DAY}' + 1"
    return f"CAST(julianday('{TODAY.isoformat()}') - julianday('{FIRST_DAY}') AS integer) + 1"


def _day_expr(engine: str, index: str) -> str:
    if engine == "postgresql":
        return f"DATE '{FIRST_DAY}' + {index}"
    return f"date('{FIRST_DAY}', '+' || {index} || ' days')"


def _analyze(db, pg: bool) -> None:
    from sqlalchemy import text

    if pg:
        db.session.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('samples', 'id'), (SELECT max(id) FROM samples))"
            )
        )
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--engine", default="postgresql", choices=["postgresql", "sqlite"])
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    print(prepare(args.engine, args.samples, fresh=args.fresh))


if __name__ == "__main__":
    sys.exit(main())
