"""Which risk signals only echo others (issue 17 §5): pure rules on sets of samples.

The scopes of the risk signals overlap without nesting: one district's vegetables failing
for a pesticide raise the district × 大类, the retail link where they were bought, the test
item, the supermarket that sold most of them and the 4th-level category they belong to.
Listed as findings of their own, the echoes push the next real problem down the list.  A
supervisor reads the list as "where to look": each excess should appear once, at the key
that describes it best, with the echoes listed after it and saying where their excess lies.

Two rules, each a conditional test on the samples (a reader drilling down would do the
same): a finding is *explained* when the samples it has outside the findings that explain
it are not above its own baseline (exact one-sided binomial test, p > ``alpha``; no sample
left is no evidence).

1. **A cross-cut made of narrower problems.**  A sampling link, a district or a test item
   cuts across products, places and producers; when its excess disappears without the
   samples of the narrower findings it overlaps (a product, a producer, a unit, a
   district's category), it is explained by them.  The narrower findings are added
   greedily, most of its failures first, until its rest shows no excess.
2. **A part of a stronger finding.**  A narrow finding whose excess lies within a preferred
   one (its samples outside that one show no excess) is explained by it.  Preferred: when
   both have the same failing samples, the narrower (fewer samples) — the same failures are
   listed at the most specific key, as nested categories are; otherwise the higher score.

Only narrow findings explain (a cross-cut explaining a product would say nothing), a
finding never explains itself, and no chain of explanations returns to where it started.

The sets: a narrow finding carries every judged sample of its recent window; a cross-cut
carries only its samples among the narrow findings' (all a rest needs, since the samples
taken away are always narrow findings' samples), with its totals ``n`` and ``k``.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from labsys.core.risk import binomial_upper_p

EXPLAINED_P = 0.05


@dataclass(frozen=True)
class Finding:
    ident: Hashable
    n: int  # judged samples in the recent window
    k: int  # unqualified (for a test item: failing it) among them
    samples: frozenset  # its samples (a cross-cut: those among the narrow findings' samples)
    failing: frozenset  # those of ``samples`` that count in k
    score: float
    baseline: float
    cross_cut: bool = False

    def rest_shows_no_excess(self, taken: frozenset | set, alpha: float) -> bool:
        """Without the samples in ``taken``, is what is left not above the baseline?"""
        n = self.n - len(self.samples & taken)
        k = self.k - len(self.failing & taken)
        if n <= 0 or k <= 0:
            return True
        if k > n:  # counts and sets disagree (a sample changed meanwhile): leave it alone
            return False
        return binomial_upper_p(k, n, self.baseline) > alpha


def explain(findings: Sequence[Finding], alpha: float = EXPLAINED_P) -> dict[Hashable, list]:
    """ident -> the idents of the findings that explain it (only those explained)."""
    narrow = sorted((f for f in findings if not f.cross_cut), key=_strength_order)
    explained: dict[Hashable, list] = {}
    for cut in sorted((f for f in findings if f.cross_cut), key=_strength_order):
        parts = _covering_parts(cut, narrow, alpha)
        if parts:
            explained[cut.ident] = parts
    for finding in narrow:
        for other in narrow:  # strongest first: the first that explains it is named
            if other.ident == finding.ident or not _preferred(other, finding):
                continue
            if not (finding.failing & other.failing):
                continue
            if _leads_back(explained, other.ident, finding.ident):
                continue
            if finding.rest_shows_no_excess(other.samples, alpha):
                explained[finding.ident] = [other.ident]
                break
    return explained


def _strength_order(finding: Finding) -> tuple:
    return (-finding.score, finding.n, repr(finding.ident))


def _preferred(a: Finding, b: Finding) -> bool:
    """Does ``a`` describe a shared excess better than ``b``?"""
    if a.failing == b.failing and a.n != b.n:
        return a.n < b.n
    return _strength_order(a) < _strength_order(b)


def _covering_parts(cut: Finding, narrow: list[Finding], alpha: float) -> list:
    """The narrower findings whose samples take the cross-cut's excess away, or []."""
    candidates = [f for f in narrow if f.n < cut.n and cut.failing & f.samples]
    taken: set = set()
    used: list = []
    while candidates:
        best = max(
            candidates,
            key=lambda f: (len((cut.failing & f.samples) - taken), f.score, -f.n),
        )
        if not (cut.failing & best.samples) - taken:
            break
        taken |= best.samples
        used.append(best.ident)
        candidates.remove(best)
        if cut.rest_shows_no_excess(frozenset(taken), alpha):
            return used
    return []


def _leads_back(explained: dict, start: Hashable, target: Hashable) -> bool:
    """Would ``target`` explained by ``start`` close a loop (start already leads to target)?"""
    seen, stack = set(), [start]
    while stack:
        node = stack.pop()
        if node == target:
            return True
        if node in seen:
            continue
        seen.add(node)
        stack.extend(explained.get(node, []))
    return False
