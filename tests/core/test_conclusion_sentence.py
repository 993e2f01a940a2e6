"""The conclusion sentence groups failed items by the standard each fails (issue 11 §4):
"X项目不符合A要求，Y项目不符合B要求，检验结论为不合格。" -- an objection on "标准适用" (SAMR
Order No. 15 Art. 37 *(verify)*) reads which standard each item was judged by."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from labsys.core.judgement import conclusion_sentence

PREFIX, SUFFIX = "经抽样检验，", "，检验结论为不合格。"


def test_items_are_grouped_by_their_basis_in_first_seen_order():
    failures = [
        ("铅(以Pb计)", "GB 2762-2022"),
        ("苯甲酸及其钠盐(以苯甲酸计)", "GB 2760-2024"),
        ("镉(以Cd计)", "GB 2762-2022"),
    ]
    assert conclusion_sentence(failures=failures) == (
        "经抽样检验，铅(以Pb计)、镉(以Cd计)项目不符合GB 2762-2022要求，"
        "苯甲酸及其钠盐(以苯甲酸计)项目不符合GB 2760-2024要求，检验结论为不合格。"
    )


def test_one_basis_reads_as_before():
    assert conclusion_sentence(failures=[("酸价", "GB 2716-2018")]) == (
        "经抽样检验，酸价项目不符合GB 2716-2018要求，检验结论为不合格。"
    )


def test_an_item_failed_twice_is_named_once_and_a_missing_basis_is_not_invented():
    assert conclusion_sentence(failures=[("铅", "GB 2762-2022"), ("铅", " GB 2762-2022 ")]) == (
        "经抽样检验，铅项目不符合GB 2762-2022要求，检验结论为不合格。"
    )
    assert conclusion_sentence(failures=[("感官", "")]) == (
        "经抽样检验，感官项目不符合要求，检验结论为不合格。"
    )


def test_no_failures_falls_back_to_the_qualified_wording():
    assert conclusion_sentence([], ["GB 2762-2022"], failures=[]) == (
        "经抽样检验，所检项目符合GB 2762-2022要求。"
    )


names = st.text(alphabet="铅镉汞砷苯甲酸山梨菌落总数", min_size=1, max_size=6)
bases = st.sampled_from(["GB 2762-2022", "GB 2760-2024", "GB 2763-2021", "GB 29921-2021"])


@given(st.lists(st.tuples(names, bases), min_size=1, max_size=12))
def test_every_failed_item_appears_under_its_own_basis_only(failures):
    sentence = conclusion_sentence(failures=failures)
    assert sentence.startswith(PREFIX) and sentence.endswith(SUFFIX)
    clauses = sentence.removeprefix(PREFIX).removesuffix(SUFFIX).split("，")
    by_basis = {}
    for clause in clauses:
        items, basis = clause.split("项目不符合")
        by_basis[basis.removesuffix("要求")] = items.split("、")
    # every basis once, each clause naming exactly the items that fail that basis
    assert set(by_basis) == {b for _i, b in failures}
    for basis, items in by_basis.items():
        assert items == list(dict.fromkeys(i for i, b in failures if b == basis))
