"""Risk signals (风险预警, issue 17 §1): where the unqualified rate runs above its own history
or its peers', weighted by hazard, for every scope the supervisors look at.

**Scopes**: food category (each of the four levels), district, district × food category
(大类), sampling link, producer (标称生产者), sampled unit, test item.

**What counts**: supervision samples (监督抽检) with a final conclusion; a rate is unqualified ÷
(qualified + unqualified).  Risk-monitoring samples (风险监测) are left out of every rate: their
问题样品 are judged against reference values, not limits, and monitoring is targeted at
suspected hazards, so mixing them in would raise the rate wherever monitoring went (they
have their own list, the risk-monitoring problem samples page).  Evaluation samples (评价性
抽检) are left out too: only supervision verdicts are unqualified verdicts here.

**Windows**: the recent window is the last ``RISK_RECENT_MONTHS`` months up to today (this
month included), compared with the ``RISK_HISTORY_MONTHS`` before it; producers and sampled
units, sampled a few times a year, use ``RISK_ENTERPRISE_MONTHS`` for both.

**Statistics** (``labsys.core.risk``, where the methods are cited): a beta-binomial posterior
of the recent rate with an empirical-Bayes prior from the scope's peers (all keys of the same
scope); three one-sided tests — recent vs own history (two-proportion z), vs the peers' pooled
rate (exact binomial), and an EWMA of the monthly rates (not for producers and units) — the
smallest p Bonferroni-adjusted for the three; Benjamini–Hochberg q-values across every key of
every scope tested.  A key signals when q ≤ ``RISK_FDR``.  Two rules signal whatever the
statistics say, as facts a supervisor follows up: a producer or unit unqualified twice or more
within the enterprise window (repeat), and a producer unqualified in two or more districts.

**Nesting and overlaps**: a signalled category or district whose excess the signals nested
in it account for (its remaining samples no longer above its baseline) is listed after the
rest, naming them (``_explain_nested``): one problem in a small key is not repeated as
several findings.  The same holds across scopes that overlap without nesting
(``_explain_overlaps``, rules in ``labsys.core.overlaps``): a link, district or test item
whose excess is the sum of narrower findings, and a narrow key whose excess lies inside a
stronger finding (a supermarket inside a district's vegetable problem), are listed after the
findings that explain them.

**Score** = evidence (−log10 of the posterior probability that the true rate is no higher
than the baseline: its own history or its peers, whichever gives more) × the hazard weight of
the recent failures (the mean, over the unqualified samples, of the heaviest hazard class
among each one's failing items).  Test items carry their own class's weight; their rate is
failing samples per judged supervision sample, compared with their own history only.

**Cost**: grouped counts in SQL.  Category, district and link counts come from the rollups
(``sample_rollups``, which keep the inspection type: supervision batches only) by key and
month.  Producers and units: only the keys with a failure in the window have their series
read.  Only the overlap rules read one row per sample: the recent judged samples of the
statistically signalled narrow keys (a category, a district × 大类, a producer or unit; at
most ``OVERLAP_MAX_SAMPLES`` rows and ``OVERLAP_MAX_KEYS`` keys, one query per key), which
FDR control keeps few.  Producers, units and district × 大类 list only the keys with a recent failure (a clean key never signals);
the others are tested all the same: they count in Benjamini–Hochberg's m, as peers and in
the prior (``Ranking.tested``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import String, and_, case, distinct, func, literal, select, union_all
from sqlalchemy.orm import Session

from labsys.core import clock, hazards, overlaps
from labsys.core import risk as stats
from labsys.models import (
    Conclusion,
    Enterprise,
    FoodCategory,
    InspectionType,
    Link,
    Region,
    ResultStatus,
    RiskSignalCount,
    Role,
    Sample,
    SampleResult,
    SampleStatus,
    SamplingVisit,
    TestItem,
    VerdictValue,
)
from labsys.services.access import writes
from labsys.services.stats import StatsFilter, period_expression, rollup_source

SCOPES = (
    "category",
    "district",
    "district_category",
    "link",
    "producer",
    "unit",
    "test_item",
)
ENTERPRISE_SCOPES = ("producer", "unit")
JUDGED = (Conclusion.QUALIFIED.value, Conclusion.UNQUALIFIED.value)
UNQUALIFIED = Conclusion.UNQUALIFIED.value
LEFT_OUT = (SampleStatus.REJECTED, SampleStatus.VOIDED)
# A scope needs this many judged samples in its recent window to be tested at all.
MIN_SAMPLES = 1
MIN_EXPECTED = 5.0


@dataclass(frozen=True)
class Settings:
    recent_months: int = 3
    history_months: int = 12
    enterprise_months: int = 12
    fdr: float = 0.05
    weights: dict = field(default_factory=hazards.weights)

    @classmethod
    def from_config(cls, config) -> Settings:
        return cls(
            recent_months=int(config.get("RISK_RECENT_MONTHS", 3)),
            history_months=int(config.get("RISK_HISTORY_MONTHS", 12)),
            enterprise_months=int(config.get("RISK_ENTERPRISE_MONTHS", 12)),
            fdr=float(config.get("RISK_FDR", 0.05)),
            weights=hazards.weights(config.get("RISK_HAZARD_WEIGHTS") or {}),
        )


@dataclass(frozen=True)
class Windows:
    """The months of a scope's history and recent window ('YYYY-MM', oldest first)."""

    history: tuple[str, ...]
    recent: tuple[str, ...]

    @property
    def months(self) -> tuple[str, ...]:
        return self.history + self.recent

    @property
    def start(self) -> date:
        return _first_day(self.months[0])

    @property
    def recent_start(self) -> date:
        return _first_day(self.recent[0])


def windows(today: date, recent: int, history: int) -> Windows:
    months = [_month_back(today, back) for back in range(recent + history - 1, -1, -1)]
    return Windows(tuple(months[:history]), tuple(months[history:]))


def _month_back(day: date, back: int) -> str:
    index = day.year * 12 + day.month - 1 - back
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _first_day(month: str) -> date:
    return date(int(month[:4]), int(month[5:7]), 1)


@dataclass
class MonthPoint:
    month: str
    samples: int
    unqualified: int
    ewma: float | None = None
    upper: float | None = None

    @property
    def rate(self) -> float | None:
        return self.unqualified / self.samples if self.samples else None


@dataclass
class Signal:
    """One scope key's comparison, with its evidence."""

    scope: str
    key: str
    name: str
    samples: int  # judged supervision samples in the recent window
    unqualified: int
    history_samples: int
    history_unqualified: int
    peer_samples: int
    peer_unqualified: int
    posterior: stats.Posterior
    baseline: float  # what the score measured the rate against
    baseline_kind: str  # "history" or "peers"
    evidence: float
    weight: float
    p_history: float
    p_peers: float
    p_trend: float
    series: list[MonthPoint]
    filters: dict  # the samples list's query string for the samples behind it
    window_start: date
    recent_months: int
    kinds: list[str] = field(default_factory=list)
    p_value: float = 1.0
    q_value: float = 1.0
    signalled: bool = False
    rule: bool = False  # signalled by a rule (repeat, cross-district), not the statistics
    districts: int = 0  # producers: districts with unqualified samples in the rules' window
    rule_failures: int = 0  # producers and units: failures within the rules' window
    rule_months: int = 0
    # Keys whose signals account for its excess (nested in it, ``_explain_nested``, or
    # overlapping it, ``_explain_overlaps``): listed after every signal not so explained.
    explained_by: list[str] = field(default_factory=list)  # their names
    explained_keys: list[tuple[str, str]] = field(default_factory=list)  # (scope, key)
    # "nested" (keys within it) or "overlap" (signals it overlaps: ``_explain_overlaps``)
    explained_how: str = ""

    @property
    def score(self) -> float:
        return round(self.evidence * self.weight, 3)

    @property
    def rate(self) -> float:
        return self.unqualified / self.samples if self.samples else 0.0

    @property
    def history_rate(self) -> float | None:
        return self.history_unqualified / self.history_samples if self.history_samples else None

    @property
    def peer_rate(self) -> float | None:
        return self.peer_unqualified / self.peer_samples if self.peer_samples else None

    @cached_property
    def interval(self) -> tuple[float, float]:
        return self.posterior.interval()

    @property
    def test(self) -> str:
        """The comparison that gave the smallest p."""
        tests = {"history": self.p_history, "peers": self.p_peers, "trend": self.p_trend}
        return min(tests, key=lambda name: tests[name])

    @property
    def reason(self) -> str:
        return reason_text(self)

    def as_json(self) -> dict:
        low, high = self.interval
        return {
            "scope": self.scope,
            "key": self.key,
            "name": self.name,
            "samples": self.samples,
            "unqualified": self.unqualified,
            "rate": round(self.rate, 6),
            "score": self.score,
            "signalled": self.signalled,
            "kinds": list(self.kinds),
            "reason": self.reason,
            "explained_by": [f"{scope}:{key}" for scope, key in self.explained_keys],
            "explained_how": self.explained_how,
            "window_start": self.window_start.isoformat(),
            "history_samples": self.history_samples,
            "history_unqualified": self.history_unqualified,
            "history_rate": _round(self.history_rate),
            "peer_samples": self.peer_samples,
            "peer_unqualified": self.peer_unqualified,
            "peer_rate": _round(self.peer_rate),
            "posterior_mean": round(self.posterior.mean, 6),
            "interval_low": round(low, 6),
            "interval_high": round(high, 6),
            "baseline": round(self.baseline, 6),
            "baseline_kind": self.baseline_kind,
            "evidence": round(self.evidence, 3),
            "hazard_weight": round(self.weight, 3),
            "test": self.test,
            "p_history": _round(self.p_history),
            "p_peers": _round(self.p_peers),
            "p_trend": _round(self.p_trend),
            "p_value": _round(self.p_value),
            "q_value": _round(self.q_value),
            "samples_filter": dict(self.filters),
            "series": [
                {
                    "month": p.month,
                    "samples": p.samples,
                    "unqualified": p.unqualified,
                    "ewma": _round(p.ewma),
                    "upper": _round(p.upper),
                }
                for p in self.series
            ],
        }


def _round(value: float | None, places: int = 6) -> float | None:
    if value is None:
        return None
    return float(f"{value:.{places}g}") if 0 < abs(value) < 1e-4 else round(value, places)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _p_text(p: float) -> str:
    return "p<0.0001" if p < 1e-4 else f"p={p:.4f}"


def reason_text(signal: Signal) -> str:
    """Why the key is listed, in one line a supervisor can read out."""
    months = signal.recent_months
    parts = [
        _(
            "%(k)s unqualified of %(n)s in the last %(months)s months (%(rate)s)",
            k=signal.unqualified,
            n=signal.samples,
            months=months,
            rate=_percent(signal.rate),
        )
    ]
    if "above_history" in signal.kinds:
        parts.append(
            _(
                "above its own history %(rate)s (%(p)s)",
                rate=_percent(signal.history_rate),
                p=_p_text(signal.p_history),
            )
        )
    if "above_peers" in signal.kinds:
        parts.append(
            _(
                "above its peers %(rate)s (%(p)s)",
                rate=_percent(signal.peer_rate),
                p=_p_text(signal.p_peers),
            )
        )
    if "trend" in signal.kinds:
        parts.append(_("rising month by month (EWMA, %(p)s)", p=_p_text(signal.p_trend)))
    if "repeat" in signal.kinds:
        parts.append(
            _(
                "unqualified %(n)s times within %(months)s months",
                n=signal.rule_failures,
                months=signal.rule_months,
            )
        )
    if "cross_district" in signal.kinds:
        parts.append(_("unqualified in %(n)s districts", n=signal.districts))
    if signal.weight > 1:
        parts.append(_("hazard weight %(w)s", w=f"{signal.weight:.1f}"))
    if signal.explained_by and signal.explained_how == "overlap":
        parts.append(
            _("explained by overlapping signals: %(names)s", names=", ".join(signal.explained_by))
        )
    elif signal.explained_by:
        parts.append(
            _(
                "explained by the signals within it: %(names)s",
                names=", ".join(signal.explained_by),
            )
        )
    return "; ".join(parts)


# --- the computation -------------------------------------------------------------------------


@dataclass
class _Counts:
    """Monthly (samples, unqualified) of each key of one scope, with the peers' sums."""

    series: dict[str, dict[str, list[int]]]  # key -> month -> [n, k]
    names: dict[str, str]
    filters: dict[str, dict]
    weights: dict[str, float]
    # Keys tested but not listed (no failure in the window): they count in m for BH and as
    # peers in the prior through these sums over the recent window.
    extra_keys: int = 0
    recent_totals: tuple[int, int] | None = None  # (samples, unqualified) over all keys
    sum_k2_over_n: float | None = None
    # key -> its peer group (peers are the other keys of the group); None: all keys.
    group_of: dict[str, str] | None = None
    prior_by_group: bool = False
    # False: a key without a failure in the recent window is tested (it counts in m and as a
    # peer) but not listed, as for producers; for a scope of tens of thousands of keys
    # (district × 大类 at national scale: 46,000) listing clean keys cost seconds and showed
    # nothing a supervisor acts on (a clean key never signals).
    list_clean: bool = True
    # key -> (recent samples, recent unqualified, history samples, history unqualified) of
    # every key, when counted in SQL (district × 大类); ``series`` then holds the listed
    # keys only (those with a recent failure).
    totals: dict[str, tuple[int, int, int, int]] | None = None


class Ranking(list):
    """Every listed key of the scopes asked for, ranked; ``tested`` also counts the keys
    tested but not listed (no failure in the window, in the scopes that list only failing
    keys): the m of Benjamini–Hochberg, and the denominator of a false-alarm rate."""

    tested: int = 0


def compute_signals(
    session: Session,
    settings: Settings | None = None,
    *,
    today: date | None = None,
    scopes: Iterable[str] = SCOPES,
) -> Ranking:
    """Every listed key of ``scopes``, ranked: signalled first, then by score."""
    settings = settings or Settings()
    today = today or clock.today()
    scopes = [s for s in SCOPES if s in set(scopes)]
    collected: list[Signal] = []
    extra = 0
    for scope in scopes:
        enterprise = scope in ENTERPRISE_SCOPES
        win = windows(
            today,
            settings.recent_months,
            settings.enterprise_months if enterprise else settings.history_months,
        )
        counts = _COUNTERS[scope](session, win, settings, today)
        # The prior is fitted over the whole scope (a category's level), the peers are the
        # key's group (a district's category: the same category elsewhere).
        signals: list[Signal] = []
        for part, prior in _peer_groups(counts, win):
            listed, unlisted = _evaluate(scope, part, win, trend=not enterprise, prior=prior)
            signals.extend(listed)
            extra += unlisted
        if enterprise:
            _apply_rules(session, scope, signals, _rule_start(today, settings), today)
        collected.extend(signals)
        extra += counts.extra_keys
    _control(collected, settings.fdr, extra)
    _explain_nested(session, collected)
    _explain_overlaps(session, collected, settings.fdr, today)
    ranking = Ranking(
        sorted(
            collected,
            key=lambda s: (
                not s.signalled,
                bool(s.explained_by),
                -s.score,
                -s.unqualified,
                s.scope,
                s.key,
            ),
        )
    )
    ranking.tested = len(collected) + extra
    return ranking


# A parent whose remaining samples are not above its baseline at this level (one-sided exact
# binomial test) is explained by its nested signals.
EXPLAINED_P = 0.05


def _explain_nested(session: Session, signals: list[Signal]) -> None:
    """Rank a signal that only repeats a nested one after the signals that do not.

    The scopes nest: a food category holds its sub-categories; a district, and a 大类, hold
    their district × 大类 keys.  One problem in a small key raises every key above it (a
    district's vegetables raise the district, 蔬菜 and 食用农产品), and listing those echoes
    above other problems repeats one finding.  So a signalled parent is tested once more
    on its samples *without* those of its signalled nested keys (the outermost ones, which
    are disjoint; per family of nesting, keeping the family that removes the most): if the
    rest is not above the parent's baseline (exact one-sided binomial test, p >
    ``EXPLAINED_P``; no sample left is no evidence) the parent's signal is explained by them
    — a conditional test given the nested findings, as a reader drilling down would do.  (The
    posterior is not used here: its prior, fitted on the peers' recent rates, can sit above
    the baseline by itself, so an empty rest would look like an excess.)  It stays listed,
    with the keys that explain it, after the unexplained signals.  The counts are exact
    (nested keys' samples are a subset of the parent's), so this adds no query of counts.
    """
    found = {(s.scope, s.key): s for s in signals if s.signalled and not s.rule}
    if not found:
        return
    ids = [int(k) for sc, k in found if sc == "category"]
    ancestors = _category_ancestors(session, ids)
    families: dict[tuple[str, str], dict[str, list[Signal]]] = defaultdict(dict)
    for (scope, key), signal in found.items():
        if scope == "category":
            above = ancestors.get(int(key), [])
            for n, parent in enumerate(above):
                # outermost below that parent: no signalled category between them
                between = above[n + 1 :]
                if not any(("category", str(b)) in found for b in between):
                    families[("category", str(parent))].setdefault("tree", []).append(signal)
        elif scope == "district_category":
            district, category = key.split(":")
            families[("district", district)].setdefault("district", []).append(signal)
            families[("category", category)].setdefault("district", []).append(signal)
    for parent_key, by_family in families.items():
        parent_signal = found.get(parent_key)
        if parent_signal is None:
            continue
        best: list[Signal] = []
        best_k = -1
        for members in by_family.values():
            k = sum(m.unqualified for m in members)
            if k > best_k:
                best, best_k = members, k
        n_rest = parent_signal.samples - sum(m.samples for m in best)
        k_rest = parent_signal.unqualified - best_k
        if n_rest < 0 or k_rest < 0 or k_rest > n_rest:
            continue  # not nested after all (should not happen): leave it alone
        if stats.binomial_upper_p(k_rest, n_rest, parent_signal.baseline) > EXPLAINED_P:
            ordered = sorted(best, key=lambda m: (-m.score, m.key))
            parent_signal.explained_by = [m.name for m in ordered]
            parent_signal.explained_keys = [(m.scope, m.key) for m in ordered]
            parent_signal.explained_how = "nested"


# Scopes that cut across products, places and producers (labsys.core.overlaps, rule 1).
CROSS_CUTS = ("link", "district", "test_item")
# The narrow signals' samples are read one row each: past this many samples, or this many
# keys, the largest are left out of the overlap rules (they neither explain nor are
# explained).  A national list signals tens of keys, most of them narrow; this bounds a
# pathological one.
OVERLAP_MAX_SAMPLES = 200_000
OVERLAP_MAX_KEYS = 300
# Keys with the very same samples: the one listed is the most actionable (an enterprise to
# visit before a place, a place before a product; a deeper category before its parent).
SPECIFICITY = {"producer": 0, "unit": 1, "district_category": 2, "category": 3}


@dataclass
class _SampleIndex:
    """The narrow signals' recent judged samples, indexed for the cross-cuts."""

    members: dict[tuple[str, str], frozenset] = field(default_factory=dict)
    failing: set = field(default_factory=set)
    by_link: dict[str, set] = field(default_factory=lambda: defaultdict(set))
    by_region: dict[str, set] = field(default_factory=lambda: defaultdict(set))

    @cached_property
    def every(self) -> frozenset:
        return frozenset().union(*self.members.values())


def _explain_overlaps(session: Session, signals: list[Signal], fdr: float, today: date) -> None:
    """Rank a signal that only echoes others after the rest (``labsys.core.overlaps``).

    The statistical signals not already explained by nesting are compared on their samples
    of the recent window: a retail link or a test item whose excess is the sum of narrower
    problems, a unit or a 4th-level category whose excess lies inside a stronger finding at
    that finding's rate.  Rule signals (repeat, cross-district) take part when the
    statistics signal them too; they stay listed, explained or not.  Only the signals
    computed here explain each other (a list of one scope explains nothing across scopes)."""
    candidates = [
        s
        for s in signals
        if s.signalled and s.unqualified and s.q_value <= fdr and not s.explained_by
    ]
    narrow = _narrow_within_bounds([s for s in candidates if s.scope not in CROSS_CUTS])
    if not narrow:
        return
    index = _read_samples(session, narrow, today)
    findings = [
        overlaps.Finding(
            ident=(s.scope, s.key),
            n=s.samples,
            k=s.unqualified,
            samples=index.members[(s.scope, s.key)],
            failing=index.members[(s.scope, s.key)] & index.failing,
            score=s.score,
            baseline=s.baseline,
            specificity=_specificity(s),
        )
        for s in narrow
    ]
    for s in candidates:
        if s.scope in CROSS_CUTS:
            inside, failing = _cross_cut_members(session, s, index, today)
            findings.append(
                overlaps.Finding(
                    ident=(s.scope, s.key),
                    n=s.samples,
                    k=s.unqualified,
                    samples=inside,
                    failing=failing,
                    score=s.score,
                    baseline=s.baseline,
                    cross_cut=True,
                )
            )
    by_key: dict[Any, Signal] = {(s.scope, s.key): s for s in candidates}
    for ident, explainers in overlaps.explain(findings, EXPLAINED_P).items():
        signal = by_key[ident]
        signal.explained_keys = list(explainers)
        signal.explained_by = [by_key[e].name for e in explainers]
        signal.explained_how = "overlap"


def _specificity(signal: Signal) -> int:
    if signal.scope == "category":  # level 4 before level 1
        return SPECIFICITY["category"] + 4 - _category_level(signal)
    return SPECIFICITY[signal.scope]


def _narrow_within_bounds(narrow: list[Signal]) -> list[Signal]:
    """The narrow signals whose samples are read: smallest first, within the bounds."""
    kept: list[Signal] = []
    budget = OVERLAP_MAX_SAMPLES
    for s in sorted(narrow, key=lambda s: (s.samples, s.scope, s.key)):
        if s.samples > budget or len(kept) >= OVERLAP_MAX_KEYS:
            break
        kept.append(s)
        budget -= s.samples
    return kept


def _read_samples(session: Session, narrow: list[Signal], today: date) -> _SampleIndex:
    """One query per narrow signal (its own index serves it): id, verdict, link, region."""
    index = _SampleIndex()
    for s in narrow:
        query = select(Sample.id, Sample.conclusion, Sample.link, Sample.region_code).where(
            *_sample_conditions(s.window_start, today), *_scope_conditions(s)
        )
        ids = []
        for sample_id, conclusion, link, region in session.execute(query):
            if getattr(conclusion, "value", conclusion) == UNQUALIFIED:
                index.failing.add(sample_id)
            index.by_link[str(getattr(link, "value", link))].add(sample_id)
            index.by_region[str(region)].add(sample_id)
            ids.append(sample_id)
        index.members[(s.scope, s.key)] = frozenset(ids)
    return index


def _category_level(signal: Signal) -> int:
    """A category signal's level, from its samples filter ("level:id")."""
    return int(signal.filters["category"].partition(":")[0])


def _scope_conditions(signal: Signal) -> list:
    """The samples of a narrow scope's key, as conditions on ``Sample``."""
    scope, key = signal.scope, signal.key
    if scope == "category":
        return [Sample.__table__.c[f"cat_l{_category_level(signal)}_id"] == int(key)]
    if scope == "district_category":
        code, _, category = key.partition(":")
        return [Sample.region_code == code, Sample.cat_l1_id == int(category)]
    if scope == "producer":
        return [Sample.producer_id == int(key)]
    if scope == "unit":
        visits = select(SamplingVisit.id).where(SamplingVisit.sampled_unit_id == int(key))
        return [Sample.visit_id.in_(visits)]
    raise ValueError(f"not a narrow scope: {scope}")


def _cross_cut_members(
    session: Session, signal: Signal, index: _SampleIndex, today: date
) -> tuple[frozenset, frozenset]:
    """A cross-cut's samples among the narrow signals' (``index``), and its failing ones."""
    if signal.scope == "test_item":
        failing = select(SampleResult.sample_id).where(
            SampleResult.test_item_id == int(signal.key),
            SampleResult.verdict == VerdictValue.FAIL,
            SampleResult.status == ResultStatus.ACCEPTED,
        )
        failed = {
            sample_id
            for (sample_id,) in session.execute(
                select(Sample.id).where(
                    *_sample_conditions(signal.window_start, today),
                    Sample.conclusion == UNQUALIFIED,
                    Sample.id.in_(failing),
                )
            )
        }
        # A test item's samples are every judged sample: all of the narrow ones.
        return index.every, index.every & failed
    inside = frozenset(
        (index.by_link if signal.scope == "link" else index.by_region).get(signal.key, ())
    )
    return inside, inside & index.failing


def _category_ancestors(session: Session, ids: list[int]) -> dict[int, list[int]]:
    """Each category's ancestors, nearest last (from the stored paths)."""
    if not ids:
        return {}
    rows = session.execute(
        select(FoodCategory.id, FoodCategory.path).where(FoodCategory.id.in_(ids))
    )
    result = {}
    for category_id, path in rows:
        parts = [int(p) for p in str(path).strip("/").split("/") if p]
        result[int(category_id)] = [p for p in parts if p != int(category_id)]
    return result


def _peer_groups(counts: _Counts, win: Windows) -> list[tuple[_Counts, stats.Prior | None]]:
    """The counts split into groups of peers, each with its prior (None: fitted on the group).

    Categories: a level is both the peers and the prior's population.  A district's category:
    the peers are the same category in the other districts, the prior is fitted on every
    district × category of the scope (a group holds too few keys to fit one)."""
    if not counts.group_of:
        return [(counts, None)]
    totals = counts.totals if counts.totals is not None else _totals(counts.series, win)
    groups: dict[str, dict[str, tuple[int, int, int, int]]] = defaultdict(dict)
    for key, total in totals.items():
        groups[counts.group_of.get(key, "")][key] = total
    prior = None
    if not counts.prior_by_group:
        prior = stats.fit_prior([(k_r, n_r) for n_r, k_r, _n_h, _k_h in totals.values()])
    return [
        (
            _Counts(
                {key: counts.series[key] for key in group if key in counts.series},
                counts.names,
                counts.filters,
                counts.weights,
                list_clean=counts.list_clean,
                totals=group,
            ),
            prior,
        )
        for _group, group in sorted(groups.items())
    ]


def _totals(
    series: dict[str, dict[str, list[int]]], win: Windows
) -> dict[str, tuple[int, int, int, int]]:
    """key -> (recent samples, recent unqualified, history samples, history unqualified)."""
    recent_set = set(win.recent)
    totals: dict[str, tuple[int, int, int, int]] = {}
    for key, months in series.items():  # one pass: a national scope has 46,000 keys
        n_r = k_r = n_h = k_h = 0
        for month, (n, k) in months.items():
            if month in recent_set:
                n_r += n
                k_r += k
            else:
                n_h += n
                k_h += k
        totals[key] = (n_r, k_r, n_h, k_h)
    return totals


EMPTY_MONTH = (0, 0)


def _evaluate(
    scope: str, counts: _Counts, win: Windows, *, trend: bool, prior: stats.Prior | None = None
) -> tuple[list[Signal], int]:
    """The signals of the keys listed, and how many keys were tested but not listed (no
    recent failure where ``counts.list_clean`` is off: they are the peers all the same)."""
    totals = counts.totals if counts.totals is not None else _totals(counts.series, win)
    window_filter, window_start = _window_filter(win), win.recent_start
    if counts.recent_totals is not None:
        all_n, all_k = counts.recent_totals
        sizes = sorted(t[0] for t in totals.values() if t[0])
        prior = stats.fit_prior_sums(
            groups=len(totals) + counts.extra_keys,
            samples=all_n,
            failures=all_k,
            sum_k2_over_n=counts.sum_k2_over_n or 0.0,
            # The keys listed are those with failures; the typical key has fewer samples.
            max_strength=float(sizes[len(sizes) // 2]) if sizes else None,
        )
    else:
        all_n = sum(t[0] for t in totals.values())
        all_k = sum(t[1] for t in totals.values())
        prior = prior or stats.fit_prior([(t[1], t[0]) for t in totals.values()])
    signals = []
    unlisted = 0
    for key, (n_r, k_r, n_h, k_h) in totals.items():
        if n_r < MIN_SAMPLES:
            continue
        if not k_r and not counts.list_clean:
            unlisted += 1
            continue
        post = stats.posterior(prior, k_r, n_r)
        peer_n, peer_k = all_n - n_r, all_k - k_r
        # The peers' rate, shrunk by the same prior: a few peers without failures do not make
        # a baseline of zero (against which any failure would be "certain").
        peer_rate = (prior.alpha + peer_k) / (prior.strength + peer_n)
        p_peers = (
            stats.binomial_upper_p(k_r, n_r, peer_rate) if peer_n and scope != "test_item" else 1.0
        )
        p_history = stats.two_proportion_p(k_r, n_r, k_h, n_h)
        # The history as the baseline, shrunk towards the peers like the recent rate.
        history_mean = stats.posterior(prior, k_h, n_h).mean
        candidates = [("history", history_mean)] if n_h else []
        if scope != "test_item" and peer_n:
            candidates.append(("peers", peer_rate))
        if not candidates:
            candidates = [("peers", prior.mean)]
        if k_r:
            scored = [(stats.evidence(post, base), kind, base) for kind, base in candidates]
            evidence, baseline_kind, baseline = max(scored)
        else:
            # No failure in the recent window, no evidence of a higher rate: the shrunk
            # posterior can still sit above a low baseline (the prior's pull, not the data),
            # which must not rank a clean key.  It also spares the incomplete beta function
            # for most keys of a national scope (46,000 district × 大类 keys at 1 M samples).
            evidence = 0.0
            baseline_kind, baseline = candidates[0]
        months = counts.series.get(key, {})
        series = [MonthPoint(m, *months.get(m, EMPTY_MONTH)) for m in win.months]
        p_trend = 1.0
        # The EWMA's p rests on the normal approximation: tested only when the recent window
        # expects at least MIN_EXPECTED failures at the baseline (Cochran 1954's rule of thumb).
        if trend and n_h and n_r * history_mean >= MIN_EXPECTED:
            points = stats.ewma([(p.unqualified, p.samples) for p in series], history_mean)
            for point, ew in zip(series, points, strict=True):
                point.ewma, point.upper = ew.ewma, ew.upper
            p_trend = stats.ewma_p(points, history_mean)
        signals.append(
            Signal(
                scope=scope,
                key=key,
                name=counts.names.get(key, key),
                samples=n_r,
                unqualified=k_r,
                history_samples=n_h,
                history_unqualified=k_h,
                peer_samples=peer_n,
                peer_unqualified=peer_k,
                posterior=post,
                baseline=baseline,
                baseline_kind=baseline_kind,
                evidence=evidence,
                weight=counts.weights.get(key, 1.0) if k_r else 1.0,
                p_history=p_history,
                p_peers=p_peers,
                p_trend=p_trend,
                series=series,
                filters={**counts.filters.get(key, {}), **window_filter},
                window_start=window_start,
                recent_months=len(win.recent),
            )
        )
    return signals, unlisted


def _window_filter(win: Windows) -> dict:
    return {
        "date_from": win.recent_start.isoformat(),
        "conclusion": UNQUALIFIED,
        "type": InspectionType.SUPERVISION.value,
    }


def _control(signals: list[Signal], fdr: float, extra: int) -> None:
    """Bonferroni over each key's three tests, then Benjamini–Hochberg over every key."""
    for s in signals:
        s.p_value = min(1.0, 3 * min(s.p_history, s.p_peers, s.p_trend))
    qs = stats.benjamini_hochberg([s.p_value for s in signals], total=len(signals) + extra)
    for s, q in zip(signals, qs, strict=True):
        s.q_value = q
        if q <= fdr and s.unqualified:
            s.signalled = True
            named = [
                kind
                for kind, p in (
                    ("above_history", s.p_history),
                    ("above_peers", s.p_peers),
                    ("trend", s.p_trend),
                )
                if p <= 0.05
            ]
            s.kinds.extend(named or ["above_" + s.test if s.test != "trend" else "trend"])
        if s.rule:
            s.signalled = True


def _rule_start(today: date, settings: Settings) -> date:
    """The first day of the rules' window: the last ``enterprise_months`` months."""
    return _first_day(_month_back(today, settings.enterprise_months - 1))


def _apply_rules(
    session: Session, scope: str, signals: list[Signal], start: date, today: date
) -> None:
    """Repeat failures (twice or more within the window) and, for producers, failures in two
    or more districts: signalled as facts, whatever the statistics say."""
    first = start.strftime("%Y-%m")
    for s in signals:
        s.rule_failures = sum(p.unqualified for p in s.series if p.month >= first)
        s.rule_months = len({p.month for p in s.series if p.month >= first})
        if s.rule_failures >= 2:
            s.kinds.append("repeat")
            s.rule = True
    if scope != "producer":
        return
    ids = [int(s.key) for s in signals if s.rule_failures >= 1]
    spread = _producer_districts(session, ids, start, today)
    for s in signals:
        s.districts = spread.get(int(s.key), 0)
        if s.districts >= 2:
            s.kinds.append("cross_district")
            s.rule = True


# --- grouped counts ---------------------------------------------------------------------------


def _sample_conditions(start: date, end: date) -> list:
    return [
        Sample.status.not_in(LEFT_OUT),
        Sample.inspection_type == InspectionType.SUPERVISION,
        Sample.conclusion.in_(JUDGED),
        Sample.sampling_date >= start,
        Sample.sampling_date <= end,
    ]


def _rollup_rows(session: Session, dimensions: list[str], win: Windows, today: date):
    """The rollup rows of the window (supervision batches) and the columns of
    ``dimensions``: whole months from month rows, this month's days from day rows (or the
    samples of those days)."""
    supervision = (InspectionType.SUPERVISION,)
    filters = StatsFilter(date_from=win.start, date_to=today, inspection_types=supervision)
    source = rollup_source(session, filters, {"inspection_type", *dimensions})
    columns = [source.column(name) for name in dimensions]
    conditions = [
        source.column("inspection_type") == InspectionType.SUPERVISION.value,
        *[c.is_not(None) for c in columns],
    ]
    return source, columns, conditions


def _grouped(
    session: Session, dimensions: list[str], win: Windows, today: date
) -> dict[str, dict[str, list[int]]]:
    """key -> month -> [judged, unqualified] supervision batches for the keys of the rollup
    ``dimensions`` (e.g. ``["region_code", "link"]``), from the rollups."""
    source, columns, conditions = _rollup_rows(session, dimensions, win, today)
    month = period_expression(session, source.column("sampling_date"), "month")
    unqualified = func.sum(source.column("unqualified"))
    judged = func.sum(source.column("qualified")) + unqualified
    query = (
        select(*columns, month, judged, unqualified)
        .where(*conditions)
        .group_by(*columns, month)
        .having(judged > 0)
    )
    series: dict[str, dict[str, list[int]]] = defaultdict(dict)
    width = len(columns)
    for row in session.execute(query):
        key = ":".join(map(str, row[:width]))
        series[key][row[width]] = [int(row[width + 1]), int(row[width + 2] or 0)]
    return series


def _failing_series_and_totals(
    session: Session, dimensions: list[str], win: Windows, today: date
) -> tuple[dict[str, dict[str, list[int]]], dict[str, tuple[int, int, int, int]]]:
    """For a scope of very many keys (district × 大类: 46,000 at national scale), in one
    read of the rollups: every key's totals (recent judged, recent unqualified, history
    judged, history unqualified: the peers and the prior) and the monthly series of the keys
    with a recent failure only (those listed).  One statement returns both, a row per key
    and a row per month of a failing key, instead of a row per key and month."""
    source, columns, conditions = _rollup_rows(session, dimensions, win, today)
    month = period_expression(session, source.column("sampling_date"), "month")
    unqualified = func.sum(source.column("unqualified"))
    judged = func.sum(source.column("qualified")) + unqualified
    monthly = (
        select(*[c.label(f"d{i}") for i, c in enumerate(columns)])
        .add_columns(month.label("month"), judged.label("n"), unqualified.label("k"))
        .where(*conditions)
        .group_by(*columns, month)
        .having(judged > 0)
        .cte("monthly")
    )
    keys = [monthly.c[f"d{i}"] for i in range(len(columns))]
    recent = monthly.c.month >= win.recent[0]  # 'YYYY-MM' text orders as the months do

    def total(condition, count):
        return func.coalesce(func.sum(case((condition, count), else_=0)), 0)

    totals_cte = (
        select(
            *keys,
            total(recent, monthly.c.n).label("n_r"),
            total(recent, monthly.c.k).label("k_r"),
            total(~recent, monthly.c.n).label("n_h"),
            total(~recent, monthly.c.k).label("k_h"),
        )
        .group_by(*keys)
        .cte("key_totals")
    )
    total_keys = [totals_cte.c[f"d{i}"] for i in range(len(columns))]
    no_month = literal(None, String())
    rows = union_all(
        select(literal("T"), *total_keys, no_month, *totals_cte.c["n_r", "k_r", "n_h", "k_h"]),
        select(literal("M"), *keys, monthly.c.month, monthly.c.n, monthly.c.k)
        .add_columns(literal(0), literal(0))
        .join(totals_cte, and_(*(a == b for a, b in zip(keys, total_keys, strict=True))))
        .where(totals_cte.c.k_r > 0),
    )
    width = len(columns)
    series: dict[str, dict[str, list[int]]] = defaultdict(dict)
    totals: dict[str, tuple[int, int, int, int]] = {}
    for row in session.execute(rows).all():  # fetched at once: 100,000 rows, not one by one
        key = ":".join(map(str, row[1 : 1 + width]))
        values = [int(v or 0) for v in row[2 + width :]]
        if row[0] == "T":
            totals[key] = (values[0], values[1], values[2], values[3])
        else:
            series[key][str(row[1 + width])] = [values[0], values[1]]
    return series, totals


def _weight_case(weights: dict[str, float]):
    return case(
        *((TestItem.hazard_class == h, w) for h, w in weights.items()),
        else_=weights.get(hazards.QUALITY_INDICATOR, 1.0),
    )


def _failing_weight_per_sample(weights: dict[str, float]):
    """(sample_id, heaviest hazard weight among its failing accepted results)."""
    return (
        select(
            SampleResult.sample_id.label("sample_id"),
            func.max(_weight_case(weights)).label("w"),
        )
        .join(TestItem, TestItem.id == SampleResult.test_item_id)
        .where(
            SampleResult.verdict == VerdictValue.FAIL,
            SampleResult.status == ResultStatus.ACCEPTED,
        )
        .group_by(SampleResult.sample_id)
        .subquery()
    )


def _mean_weights(
    session: Session, columns: list, win: Windows, settings: Settings, today: date, joins=()
) -> dict[str, float]:
    """key -> mean over the recent window's unqualified samples of their heaviest hazard."""
    w = _failing_weight_per_sample(settings.weights)
    query = (
        select(*columns, func.avg(w.c.w)).select_from(Sample).join(w, w.c.sample_id == Sample.id)
    )
    for target, on in joins:
        query = query.join(target, on)
    query = query.where(
        *_sample_conditions(win.recent_start, today),
        Sample.conclusion == UNQUALIFIED,
        *[c.is_not(None) for c in columns],
    ).group_by(*columns)
    width = len(columns)
    return {
        ":".join(str(v) for v in row[:width]): float(row[width]) for row in session.execute(query)
    }


def _category_counter(level: int):
    sample_column = Sample.__table__.c[f"cat_l{level}_id"]

    def count(session: Session, win: Windows, settings: Settings, today: date) -> _Counts:
        series = _grouped(session, [f"cat_l{level}_id"], win, today)
        ids = [int(k) for k in series]
        names = _category_names(session, ids)
        return _Counts(
            series=series,
            names=names,
            filters={str(i): {"category": f"{level}:{i}"} for i in ids},
            weights=_mean_weights(session, [sample_column], win, settings, today),
        )

    return count


def _category_names(session: Session, ids: list[int]) -> dict[str, str]:
    if not ids:
        return {}
    rows = session.execute(
        select(FoodCategory.id, FoodCategory.name_zh, FoodCategory.level).where(
            FoodCategory.id.in_(ids)
        )
    )
    return {str(i): f"{name} ({_level_name(level)})" for i, name, level in rows}


def _level_name(level: int) -> str:
    return _("level %(n)s", n=level)


def _all_categories(session: Session, win: Windows, settings: Settings, today: date) -> _Counts:
    group_of: dict[str, str] = {}
    merged = _Counts({}, {}, {}, {}, group_of=group_of, prior_by_group=True)
    for level in (1, 2, 3, 4):
        part = _category_counter(level)(session, win, settings, today)
        # The same category id cannot appear at two levels: keys stay unique.  The peers of a
        # category are the others of its level.
        merged.series.update(part.series)
        group_of.update(dict.fromkeys(part.series, str(level)))
        merged.names.update(part.names)
        merged.filters.update(part.filters)
        merged.weights.update(part.weights)
    return merged


def _region_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    codes = list(codes)
    if not codes:
        return {}
    rows: Any = session.execute(select(Region.code, Region.name_zh).where(Region.code.in_(codes)))
    return {str(code): str(name) for code, name in rows}


def _districts(session: Session, win: Windows, settings: Settings, today: date) -> _Counts:
    series = _grouped(session, ["region_code"], win, today)
    return _Counts(
        series=series,
        names=_region_names(session, series),
        filters={code: {"region_code": code} for code in series},
        weights=_mean_weights(session, [Sample.region_code], win, settings, today),
    )


def _district_categories(
    session: Session, win: Windows, settings: Settings, today: date
) -> _Counts:
    # 46,000 keys at national scale: every key's totals in SQL (the peers and the prior),
    # the monthly series of the keys listed only (a recent failure).
    dimensions = ["region_code", "cat_l1_id"]
    series, totals = _failing_series_and_totals(session, dimensions, win, today)
    pairs = [key.split(":") for key in series]  # the keys listed: names and links for them
    regions = _region_names(session, {code for code, _ in pairs})
    categories = _category_names(session, sorted({int(c) for _, c in pairs}))
    return _Counts(
        series=series,
        names={
            f"{code}:{cat}": f"{regions.get(code, code)} · {categories.get(cat, cat)}"
            for code, cat in pairs
        },
        filters={
            f"{code}:{cat}": {"region_code": code, "category": f"1:{cat}"} for code, cat in pairs
        },
        weights=_mean_weights(
            session, [Sample.region_code, Sample.cat_l1_id], win, settings, today
        ),
        # The peers of a district's category are the same category in the other districts.
        group_of={key: key.partition(":")[2] for key in totals},
        list_clean=False,
        totals=totals,
    )


def _links(session: Session, win: Windows, settings: Settings, today: date) -> _Counts:
    series = _grouped(session, ["link"], win, today)
    return _Counts(
        series=series,
        names={key: Link(key).title for key in series},
        filters={key: {"link": key} for key in series},
        weights=_mean_weights(session, [Sample.link], win, settings, today),
    )


def _enterprise_counter(scope: str):
    def column():
        return Sample.producer_id if scope == "producer" else SamplingVisit.sampled_unit_id

    def count(session: Session, win: Windows, settings: Settings, today: date) -> _Counts:
        key_column = column()
        joins = (
            [] if scope == "producer" else [(SamplingVisit, SamplingVisit.id == Sample.visit_id)]
        )

        def base(query, start):
            query = query.select_from(Sample)
            for target, on in joins:
                query = query.join(target, on)
            return query.where(*_sample_conditions(start, today), key_column.is_not(None))

        failing = [
            row[0]
            for row in session.execute(
                # Keys failing within the rules' window (the recent one lies inside it).
                base(select(key_column), _rule_start(today, settings))
                .where(Sample.conclusion == UNQUALIFIED)
                .group_by(key_column)
            )
        ]
        # Every key of the window, as peers: how many, their samples and failures.
        totals: Any = session.execute(
            base(
                select(
                    func.count(distinct(key_column)),
                    func.count(),
                    func.sum(case((Sample.conclusion == UNQUALIFIED, 1), else_=0)),
                ),
                win.recent_start,
            )
        ).one()
        groups, all_n, all_k = totals
        series: dict[str, dict[str, list[int]]] = defaultdict(dict)
        month = period_expression(session, Sample.sampling_date, "month")
        for chunk in _chunks(failing, 500):
            query = base(
                select(
                    key_column,
                    month,
                    func.count(),
                    func.sum(case((Sample.conclusion == UNQUALIFIED, 1), else_=0)),
                ),
                win.start,
            ).where(key_column.in_(chunk))
            row: Any
            for row in session.execute(query.group_by(key_column, month)):
                series[str(row[0])][str(row[1])] = [int(row[2]), int(row[3] or 0)]
        recent = set(win.recent)
        k2n = 0.0
        for months in series.values():
            n = sum(v[0] for m, v in months.items() if m in recent)
            k = sum(v[1] for m, v in months.items() if m in recent)
            k2n += k * k / n if n else 0.0
        names = _enterprise_names(session, [int(k) for k in series])
        weights = _mean_weights(session, [key_column], win, settings, today, joins=joins)
        filter_name = "producer" if scope == "producer" else "unit"
        return _Counts(
            series=series,
            names=names,
            filters={key: {filter_name: key} for key in series},
            weights=weights,
            extra_keys=max(0, int(groups or 0) - len(series)),
            recent_totals=(int(all_n or 0), int(all_k or 0)),
            sum_k2_over_n=k2n,
        )

    return count


def _chunks(values: list, size: int):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _enterprise_names(session: Session, ids: list[int]) -> dict[str, str]:
    names: dict[str, str] = {}
    for chunk in _chunks(ids, 500):
        for i, name in session.execute(
            select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(chunk))
        ):
            names[str(i)] = name
    return names


def _producer_districts(
    session: Session, ids: list[int], start: date, today: date
) -> dict[int, int]:
    spread: dict[int, int] = {}
    for chunk in _chunks(ids, 500):
        query = (
            select(Sample.producer_id, func.count(distinct(Sample.region_code)))
            .where(
                *_sample_conditions(start, today),
                Sample.conclusion == UNQUALIFIED,
                Sample.producer_id.in_(chunk),
            )
            .group_by(Sample.producer_id)
        )
        found: Any = session.execute(query).all()
        spread.update({int(row[0]): int(row[1]) for row in found})
    return spread


def _test_items(session: Session, win: Windows, settings: Settings, today: date) -> _Counts:
    """Per item: samples failing it per month over all judged supervision samples."""
    month = period_expression(session, Sample.sampling_date, "month")
    failing = (
        select(SampleResult.test_item_id, month, func.count(distinct(SampleResult.sample_id)))
        .join(Sample, Sample.id == SampleResult.sample_id)
        .where(
            *_sample_conditions(win.start, today),
            Sample.conclusion == UNQUALIFIED,
            SampleResult.verdict == VerdictValue.FAIL,
            SampleResult.status == ResultStatus.ACCEPTED,
        )
        .group_by(SampleResult.test_item_id, month)
    )
    per_item: dict[str, dict[str, int]] = defaultdict(dict)
    row: Any
    for row in session.execute(failing):
        per_item[str(row[0])][str(row[1])] = int(row[2])
    totals = _grouped(session, [], win, today).get("", {})
    series = {
        item: {m: [totals.get(m, [0, 0])[0], min(k.get(m, 0), totals.get(m, [0, 0])[0])]
               for m in win.months if m in totals}
        for item, k in per_item.items()
    }  # fmt: skip
    rows = (
        session.execute(
            select(TestItem.id, TestItem.name_zh, TestItem.hazard_class).where(
                TestItem.id.in_([int(i) for i in per_item])
            )
        ).all()
        if per_item
        else []
    )
    return _Counts(
        series=series,
        names={str(i): name for i, name, _h in rows},
        filters={str(i): {"failed_item": str(i)} for i, _n, _h in rows},
        weights={str(i): settings.weights[str(h)] for i, _n, h in rows},
    )


_COUNTERS = {
    "category": _all_categories,
    "district": _districts,
    "district_category": _district_categories,
    "link": _links,
    "producer": _enterprise_counter("producer"),
    "unit": _enterprise_counter("unit"),
    "test_item": _test_items,
}


def signalled(signals: list[Signal]) -> list[Signal]:
    return [s for s in signals if s.signalled]


def count_signals(session: Session, settings: Settings | None = None) -> int:
    """How many keys signal today."""
    return len(signalled(compute_signals(session, settings)))


# --- the dashboard's count ----------------------------------------------------------------
#
# The supervisor's home page shows how many signals are open.  Computing them costs a few
# dozen grouped queries, too much for every visit to the home page, and a per-process cache
# made the page's statement count depend on the cache's state.  So the count is *stored*
# by ``labsys risk refresh`` (from cron) or by a supervisor from the warnings page (a POST:
# the page, a GET, only shows when the stored count is not today's), and the home page reads
# the newest stored row: one query by primary key, whatever the data, with the day it was
# computed for shown beside it.


def latest_signal_count(session: Session) -> RiskSignalCount | None:
    """The newest stored count (None before the signals were ever computed in full)."""
    return session.scalar(select(RiskSignalCount).order_by(RiskSignalCount.id.desc()).limit(1))


@writes(Role.SUPERVISOR, system=True)
def store_signal_count(
    session: Session, actor, signals: list[Signal], day: date
) -> RiskSignalCount:
    """Store how many of ``signals`` (every scope, computed for ``day``) are open; a row only
    when the count or the day changed since the newest one."""
    count = len(signalled(signals))
    latest = latest_signal_count(session)
    if latest is not None and (latest.as_of, latest.open_count) == (day, count):
        return latest
    row = RiskSignalCount(as_of=day, open_count=count)
    session.add(row)
    session.flush()
    return row


@writes(Role.SUPERVISOR, system=True)
def refresh_signal_count(
    session: Session, actor, settings: Settings | None = None, *, today: date | None = None
) -> RiskSignalCount:
    """Compute every signal for ``today`` and store the open count (``labsys risk refresh``)."""
    today = today or clock.today()
    return store_signal_count(
        session, actor, compute_signals(session, settings, today=today), today
    )
