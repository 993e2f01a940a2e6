"""Tests for labsys.core.rates: pass rates, unqualified rates and the Wilson interval."""

import math
from decimal import Decimal
from fractions import Fraction
from statistics import NormalDist

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labsys.core.rates import Z_95, pass_rate, unqualified_rate, wilson_interval

# --- published figures (DOMAIN.md, "Pass rates") ------------------------------------


def test_9750_batches_with_90_unqualified():
    assert pass_rate(9750 - 90, 9750) == Decimal("99.08")
    assert pass_rate(9750 - 90, 9750, "0.1") == Decimal("99.1")
    assert unqualified_rate(90, 9750) == Decimal("0.92")


def test_3673579_batches_with_81935_unqualified():
    assert unqualified_rate(81935, 3673579, "0.1") == Decimal("2.2")
    assert pass_rate(3673579 - 81935, 3673579, "0.1") == Decimal("97.8")


# --- GB/T 8170 rounding -------------------------------------------------------------


@pytest.mark.parametrize(
    ("qualified", "total", "interval", "expected"),
    [
        (1, 16, "0.1", "6.2"),  # 6.25: exact half, 2 is even
        (3, 16, "0.1", "18.8"),  # 18.75: exact half, 8 is even
        (1, 16, "0.01", "6.25"),  # already on the grid
        (1, 8, "0.1", "12.5"),
        (1, 8, "1", "12"),  # 12.5 -> 12
        (3, 8, "1", "38"),  # 37.5 -> 38
        (1, 80, "0.5", "1.0"),  # 1.25 = 2.5 halves -> 2 halves
        (3, 80, "0.5", "4.0"),  # 3.75 = 7.5 halves -> 8 halves
        (1, 80, "0.2", "1.2"),  # 1.25 = 6.25 fifths -> 6 fifths
        (1, 3, "0.01", "33.33"),
        (2, 3, "0.01", "66.67"),
        (1, 3, "10", "30"),
        (5, 5, "0.01", "100.00"),
        (0, 5, "0.01", "0.00"),
    ],
)
def test_rounding_follows_gbt_8170(qualified, total, interval, expected):
    result = pass_rate(qualified, total, interval)
    assert result == Decimal(expected)
    assert str(result) == expected  # the interval's decimal places are kept


def test_interval_may_be_a_decimal():
    assert pass_rate(1, 16, Decimal("0.1")) == Decimal("6.2")


def test_unrounded_rate():
    assert pass_rate(1, 16, None) == Decimal("6.25")
    assert pass_rate(1, 3, None) == Decimal("33.33333333333333333333333333")


def test_huge_totals_still_round_exactly_on_halves():
    # 1 / (16 * 10**40) of 100 % is exactly 6.25E-40 %; half-even at 1E-41 gives 6.2E-40.
    total = 16 * 10**40
    assert pass_rate(1, total, "1E-41") == Decimal("6.2E-40")


@pytest.mark.parametrize(
    ("qualified", "total"),
    [
        (1, 0),
        (0, 0),
        (-1, 5),
        (6, 5),
        (1, -5),
        (True, 5),
        (1, True),
        (1.0, 5),
        (1, 5.0),
        ("1", 5),
        (Decimal(1), 5),
        (None, 5),
    ],
)
def test_impossible_counts_are_refused(qualified, total):
    with pytest.raises(ValueError):
        pass_rate(qualified, total)
    with pytest.raises(ValueError):
        unqualified_rate(qualified, total)
    with pytest.raises(ValueError):
        wilson_interval(qualified, total)


@pytest.mark.parametrize("interval", ["0.3", "0", "-0.1", "abc", "Infinity", "NaN", "0.25"])
def test_bad_intervals_are_refused(interval):
    with pytest.raises(ValueError):
        pass_rate(1, 3, interval)


def test_float_interval_is_refused():
    with pytest.raises(TypeError):
        pass_rate(1, 3, 0.1)


# --- Wilson score interval ---------------------------------------------------------


def _wilson_oracle(q, n, z=1.959963984540054):
    """An independent float computation of the Wilson interval, in percent."""
    p = q / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return 100 * (centre - half), 100 * (centre + half)


def test_wilson_90_of_100():
    assert wilson_interval(90, 100) == (Decimal("82.56"), Decimal("94.48"))
    low, high = wilson_interval(90, 100, None)
    oracle_low, oracle_high = _wilson_oracle(90, 100)
    assert float(low) == pytest.approx(oracle_low, abs=1e-9)
    assert float(high) == pytest.approx(oracle_high, abs=1e-9)


def test_wilson_edges():
    assert wilson_interval(0, 10) == (Decimal("0.00"), Decimal("27.75"))
    assert wilson_interval(10, 10) == (Decimal("72.25"), Decimal("100.00"))
    assert wilson_interval(0, 1, None)[0] == 0
    assert wilson_interval(1, 1, None)[1] == 100


def test_wilson_interval_rounding():
    assert wilson_interval(90, 100, "0.1") == (Decimal("82.6"), Decimal("94.5"))


def test_z_is_the_95_percent_quantile():
    assert float(Z_95) == pytest.approx(NormalDist().inv_cdf(0.975), abs=1e-15)


# --- properties ---------------------------------------------------------------------


@st.composite
def counts(draw, max_total=10**7):
    total = draw(st.integers(min_value=1, max_value=max_total))
    return draw(st.integers(min_value=0, max_value=total)), total


intervals = st.sampled_from(["0.01", "0.1", "1", "0.5", "0.2", "0.05", "0.02", "10", "0.001"])


@given(counts(), intervals)
def test_rounding_matches_an_exact_oracle(qt, interval):
    qualified, total = qt
    exact = Fraction(qualified * 100, total)
    step = Fraction(interval)
    # Python's round() on a Fraction rounds exact halves to even.
    expected = round(exact / step) * step
    assert Fraction(pass_rate(qualified, total, interval)) == expected


@given(counts())
def test_rates_are_within_0_and_100(qt):
    qualified, total = qt
    assert 0 <= pass_rate(qualified, total) <= 100
    assert 0 <= unqualified_rate(total - qualified, total) <= 100


@given(counts())
def test_unrounded_rates_add_up_to_100(qt):
    qualified, total = qt
    both = pass_rate(qualified, total, None) + unqualified_rate(total - qualified, total, None)
    assert abs(both - 100) <= Decimal("1E-20")


@given(counts(max_total=5000))
def test_pass_rate_is_monotone_in_qualified(qt):
    qualified, total = qt
    if qualified < total:
        assert pass_rate(qualified, total) <= pass_rate(qualified + 1, total)


@given(counts(), st.sampled_from(["0.01", "0.1", None]))
def test_wilson_interval_contains_the_rate(qt, interval):
    qualified, total = qt
    low, high = wilson_interval(qualified, total, interval)
    assert 0 <= low <= pass_rate(qualified, total, interval) <= high <= 100


@given(counts(max_total=10**6))
def test_wilson_interval_matches_the_float_oracle(qt):
    qualified, total = qt
    low, high = wilson_interval(qualified, total, None)
    oracle_low, oracle_high = _wilson_oracle(qualified, total)
    assert float(low) == pytest.approx(max(0.0, oracle_low), abs=1e-6)
    assert float(high) == pytest.approx(min(100.0, oracle_high), abs=1e-6)
