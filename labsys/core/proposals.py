"""Risk-based sampling quotas (issue 17 §3): share a total number of batches among
category × district cells by their risk, with a minimum for every category, and a backtest.

**Risk of a cell.** The unqualified rate of its past batches shrunk toward its category's
rate (beta-binomial with a prior worth ``prior_strength`` batches): a cell with 1 failure
out of 2 batches does not outweigh one with 30 out of 600.  A cell without history gets its
category's rate; a category without history the overall rate.

**Signals and grades.** The shrunk rate looks back over a year; the risk signals
(``labsys.services.risk``) and the enterprise grades say where to look *next*.  A cell's
weight is its risk times ``1 + signal_boost × s + grade_boost × g``, where ``s`` in [0, 1] is
the strength of the strongest open signal on the cell (its district × category, its
category, its district) and ``g`` in [0, 1] the share of the district's graded enterprises
in grade C or D.  With both boosts at 1 a cell under a full-strength signal weighs twice
its rate alone, and so on: the shift is bounded (at most ``1 + signal_boost + grade_boost``
times) so a single alarm cannot drain every other category; the minimum per category is
applied before any of it, and the total is the total.

**Allocation.** Every category first receives ``minimum`` batches, spread over its cells in
proportion to their risk; the rest of the total is spread over all cells in proportion to
risk.  Each spread is a largest-remainder (Hamilton) apportionment, so the quotas are whole
numbers that add up exactly; ties go to the cell first in key order.  With every risk zero
the spread is equal.

**Backtest.** For a past period, the plan actually used is what was sampled: ``n`` batches and
``u`` unqualified per cell.  The proposal (computed from the history *before* the period,
with the same total) would have found ``Σ q × r``, where ``r`` is the unqualified rate the
cell showed in that period (its category's rate in the period when the cell was not
sampled then).  Assumptions: batches of a cell are exchangeable draws, so a cell's rate does
not depend on how many batches are taken there; sampling more does not change what
producers do; the category's rate stands for a cell not sampled.  An estimate, not a count.

Pure Python: ``Fraction``/``Decimal`` only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

Key = tuple[Hashable, Hashable]  # (category, district)


@dataclass(frozen=True)
class Counts:
    samples: int
    unqualified: int


def rate(counts: Counts) -> Fraction:
    return Fraction(counts.unqualified, counts.samples) if counts.samples else Fraction(0)


def risks(
    history: Mapping[Key, Counts], cells: Sequence[Key], prior_strength: int = 20
) -> dict[Key, Fraction]:
    """Each cell's shrunk unqualified rate (see the module notes)."""
    if prior_strength < 0:
        raise ValueError("the prior's strength is a number of batches, zero or more")
    by_category: dict[Hashable, list[int]] = defaultdict(lambda: [0, 0])
    total = [0, 0]
    for (category, _district), c in history.items():
        by_category[category][0] += c.samples
        by_category[category][1] += c.unqualified
        total[0] += c.samples
        total[1] += c.unqualified
    overall = Fraction(total[1], total[0]) if total[0] else Fraction(0)
    result = {}
    for key in cells:
        n, u = by_category.get(key[0], (0, 0))
        prior = Fraction(u, n) if n else overall
        c = history.get(key, Counts(0, 0))
        if c.samples + prior_strength == 0:
            result[key] = prior
        else:
            result[key] = (c.unqualified + prior * prior_strength) / (c.samples + prior_strength)
    return result


def shaped(
    risk: Mapping[Key, Fraction],
    signal: Mapping[Key, Fraction],
    grade: Mapping[Key, Fraction],
    *,
    signal_boost: Fraction = Fraction(1),
    grade_boost: Fraction = Fraction(1),
) -> dict[Key, Fraction]:
    """Each cell's weight: its risk × (1 + signal_boost·s + grade_boost·g) (module notes);
    ``s`` and ``g`` default to 0 and are clamped to [0, 1]."""
    if signal_boost < 0 or grade_boost < 0:
        raise ValueError("a boost is zero or more")

    def unit(value: Fraction | int) -> Fraction:
        return min(Fraction(1), max(Fraction(0), Fraction(value)))

    return {
        key: r
        * (1 + signal_boost * unit(signal.get(key, 0)) + grade_boost * unit(grade.get(key, 0)))
        for key, r in risk.items()
    }


def apportion(weights: Mapping[Key, Fraction], seats: int) -> dict[Key, int]:
    """``seats`` whole batches over the keys in proportion to the weights (largest remainder;
    equal shares when every weight is zero)."""
    if seats < 0:
        raise ValueError("a number of batches is never negative")
    keys = sorted(weights, key=repr)
    if not keys:
        if seats:
            raise ValueError("no cell to give the batches to")
        return {}
    total = sum(weights.values(), Fraction(0))
    shares = {k: (weights[k] / total if total else Fraction(1, len(keys))) * seats for k in keys}
    result = {k: int(shares[k]) for k in keys}
    left = seats - sum(result.values())
    order = sorted(keys, key=lambda k: -(shares[k] - result[k]))  # stable: ties in key order
    for k in order[:left]:
        result[k] += 1
    return result


def allocate(risk: Mapping[Key, Fraction], total: int, minimum: int) -> dict[Key, int]:
    """Quotas per cell adding up to ``total``, every category receiving ``minimum`` at least."""
    if minimum < 0 or total <= 0:
        raise ValueError("the total is positive and the minimum not negative")
    categories: dict[Hashable, list[Key]] = defaultdict(list)
    for key in risk:
        categories[key[0]].append(key)
    if minimum * len(categories) > total:
        raise ValueError("the total cannot give every category its minimum")
    quotas = dict.fromkeys(risk, 0)
    for cells in categories.values():
        for key, n in apportion({k: risk[k] for k in cells}, minimum).items():
            quotas[key] += n
    rest = total - minimum * len(categories)
    for key, n in apportion(dict(risk), rest).items():
        quotas[key] += n
    return quotas


@dataclass(frozen=True)
class Backtest:
    total: int  # batches the period actually took (and the proposal shares out)
    actual_found: int  # unqualified batches the period found
    proposal_found: Fraction  # the proposal's expected unqualified batches


def backtest(period: Mapping[Key, Counts], quotas: Mapping[Key, int]) -> Backtest:
    """The proposal's expected finds on the period's own rates (module notes)."""
    by_category: dict[Hashable, Counts] = {}
    for (category, _district), c in period.items():
        old = by_category.get(category, Counts(0, 0))
        by_category[category] = Counts(old.samples + c.samples, old.unqualified + c.unqualified)
    found = Fraction(0)
    for key, q in quotas.items():
        cell = period.get(key)
        observed = cell if cell and cell.samples else by_category.get(key[0], Counts(0, 0))
        found += q * rate(observed)
    return Backtest(
        total=sum(c.samples for c in period.values()),
        actual_found=sum(c.unqualified for c in period.values()),
        proposal_found=found,
    )
