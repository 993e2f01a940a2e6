"""The sampling form's coded fields (labsys/core/form_fields.py): standard numbers, the SC
licence number, money."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labsys.core.form_fields import (
    licence_problem,
    normalize_licence,
    normalize_standard,
    normalize_standards,
    parse_money,
    split_standards,
    standard_problem,
)

PRINTED = [
    "GB 2760-2024",
    "GB/T 1355-2021",
    "GB/Z 21922-2008",
    "GB 5009.12-2023",
    "NY/T 1234-2006",
    "SB/T 10416-2007",
    "NY 5073-2006",
    "DB11/T 1234-2015",
    "DBS11/ 002-2016",
    "T/CCAA 0001-2020",
    "Q/WDL 0001S-2020",
    "Q/BJ01 0001S-2019",
]


@pytest.mark.parametrize("code", PRINTED)
def test_printed_standard_numbers_are_accepted_as_they_are(code):
    assert normalize_standard(code) == code
    assert standard_problem(code, latest_year=2026) is None


@pytest.mark.parametrize(
    ("typed", "printed"),
    [
        ("gb／t1355—2021", "GB/T 1355-2021"),
        ("GB  2760 - 2024", "GB 2760-2024"),
        ("Ｑ／ＷＤＬ０００１Ｓ－２０２０", "Q/WDL 0001S-2020"),
        ("t/ccaa 0001-2020", "T/CCAA 0001-2020"),
    ],
)
def test_typed_variants_are_normalised(typed, printed):
    assert normalize_standard(typed) == printed
    assert standard_problem(typed, latest_year=2026) is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("GB 2760", "form"),  # no edition year
        ("GB 2760-24", "form"),  # two-digit year
        ("2760-2024", "form"),  # no code
        ("国标2760-2024", "form"),
        ("GB 2760-2099", "year"),
        ("GB 2760-1900", "year"),
        ('=HYPERLINK("x")', "form"),
        ("<b>GB 2760-2024</b>", "form"),
    ],
)
def test_malformed_standard_numbers_are_refused(text, problem):
    assert standard_problem(text, latest_year=2026) == problem


def test_a_form_lists_several_standards_or_none():
    assert split_standards("/") == [] and split_standards("  ") == []
    assert normalize_standards("gb 2760-2024，GB/T1355-2021; Q/WDL 0001S-2020") == (
        "GB 2760-2024、GB/T 1355-2021、Q/WDL 0001S-2020"
    )


@given(
    code=st.sampled_from(["GB", "GB/T", "NY/T", "DB11/T", "T/CCAA", "Q/WDL"]),
    parts=st.lists(st.integers(0, 99999), min_size=1, max_size=3),
    year=st.integers(1950, 2027),
    spaces=st.sampled_from(["", " ", "  "]),
    dash=st.sampled_from(["-", "—", "－", " - "]),
)
def test_normalising_is_idempotent_and_keeps_the_edition(code, parts, year, spaces, dash):
    number = ".".join(str(p) for p in parts)
    typed = f"{code.lower()}{spaces}{number}{dash}{year}"
    printed = normalize_standard(typed)
    assert normalize_standard(printed) == printed
    assert printed.endswith(f"-{year}")
    assert standard_problem(typed, latest_year=2027) is None


@given(st.text(max_size=40))
def test_any_text_gets_an_answer_never_an_error(text):
    problem = standard_problem(text, latest_year=2026)
    assert problem in (None, "form", "year")
    assert licence_problem(text) in (None, "form", "qs")


@pytest.mark.parametrize("code", ["SC10111010500017", "SC20111010500016", "sc 1011 1010 5000 17"])
def test_sc_licence_numbers(code):
    assert licence_problem(code) is None
    assert normalize_licence(code).startswith("SC") and len(normalize_licence(code)) == 16


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("QS110101010001", "qs"),  # expired on 2018-10-01
        ("SC1011101050001", "form"),  # 13 digits
        ("SC101110105000177", "form"),  # 15 digits
        ("SC30111010500017", "form"),  # neither food (1) nor additive (2)
        ("JY11101050001234", "form"),  # a business (经营) licence is not a production licence
    ],
)
def test_other_licence_numbers_are_refused(code, problem):
    assert licence_problem(code) == problem


@given(digits=st.text("0123456789", min_size=13, max_size=13), kind=st.sampled_from("12"))
def test_every_sc_form_is_accepted(digits, kind):
    assert licence_problem(f"SC{kind}{digits}") is None


@pytest.mark.parametrize(
    ("text", "value"),
    [("12.5", Decimal("12.5")), ("￥1,200.00", Decimal("1200.00")), ("0", Decimal("0"))],
)
def test_money(text, value):
    assert parse_money(text) == value


@pytest.mark.parametrize("text", ["-1", "1.005", "abc", "NaN", "Infinity", "1e9", ""])
def test_bad_money(text):
    assert parse_money(text) is None
