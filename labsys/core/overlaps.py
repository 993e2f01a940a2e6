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
   one (its samples outside that one show no excess) and which is not itself distinctly
   worse than the rest of that one (its failures among the samples they share are not
   above the rate of the preferred finding's other samples, the same exact test) is
   explained by it: a supermarket that sold some of a district's failing vegetables at the
   district's rate is an echo; a producer failing every batch inside a category that fails
   one in ten is a finding of its own.  Preferred: when both have the same failing samples,
   the narrower (fewer samples) — the same failures are listed at the most specific key, as
   nested categories are — and for the very same samples the caller's most actionable scope
   (a producer before the district × 大类 that holds exactly its samples); otherwise the
   higher score.

Only narrow findings explain (a cross-cut explaining a product would say nothing), a
finding never explains itself, and no chain of explanations returns to where it started
(the preference is not transitive: "narrower" for equal failures, "stronger" otherwise).
The explanations are among the findings given: a key explained by one that is not listed
would point nowhere, so a list of one scope alone explains nothing across scopes.

Cost: each cross-cut walks the narrow findings' failing samples, and their samples once;
each pair of narrow findings that share a failure compares their sets.

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
    # Among findings with the very same samples, the lowest is listed: the caller's order
    # of scopes, most actionable first (a producer before the district's category).
    specificity: int = 0

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
            if finding.rest_shows_no_excess(other.samples, alpha) and not _distinct_within(
                finding, other, alpha
            ):
                explained[finding.ident] = [other.ident]
                break
    return explained


def _distinct_within(part: Finding, whole: Finding, alpha: float) -> bool:
    """Are ``part``'s failures among the samples it shares with ``whole`` above the rate of
    ``whole``'s other samples (exact one-sided binomial test, p ≤ alpha)?  ``whole`` is
    narrow: its sets are complete."""
    shared = part.samples & whole.samples
    shared_failing = len(part.failing & shared)
    if not shared_failing:
        return False
    others = len(whole.samples) - len(shared)
    if others <= 0:  # the part is all of it: nothing to be distinct from
        return False
    rate = len(whole.failing - shared) / others
    return binomial_upper_p(shared_failing, len(shared), rate) <= alpha


def _strength_order(finding: Finding) -> tuple:
    return (-finding.score, finding.n, repr(finding.ident))


def _preferred(a: Finding, b: Finding) -> bool:
    """Does ``a`` describe a shared excess better than ``b``?"""
    if a.failing == b.failing:
        if a.n != b.n:
            return a.n < b.n
        if a.samples == b.samples and a.specificity != b.specificity:
            return a.specificity < b.specificity
    return _strength_order(a) < _strength_order(b)


def _covering_parts(cut: Finding, narrow: list[Finding], alpha: float) -> list:
    """The narrower findings whose samples take the cross-cut's excess away, or [].

    Greedy, most of its remaining failures first; the removed samples are counted as they
    are taken (each part's samples are read once), not intersected again at every step."""
    parts = {f.ident: f for f in narrow if f.n < cut.n and cut.failing & f.samples}
    reach = {ident: cut.failing & f.samples for ident, f in parts.items()}
    # At best the parts take every failure they reach and no other sample: if even that
    # leaves an excess, no choice of them will (on failing samples only: cheap).
    reachable = len(frozenset().union(*reach.values())) if reach else 0
    best_k, best_n = cut.k - reachable, cut.n - reachable
    if best_k > 0 and best_k <= best_n and binomial_upper_p(best_k, best_n, cut.baseline) <= alpha:
        return []
    covered: set = set()  # the cut's samples taken so far
    covered_failing: set = set()
    used: list = []
    while parts:
        ident = max(
            parts,
            key=lambda i: (len(reach[i] - covered_failing), parts[i].score, -parts[i].n),
        )
        if not reach[ident] - covered_failing:
            break
        part = parts.pop(ident)
        taken = (part.samples & cut.samples) - covered
        covered |= taken
        covered_failing |= taken & cut.failing
        used.append(ident)
        n = cut.n - len(covered)
        k = cut.k - len(covered_failing)
        if n <= 0 or k <= 0 or (k <= n and binomial_upper_p(k, n, cut.baseline) > alpha):
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
