"""The sentence a report's conclusion carries when it comes from a retest (复检, SAMR Order
No. 15 (2019) Art. 35 *(verify)*): the retest lab, the day of its report, and whether the
initial unqualified conclusion was upheld (issue 12, residual 2)."""

from __future__ import annotations

from labsys.core.judgement import RETEST_ARTICLE, retest_sentence

BY = "经复检（复检机构：复检所乙，复检报告日期：2026-03-20）"
FINAL = f"（依据{RETEST_ARTICLE}，以复检结论为准）"


def test_a_retest_that_does_not_uphold_names_the_initial_failures_by_basis():
    failures = [("镉(以Cd计)", "GB 2762-2022"), ("苯甲酸", "GB 2760-2024"), ("铅", "GB 2762-2022")]
    assert retest_sentence("复检所乙", "2026-03-20", upheld=False, failures=failures) == (
        f"{BY}，检验结论为合格，初检镉(以Cd计)、铅项目不符合GB 2762-2022要求，"
        f"苯甲酸项目不符合GB 2760-2024要求的结论未予维持{FINAL}。"
    )


def test_without_named_failures_the_initial_conclusion_is_still_named():
    assert retest_sentence("复检所乙", "2026-03-20", upheld=False) == (
        f"{BY}，检验结论为合格，初检不合格的结论未予维持{FINAL}。"
    )


def test_a_confirming_retest_upholds_the_initial_conclusion():
    assert retest_sentence("复检所乙", "2026-03-20", upheld=True, failures=[("铅", "x")]) == (
        f"{BY}，复检结论为不合格，维持初检结论{FINAL}。"
    )
    assert "第三十五条" in RETEST_ARTICLE
