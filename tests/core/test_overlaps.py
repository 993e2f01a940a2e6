"""Which risk signals only echo others (labsys.core.overlaps): the two rules on examples a
supervisor would recognise, and properties over any sets of samples."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from labsys.core.overlaps import Finding, explain


def finding(ident, samples, failing, score, *, baseline=0.05, cut=False, n=None, k=None):
    samples, failing = frozenset(samples), frozenset(failing)
    return Finding(
        ident=ident,
        n=len(samples) if n is None else n,
        k=len(failing) if k is None else k,
        samples=samples,
        failing=failing,
        score=score,
        baseline=baseline,
        cross_cut=cut,
    )


# A district's vegetables (samples 0–29, 12 failing) and a producer's flour (100–119, 10
# failing), both bought at retail; the retail link also has 60 clean samples of its own.
VEG = finding("district veg", range(30), range(12), 28.0)
FLOUR = finding("producer", range(100, 120), range(100, 110), 21.0)


def retail(extra_failures=0):
    # Only its samples among the narrow findings' are carried, with its totals.
    inside = set(range(30)) | set(range(100, 120))
    failing = set(range(12)) | set(range(100, 110))
    return finding(
        "retail",
        inside,
        failing,
        34.0,
        baseline=0.04,
        cut=True,
        n=110,
        k=22 + extra_failures,
    )


def test_a_link_made_of_narrower_problems_is_explained_by_them():
    result = explain([retail(), VEG, FLOUR])
    assert result == {"retail": ["district veg", "producer"]}


def test_a_link_with_an_excess_of_its_own_stays():
    # 12 more failures among its 60 other samples: 20 % against a baseline of 4 %.
    assert explain([retail(extra_failures=12), VEG, FLOUR]) == {}


def test_a_unit_inside_a_stronger_district_problem_is_explained_by_it():
    unit = finding("unit", [0, 1, 2, 3, 4, 200], [0, 1, 2, 3, 4], 12.0)
    assert explain([VEG, unit]) == {"unit": ["district veg"]}


def test_a_weaker_signal_never_explains_a_stronger_one():
    # The spike's failures half lie at one producer; the producer is the weaker signal.
    spike = finding("spike", range(300, 320), range(300, 308), 6.0, baseline=0.13)
    producer = finding("oil producer", range(300, 306), range(300, 304), 2.5, baseline=0.13)
    assert explain([spike, producer]) == {"oil producer": ["spike"]}


def test_the_same_failures_are_listed_at_the_narrower_key():
    # A 大类 whose failures are all one producer's: the producer carries them, though the
    # category's score is higher (it has more samples).
    category = finding("category", range(100, 125), range(100, 110), 23.0)
    assert explain([category, FLOUR]) == {"category": ["producer"]}


def test_a_finding_without_overlap_is_never_explained():
    other = finding("elsewhere", range(500, 520), range(500, 506), 3.0)
    assert explain([VEG, FLOUR, other]) == {}


def test_a_cross_cut_never_explains():
    unit = finding("unit", [0, 1, 2], [0, 1, 2], 50.0)
    cut = finding("link", [0, 1, 2], [0, 1, 2], 60.0, cut=True, n=3, k=3)
    assert "unit" not in explain([cut, unit])


# --- properties ---------------------------------------------------------------------------

universe = st.integers(min_value=0, max_value=60)


@st.composite
def findings(draw):
    result = []
    for index in range(draw(st.integers(min_value=1, max_value=7))):
        samples = draw(st.frozensets(universe, min_size=1, max_size=40))
        failing = draw(st.frozensets(st.sampled_from(sorted(samples)), max_size=len(samples)))
        cut = draw(st.booleans())
        extra_n = draw(st.integers(min_value=0, max_value=50)) if cut else 0
        extra_k = draw(st.integers(min_value=0, max_value=extra_n)) if cut else 0
        result.append(
            Finding(
                ident=f"f{index}",
                n=len(samples) + extra_n,
                k=len(failing) + extra_k,
                samples=samples,
                failing=failing,
                score=draw(st.floats(min_value=0.0, max_value=40.0)),
                baseline=draw(st.floats(min_value=0.001, max_value=0.5)),
                cross_cut=cut,
            )
        )
    return result


@settings(max_examples=300, deadline=None)
@given(findings(), st.randoms(use_true_random=False))
def test_explanations_are_sound(items, rnd: random.Random):
    by_id = {f.ident: f for f in items}
    result = explain(items)
    for ident, explainers in result.items():
        # never itself, never by a cross-cut, and without them no excess is left
        assert explainers and ident not in explainers
        assert not any(by_id[e].cross_cut for e in explainers)
        taken = frozenset().union(*(by_id[e].samples for e in explainers))
        assert by_id[ident].rest_shows_no_excess(taken, 0.05)
        # a chain of explanations always ends at a finding that is not explained
        seen, node = set(), ident
        while node in result:
            assert node not in seen
            seen.add(node)
            node = result[node][0]
    # the order the signals arrive in changes nothing
    shuffled = list(items)
    rnd.shuffle(shuffled)
    assert explain(shuffled) == result
