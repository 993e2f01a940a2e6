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


def test_a_unit_inside_a_stronger_district_problem_at_its_rate_is_explained_by_it():
    # The unit sold 10 of the district's vegetables, 4 failing: the district's own rate
    # (8 of its other 20); its one other sample is clean.
    unit = finding("unit", [*range(4), *range(12, 18), 200], range(4), 12.0)
    assert explain([VEG, unit]) == {"unit": ["district veg"]}


def test_a_unit_failing_far_above_the_district_is_a_finding_of_its_own():
    # 5 of 5 failing where the district's other vegetables fail 7 of 25.
    unit = finding("unit", [0, 1, 2, 3, 4, 200], [0, 1, 2, 3, 4], 12.0)
    assert explain([VEG, unit]) == {}


def test_a_producer_far_above_its_category_is_not_an_echo_of_it():
    # The category fails 34 of 304 (one in ten elsewhere); the producer 4 of its 4.
    category = finding(
        "category", range(304), [*range(0, 300, 10), 300, 301, 302, 303], 8.3, baseline=0.037
    )
    producer = finding("producer", range(300, 304), range(300, 304), 1.9, baseline=0.08)
    assert explain([category, producer]) == {}


def test_a_weaker_signal_never_explains_a_stronger_one():
    # Two of the spike's failures lie at one producer, at the spike's rate.
    spike = finding("spike", range(300, 320), range(300, 308), 6.0, baseline=0.13)
    producer = finding("oil producer", range(300, 306), range(300, 302), 2.5, baseline=0.13)
    assert explain([spike, producer]) == {"oil producer": ["spike"]}


def test_one_more_failure_elsewhere_does_not_make_the_producer_an_echo():
    same = finding("category", range(200), range(4), 6.0)
    producer = finding("producer", range(4), range(4), 5.0)
    assert explain([same, producer]) == {"category": ["producer"]}
    more = finding("category", range(200), [*range(4), 150], 6.5)
    assert "producer" not in explain([more, producer])


def test_no_loop_through_the_preference_which_is_not_transitive():
    # A is preferred to B (same failures, narrower), B to C and C to A (by score): without
    # the loop guard C → B → A → C.
    a = finding("A", range(4), range(4), 5.0)
    b = finding("B", range(10), range(4), 10.0)
    c = finding("C", [*range(4), *range(20, 31)], [*range(4), 20], 8.0)
    result = explain([a, b, c])
    seen, node = set(), "C"
    while node in result:
        assert node not in seen, result
        seen.add(node)
        node = result[node][0]
    assert result  # something is explained: the guard cut the loop, not the rules


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
    # A sample's verdict is one: a global set of failing samples, each finding's failures
    # are its samples among them.
    failing_everywhere = draw(st.frozensets(universe, max_size=40))
    result = []
    for index in range(draw(st.integers(min_value=1, max_value=7))):
        samples = draw(st.frozensets(universe, min_size=1, max_size=40))
        failing = samples & failing_everywhere
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
                # few distinct scores: ties and equal failing sets happen
                score=draw(st.sampled_from([1.0, 2.5, 6.0, 12.0, 30.0])),
                baseline=draw(st.sampled_from([0.01, 0.05, 0.1, 0.3])),
                cross_cut=cut,
            )
        )
    return result


@settings(max_examples=200, deadline=None)
@given(findings(), st.frozensets(st.integers(min_value=1000, max_value=1040), min_size=1))
def test_a_finding_apart_from_the_others_changes_nothing(items, apart):
    # Its samples meet no other's: it is never explained and explains nothing.
    alone = Finding(
        "apart",
        len(apart),
        len(apart) // 2,
        apart,
        frozenset(sorted(apart)[: len(apart) // 2]),
        50.0,
        0.01,
    )
    result = explain([*items, alone])
    assert "apart" not in result
    assert all("apart" not in explainers for explainers in result.values())
    assert result == explain(items)


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
