"""Tests for labsys.core.grades: enterprise risk grades are monotone and explain themselves."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labsys.core import grades
from labsys.core.grades import GRADES, GradeRules, History, RulesError

WEIGHTS = {
    "illegal_additive": Decimal("5"),
    "pathogen": Decimal("4"),
    "pesticide_vet_residue": Decimal("3"),
    "additive_overuse": Decimal("2"),
    "quality_indicator": Decimal("1"),
}
RULES = GradeRules(hazard_weights=WEIGHTS)

hazard = st.sampled_from(sorted(WEIGHTS))
months = st.none() | st.integers(min_value=0, max_value=200)
histories = st.builds(
    History,
    unqualified_batches=st.integers(min_value=0, max_value=20),
    failed_hazards=st.lists(hazard, max_size=10).map(tuple),
    months_since_sampled=months,
    licence=st.sampled_from(grades.LICENCE_CATEGORIES),
)
thresholds = st.lists(
    st.integers(min_value=1, max_value=60), min_size=3, max_size=3, unique=True
).map(lambda t: tuple(Decimal(v) for v in sorted(t)))
rule_sets = st.builds(
    GradeRules,
    hazard_weights=st.fixed_dictionaries(
        {k: st.integers(min_value=0, max_value=10).map(Decimal) for k in WEIGHTS}
    ),
    batch_points=st.integers(min_value=0, max_value=5).map(Decimal),
    thresholds=thresholds,
    severe_weight=st.integers(min_value=1, max_value=10).map(Decimal),
    severe_floor=st.sampled_from(GRADES),
)


def rank(letter: str) -> int:
    return GRADES.index(letter)


@given(histories, rule_sets)
def test_one_more_unqualified_batch_never_improves_the_grade(history, rules):
    more = replace(history, unqualified_batches=history.unqualified_batches + 1)
    assert rank(grades.grade(more, rules).grade) >= rank(grades.grade(history, rules).grade)


@given(histories, rule_sets, hazard)
def test_one_more_failed_item_never_improves_the_grade(history, rules, extra):
    more = replace(history, failed_hazards=(*history.failed_hazards, extra))
    assert rank(grades.grade(more, rules).grade) >= rank(grades.grade(history, rules).grade)


@given(histories, rule_sets, hazard, hazard)
def test_a_more_hazardous_failure_never_improves_the_grade(history, rules, one, other):
    low, high = sorted((one, other), key=rules.hazard_weight)
    milder = replace(history, failed_hazards=(*history.failed_hazards, low))
    worse = replace(history, failed_hazards=(*history.failed_hazards, high))
    assert rank(grades.grade(worse, rules).grade) >= rank(grades.grade(milder, rules).grade)


@given(histories, rule_sets, st.integers(min_value=1, max_value=50))
def test_a_longer_time_since_sampling_never_improves_the_grade(history, rules, later):
    if history.months_since_sampled is None:
        longer = history
        shorter = replace(history, months_since_sampled=later)
    else:
        shorter = history
        longer = replace(history, months_since_sampled=history.months_since_sampled + later)
    assert rank(grades.grade(longer, rules).grade) >= rank(grades.grade(shorter, rules).grade)
    never = replace(history, months_since_sampled=None)
    assert rank(grades.grade(never, rules).grade) >= rank(grades.grade(shorter, rules).grade)


@given(histories, rule_sets)
def test_the_reasons_add_up_to_the_score(history, rules):
    result = grades.grade(history, rules)
    assert sum(r.points for r in result.reasons) == result.score
    assert result.grade in GRADES


@given(histories)
def test_a_severe_failure_holds_the_floor(history):
    severe = replace(history, failed_hazards=("illegal_additive",))
    assert rank(grades.grade(severe, RULES).grade) >= rank("C")


def test_the_explanation_names_its_numbers():
    history = History(
        unqualified_batches=2,
        failed_hazards=("quality_indicator", "illegal_additive"),
        months_since_sampled=14,
        licence=grades.FOOD_PRODUCTION,
    )
    result = grades.grade(history, RULES)
    kinds = [(r.kind, r.count, r.key) for r in result.reasons]
    assert kinds == [
        ("unqualified", 2, ""),
        ("hazard", 1, "illegal_additive"),
        ("hazard", 1, "quality_indicator"),
        ("stale", 14, ""),
        ("licence", 0, grades.FOOD_PRODUCTION),
    ]
    # 2×2 + 5 + 1 + 1 (≥12 months) + 2 (food production) = 13 ≥ 12: D
    assert result.score == Decimal("13")
    assert result.grade == "D"


def test_a_clean_recently_sampled_seller_is_grade_a():
    history = History(0, (), 3, grades.FOOD_SALES)
    assert grades.grade(history, RULES).grade == "A"


def test_the_floor_is_recorded_when_it_raises_the_grade():
    history = History(1, ("illegal_additive",), 1, grades.FOOD_SALES)  # 2 + 5 + 0 + 1 = 8: C
    result = grades.grade(history, replace(RULES, severe_floor="D"))
    assert result.grade == "D"
    assert result.reasons[-1].kind == "floor"


@pytest.mark.parametrize(
    ("number", "category"),
    [
        ("SC10144010600015", grades.FOOD_PRODUCTION),
        ("SC12744010600015", grades.SPECIAL_FOOD),
        ("SC12944010600015", grades.SPECIAL_FOOD),
        ("SC20144010600015", grades.ADDITIVE_PRODUCTION),
        ("JY14401060000015", grades.FOOD_SALES),
        ("JY24401060000015", grades.CATERING),
        ("jy34401060000015", grades.CANTEEN),
        ("QS4401 0601 0001", grades.OTHER_LICENCE),
        ("", grades.NO_LICENCE),
        (None, grades.NO_LICENCE),
    ],
)
def test_licence_category(number, category):
    assert grades.licence_category(number) == category


@given(st.dates(), st.dates())
def test_months_between_is_never_negative_and_counts_whole_months(a, b):
    months = grades.months_between(a, b)
    assert months >= 0
    if b >= a:
        assert grades.months_before(b, months) >= a
        assert grades.months_before(b, months + 1) < a or months == 0 and b == a


def test_months_before_at_month_end():
    assert grades.months_before(date(2026, 3, 31), 1) == date(2026, 2, 28)
    assert grades.months_before(date(2026, 1, 15), 12) == date(2025, 1, 15)
    assert grades.months_between(date(2025, 9, 30), date(2026, 11, 30)) == 14


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"thresholds": (Decimal(3), Decimal(3), Decimal(9))}, "thresholds"),
        ({"thresholds": (Decimal(0), Decimal(3), Decimal(9))}, "thresholds"),
        ({"window_months": 0}, "window_months"),
        ({"batch_points": Decimal(-1)}, "batch_points"),
        ({"stale_points": ((24, Decimal(1)), (12, Decimal(2)))}, "stale_points"),
        ({"stale_points": ((12, Decimal(2)), (24, Decimal(1)))}, "stale_points"),
        ({"never_points": Decimal("0.5")}, "never_points"),
        ({"severe_floor": "E"}, "severe_floor"),
        ({"licence_points": {}}, "licence_points.special_food"),
    ],
)
def test_rules_that_cannot_grade_are_refused(change, field):
    with pytest.raises(RulesError) as error:
        grades.validate(replace(RULES, **change))
    assert error.value.field == field


def test_the_default_rules_are_valid():
    assert grades.validate(RULES) is RULES
