"""The demo's values: colony counts typed as GB 4789.2 reports them, judged by the engine."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from labsys.core.judgement import MicroPlan, Verdict
from labsys.core.micro import colony_count_text, judge_colony_plan, parse_colony_count
from labsys.demo import values


@pytest.mark.parametrize("plan", ["n=5,c=2,m=10000,M=100000", "n=5,c=2,m=1,M=5"])
@pytest.mark.parametrize("fail", [False, True])
def test_plan_units_are_reported_colony_counts(plan, fail):
    rng = random.Random(7)
    for _ in range(50):
        units = values.unit_values(rng, MicroPlan.parse(plan), fail=fail)
        for unit in units:
            # already in reported form: re-reporting changes nothing, never 未检出 or "CFU"
            assert parse_colony_count(unit).text == unit
            assert "未检出" not in unit and "CFU" not in unit
        if MicroPlan.parse(plan).m_value < 10:
            assert "<10" not in units  # "<10" would say nothing against m=1
        if fail:
            assert judge_colony_plan(plan, units) is Verdict.FAIL


@pytest.mark.parametrize(("limit", "fail"), [("≤20", False), ("≤20", True), ("≥1000000", False)])
def test_plain_colony_counts_are_reported_counts(limit, fail):
    rng = random.Random(3)
    for _ in range(50):
        typed = values.numeric_value(rng, limit, None, fail=fail, colony=True)
        assert typed == colony_count_text(parse_colony_count(typed).value) or typed.startswith("<")


@pytest.mark.parametrize("lod", [None, "0.005"])
def test_a_found_forbidden_substance_reads_as_the_method_reports_it(lod):
    """An item counted without an LOD (螨 per 250 g) is found in whole counts, never "0.114";
    a chemical with an LOD is found above it."""
    rng = random.Random(5)
    for _ in range(50):
        typed = values.numeric_value(rng, "不得检出", lod, fail=True)
        if lod is None:
            assert typed.isdigit() and int(typed) >= 1
        else:
            assert Decimal(typed) > Decimal(lod)
