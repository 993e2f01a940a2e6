"""The pure rules of free-text search (labsys.core.search), property-tested."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from labsys.core import search

# Characters that are special somewhere: LIKE (% _ \), FTS5 (" * : ^ - { } ( )), regex,
# plus ASCII of both cases and Chinese.
ALPHABET = st.sampled_from(list('%_\\"*:^-{}()aAbBzZ 0米麦粉牛奶茶'))
TEXTS = st.text(ALPHABET, max_size=12)


def like_matches(pattern: str, text: str) -> bool:
    """A LIKE evaluator (escape ``\\``, ASCII case ignored as SQLite's LIKE does)."""
    fold = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
    regex, chars = [], iter(pattern.translate(fold))
    for char in chars:
        if char == "\\":
            regex.append(re.escape(next(chars)))
        elif char == "%":
            regex.append(".*")
        elif char == "_":
            regex.append(".")
        else:
            regex.append(re.escape(char))
    return re.fullmatch("".join(regex), text.translate(fold), re.S) is not None


def fts_unquote(phrase: str) -> str:
    assert phrase.startswith('"') and phrase.endswith('"')
    inner = phrase[1:-1]
    assert '"' not in inner.replace('""', "")  # every inner quote is doubled
    return inner.replace('""', '"')


@given(TEXTS, TEXTS)
def test_the_like_pattern_matches_exactly_the_texts_containing_the_query(text, q):
    q = search.clean(q)
    if q:
        assert like_matches(search.like_pattern(q), text) == search.contains(text, q)


@given(TEXTS)
def test_the_fts_phrase_is_the_query_quoted(q):
    assert fts_unquote(search.fts_phrase(q)) == q


@given(TEXTS)
def test_short_queries_are_not_indexed(q):
    assert search.indexed(q) == (len(q) >= 3)


@given(TEXTS, TEXTS)
def test_a_caseless_query_matches_case_sensitively_the_same_texts(text, q):
    q = search.clean(q)
    if q and search.caseless(q):
        assert search.contains(text, q) == (q in text)


def test_the_rule():
    assert search.contains("特一级小麦粉", "小麦")
    assert search.contains("Apple Juice", "aPPLE j")
    assert search.contains("100%橙汁", "%橙")
    assert not search.contains("100橙汁", "%橙")
    assert not search.contains("axb", "a_b")
    assert search.contains("a_b", "a_b")
    assert search.contains("C:\\x", "\\")
    assert not search.contains("小麦粉", "   ")  # a blank query is no search
    assert not search.contains(None, "米")
    assert search.contains("小麦粉", " 麦 ")  # surrounding blanks dropped
    assert search.clean("  牛奶 ") == "牛奶"
    assert search.caseless("小麦粉 100%") and not search.caseless("小麦粉A")
