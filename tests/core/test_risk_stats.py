"""The statistics of the risk signals (labsys.core.risk): known values and properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labsys.core import risk

rates = st.floats(min_value=0.001, max_value=0.045)
strengths = st.floats(min_value=risk.MIN_PRIOR_STRENGTH, max_value=risk.MAX_PRIOR_STRENGTH)


def test_betainc_matches_closed_forms():
    # I_x(1, b) = 1 − (1 − x)^b; I_x(a, 1) = x^a; Beta(2, 3) at 0.4 = 0.5248.
    assert risk.betainc(1, 5, 0.3) == pytest.approx(1 - 0.7**5, rel=1e-12)
    assert risk.betainc(4, 1, 0.6) == pytest.approx(0.6**4, rel=1e-12)
    assert risk.betainc(2, 3, 0.4) == pytest.approx(0.5248, rel=1e-12)
    assert risk.beta_ppf(0.5248, 2, 3) == pytest.approx(0.4, abs=1e-9)


def test_exact_binomial_tail():
    # P(X ≥ 3) for Bin(10, 0.1) = 1 − Σ_{k<3} C(10,k) 0.1^k 0.9^(10−k) = 0.0701908264.
    assert risk.binomial_upper_p(3, 10, 0.1) == pytest.approx(0.0701908264, rel=1e-9)
    assert risk.binomial_upper_p(0, 10, 0.1) == 1.0


def test_two_proportions_one_sided():
    assert risk.two_proportion_p(30, 300, 10, 300) < 0.001
    assert risk.two_proportion_p(10, 300, 30, 300) > 0.99
    assert risk.two_proportion_p(1, 10, 0, 0) == 1.0


def test_benjamini_hochberg_known_example():
    # Benjamini & Hochberg (1995) §4 style: q_(i) = min_{j≥i} p_(j) m / j.
    assert risk.benjamini_hochberg([0.01, 0.04, 0.03, 0.2]) == pytest.approx(
        [0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.2]
    )
    assert risk.benjamini_hochberg([0.01], total=10) == pytest.approx([0.1])


@given(st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=40))
def test_bh_is_monotone_and_never_below_p(ps):
    qs = risk.benjamini_hochberg(ps)
    for p, q in zip(ps, qs, strict=True):
        assert p <= q + 1e-12 <= 1 + 1e-12
    ordered = sorted(zip(ps, qs, strict=True))
    assert all(a[1] <= b[1] + 1e-12 for a, b in zip(ordered, ordered[1:], strict=False))


@settings(max_examples=60, deadline=None)
@given(rates, strengths)
def test_one_of_two_never_outranks_thirty_of_six_hundred(mean, strength):
    """At equal history and peers (the same prior and baseline), a small scope's lucky
    extreme rate never outranks a large scope clearly above the baseline."""
    prior = risk.Prior(mean * strength, (1 - mean) * strength)
    small = risk.score(risk.posterior(prior, 1, 2), mean)
    large = risk.score(risk.posterior(prior, 30, 600), mean)
    assert small <= large


@settings(max_examples=80, deadline=None)
@given(
    st.integers(0, 60),
    st.integers(1, 400),
    rates,
    strengths,
    st.floats(min_value=0.5, max_value=5),
)
def test_adding_failures_never_lowers_a_score(k, extra, mean, strength, weight):
    n = k + extra
    prior = risk.Prior(mean * strength, (1 - mean) * strength)
    before = risk.score(risk.posterior(prior, k, n), mean, weight)
    one_more_sample_failing = risk.score(risk.posterior(prior, k + 1, n + 1), mean, weight)
    a_pass_turned_failure = risk.score(risk.posterior(prior, k + 1, n), mean, weight)
    assert one_more_sample_failing >= before - 1e-9
    assert a_pass_turned_failure >= before - 1e-9
    assert risk.binomial_upper_p(k + 1, n, mean) <= risk.binomial_upper_p(k, n, mean) + 1e-12


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(1, 400)), min_size=2, max_size=30))
def test_fitted_prior_is_within_bounds_and_sums_agree(groups):
    counts = [(min(k, n), n) for k, n in groups]
    prior = risk.fit_prior(counts)
    assert risk.MIN_PRIOR_STRENGTH - 1e-6 <= prior.strength <= risk.MAX_PRIOR_STRENGTH + 1e-6
    total_k, total_n = sum(k for k, _ in counts), sum(n for _, n in counts)
    if 0 < total_k < total_n:
        assert prior.mean == pytest.approx(total_k / total_n)


def test_shrinkage_pulls_small_scopes_to_their_peers():
    peers = [(2, 100)] * 20 + [(1, 2)]
    prior = risk.fit_prior(peers)
    small = risk.posterior(prior, 1, 2)
    assert small.mean < 0.1  # 1 of 2 is not believed to be 50 %
    low, high = small.interval()
    assert low < prior.mean < high


def test_ewma_rises_above_its_limit_on_a_jump():
    series = [(2, 100)] * 12 + [(10, 100), (12, 100), (15, 100)]
    points = risk.ewma(series, 0.02)
    assert not any(p.alarm for p in points[:12])
    assert points[-1].alarm
    assert risk.ewma_p(points, 0.02) < 0.001
    steady = risk.ewma([(2, 100)] * 15, 0.02)
    assert risk.ewma_p(steady, 0.02) > 0.05
    with_gap = risk.ewma([(2, 100), (0, 0), (2, 100)], 0.02)
    assert with_gap[1].rate is None and with_gap[1].ewma == with_gap[0].ewma


def _ewma_arl(lam: float, limit: float, *, upper_only: bool = False, cells: int = 101) -> float:
    """In-control ARL of an EWMA of N(0, 1) points with steady-state limits ±L·σ_z, started at
    0: the Markov chain of Lucas & Saccucci (1990) (the range cut into ``cells`` states; an
    upper-only chart keeps the EWMA above −8σ_z, far below where it ever goes)."""
    sigma = math.sqrt(lam / (2 - lam))
    top = limit * sigma
    bottom = -8 * sigma if upper_only else -top
    width = (top - bottom) / cells
    centres = [bottom + width * (i + 0.5) for i in range(cells)]

    def cdf(x: float) -> float:
        return 0.5 * (1 + math.erf(x / math.sqrt(2)))

    # (I − P)·N = 1 by Gaussian elimination (P: one step from centre i into cell j).
    rows = []
    for i, c in enumerate(centres):
        edges = [cdf((bottom + width * j - (1 - lam) * c) / lam) for j in range(cells + 1)]
        step = [edges[j + 1] - edges[j] for j in range(cells)]
        if upper_only:
            step[0] = edges[1]  # below the bottom cell counts as in it
        rows.append([(1.0 if i == j else 0.0) - step[j] for j in range(cells)] + [1.0])
    for k in range(cells):
        pivot = rows[k][k]
        for r in range(k + 1, cells):
            factor = rows[r][k] / pivot
            if factor:
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[k], strict=True)]
    arl = [0.0] * cells
    for k in reversed(range(cells)):
        tail = sum(rows[k][j] * arl[j] for j in range(k + 1, cells))
        arl[k] = (rows[k][cells] - tail) / rows[k][k]
    return arl[min(range(cells), key=lambda i: abs(centres[i]))]


def test_ewma_in_control_run_length():
    # The method reproduces Lucas & Saccucci (1990) Table 3 (quoted in the R package spc,
    # man/xewma.arl.Rd): λ = 0.5, L = 3.071 → ARL 500.
    assert _ewma_arl(0.5, 3.071) == pytest.approx(500, rel=0.01)
    # The defaults (λ = 0.3, L = 2.7): about 193 two-sided, about 390 upper-only (the risk
    # signals alarm upwards only): the value the module notes state.
    assert _ewma_arl(risk.EWMA_LAMBDA, risk.EWMA_L) == pytest.approx(193, rel=0.02)
    assert _ewma_arl(risk.EWMA_LAMBDA, risk.EWMA_L, upper_only=True) == pytest.approx(390, rel=0.02)


def test_evidence_is_capped_and_invalid_counts_refused():
    prior = risk.Prior(1, 99)
    assert risk.evidence(risk.posterior(prior, 500, 600), 0.01) == risk.MAX_EVIDENCE
    with pytest.raises(ValueError):
        risk.posterior(prior, 3, 2)
    assert math.isclose(risk.normal_sf(0), 0.5)
