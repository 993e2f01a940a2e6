"""Tests for labsys.core.judgement: GB/T 8170 rounding, limits, verdicts, sampling plans."""

import decimal
from decimal import Decimal

import pytest

from labsys.core.judgement import (
    CONCLUSION_LABELS_ZH,
    MeasuredKind,
    MicroPlan,
    Spec,
    SpecKind,
    Verdict,
    conclude,
    conclusion_sentence,
    gbt8170_round,
    inconclusive_sentence,
    judge,
    judge_plan,
    parse_measured,
    reported_text,
)

PASS, FAIL = Verdict.PASS, Verdict.FAIL
INCONCLUSIVE, NOT_JUDGED = Verdict.INCONCLUSIVE, Verdict.NOT_JUDGED

# --- GB/T 8170-2008 rounding ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "interval", "expected"),
    [
        ("12.1498", "0.1", "12.1"),  # §3.2: below half, drop
        ("12.1498", "1", "12"),
        ("1268", "10", "1270"),  # above half, round up
        ("1268", "100", "1300"),
        ("10.5002", "1", "11"),  # half followed by non-zero digits: up
        ("1.050", "0.1", "1.0"),  # exactly half, to the even neighbour
        ("0.35", "0.1", "0.4"),
        ("2500", "1000", "2000"),
        ("3500", "1000", "4000"),
        ("2.675", "0.01", "2.68"),  # a binary float makes this 2.67
        ("-0.0365", "0.001", "-0.036"),  # by absolute value, sign restored
        ("15.4546", "1", "15"),  # §3.3: once, never 15.455 → 15.46 → 15.5 → 16
        ("8.53459", "0.01", "8.53"),  # not 8.5346 → 8.535 → 8.54
        ("60.28", "0.5", "60.5"),  # §3.4: 0.5-unit
        ("63.37", "0.5", "63.5"),
        ("63.37", "5", "65"),
        ("60.25", "0.5", "60.0"),
        ("60.38", "0.5", "60.5"),
        ("60.75", "0.5", "61.0"),  # 121.5 → 122 (even) → 61.0
        ("-60.75", "0.5", "-61.0"),
        ("830", "20", "840"),  # §3.4: 0.2-unit; 41.5 → 42
        ("842", "20", "840"),
        ("832", "20", "840"),
        ("-930", "20", "-920"),  # 46.5 → 46 (even)
        ("0.5", "1", "0"),
        ("1.5", "1", "2"),
        ("2.5", "1", "2"),
        ("15.4546", "0.5", "15.5"),
    ],
)
def test_worked_examples_of_the_standard(value, interval, expected):
    result = gbt8170_round(value, interval)
    assert result == Decimal(expected)
    assert str(result) == expected  # shown with the interval's digits, no exponent


def test_rounding_keeps_the_intervals_digits_for_display():
    assert str(gbt8170_round("3", "0.01")) == "3.00"
    assert str(gbt8170_round("1268", "100")) == "1300"
    assert str(gbt8170_round("1E+3", "1E+1")) == "1000"  # never "1.00E+3" on a report


def test_rounding_accepts_int_and_decimal():
    assert gbt8170_round(1268, 10) == 1270
    assert gbt8170_round(Decimal("0.35"), Decimal("0.1")) == Decimal("0.4")


def test_a_value_rounding_to_zero_is_not_shown_as_minus_zero():
    assert str(gbt8170_round("-0.04", "0.1")) == "0.0"


@pytest.mark.parametrize(
    "context",
    [
        decimal.Context(prec=3),
        decimal.Context(rounding=decimal.ROUND_UP),
        decimal.Context(prec=3, rounding=decimal.ROUND_DOWN, traps=[]),
    ],
)
def test_the_callers_decimal_context_cannot_change_a_result(context):
    with decimal.localcontext(context):
        assert gbt8170_round("123456.785", "0.01") == Decimal("123456.78")
        assert gbt8170_round("1.050", "0.1") == Decimal("1.0")
        # 0.1994 + 0.0007 = 0.2001 exceeds ≤0.2; cut to 3 digits it would be 0.200 and pass.
        assert judge("0.1994", "≤0.2", rule="guarded", uncertainty="0.0007") is INCONCLUSIVE


def test_many_digits_are_rounded_exactly():
    value = "1" + "0" * 60 + ".5"
    assert gbt8170_round(value, "1") == Decimal("1" + "0" * 60)


@pytest.mark.parametrize("value", [2.675, "abc", "NaN", "Infinity", "", Decimal("NaN"), None])
def test_rounding_rejects_a_value_that_is_not_a_finite_number(value):
    with pytest.raises(ValueError, match="value") as error:
        gbt8170_round(value, "0.01")
    assert repr(value) in str(error.value)


@pytest.mark.parametrize("interval", ["0.3", "0", "-0.1", "0.15", "abc", 0.1, "NaN"])
def test_rounding_rejects_an_interval_that_is_not_1_2_or_5_times_a_power_of_ten(interval):
    with pytest.raises(ValueError, match="interval") as error:
        gbt8170_round("1.23", interval)
    assert repr(interval) in str(error.value)


def test_float_is_refused_with_a_hint_to_use_text():
    with pytest.raises(ValueError, match="浮点数"):
        gbt8170_round(2.675, "0.01")


# --- limits -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "low", "high", "strict_low", "strict_high", "shown"),
    [
        ("≤0.2", "upper", None, "0.2", False, False, "≤0.2"),
        ("<=0.2", "upper", None, "0.2", False, False, "≤0.2"),
        (" ≤ 0.2 ", "upper", None, "0.2", False, False, "≤0.2"),
        ("≦0.2", "upper", None, "0.2", False, False, "≤0.2"),
        ("<0.2", "upper", None, "0.2", False, True, "<0.2"),
        ("＜0.2", "upper", None, "0.2", False, True, "<0.2"),
        ("≥2.9", "lower", "2.9", None, False, False, "≥2.9"),
        (">=2.9", "lower", "2.9", None, False, False, "≥2.9"),
        ("≧２．９", "lower", "2.9", None, False, False, "≥2.9"),
        (">2.9", "lower", "2.9", None, True, False, ">2.9"),
        ("12～18", "range", "12", "18", False, False, "12～18"),
        ("12~18", "range", "12", "18", False, False, "12～18"),
        ("-5～-1", "range", "-5", "-1", False, False, "-5～-1"),
        ("≤0.40", "upper", None, "0.40", False, False, "≤0.40"),
    ],
)
def test_limit_forms(text, kind, low, high, strict_low, strict_high, shown):
    spec = Spec.parse(text)
    assert spec.kind == kind
    assert (spec.low, spec.high) == (
        None if low is None else Decimal(low),
        None if high is None else Decimal(high),
    )
    assert (spec.strict_low, spec.strict_high) == (strict_low, strict_high)
    assert spec.text == shown
    assert spec.judged


def test_the_limits_digits_are_kept_as_written():
    assert str(Spec.parse("≤0.40").high) == "0.40"


@pytest.mark.parametrize("text", ["不得检出", "不得使用"])
def test_must_not_be_detected_keeps_its_wording(text):
    spec = Spec.parse(f" {text} ")
    assert spec.kind is SpecKind.NOT_DETECTED
    assert spec.text == text
    assert spec.default_interval() is None


@pytest.mark.parametrize("text", ["", "/", "  ", "／"])
def test_no_limit_is_not_judged(text):
    spec = Spec.parse(text)
    assert spec.kind is SpecKind.NONE
    assert spec.text == "/"
    assert not spec.judged


@pytest.mark.parametrize(
    "text", ["0.2", "≤", "≤abc", "18～12", "12-18", "≤0.2 mg/kg", "=0.2", "≤0.2≤", "检出", "≤NaN"]
)
def test_a_limit_that_is_not_one_is_refused_by_name(text):
    with pytest.raises(ValueError, match="标准要求") as error:
        Spec.parse(text)
    assert repr(text) in str(error.value)


def test_specs_are_hashable_and_equal_by_value():
    assert Spec.parse("<=0.2") == Spec.parse("≤0.2")
    assert len({Spec.parse("≤0.2"), Spec.parse("<=0.2"), Spec.parse("<0.2")}) == 2


@pytest.mark.parametrize(
    ("text", "interval"),
    [("≥97.0", "0.1"), ("≤0.40", "0.01"), ("≤5", "1"), ("≤1000", "1"), ("12.0～18", "0.1")],
)
def test_default_interval_is_the_limits_last_written_digit(text, interval):
    assert Spec.parse(text).default_interval() == Decimal(interval)


# --- reading what a technician typed ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0.153", "0.153"),
        (" 0.153 ", "0.153"),
        ("1.2e-3", "0.0012"),
        ("０．１５３", "0.153"),
        ("-1.5", "-1.5"),
        ("1.2×10⁴", "12000"),
        ("1.2×10^4", "12000"),
        ("10⁵", "100000"),
        ("5x10^-2", "0.05"),
    ],
)
def test_numbers_are_read_exactly(text, value):
    measured = parse_measured(text)
    assert measured.kind is MeasuredKind.QUANTIFIED
    assert measured.value == Decimal(value)
    assert measured.raw == text


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("未检出", MeasuredKind.NOT_DETECTED),
        ("ND", MeasuredKind.NOT_DETECTED),
        ("nd", MeasuredKind.NOT_DETECTED),
        ("阴性", MeasuredKind.NOT_DETECTED),
        ("检出", MeasuredKind.DETECTED),
        ("阳性", MeasuredKind.DETECTED),
    ],
)
def test_words_are_read(text, kind):
    measured = parse_measured(text)
    assert (measured.kind, measured.value) == (kind, None)


@pytest.mark.parametrize("text", ["<0.005", "＜0.005", "< 0.005"])
def test_below_a_detection_limit_is_not_detected_with_that_limit(text):
    measured = parse_measured(text)
    assert measured.kind is MeasuredKind.NOT_DETECTED
    assert measured.lod == Decimal("0.005")


def test_a_number_below_the_lod_is_not_detected_and_one_at_the_lod_is_detected():
    assert parse_measured("0.004", lod="0.005").kind is MeasuredKind.NOT_DETECTED
    at_lod = parse_measured("0.005", lod="0.005")
    assert (at_lod.kind, at_lod.value) == (MeasuredKind.QUANTIFIED, Decimal("0.005"))


@pytest.mark.parametrize("text", ["abc", "", "1,5", "0.2 mg/kg", "<", "<0", "≤0.005", "NaN", "1 2"])
def test_input_that_is_not_a_result_gets_a_message_a_technician_understands(text):
    with pytest.raises(ValueError) as error:
        parse_measured(text)
    message = str(error.value)
    assert repr(text) in message
    assert "无法识别的检验结果" in message and "未检出/ND" in message


@pytest.mark.parametrize("lod", ["0", "-0.1", "abc", 0.005])
def test_a_bad_lod_is_refused(lod):
    with pytest.raises(ValueError, match="lod"):
        parse_measured("0.1", lod=lod)


# --- judging one result -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("measured", "spec", "verdict"),
    [
        ("0.153", "≤0.2", PASS),
        ("0.2", "≤0.2", PASS),  # equal to the limit meets it
        ("0.201", "≤0.2", FAIL),
        ("0.2", "<0.2", FAIL),  # strict: equal misses
        ("0.199", "<0.2", PASS),
        ("2.9", "≥2.9", PASS),
        ("2.89", "≥2.9", FAIL),
        ("2.9", ">2.9", FAIL),
        ("2.91", ">2.9", PASS),
        ("12", "12～18", PASS),
        ("18", "12～18", PASS),
        ("18.1", "12～18", FAIL),
        ("11.9", "12～18", FAIL),
        ("-3", "-5～-1", PASS),
        ("-0.5", "-5～-1", FAIL),
        ("未检出", "≤0.2", PASS),
        ("<0.005", "<0.01", PASS),
        ("未检出", "不得检出", PASS),
        ("ND", "不得使用", PASS),
        ("阴性", "不得检出", PASS),
        ("0.0003", "不得检出", FAIL),  # any quantified finding fails
        ("检出", "不得检出", FAIL),
        ("阳性", "不得检出", FAIL),
        ("未检出", "≥2.9", FAIL),  # nothing found where a minimum is required
        ("未检出", "12～18", FAIL),
        ("0.5", "/", NOT_JUDGED),
        ("检出", "", NOT_JUDGED),
    ],
)
def test_verdicts_across_limit_forms(measured, spec, verdict):
    assert judge(measured, spec) is verdict
    assert judge(measured, Spec.parse(spec)) is verdict


def test_below_lod_passes_must_not_be_detected_but_at_lod_fails():
    assert judge("0.0003", "不得检出", lod="0.0005") is PASS
    assert judge("0.0005", "不得检出", lod="0.0005") is FAIL


def test_full_value_versus_rounded_value_method():
    # DOMAIN.md's example of GB/T 8170 §4.3: limit ≥97.0 %, measured 96.96.
    assert judge("96.96", "≥97.0") is FAIL
    assert judge("96.96", "≥97.0", method="rounded") is PASS  # 96.96 → 97.0
    assert judge("0.204", "≤0.2", method="rounded") is PASS  # 0.204 → 0.2
    assert judge("0.204", "≤0.2", method="rounded", interval="0.01") is PASS  # → 0.20
    assert judge("0.206", "≤0.2", method="rounded", interval="0.01") is FAIL  # → 0.21


def test_rounded_method_with_a_strict_limit():
    assert judge("0.196", "<0.2") is PASS
    assert judge("0.196", "<0.2", method="rounded") is FAIL  # rounds to 0.2


@pytest.mark.parametrize("measured", ["检出", "阳性"])
@pytest.mark.parametrize("spec", ["≤0.2", "≥2.9", "12～18"])
def test_a_qualitative_detection_cannot_be_judged_against_a_number(measured, spec):
    with pytest.raises(ValueError, match="定性结果") as error:
        judge(measured, spec)
    assert spec in str(error.value)


@pytest.mark.parametrize(
    ("measured", "spec", "verdict"),
    [
        ("0.15", "≤0.2", PASS),  # band 0.13–0.17 wholly inside
        ("0.18", "≤0.2", PASS),  # band ends exactly on the limit: inside
        ("0.19", "≤0.2", INCONCLUSIVE),
        ("0.21", "≤0.2", INCONCLUSIVE),
        ("0.22", "≤0.2", INCONCLUSIVE),  # band starts exactly on a ≤ limit: touches it
        ("0.23", "≤0.2", FAIL),
        ("0.18", "<0.2", INCONCLUSIVE),  # band's end equals a strict limit
        ("0.22", "<0.2", FAIL),  # starts at a strict limit: all of it misses
        ("2.92", ">2.9", INCONCLUSIVE),
        ("2.88", ">2.9", FAIL),  # ends at a strict minimum: all of it misses
        ("2.92", "≥2.9", PASS),
        ("2.87", "≥2.9", FAIL),
        ("15", "12～18", PASS),
        ("12.01", "12～18", INCONCLUSIVE),
        ("11.99", "12～18", INCONCLUSIVE),
        ("18.01", "12～18", INCONCLUSIVE),
        ("11.9", "12～18", FAIL),
        ("18.1", "12～18", FAIL),
        ("18.03", "12～18", FAIL),
        ("未检出", "≤0.2", PASS),  # no band around nothing
        ("0.001", "不得检出", FAIL),
    ],
)
def test_guard_band(measured, spec, verdict):
    assert judge(measured, spec, rule="guarded", uncertainty="0.02") is verdict


def test_guard_band_wider_than_a_range_is_inconclusive():
    assert judge("15", "14～16", rule="guarded", uncertainty="5") is INCONCLUSIVE


@pytest.mark.parametrize("uncertainty", [None, "0", "-0.1", "abc", 0.02])
def test_guarded_rule_needs_a_positive_uncertainty(uncertainty):
    with pytest.raises(ValueError, match="uncertainty"):
        judge("0.1", "≤0.2", rule="guarded", uncertainty=uncertainty)


@pytest.mark.parametrize(("option", "value"), [("method", "half"), ("rule", "strict")])
def test_unknown_method_or_rule_is_refused(option, value):
    with pytest.raises(ValueError, match=value):
        judge("0.1", "≤0.2", **{option: value})


def test_judge_validates_the_result_even_without_a_limit():
    with pytest.raises(ValueError, match="abc"):
        judge("abc", "/")


def test_verdict_values_and_labels():
    assert [v.value for v in Verdict] == ["pass", "fail", "inconclusive", "not_judged"]
    assert [v.label_zh for v in Verdict] == ["合格", "不合格", "不确定", "不判定"]
    assert f"{Verdict.FAIL}" == "fail"


# --- microbiological sampling plans -------------------------------------------------------------

THREE_CLASS = MicroPlan(5, 2, "100", "1000")


@pytest.mark.parametrize(
    ("units", "verdict"),
    [
        (["150", "900", "80", "60", "100"], PASS),  # two in (m, M]
        (["150", "900", "200", "60", "100"], FAIL),  # three in (m, M]
        (["50", "60", "70", "80", "1100"], FAIL),  # one above M
        (["100", "1000", "1000", "<10", "未检出"], PASS),  # equal to m or M lies within
        (["1.5×10^2", "9.0×10^2", "8.0×10^1", "60", "100"], PASS),
    ],
)
def test_three_class_plan(units, verdict):
    assert judge_plan(THREE_CLASS, units) is verdict


@pytest.mark.parametrize(
    ("units", "verdict"),
    [
        (["未检出"] * 5, PASS),
        (["阴性"] * 5, PASS),
        (["未检出"] * 4 + ["检出"], FAIL),
        (["阴性"] * 4 + ["阳性"], FAIL),
    ],
)
def test_pathogen_plan_detected_exceeds_m(units, verdict):
    plan = MicroPlan.parse("n=5,c=0,m=0/25g")
    assert (plan.m, plan.m_value, plan.M) == ("0/25g", Decimal("0"), None)
    assert judge_plan(plan, units) is verdict


def test_two_class_plan_allows_c_units_above_m():
    plan = MicroPlan(5, 1, "50000")
    assert judge_plan(plan, ["60000", "100", "200", "50000", "<10"]) is PASS
    assert judge_plan(plan, ["60000", "100", "200", "50001", "<10"]) is FAIL


def test_qualitative_detection_counts_above_m_but_not_above_a_positive_m():
    assert judge_plan(MicroPlan(5, 1, "100", "1000"), ["检出", "10", "10", "10", "10"]) is PASS
    assert judge_plan(MicroPlan(5, 1, "0", "0"), ["检出", "0", "0", "0", "0"]) is FAIL


def test_plan_text_round_trips():
    plan = MicroPlan(5, 2, "50000", "100000")
    assert plan.text == "n=5,c=2,m=50000,M=100000"
    assert MicroPlan.parse(plan.text) == plan
    assert MicroPlan.parse("n=5，c=2，m=50000，M=100000") == plan
    assert MicroPlan.parse("n=5 c=2 m=50000 M=100000") == plan
    assert MicroPlan.parse("n=5, c=0, m=0/250mL").text == "n=5,c=0,m=0/250mL"


@pytest.mark.parametrize(
    "text",
    ["n=5,c=2", "n=5,c=2,m=100,x=3", "n=5,c=2,m=abc", "n=five,c=2,m=1", "", "n=5,n=5,c=1,m=1"],
)
def test_a_plan_that_is_not_one_is_refused_by_name(text):
    with pytest.raises(ValueError) as error:
        MicroPlan.parse(text)
    assert repr(text) in str(error.value)


@pytest.mark.parametrize(
    ("n", "c", "m", "M"),
    [
        (0, 0, "1", None),
        (5, 6, "1", None),
        (5, -1, "1", None),
        (5, 2, "1000", "100"),
        (5, 2, "-1", None),
        ("5", 2, "1", None),
    ],
)
def test_an_impossible_plan_is_refused(n, c, m, M):
    with pytest.raises(ValueError):
        MicroPlan(n, c, m, M)


def test_the_wrong_number_of_units_is_refused():
    with pytest.raises(ValueError, match="5"):
        judge_plan(THREE_CLASS, ["10", "20", "30", "40"])


def test_a_unit_that_is_not_a_result_is_refused_with_its_position():
    with pytest.raises(ValueError, match="第3个") as error:
        judge_plan(THREE_CLASS, ["10", "20", "many", "40", "50"])
    assert "'many'" in str(error.value)


# --- the sample conclusion --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("verdicts", "conclusion"),
    [
        ([PASS, PASS], "qualified"),
        ([PASS, FAIL, INCONCLUSIVE], "unqualified"),
        ([PASS, INCONCLUSIVE], "inconclusive"),
        ([PASS, NOT_JUDGED], "qualified"),
        ([NOT_JUDGED], "not_judged"),
        ([], "not_judged"),
        (["pass", "fail"], "unqualified"),
    ],
)
def test_conclusion(verdicts, conclusion):
    assert conclude(verdicts) == conclusion
    assert conclusion in CONCLUSION_LABELS_ZH


def test_conclusion_refuses_what_is_not_a_verdict():
    with pytest.raises(ValueError, match="合格"):
        conclude(["pass", "合格"])


# --- report wording -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("measured", "options", "text"),
    [
        ("0.1534", {"interval": "0.01"}, "0.15"),
        ("1.050", {"interval": "0.1"}, "1.0"),
        ("1.2e-7", {}, "0.00000012"),
        ("1.2×10⁴", {}, "12000"),
        ("未检出", {"lod": "0.005", "unit": "mg/kg"}, "未检出(检出限: 0.005 mg/kg)"),
        ("0.003", {"lod": "0.005", "unit": "mg/kg"}, "未检出(检出限: 0.005 mg/kg)"),
        ("<0.005", {"unit": "mg/kg"}, "未检出(检出限: 0.005 mg/kg)"),
        ("<0.005", {}, "未检出(检出限: 0.005)"),
        ("ND", {}, "未检出"),
        ("阴性", {"lod": "0.005"}, "阴性"),
        ("检出", {}, "检出"),
        ("阳性", {}, "阳性"),
    ],
)
def test_reported_text(measured, options, text):
    assert reported_text(measured, **options) == text


def test_conclusion_sentence_when_every_item_complies():
    assert (
        conclusion_sentence([], ["GB 2762-2022", "GB 2763-2021", "GB 2762-2022"])
        == "经抽样检验，所检项目符合GB 2762-2022、GB 2763-2021要求。"
    )


def test_conclusion_sentence_names_the_failed_items_and_their_bases():
    assert (
        conclusion_sentence(
            ["铅(以Pb计)", "克伦特罗", "铅(以Pb计)"], ["GB 2762-2022", "农业农村部公告第250号"]
        )
        == "经抽样检验，铅(以Pb计)、克伦特罗项目不符合GB 2762-2022、农业农村部公告第250号要求，"
        "检验结论为不合格。"
    )


def test_inconclusive_sentence():
    assert inconclusive_sentence(["酸价"], ["GB 2716-2018"]) == (
        "经抽样检验，酸价项目的检验结果在测量不确定度范围内，无法判定是否符合GB 2716-2018要求。"
    )


@pytest.mark.parametrize("typed", ["ＮＤ", "ｎｄ", "ＮＤ "])
def test_full_width_nd_is_not_detected(typed):
    assert parse_measured(typed).kind == "not_detected"
    assert judge(typed, "不得检出") == Verdict.PASS
