"""Tests for labsys.core.identifiers: the unified social credit code (GB 32100-2015)."""

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from labsys.core.identifiers import (
    USCC_CHARSET,
    UsccProblem,
    check_uscc,
    is_valid_uscc,
    normalize_uscc,
    uscc_check_char,
    uscc_problem,
)

VALID = "9144030071526726XG"  # the example in DOMAIN.md


def test_the_documented_example_is_valid():
    assert is_valid_uscc(VALID)
    assert check_uscc(VALID) is None
    assert uscc_problem(VALID) is None
    assert uscc_check_char(VALID[:17]) == "G"


def test_charset_has_31_characters_without_i_o_z_s_v():
    assert len(USCC_CHARSET) == len(set(USCC_CHARSET)) == 31
    assert not set("IOZSV") & set(USCC_CHARSET)


@pytest.mark.parametrize("position", range(18))
def test_every_single_character_substitution_is_invalid(position):
    for char in USCC_CHARSET:
        if char == VALID[position]:
            continue
        mutated = VALID[:position] + char + VALID[position + 1 :]
        assert not is_valid_uscc(mutated), mutated


# --- precise messages ------------------------------------------------------------


def test_wrong_length_message():
    assert check_uscc(VALID[:17]) == UsccProblem(kind="length", length=17)
    assert uscc_problem(VALID[:17]) == "统一社会信用代码应为18位，实际为17位"
    assert uscc_problem(VALID + "1") == "统一社会信用代码应为18位，实际为19位"
    assert uscc_problem("") == "统一社会信用代码应为18位，实际为0位"


def test_excluded_letter_message():
    code = "9144I30071526726XG"
    assert check_uscc(code) == UsccProblem(kind="character", position=5, char="I")
    assert uscc_problem(code) == "第5位字符“I”不允许（统一社会信用代码不使用 I、O、Z、S、V）"


def test_excluded_letter_in_lowercase_is_named_in_uppercase():
    assert check_uscc("9144o30071526726XG") == UsccProblem(kind="character", position=5, char="O")


def test_other_illegal_character_message():
    code = "91440300-1526726XG"
    assert check_uscc(code) == UsccProblem(kind="character", position=9, char="-")
    assert uscc_problem(code) == (
        "第9位字符“-”不允许（只能使用数字 0–9 和除 I、O、Z、S、V 以外的大写英文字母）"
    )


def test_invisible_character_is_shown_as_code_point():
    problem = uscc_problem("91440300\t1526726XG")
    assert problem is not None
    assert problem.startswith("第9位字符“U+0009”不允许")


def test_first_illegal_character_is_reported():
    assert check_uscc("9144I3007152672OXG").position == 5


def test_wrong_check_character_message():
    code = "9144030071526726XX"
    assert check_uscc(code) == UsccProblem(kind="check", expected="G", actual="X")
    assert uscc_problem(code) == "校验码应为“G”，实际为“X”"


def test_length_is_reported_before_characters():
    assert check_uscc("IIII").kind == "length"


# --- lenient input ------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "9144030071526726xg",
        "  9144030071526726XG\n",
        "\u30009144030071526726XG\u3000",  # ideographic spaces
        "９１４４０３００７１５２６７２６ＸＧ",  # full-width, as typed with a Chinese IME
    ],
)
def test_lenient_forms_are_valid(code):
    assert normalize_uscc(code) == VALID
    assert is_valid_uscc(code)


def test_inner_whitespace_is_not_removed():
    assert check_uscc("91440300 71526726XG").kind == "length"


def test_non_ascii_letters_are_not_upper_cased_into_other_lengths():
    # "ß".upper() is "SS"; the code must keep its length and report the character.
    code = "914403007152672ßXG"
    assert check_uscc(code) == UsccProblem(kind="character", position=16, char="ß")


def test_non_strings_are_refused():
    with pytest.raises(TypeError):
        is_valid_uscc(None)
    with pytest.raises(TypeError):
        is_valid_uscc(914403007152672)


def test_check_char_is_strict():
    with pytest.raises(ValueError):
        uscc_check_char(VALID[:16])
    with pytest.raises(ValueError):
        uscc_check_char("9144I300715267260")
    with pytest.raises(ValueError):
        uscc_check_char(VALID[:17].lower())


# --- properties ---------------------------------------------------------------------

bodies = st.text(alphabet=USCC_CHARSET, min_size=17, max_size=17)


@given(bodies)
def test_generated_codes_are_valid(body):
    code = body + uscc_check_char(body)
    assert is_valid_uscc(code)
    assert is_valid_uscc(code.lower())


@given(bodies, st.integers(min_value=0, max_value=17), st.sampled_from(USCC_CHARSET))
def test_generated_codes_detect_any_substitution(body, position, char):
    code = body + uscc_check_char(body)
    assume(code[position] != char)
    mutated = code[:position] + char + code[position + 1 :]
    assert check_uscc(mutated).kind == "check"


@given(bodies, st.integers(min_value=0, max_value=15))
def test_generated_codes_detect_adjacent_transpositions(body, position):
    # Adjacent weights differ mod 31 (a prime), so swapping two different
    # characters among the first 17 always changes the check character.
    assume(body[position] != body[position + 1])
    code = body + uscc_check_char(body)
    swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
    assert not is_valid_uscc(swapped)


@given(st.text(max_size=30))
def test_any_text_gets_a_verdict_and_a_message(text):
    problem = uscc_problem(text)
    assert (problem is None) == is_valid_uscc(text)
    if problem is not None:
        assert problem
