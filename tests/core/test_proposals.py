"""Tests for labsys.core.proposals: quotas keep the total and the minimum; the backtest."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labsys.core.proposals import Counts, allocate, apportion, backtest, risks, shaped

keys = st.tuples(st.sampled_from("ABCDE"), st.sampled_from(["x", "y", "z", None]))
risk_maps = st.dictionaries(
    keys, st.fractions(min_value=0, max_value=1, max_denominator=50), min_size=1, max_size=12
)


@given(risk_maps, st.integers(min_value=0, max_value=5), st.integers(min_value=0, max_value=300))
def test_the_quotas_keep_the_total_and_the_minimum(risk, minimum, extra):
    categories = {k[0] for k in risk}
    total = minimum * len(categories) + extra
    if total == 0:
        return
    quotas = allocate(risk, total, minimum)
    assert sum(quotas.values()) == total
    assert set(quotas) == set(risk)
    for category in categories:
        assert sum(q for k, q in quotas.items() if k[0] == category) >= minimum
    assert all(q >= 0 for q in quotas.values())


@given(risk_maps, st.integers(min_value=0, max_value=200))
def test_apportion_is_exact_and_never_far_from_proportional(weights, seats):
    result = apportion(weights, seats)
    assert sum(result.values()) == seats
    total = sum(weights.values())
    for k, n in result.items():
        share = weights[k] / total * seats if total else Fraction(seats, len(weights))
        assert abs(n - share) < 1


def test_a_total_below_the_minimums_is_refused():
    with pytest.raises(ValueError):
        allocate({("A", "x"): Fraction(1), ("B", "x"): Fraction(0)}, 3, 2)


def test_shrinkage_ranks_many_failures_above_one_lucky_failure():
    history = {
        ("veg", "x"): Counts(2, 1),
        ("veg", "y"): Counts(600, 30),
        ("veg", "z"): Counts(600, 0),
    }
    r = risks(history, list(history), prior_strength=20)
    assert r[("veg", "y")] > r[("veg", "z")]
    # 1/2 shrunk toward the category's 31/1202 stays modest
    assert r[("veg", "x")] < Fraction(1, 10)


def test_a_cell_without_history_takes_its_category_rate():
    history = {("veg", "x"): Counts(100, 10)}
    r = risks(history, [("veg", "x"), ("veg", "new"), ("meat", "x")])
    assert r[("veg", "new")] == Fraction(1, 10)
    assert r[("meat", "x")] == Fraction(1, 10)  # the overall rate


def test_backtest_on_a_crafted_period():
    # The period took 10 batches in x (2 unqualified) and 90 in y (none): 2 found.
    period = {("veg", "x"): Counts(10, 2), ("veg", "y"): Counts(90, 0)}
    result = backtest(period, {("veg", "x"): 60, ("veg", "y"): 40})
    assert result.total == 100
    assert result.actual_found == 2
    assert result.proposal_found == 12  # 60 × 2/10 + 40 × 0
    # A cell the period did not sample counts at its category's rate in the period.
    assert backtest(period, {("veg", "w"): 100}).proposal_found == 2


# --- signals and grades shape the quotas (labsys.core.proposals.shaped) -----------------------

units = st.fractions(min_value=0, max_value=1, max_denominator=20)
positive_risks = st.dictionaries(
    keys, st.fractions(min_value=Fraction(1, 50), max_value=1, max_denominator=50),
    min_size=2, max_size=10,
)  # fmt: skip


@st.composite
def shaped_cases(draw):
    risk = draw(positive_risks)
    cells = sorted(risk, key=repr)
    signal = {k: draw(units) for k in cells if draw(st.booleans())}
    grade = {k: draw(units) for k in cells if draw(st.booleans())}
    minimum = draw(st.integers(min_value=0, max_value=4))
    total = minimum * len({k[0] for k in cells}) + draw(st.integers(min_value=1, max_value=200))
    return risk, signal, grade, minimum, total


@given(shaped_cases())
def test_shaped_quotas_keep_the_total_and_every_categorys_minimum(case):
    risk, signal, grade, minimum, total = case
    quotas = allocate(shaped(risk, signal, grade), total, minimum)
    assert sum(quotas.values()) == total
    for category in {k[0] for k in risk}:
        assert sum(q for k, q in quotas.items() if k[0] == category) >= minimum


@given(shaped_cases(), st.data())
def test_a_stronger_signal_never_takes_batches_from_its_cell(case, data):
    """Monotone: raising one cell's signal strength (all else fixed) never lowers its quota.

    Why it holds: the cell's exact share rises while every other cell's shrinks by one
    common factor; in each largest-remainder stage its whole part cannot fall, and if it
    kept a remainder seat before, at most the cells that outranked it then, plus one per
    seat freed by another cell's whole part falling, can outrank it now — never more than
    the seats left.  (Its *category's* total is not monotone: a neighbour cell may lose a
    rounding seat to another category.  Hamilton's method is not monotone for sums.)"""
    risk, signal, grade, minimum, total = case
    cell = data.draw(st.sampled_from(sorted(risk, key=repr)))
    weaker = data.draw(units)
    stronger = data.draw(st.fractions(min_value=weaker, max_value=1, max_denominator=20))
    before = allocate(shaped(risk, {**signal, cell: weaker}, grade), total, minimum)
    after = allocate(shaped(risk, {**signal, cell: stronger}, grade), total, minimum)
    assert after[cell] >= before[cell]


@given(shaped_cases())
def test_a_signal_shifts_quota_toward_its_cell(case):
    """Of two cells alike in risk and grade, the one under a signal gets at least as many."""
    risk, _signal, _grade, minimum, total = case
    same = {k: Fraction(1, 10) for k in risk}
    a, b = sorted(same, key=repr)[:2]
    quotas = allocate(shaped(same, {a: Fraction(1)}, {}), total, minimum)
    if a[0] == b[0] or minimum == 0:
        assert quotas[a] >= quotas[b]


def test_the_shift_is_bounded_and_needs_both_inputs_in_range():
    risk = {("veg", "x"): Fraction(1, 10), ("veg", "y"): Fraction(1, 10)}
    weights = shaped(risk, {("veg", "x"): Fraction(5)}, {("veg", "x"): Fraction(-1)})
    assert weights[("veg", "x")] == Fraction(2, 10)  # s clamped to 1, g to 0
    assert allocate(weights, 30, 0) == {("veg", "x"): 20, ("veg", "y"): 10}
    with pytest.raises(ValueError):
        shaped(risk, {}, {}, signal_boost=Fraction(-1))
