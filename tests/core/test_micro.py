"""Colony counts by GB 4789.2 (reporting) and GB 4789.1 (plans), judged on reported values."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labsys.core.judgement import Verdict, parse_measured
from labsys.core.micro import (
    ColonyKind,
    colony_count_text,
    judge_colony_count,
    judge_colony_plan,
    parse_colony_count,
)

relaxed = settings(deadline=None)


@pytest.mark.parametrize(
    ("count", "text"),
    [
        # GB 4789.2 §7.2.1 *(verify)*: below 100, an integer rounded half up.
        (0, "<10"),
        (1, "1"),
        (Decimal("23.5"), "24"),  # half up (GB/T 8170 would give 24 too: 23.5 → even 24)
        (Decimal("24.5"), "25"),  # half up, where GB/T 8170's half-even would give 24
        (99, "99"),
        # §7.2.2 *(verify)*: from 100, two significant figures rounded half up, 10ⁿ form.
        (Decimal("99.5"), "1.0×10²"),
        (100, "1.0×10²"),
        (164, "1.6×10²"),
        (2450, "2.5×10³"),  # half up; half-even would give 2.4×10³
        (16400, "1.6×10⁴"),  # the standard's worked examples *(verify)*: 164 × 10² = 16400
        (37750, "3.8×10⁴"),  # (46000 + 29500) / 2
        (27100, "2.7×10⁴"),
        (93672, "9.4×10⁴"),
        (9950, "1.0×10⁴"),
        (313000, "3.1×10⁵"),
        ("93672", "9.4×10⁴"),
    ],
)
def test_colony_count_text(count, text):
    assert colony_count_text(count) == text


def test_no_growth_is_less_than_one_times_the_lowest_dilution():
    # §7.1.5 *(verify)*: "<1 × lowest dilution", never 未检出.
    assert colony_count_text(0, lowest_dilution=10) == "<10"
    assert colony_count_text(0, lowest_dilution=1) == "<1"
    assert colony_count_text(0, lowest_dilution=100) == "<100"
    assert "未检出" not in colony_count_text(0)


@pytest.mark.parametrize("bad", [-1, "-5", "abc", "", None, 1.5, True, "Infinity", "NaN"])
def test_negative_or_non_numeric_counts_are_refused(bad):
    with pytest.raises(ValueError):
        colony_count_text(bad)


@pytest.mark.parametrize(
    ("typed", "kind", "text"),
    [
        ("93672", ColonyKind.COUNTED, "9.4×10⁴"),
        ("9.4×10^4", ColonyKind.COUNTED, "9.4×10⁴"),
        ("9.4x10⁴", ColonyKind.COUNTED, "9.4×10⁴"),
        ("9.4X10^4", ColonyKind.COUNTED, "9.4×10⁴"),
        ("9.4E4", ColonyKind.COUNTED, "9.4×10⁴"),
        ("３ CFU/g", ColonyKind.COUNTED, "3"),
        ("  57 ", ColonyKind.COUNTED, "57"),
        ("<10", ColonyKind.NO_GROWTH, "<10"),
        ("<1×10", ColonyKind.NO_GROWTH, "<10"),
        ("＜１", ColonyKind.NO_GROWTH, "<1"),
        ("0", ColonyKind.NO_GROWTH, "<10"),
        ("多不可计", ColonyKind.TOO_NUMEROUS, "多不可计"),
        ("TNTC", ColonyKind.TOO_NUMEROUS, "多不可计"),
    ],
)
def test_what_a_technician_types(typed, kind, text):
    reading = parse_colony_count(typed)
    assert (reading.kind, reading.text) == (kind, text)


def test_zero_uses_the_lowest_dilution_given():
    assert parse_colony_count("0", lowest_dilution=1).text == "<1"


@pytest.mark.parametrize("bad", ["未检出", "abc", "-3", "<0", "<", "9.4×", "1,000", "检出"])
def test_entries_that_are_not_counts_get_a_clear_error(bad):
    with pytest.raises(ValueError, match="菌落数|colony count|negative"):
        parse_colony_count(bad)


counts = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)


@relaxed
@given(counts)
def test_a_report_reads_back_as_its_own_value(count):
    text = colony_count_text(count)
    again = parse_colony_count(text)
    assert again.text == text
    if again.kind is ColonyKind.COUNTED:
        # within half a unit of the second figure (half up), and two figures from 100 on
        assert abs(again.value - count) <= Decimal(10) ** max(count.adjusted() - 1, 0) / 2
        assert again.value < 100 or len(again.value.normalize().as_tuple().digits) <= 2


@relaxed
@given(counts, counts)
def test_reporting_is_monotonic(a, b):
    low, high = sorted((a, b))
    low_reading, high_reading = parse_colony_count(str(low)), parse_colony_count(str(high))
    low_value = low_reading.value if low_reading.kind is ColonyKind.COUNTED else 0
    high_value = high_reading.value if high_reading.kind is ColonyKind.COUNTED else 0
    assert low_value <= high_value


def test_the_printed_count_parses_as_a_plain_result_too():
    # reports and exports print "9.4×10⁴": the general parser reads it as 94000
    assert parse_measured("9.4×10⁴").value == 94000


# --- judging on reported values (GB 4789.1 plans) -------------------------------------------------

PLAN = "n=5,c=2,m=100,M=1000"


@pytest.mark.parametrize(
    ("units", "verdict"),
    [
        # DOMAIN.md's GB 4789.1 examples, typed as colony counts.
        (["150", "900", "80", "60", "100"], Verdict.PASS),
        (["150", "900", "200", "60", "100"], Verdict.FAIL),
        (["50", "60", "70", "80", "1100"], Verdict.FAIL),
        # Judged on reported values: 1049 reports 1.0×10³ = M (within M); 1050 reports 1.1×10³.
        (["1049", "<10", "<10", "<10", "<10"], Verdict.PASS),
        (["1050", "<10", "<10", "<10", "<10"], Verdict.FAIL),
        # 104 reports 1.0×10² = m: within m, so three such units pass a c=2 plan.
        (["104", "104", "104", "<10", "<10"], Verdict.PASS),
        (["多不可计", "<10", "<10", "<10", "<10"], Verdict.FAIL),
    ],
)
def test_plans_are_judged_on_reported_values(units, verdict):
    assert judge_colony_plan(PLAN, units) is verdict


def test_too_numerous_exceeds_m_in_a_two_class_plan():
    assert judge_colony_plan("n=5,c=0,m=100", ["多不可计", "1", "1", "1", "1"]) is Verdict.FAIL


def test_a_plan_needs_n_counts_and_names_a_bad_unit():
    with pytest.raises(ValueError, match="5"):
        judge_colony_plan(PLAN, ["1", "2"])
    with pytest.raises(ValueError, match="unit 3"):
        judge_colony_plan(PLAN, ["1", "2", "未检出", "4", "5"])


@pytest.mark.parametrize(
    ("typed", "limit", "verdict"),
    [
        ("20", "≤20", Verdict.PASS),
        ("20.4", "≤20", Verdict.PASS),  # reported 20: judged as reported
        ("20.5", "≤20", Verdict.FAIL),  # reported 21 (half up)
        ("<10", "≤20", Verdict.PASS),
        ("多不可计", "≤20", Verdict.FAIL),
        ("1.0×10^6", "≥1000000", Verdict.PASS),
        ("995000", "≥1000000", Verdict.PASS),  # reported 1.0×10⁶
        ("<10", "≥1000000", Verdict.FAIL),
        ("多不可计", "/", Verdict.NOT_JUDGED),
    ],
)
def test_a_count_against_a_limit(typed, limit, verdict):
    assert judge_colony_count(typed, limit) is verdict


def test_too_numerous_cannot_meet_a_minimum():
    with pytest.raises(ValueError, match="多不可计"):
        judge_colony_count("多不可计", "≥1000000")
