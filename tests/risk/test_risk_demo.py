"""Proof that the signals work (issue 17 §5): on a demo year with planted problems
(``labsys demo --plant``) the planted problems rank at the top; on the same year without
them the statistical false alarms stay under the configured rate."""

from __future__ import annotations

from datetime import date

import pytest

from labsys.demo import load_demo
from labsys.services import risk

TODAY = date(2026, 11, 27)
# The planted problems are found among this many signals (of some 190 keys tested: the
# planted ones also raise the keys around them, e.g. a district's vegetables raise 蔬菜).
TOP = 20


def _demo(database_snapshot, db, plants: int):
    return database_snapshot(
        f"risk_demo_{plants}",
        lambda: load_demo(
            db.session, samples=300, seed=3, year=2026, today=TODAY, reports=0, plants=plants
        ),
    )


def test_planted_problems_rank_at_the_top(database_snapshot, db, freeze_clock):
    summary = _demo(database_snapshot, db, 3)
    freeze_clock(TODAY)
    planted = summary.extra["planted"]
    assert [p["kind"] for p in planted] == ["producer", "district", "category"]
    tested = risk.compute_signals(db.session)
    assert len(tested) > 100
    top = risk.signalled(tested)
    rank = {(s.scope, s.key): n for n, s in enumerate(top)}
    for problem in planted:
        place = rank.get((problem["scope"], problem["key"]))
        assert place is not None and place < TOP, (problem, [(s.scope, s.name) for s in top])
    producer = next(s for s in top if s.scope == "producer" and s.key == planted[0]["key"])
    assert {"repeat", "cross_district"} <= set(producer.kinds)
    district = next(s for s in top if (s.scope, s.key) == ("district_category", planted[1]["key"]))
    assert "above_history" in district.kinds and district.weight == 3.0  # pesticides


@pytest.mark.parametrize("fdr", [0.05])
def test_unplanted_demo_false_alarms_stay_under_the_rate(database_snapshot, db, freeze_clock, fdr):
    _demo(database_snapshot, db, 0)
    freeze_clock(TODAY)
    tested = risk.compute_signals(db.session, risk.Settings(fdr=fdr))
    alarms = [s for s in risk.signalled(tested) if not s.rule]
    assert len(tested) > 50
    assert len(alarms) <= fdr * len(tested), [(s.scope, s.name, s.q_value) for s in alarms]
