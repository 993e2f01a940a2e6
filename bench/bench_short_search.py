"""Benchmark: 1- and 2-character searches on PostgreSQL, without and with the character index.

    python bench/bench_short_search.py [--rows 1000000] [--runs 5] [--keep]

A synthetic ``samples`` table (id, sample_no, food_name only) of ``--rows`` rows in a
database of its own (``<LABSYS_BENCH_PG_PREFIX>_chars``, dropped afterwards unless
``--keep``): food names drawn from 38 common foods and 10 prefixes (米 in ~13 % of them, 牛奶
in ~6 %), with 鹅 in 1 row in 14,000 (鹅肝 1 in 20,000) and 鳄 nowhere.  Each case is the
samples list's shape, the newest 51 ids matching ``contains_text`` ordered by id, over the
food name, or the number and the food name.  "before": the pg_trgm indexes of 0039 only
(what main runs); "after": the indexes of migration 0046 and an ANALYZE.  Median wall time
of ``--runs`` after a warm-up, the server's work included.  The search statistics are
read once per case outside the timing (the process caches them for minutes).
"""

from __future__ import annotations

import argparse
import subprocess
import time

from common import PG_BASE_URL, PG_PREFIX, machine, median_time, smoke_args

CASES = [
    # (label, query, columns)
    ("1 char, absent (鳄)", "鳄", ("food_name",)),
    ("1 char, rare (鹅, 0.007 %)", "鹅", ("food_name",)),
    ("2 chars, absent (鳄鱼)", "鳄鱼", ("food_name",)),
    ("2 chars, rare (鹅肝, 0.005 %)", "鹅肝", ("food_name",)),
    ("2 chars, frequent + rare (米鹅)", "米鹅", ("food_name",)),
    ("1 char, frequent (米, 13 %)", "米", ("food_name",)),
    ("2 chars, frequent (牛奶, 6 %)", "牛奶", ("food_name",)),
    ("number or food, 1 char, absent (鳄)", "鳄", ("sample_no", "food_name")),
    ("number or food, 2 chars, frequent (牛奶)", "牛奶", ("sample_no", "food_name")),
]

FOODS = [
    "大米", "小麦粉", "纯牛奶", "酸牛奶", "绿茶", "红茶", "玉米油", "花生油", "猪肉", "牛肉",
    "鸡蛋", "白菜", "苹果", "香蕉", "酱油", "食醋", "饼干", "面包", "豆腐", "腐竹", "挂面",
    "米粉", "糯米", "黑米", "月饼", "蜂蜜", "白砂糖", "食用盐", "味精", "鸡精", "啤酒", "白酒",
    "葡萄酒", "矿泉水", "果汁饮料", "婴幼儿奶粉", "Apple Juice", "Cola",
]  # fmt: skip
PREFIXES = ["", "", "", "特级", "一级", "东北", "散装", "有机", "进口", "精制"]


def _array(words: list[str]) -> str:
    return "ARRAY[" + ", ".join(f"'{w}'" for w in words) + "]"


def build_sql(rows: int) -> list[str]:
    return [
        "SELECT setseed(0.19)",
        "CREATE TABLE samples (id bigserial PRIMARY KEY, sample_no text NOT NULL, "
        "food_name text NOT NULL)",
        "INSERT INTO samples (sample_no, food_name) "
        "SELECT 'SC' || lpad(g::text, 12, '0'), "
        f"({_array(PREFIXES)})[1 + floor(random() * {len(PREFIXES)})::int] "
        f"|| ({_array(FOODS)})[1 + floor(random() * {len(FOODS)})::int] "
        "|| CASE WHEN g % 20000 = 0 THEN '（鹅肝风味）' WHEN g % 50000 = 7 THEN '鹅蛋' "
        "ELSE '' END "
        f"FROM generate_series(1, {rows}) g",
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        "CREATE INDEX ix_samples_food_name_trgm ON samples USING gin (food_name gin_trgm_ops)",
        "CREATE INDEX ix_samples_sample_no_trgm ON samples USING gin (sample_no gin_trgm_ops)",
        "ANALYZE samples",
    ]


CHAR_INDEXES = [
    "CREATE INDEX ix_samples_food_name_chars ON samples "
    "USING gin (string_to_array(lower(food_name), NULL))",
    "CREATE INDEX ix_samples_sample_no_chars ON samples "
    "USING gin (string_to_array(lower(sample_no), NULL))",
    "ANALYZE samples",
]


def _admin(sql: str) -> None:
    subprocess.run(
        ["psql", PG_BASE_URL.replace("postgresql+psycopg", "postgresql") + "/postgres",
         "-qXc", sql],
        check=True,
    )  # fmt: skip


def measure(engine, runs: int) -> list[tuple[str, float, int, bool]]:
    from sqlalchemy import BigInteger, Column, MetaData, Table, Text, select

    from labsys.models import search

    table = Table(
        "samples",
        MetaData(),
        Column("id", BigInteger, primary_key=True),
        Column("sample_no", Text),
        Column("food_name", Text),
    )
    search.forget_statistics()
    out = []
    with engine.connect() as connection:
        for label, q, columns in CASES:
            condition = search.contains_text(q, *(table.c[c] for c in columns))
            statement = select(table.c.id).where(condition).order_by(table.c.id.desc()).limit(51)
            decided = search.decide(statement, connection)
            rows = len(connection.execute(statement).all())
            seconds, _ = median_time(lambda s=statement: connection.execute(s).all(), runs)
            uses_chars = "string_to_array" in str(decided.compile(engine))
            out.append((label, seconds, rows, uses_chars))
        connection.rollback()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    if smoke_args():
        args.rows, args.runs = 20_000, 1
    from sqlalchemy import create_engine, text

    from labsys.database import configure_engine

    name = f"{PG_PREFIX}_chars"
    _admin(f"DROP DATABASE IF EXISTS {name}")
    _admin(f"CREATE DATABASE {name}")
    engine = create_engine(f"{PG_BASE_URL}/{name}")
    configure_engine(engine, 0)  # the character path's decision, as the application's
    try:
        with engine.begin() as connection:
            for sql in build_sql(args.rows):
                connection.execute(text(sql))
        print(machine())
        before = measure(engine, args.runs)
        started = time.perf_counter()
        with engine.begin() as connection:
            for sql in CHAR_INDEXES:
                connection.execute(text(sql))
            sizes = connection.execute(
                text(
                    "SELECT relname, pg_size_pretty(pg_relation_size(oid)) FROM pg_class "
                    "WHERE relname LIKE 'ix_samples_%' OR relname = 'samples' ORDER BY relname"
                )
            ).all()
        print(f"character indexes and ANALYZE: {time.perf_counter() - started:.1f} s; sizes:")
        print(", ".join(f"{name} {size}" for name, size in sizes))
        after = measure(engine, args.runs)
    finally:
        engine.dispose()
        if not args.keep:
            _admin(f"DROP DATABASE IF EXISTS {name}")
    print(f"| {args.rows:,} rows, PostgreSQL | rows | before | after | character index |")
    print("|---|---:|---:|---:|---|")
    for (label, old, rows, _), (_, new, rows_after, chars) in zip(before, after, strict=True):
        assert rows == rows_after, label
        print(
            f"| {label} | {rows} | {old * 1000:.2f} ms | {new * 1000:.2f} ms | {'yes' if chars else 'no'} |"
        )


if __name__ == "__main__":
    main()
