"""Proof that the signals work (issue 17 §5): on a demo year with planted problems
(``labsys demo --plant``) the planted problems rank at the top; on the same year without
them the statistical false alarms stay under the configured rate."""

from __future__ import annotations

from datetime import date

import pytest

from labsys.demo import load_demo
from labsys.services import risk

TODAY = date(2026, 11, 27)
# Where the planted problems rank among the signals (of some 190 keys tested).  Why the
# spike once ranked 16th: (1) echoes — the planted problems raise the keys around them (a
# district's vegetables raise the district, 蔬菜 and 食用农产品; the spike's 亚类 is the whole
# of its 大类 and of its one 次亚类 in this small demo), and those were listed as separate
# findings above it.  Now a parent whose excess its nested signals account for is ranked
# after the rest (services.risk._explain_nested: the parent's remaining samples tested
# against its baseline), and a planted key explained by a key nested in it is found where
# that key is listed (the same samples).  (2) Still open: the spike fails quality items
# (hazard weight 1.6 against a pesticide's 3.0) and its 20 recent batches are shrunk toward a
# prior fitted on the peers' recent rates, which the other plants inflate, and its history
# (1 of 54) is shrunk toward that prior too, to a baseline of 12.8 %: evidence 3.7.  Fitting
# the baseline's prior on the history instead saturates the evidence (capped at 12) for
# every key in this failure-free history, so the rank then follows the hazard weight alone;
# that needs a rank by effect size rather than by capped evidence (not done yet).
TOP_DISTRICT_PRODUCER = 5
TOP_SPIKE = 10


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
    by_key = {(s.scope, s.key): s for s in top}

    def place(problem) -> int | None:
        signal = by_key.get((problem["scope"], problem["key"]))
        while signal is not None and signal.explained_keys:  # listed where they are
            signal = by_key.get(signal.explained_keys[0])
        return rank[(signal.scope, signal.key)] if signal is not None else None

    listing = [(s.scope, s.name, s.explained_by) for s in top]
    for problem, cutoff in zip(
        planted, (TOP_DISTRICT_PRODUCER, TOP_DISTRICT_PRODUCER, TOP_SPIKE), strict=True
    ):
        found = place(problem)
        assert found is not None and found < cutoff, (problem, found, listing)
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
    # No recent failure, no evidence: the prior's pull on a clean key never ranks it.
    clean = [s for s in tested if s.unqualified == 0]
    assert clean and all(s.evidence == 0 and s.score == 0 and not s.signalled for s in clean)
    # The rate is over every key tested, listed or not (district × 大类 lists only keys
    # with a recent failure).
    assert tested.tested > len(tested)
    assert len(alarms) <= fdr * tested.tested, [(s.scope, s.name, s.q_value) for s in alarms]
    assert all(s.unqualified for s in tested if s.scope == "district_category")
