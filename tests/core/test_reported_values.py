"""reported_text with a specification (GB/T 8170-2008 marks), significant figures, and the
typed seams of judge()/conclude()."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labsys.core.judgement import (
    ComparisonMethod,
    Conclusion,
    DecisionRule,
    Spec,
    Verdict,
    conclude,
    gbt8170_round,
    judge,
    reported_text,
    round_significant,
    times_ten_text,
)

relaxed = settings(deadline=None)


# --- the mark: a printed value never contradicts its verdict --------------------------------


@pytest.mark.parametrize(
    ("measured", "options", "text"),
    [
        # The example: 0.204 against ≤0.2 fails (full value) but 0.20 would pass.
        ("0.204", {"interval": "0.01", "spec": "≤0.2"}, "0.20(+)"),
        # Rounded up into compliance with a minimum: 0.195 fails ≥0.2, 0.20 would pass.
        ("0.195", {"interval": "0.01", "spec": "≥0.2"}, "0.20(-)"),
        # GB/T 8170 §4.4's example *(verify)*: ≥97.0 %, measured 96.96; full value fails.
        ("96.96", {"interval": "0.1", "spec": "≥97.0"}, "97.0(-)"),
        # The same with the rounded-value method passes, and 97.0 says so: no mark.
        ("96.96", {"interval": "0.1", "spec": "≥97.0", "method": "rounded"}, "97.0"),
        # Rounding that does not turn the verdict is never marked.
        ("0.214", {"interval": "0.01", "spec": "≤0.2"}, "0.21"),
        ("0.196", {"interval": "0.01", "spec": "≤0.2"}, "0.20"),
        ("0.204", {"interval": "0.01", "spec": "不得检出"}, "0.20"),
        ("0.204", {"interval": "0.01", "spec": "/"}, "0.20"),
        # A strict limit: 0.1996 < 0.2 passes, 0.20 would not.
        ("0.1996", {"interval": "0.01", "spec": "<0.2"}, "0.20(-)"),
        # A range: 18.04 misses 12～18; 18.0 would meet it.
        ("18.04", {"interval": "0.1", "spec": "12～18"}, "18.0(+)"),
        # Without a spec: today's behaviour, never marked.
        ("0.204", {"interval": "0.01"}, "0.20"),
        # Not detected and qualitative results are never marked.
        ("0.001", {"interval": "0.01", "lod": "0.005", "spec": "≤0.2"}, "未检出(检出限: 0.005)"),
        ("阳性", {"spec": "不得检出"}, "阳性"),
    ],
)
def test_reported_text_marks_a_rounding_that_turns_the_verdict(measured, options, text):
    assert reported_text(measured, **options) == text


def test_an_unknown_method_is_refused():
    with pytest.raises(ValueError, match="method"):
        reported_text("0.204", interval="0.01", spec="≤0.2", method="rough")


values = st.decimals(
    allow_nan=False, allow_infinity=False, places=4, min_value=-1000, max_value=1000
)
intervals = st.sampled_from(["0.001", "0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1", "10"])
limits = st.sampled_from(["≤0.2", "<0.2", "≥2.9", ">2.9", "12～18", "≤0.20", "≥97.0", "-5～-1"])
methods = st.sampled_from(list(ComparisonMethod))


def _read_back(text: str) -> tuple[str, str]:
    """(the number printed, its mark) of a reported text."""
    for mark in ("(+)", "(-)"):
        if text.endswith(mark):
            return text.removesuffix(mark), mark
    return text, ""


@relaxed
@given(values, intervals, limits, methods)
def test_a_printed_value_never_contradicts_its_verdict(x, step, limit, method):
    verdict = judge(str(x), limit, method=method, interval=step)
    printed, mark = _read_back(reported_text(str(x), interval=step, spec=limit, method=method))
    # Judged by the rounded-value method at the reporting interval, the printed number alone
    # gives the verdict; otherwise it carries the mark that tells on which side the truth lies.
    alone = judge(printed, limit, method="rounded", interval=step)
    if method == "rounded":
        alone = judge(printed, limit, method=method, interval=step)
    if mark:
        assert alone != verdict
        assert (Decimal(printed) < x) == (mark == "(+)")
    else:
        assert alone == verdict


@relaxed
@given(values, intervals, limits)
def test_the_mark_only_decorates_the_rounded_value(x, step, limit):
    printed, _ = _read_back(reported_text(str(x), interval=step, spec=limit))
    assert printed == reported_text(str(x), interval=step)


def test_breaking_it_an_unmarked_report_would_contradict():
    # What the issue found: without the spec the printed 0.20 passes ≤0.2 while 0.204 fails.
    assert judge("0.204", "≤0.2") is Verdict.FAIL
    assert judge(reported_text("0.204", interval="0.01"), "≤0.2") is Verdict.PASS


# --- significant figures (GB/T 8170-2008 §3) ---------------------------------------------------


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        # GB/T 8170 examples *(verify)*: 8.53459 to three figures is 8.53, rounded once.
        ("8.53459", 3, "8.53"),
        ("0.0314159", 2, "0.031"),
        ("0.0325", 2, "0.032"),  # exactly half: to the even neighbour
        ("0.0335", 2, "0.034"),
        ("1.050", 2, "1.0"),
        ("0.35", 1, "0.4"),
        ("9.996", 3, "10.0"),  # a carry keeps three figures
        ("-0.0365", 2, "-0.036"),  # negatives: absolute value, sign restored (3.2.5)
        ("12.1498", 3, "12.1"),
        ("0", 2, "0"),
    ],
)
def test_round_significant(value, digits, expected):
    assert str(round_significant(value, digits)) == expected


@pytest.mark.parametrize(
    ("value", "digits", "text"),
    [("1268", 2, "1.3×10³"), ("35000", 2, "3.5×10⁴"), ("0.204", 2, "0.20"), ("250", 3, "250")],
)
def test_reported_text_in_significant_figures(value, digits, text):
    assert reported_text(value, significant=digits) == text


def test_significant_figures_are_marked_too():
    assert reported_text("0.204", significant=2, spec="≤0.2") == "0.20(+)"
    assert reported_text("1.0049", significant=2, spec="≤1.0") == "1.0(+)"


@pytest.mark.parametrize("digits", [0, -1, 11, "2", 2.0, None])
def test_bad_significant_figures_are_refused(digits):
    with pytest.raises(ValueError, match="significant"):
        round_significant("1.23", digits)


@relaxed
@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=6, min_value=-(10**6), max_value=10**6
    ),
    st.integers(min_value=1, max_value=5),
)
def test_significant_rounding_is_gbt8170_rounding_at_the_right_interval(x, digits):
    rounded = round_significant(x, digits)
    if x.is_zero():
        assert rounded == 0
        return
    step = Decimal((0, (1,), x.adjusted() - digits + 1))
    assert rounded == gbt8170_round(x, step)
    assert len(rounded.normalize().as_tuple().digits) <= digits


def test_times_ten_text():
    assert times_ten_text(Decimal("94000"), 2) == "9.4×10⁴"
    assert times_ten_text(Decimal("100"), 2) == "1.0×10²"
    assert times_ten_text(Decimal("0.0012"), 2) == "1.2×10⁻³"


# --- typed seams ------------------------------------------------------------------------------


def test_method_rule_and_conclusion_are_string_enums():
    assert judge("96.96", "≥97.0", method=ComparisonMethod.ROUNDED) is Verdict.PASS
    assert judge("96.96", "≥97.0", method="rounded") is Verdict.PASS
    guarded = judge("0.19", "≤0.2", rule=DecisionRule.GUARDED, uncertainty="0.02")
    assert guarded is Verdict.INCONCLUSIVE
    assert conclude([Verdict.FAIL, "pass"]) is Conclusion.UNQUALIFIED
    assert conclude([]) == "not_judged"
    assert Conclusion.UNQUALIFIED.label_zh == "不合格"


@pytest.mark.parametrize("option", [{"method": "fuzzy"}, {"rule": "lenient"}])
def test_unknown_choices_are_refused(option):
    with pytest.raises(ValueError):
        judge("0.1", Spec.parse("≤0.2"), **option)
