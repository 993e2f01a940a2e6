"""Benchmark: the instrument import of N result rows (validate the whole file, judge, save).

    python bench/bench_import.py [--rows N] [--runs R] [--database-url URL] [--smoke]

Builds N/5 received samples with five frozen test items each (lead, cadmium, a banned drug,
protein, a plate count with its n=5 plan) in a fresh SQLite database (or in the *empty*
database given by --database-url, e.g. a scratch PostgreSQL database), writes a CSV of N
rows as an instrument export would, and times ``import_results`` end to end: reading the
file, validating every row with bulk lookups, judging, the batched UPDATE with the version
check, the audit batch and the commit. Between runs the rows are put back to pending.
Prints the median of R runs, rows per second, and the machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert, update  # noqa: E402

from labsys import create_app  # noqa: E402
from labsys.extensions import db  # noqa: E402
from labsys.models import (  # noqa: E402
    Enterprise,
    FoodCategory,
    Link,
    ResultStatus,
    Role,
    Sample,
    SampleResult,
    SampleStatus,
    SamplingVisit,
    TestItem,
)
from labsys.services import users  # noqa: E402
from labsys.services.access import SYSTEM  # noqa: E402
from labsys.services.results_import import import_results  # noqa: E402

ITEMS = [  # name, unit, limit, lod, interval, micro plan, a value maker
    (
        "铅(以Pb计)",
        "mg/kg",
        "≤0.2",
        "0.005",
        "0.01",
        None,
        lambda r: f"{r.randint(0, 215) / 1000:.3f}",
    ),
    (
        "镉(以Cd计)",
        "mg/kg",
        "≤0.1",
        "0.002",
        "0.001",
        None,
        lambda r: f"{r.randint(0, 104) / 1000:.3f}",
    ),
    (
        "氯霉素",
        "μg/kg",
        "不得检出",
        "0.1",
        None,
        None,
        lambda r: "未检出" if r.random() < 0.97 else "0.35",
    ),
    ("蛋白质", "g/100g", "≥2.9", None, "0.01", None, lambda r: f"{r.randint(285, 340) / 100}"),
    (
        "菌落总数",
        "CFU/g",
        "",
        None,
        None,
        (5, 2, "50000", "100000"),
        lambda r: ",".join(str(r.randint(100, 60000)) for _ in range(5)),
    ),
]


def build(n_rows: int) -> tuple[object, list[tuple[str, str]]]:
    """N/5 received samples with five pending result rows each; the technician; the CSV rows."""
    tech = users.create_user(
        db.session, SYSTEM, username="bench-tech", password="bench-pass-1", roles=[Role.TECHNICIAN]
    )
    category = FoodCategory(code="BENCH", level=1, name_zh="乳制品", path="/")
    unit = Enterprise(name="基准测试超市", address="北京市", uscc=None)
    db.session.add_all([category, unit])
    db.session.flush()
    category.path = f"/{category.id}/"
    items = []
    for index, (name, unit_name, *_rest) in enumerate(ITEMS):
        item = TestItem(
            code=f"B{index}", name_zh=name, unit=unit_name, is_microbiological=_rest[3] is not None
        )
        db.session.add(item)
        items.append(item)
    visit = SamplingVisit(
        sampled_unit_id=unit.id,
        sampling_date=date(2026, 11, 2),
        place="",
        link=Link.RETAIL,
        created_by_id=tech.id,
    )
    db.session.add(visit)
    db.session.flush()
    n_samples = n_rows // len(ITEMS)
    received = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
    numbers = [f"BENCH{i:09d}" for i in range(n_samples)]
    db.session.execute(
        insert(Sample),
        [
            {
                "sample_no": no,
                "visit_id": visit.id,
                "status": SampleStatus.RECEIVED,
                "category_id": category.id,
                "food_name": "巴氏杀菌乳",
                "quantity": "2",
                "sampling_date": visit.sampling_date,
                "link": Link.RETAIL,
                "sampler_id": tech.id,
                "cat_l1_id": category.id,
                "received_at": received,
            }
            for no in numbers
        ],
    )
    ids = dict(db.session.execute(db.select(Sample.sample_no, Sample.id)).all())
    rows = []
    for no in numbers:
        for seq, (item, (name, unit_name, limit, lod, interval, plan, _v)) in enumerate(
            zip(items, ITEMS, strict=True), start=1
        ):
            row = {
                "sample_id": ids[no],
                "test_item_id": item.id,
                "seq": seq,
                "item_name": name,
                "unit": unit_name,
                "limit_text": limit,
                "lod": lod,
                "interval": interval,
                "status": ResultStatus.PENDING,
            }
            if plan:
                row.update(micro_n=plan[0], micro_c=plan[1], micro_m=plan[2], micro_big_m=plan[3])
            rows.append(row)
    for start in range(0, len(rows), 20_000):
        db.session.execute(insert(SampleResult), rows[start : start + 20_000])
    db.session.commit()
    rng = random.Random(8170)
    csv_rows = [
        (no, name, make(rng), unit_name) for no in numbers for name, unit_name, *_m, make in ITEMS
    ]
    return tech, csv_rows


def to_csv(rows: list[tuple]) -> bytes:
    lines = ["样品编号,检验项目,结果,单位"]
    lines += [f'{no},{name},"{value}",{unit}' for no, name, value, unit in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def reset() -> None:
    db.session.execute(
        update(SampleResult).values(
            status=ResultStatus.PENDING,
            measured_text=None,
            unit_values=None,
            reported_text=None,
            verdict=None,
            entered_by_id=None,
            entered_at=None,
        )
    )
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", help="an EMPTY scratch database (default: SQLite)")
    parser.add_argument("--smoke", action="store_true", help="500 rows, 1 run (for CI)")
    args = parser.parse_args()
    if args.smoke:
        args.rows, args.runs = 500, 1
    workdir = tempfile.mkdtemp(prefix="labsys-bench-")
    url = args.database_url or f"sqlite:///{workdir}/bench.sqlite3"
    app = create_app(
        {
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
            "DATABASE_URL": url,
            "INSTANCE_PATH": workdir,
        }
    )
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        started = time.perf_counter()
        tech, rows = build(args.rows)
        data = to_csv(rows)
        print(
            f"built {len(rows)} rows for {len(rows) // len(ITEMS)} samples in "
            f"{time.perf_counter() - started:.1f} s; CSV {len(data) / 1e6:.1f} MB"
        )
        times, cpu_times = [], []
        for run in range(args.runs):
            if run:
                reset()
            started, cpu_started = time.perf_counter(), time.process_time()
            summary = import_results(db.session, db.session.merge(tech), data, "bench.csv")
            db.session.commit()
            times.append(time.perf_counter() - started)
            cpu_times.append(time.process_time() - cpu_started)
            assert summary.rows == len(rows), summary
            print(
                f"  run {run + 1}: {times[-1]:.2f} s wall, {cpu_times[-1]:.2f} s CPU  "
                f"{summary.verdicts}"
            )
        median = statistics.median(times)
        print(
            f"import of {len(rows)} rows: median {median:.2f} s wall "
            f"({statistics.median(cpu_times):.2f} s CPU) over {args.runs} runs, "
            f"{len(rows) / median:,.0f} rows/s"
        )
        print(
            f"database: {db.engine.dialect.name}; python {platform.python_version()}; "
            f"{platform.machine()} {platform.processor() or ''} x{os.cpu_count()}; "
            f"{platform.platform()}; load average {os.getloadavg()[0]:.1f}"
        )


if __name__ == "__main__":
    main()
