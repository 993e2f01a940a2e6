"""PostgreSQL's planner knows how many rows each rollup kind holds (migration 0043): with
most month rows of kind ``all``, it once took the county question for a fifth of the table
and scanned all of it (458 ms at 10,000,000 samples; 21 ms reading the key's range)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

ROW = (
    "INSERT INTO sample_rollups (rollup, grain, period, inspection_type, cat_l1_id, cat_l2_id,"
    " cat_l3_id, cat_l4_id, region_code, link, lab_id, samples, qualified, unqualified)"
    " SELECT :rollup, :grain, DATE '2025-01-01' + (g % 365), 'supervision', g, 0, 0, 0,"
    " :region, '', 0, 1, 1, 0 FROM generate_series(1, :count) AS g"
)


def test_the_planner_estimates_a_rollup_kind_from_its_own_share(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("extended statistics are PostgreSQL's (SQLite reads the key's range)")
    # The national shape: month rows mostly of kind "all", few of kind "region".
    for rollup, grain, count in (("all", "month", 20000), ("region", "day", 2000)):
        db.session.execute(
            text(ROW), {"rollup": rollup, "grain": grain, "region": "110105", "count": count}
        )
    db.session.execute(
        text(ROW), {"rollup": "region", "grain": "month", "region": "110108", "count": 500}
    )
    db.session.commit()
    db.session.execute(text("ANALYZE sample_rollups"))
    plan = db.session.execute(
        text(
            "EXPLAIN (FORMAT JSON) SELECT * FROM sample_rollups "
            "WHERE rollup = 'region' AND grain = 'month'"
        )
    ).scalar_one()
    plan = plan if isinstance(plan, list) else json.loads(plan)
    estimate = plan[0]["Plan"]["Plan Rows"]
    # As if independent: 2,500/22,500 × 20,500/22,500 × 22,500 ≈ 2,278 (4.6× too many).
    assert 250 <= estimate <= 1000, estimate
