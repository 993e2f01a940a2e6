"""The statistics of the risk signals (issue 17 §1): pure functions on counts.

Every signal compares a scope's recent unqualified rate (k failures of n samples) with its
own history and with its peers, and all of it must be explainable to a supervisor:

- **Shrinkage** (empirical Bayes, beta-binomial).  The rates of a scope kind's keys (all
  districts, all producers, …) give a Beta(α, β) prior by the method of moments (Kleinman
  1973, "Proportions with extraneous variance", JASA 68:46; Robbins 1956 for the idea); a
  scope's rate is then the posterior Beta(α + k, β + n − k), so 1 of 2 is pulled almost to
  the peers' rate while 30 of 600 keeps its own.  The interval is the equal-tailed 95 %
  credible interval of that posterior.
- **Evidence** is the posterior probability that the scope's true rate is at or below the
  baseline: the smaller, the stronger; shown as −log10 of it.  The score is that evidence
  times the hazard weight of the scope's failures (``labsys.core.hazards``).
- **Tests**: against its own history a one-sided two-proportion z-test with Yates'
  continuity correction (Fleiss, Levin & Paik, *Statistical Methods for Rates and
  Proportions*, 3rd ed. 2003, §5.2); against its peers (whose pooled rate rests on far more
  samples) the exact one-sided binomial test.  The smaller p, doubled (Bonferroni over the two
  comparisons), is the scope's p-value.
- **Many scopes at once**: Benjamini & Hochberg (1995), "Controlling the false discovery
  rate", JRSS B 57:289 — the q-values; a scope signals when q ≤ the configured rate.
- **Trend**: an EWMA of the monthly rates (Roberts 1959, "Control chart tests based on
  geometric moving averages", Technometrics 1:239) with the exact variance for unequal
  monthly counts and limit L·σ.  NIST/SEMATECH e-Handbook §6.3.2.4 takes L = 3 or from the
  tables of Lucas & Saccucci 1990 (Technometrics 32:1), and λ "usually" in a range after
  Hunter 1986: 0.2–0.3 *(verify: the copy read, tailieuxanh.com, had lost the figures)*.
  For normal data with steady-state limits the in-control ARL of λ = 0.3, L = 2.7 is about
  190 points two-sided and about 390 with the upper limit only (as here); L ≈ 3.02 would give
  the tables' 500.  These are computed by the Markov-chain method of Lucas & Saccucci, which
  reproduces their Table 3 (λ = 0.5, L = 3.071 → 500; λ = 0.03, L = 2.437 → 500, as quoted
  in the R package spc, man/xewma.arl.Rd, github.com/cran/spc), not read off a table.
  Monthly binomial rates with exact variances only approximate this: a setting, not a
  guarantee (``tests/core/test_risk_stats.py`` checks the ARL).

Floats are fine here: these are statistics of counts, never measured values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# A prior never counts for less than this many samples' worth (α + β): a scope's own rate
# is not believed over its peers' until it has about this many samples.
MIN_PRIOR_STRENGTH = 50.0
# ... nor for more: peers alike to the last decimal must not silence every scope.
MAX_PRIOR_STRENGTH = 5000.0
# Evidence is capped (a posterior tail below 1e-12 says nothing more to a reader).
MAX_EVIDENCE = 12.0
EWMA_LAMBDA = 0.3
EWMA_L = 2.7
CREDIBLE = 0.95


# --- special functions ------------------------------------------------------------------


def _beta_cf(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz; Press et al.,
    *Numerical Recipes*, 3rd ed., §6.4)."""
    tiny, eps = 1e-300, 1e-15
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 20000):  # O(√max(a, b)) steps are needed
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < eps:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b): the Beta(a, b) CDF at x."""
    if a <= 0 or b <= 0:
        raise ValueError("a and b must be positive")
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return min(1.0, max(0.0, front * _beta_cf(a, b, x) / a))
    return min(1.0, max(0.0, 1.0 - front * _beta_cf(b, a, 1.0 - x) / b))


def beta_ppf(q: float, a: float, b: float) -> float:
    """The q-quantile of Beta(a, b), by bisection on the CDF (60 halvings: exact enough)."""
    if not 0.0 <= q <= 1.0:
        raise ValueError("q must be within [0, 1]")
    low, high = 0.0, 1.0
    for _ in range(60):
        mid = (low + high) / 2
        if betainc(a, b, mid) < q:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def normal_sf(z: float) -> float:
    """P(Z > z) for a standard normal Z."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


# --- tests -------------------------------------------------------------------------------


def binomial_upper_p(k: int, n: int, p0: float) -> float:
    """Exact one-sided binomial test: P(X ≥ k) for X ~ Bin(n, p0), = I_p0(k, n − k + 1)."""
    _check_counts(k, n)
    if k == 0:
        return 1.0
    if p0 <= 0.0:
        return 0.0
    if p0 >= 1.0:
        return 1.0
    return betainc(k, n - k + 1, p0)


def two_proportion_p(k1: int, n1: int, k2: int, n2: int) -> float:
    """One-sided two-proportion z-test of p1 > p2 with the pooled variance and Yates'
    continuity correction (Fleiss et al. 2003, §5.2).  1.0 when either side is empty."""
    _check_counts(k1, n1)
    _check_counts(k2, n2)
    if n1 == 0 or n2 == 0:
        return 1.0
    pooled = (k1 + k2) / (n1 + n2)
    if pooled in (0.0, 1.0):
        return 1.0
    diff = k1 / n1 - k2 / n2 - 0.5 * (1.0 / n1 + 1.0 / n2)
    se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
    return normal_sf(diff / se)


def benjamini_hochberg(pvalues: Sequence[float], *, total: int | None = None) -> list[float]:
    """Benjamini–Hochberg (1995) adjusted p-values (q-values), in the input's order.

    q_(i) = min over j ≥ i of p_(j)·m / j, capped at 1: rejecting every q ≤ α keeps the
    expected share of false discoveries at most α (independent or positively dependent
    tests, Benjamini & Yekutieli 2001).

    ``total``: the number of hypotheses tested when those not listed all had p = 1 (their
    q is 1 whatever the others; they only count in m).
    """
    m = max(len(pvalues), total or 0)
    order = sorted(range(len(pvalues)), key=lambda i: pvalues[i])
    adjusted = [1.0] * len(pvalues)
    running = 1.0
    for rank in range(len(pvalues), 0, -1):
        index = order[rank - 1]
        running = min(running, pvalues[index] * m / rank)
        adjusted[index] = min(1.0, running)
    return adjusted


# --- shrinkage ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Prior:
    alpha: float
    beta: float

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    @property
    def strength(self) -> float:
        return self.alpha + self.beta


@dataclass(frozen=True)
class Posterior:
    alpha: float
    beta: float

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    def interval(self, level: float = CREDIBLE) -> tuple[float, float]:
        tail = (1.0 - level) / 2
        return beta_ppf(tail, self.alpha, self.beta), beta_ppf(1.0 - tail, self.alpha, self.beta)

    def prob_at_most(self, rate: float) -> float:
        """P(true rate ≤ rate | data)."""
        return betainc(self.alpha, self.beta, rate)


def fit_prior(
    counts: Sequence[tuple[int, int]],
    *,
    fallback_rate: float = 0.02,
    max_strength: float | None = None,
) -> Prior:
    """A Beta prior from peers' (failures, samples) by the method of moments (Kleinman 1973).

    Its strength is capped at the median peer's samples (never below MIN_PRIOR_STRENGTH)
    unless ``max_strength`` says otherwise: with few peers the moment estimate of the
    between-peer variance is unstable and often ≤ 0 (Morris 1983, JASA 78:47), which would
    pool every key into one and hide a real departure; so a typical key's own samples always
    weigh at least as much as the prior."""
    used = [(k, n) for k, n in counts if n > 0]
    if max_strength is None and used:
        sizes = sorted(n for _, n in used)
        max_strength = float(sizes[len(sizes) // 2])
    return fit_prior_sums(
        groups=len(used),
        samples=sum(n for _, n in used),
        failures=sum(k for k, _ in used),
        sum_k2_over_n=sum(k * k / n for k, n in used),
        fallback_rate=fallback_rate,
        max_strength=max_strength,
    )


def fit_prior_sums(
    *,
    groups: int,
    samples: int,
    failures: int,
    sum_k2_over_n: float,
    fallback_rate: float = 0.02,
    max_strength: float | None = None,
) -> Prior:
    """The same prior from sums over the peers (so SQL can supply them): K peers, N samples,
    their failures Σk and Σ k²/n (peers without failures add nothing to it).

    The between-peer variance τ² is the n-weighted variance of the peers' rates,
    Σ n(k/n − p)² / N = (Σk²/n − 2pΣk + p²N) / N, less the part binomial sampling explains,
    p(1 − p)·K/N; the strength α + β = p(1 − p)/τ² − 1, kept within
    [MIN_PRIOR_STRENGTH, MAX_PRIOR_STRENGTH].
    """
    mean = failures / samples if samples else fallback_rate
    mean = min(max(mean, 1e-4), 1 - 1e-4)
    strength = MAX_PRIOR_STRENGTH
    if groups >= 2 and samples:
        observed = (sum_k2_over_n - 2 * mean * failures + mean * mean * samples) / samples
        tau2 = observed - mean * (1 - mean) * groups / samples
        if tau2 > 0:
            strength = mean * (1 - mean) / tau2 - 1
    cap = MAX_PRIOR_STRENGTH if max_strength is None else min(max_strength, MAX_PRIOR_STRENGTH)
    strength = min(max(strength, MIN_PRIOR_STRENGTH), max(cap, MIN_PRIOR_STRENGTH))
    return Prior(mean * strength, (1 - mean) * strength)


def posterior(prior: Prior, k: int, n: int) -> Posterior:
    _check_counts(k, n)
    return Posterior(prior.alpha + k, prior.beta + n - k)


def evidence(post: Posterior, baseline: float) -> float:
    """−log10 P(true rate ≤ baseline | data), within [0, MAX_EVIDENCE]: 1.3 is 95 % sure the
    rate is above the baseline, 2 is 99 %."""
    tail = post.prob_at_most(baseline)
    if tail <= 10.0**-MAX_EVIDENCE:
        return MAX_EVIDENCE
    return min(MAX_EVIDENCE, max(0.0, -math.log10(tail)))


def score(post: Posterior, baseline: float, weight: float = 1.0) -> float:
    """The rank of a signal: the evidence that the rate is above the baseline × hazard weight."""
    return evidence(post, baseline) * weight


# --- trend -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EwmaPoint:
    samples: int
    rate: float | None  # the month's own rate (None: no samples)
    ewma: float
    upper: float  # the control limit baseline + L·σ

    @property
    def alarm(self) -> bool:
        return self.ewma > self.upper


def ewma(
    series: Sequence[tuple[int, int]],
    baseline: float,
    *,
    lam: float = EWMA_LAMBDA,
    limit: float = EWMA_L,
) -> list[EwmaPoint]:
    """EWMA z_t = λ·r_t + (1 − λ)·z_{t−1} of monthly rates from (failures, samples), started at
    the baseline; a month without samples carries z on.  Var z_t = Σ w_i² p0(1 − p0)/n_i with
    w_i = λ(1 − λ)^(t−i) over the months with samples (Roberts 1959)."""
    if not 0 < lam <= 1:
        raise ValueError("lambda must be within (0, 1]")
    p0 = min(max(baseline, 1e-6), 1 - 1e-6)
    z, variance, points = p0, 0.0, []
    for k, n in series:
        _check_counts(k, n)
        if n:  # a month without samples leaves z, and so its variance, as they were
            z = lam * (k / n) + (1 - lam) * z
            variance = (1 - lam) ** 2 * variance + lam**2 * p0 * (1 - p0) / n
        points.append(EwmaPoint(n, k / n if n else None, z, p0 + limit * math.sqrt(variance)))
    return points


def ewma_p(points: Sequence[EwmaPoint], baseline: float, *, limit: float = EWMA_L) -> float:
    """One-sided p of the last EWMA value above the baseline: P(Z > (z_T − p0)/σ_T)."""
    if not points or points[-1].upper <= baseline:
        return 1.0
    sigma = (points[-1].upper - min(max(baseline, 1e-6), 1 - 1e-6)) / limit
    if sigma <= 0:
        return 1.0
    return normal_sf((points[-1].ewma - baseline) / sigma)


def _check_counts(k: int, n: int) -> None:
    if k < 0 or n < 0 or k > n:
        raise ValueError(f"invalid counts {k} of {n}")
