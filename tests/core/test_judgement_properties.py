"""Property tests for labsys.core.judgement: what must hold for every value, not just examples."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from labsys.core.judgement import Spec, Verdict, conclude, gbt8170_round, judge

INTERVALS = ["0.001", "0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1", "2", "5", "10", "20", "100"]

values = st.decimals(
    allow_nan=False, allow_infinity=False, places=4, min_value=-(10**6), max_value=10**6
)
intervals = st.sampled_from(INTERVALS).map(Decimal)
relaxed = settings(deadline=None)


def on_grid(limit: Decimal, step: Decimal) -> Decimal:
    """A limit that lies on the rounding grid (a multiple of ``step``)."""
    return gbt8170_round(limit, step)


@relaxed
@given(values, intervals)
def test_rounding_is_idempotent(x, step):
    once = gbt8170_round(x, step)
    assert gbt8170_round(once, step) == once


@relaxed
@given(values, intervals)
def test_result_is_a_multiple_of_the_interval_within_half_an_interval(x, step):
    rounded = gbt8170_round(x, step)
    assert (rounded / step) == (rounded / step).to_integral_value()
    assert abs(rounded - x) * 2 <= step


@relaxed
@given(values, intervals)
def test_rounding_is_symmetric_about_zero(x, step):
    assert gbt8170_round(-x, step) == -gbt8170_round(x, step)


@relaxed
@given(values, values, intervals)
def test_rounding_is_monotonic(x, y, step):
    low, high = sorted((x, y))
    assert gbt8170_round(low, step) <= gbt8170_round(high, step)


@relaxed
@given(values, values, intervals, st.sampled_from(["≤", "≥"]))
def test_full_value_pass_is_never_a_rounded_value_fail(x, limit, step, operator):
    # With the limit on the rounding grid, rounding can only move a value towards compliance.
    spec = Spec.parse(f"{operator}{on_grid(limit, step)}")
    if judge(str(x), spec) is Verdict.PASS:
        assert judge(str(x), spec, method="rounded", interval=step) is Verdict.PASS


limits = st.sampled_from(["≤0.2", "<0.2", "≥2.9", ">2.9", "12～18", "-5～-1", "不得检出", "/"])
uncertainties = st.decimals(min_value=Decimal("0.0001"), max_value=10, places=4)


@relaxed
@given(values, limits, uncertainties, st.sampled_from(["full", "rounded"]))
def test_guarded_rule_never_passes_what_the_simple_rule_fails(x, limit, u, method):
    simple = judge(str(x), limit, method=method)
    guarded = judge(str(x), limit, method=method, rule="guarded", uncertainty=u)
    if simple is Verdict.FAIL:
        assert guarded is not Verdict.PASS
    if guarded is not Verdict.INCONCLUSIVE:  # a decided guarded verdict agrees with simple
        assert guarded is simple


@relaxed
@given(st.lists(st.sampled_from(list(Verdict))), st.randoms())
def test_conclusion_does_not_depend_on_item_order(verdicts, rng):
    shuffled = list(verdicts)
    rng.shuffle(shuffled)
    assert conclude(shuffled) == conclude(verdicts)
    assert conclude([v.value for v in shuffled]) == conclude(verdicts)
