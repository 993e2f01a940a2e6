"""labsys.core.inspection: what each inspection type (检验类别) decides, table-driven, and the
rules that must hold for any input (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labsys.core import inspection
from labsys.core.inspection import (
    CHINESE,
    EVALUATION,
    RISK_MONITORING,
    SUPERVISION,
    TYPES,
    conclusion_label,
    decision_rule_for,
    from_text,
    item_label,
    problem_sentence,
    rules,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("监督抽检", SUPERVISION),
        ("风险监测", RISK_MONITORING),
        ("评价性抽检", EVALUATION),
        (" 风险监测 ", RISK_MONITORING),
        ("2026年食品安全风险监测", RISK_MONITORING),
        ("评价抽检", EVALUATION),
        ("supervision", SUPERVISION),
        ("RISK_MONITORING", RISK_MONITORING),
        ("Risk monitoring", RISK_MONITORING),
        ("Evaluative sampling", EVALUATION),
        ("专项抽检", SUPERVISION),  # anything else: the free text's default
        ("", SUPERVISION),
        (None, SUPERVISION),
    ],
)
def test_legacy_text_maps_to_a_type(text, expected):
    assert from_text(text) == expected


@given(st.one_of(st.none(), st.text()))
def test_every_text_maps_to_one_of_the_three_types(text):
    assert from_text(text) in TYPES


@given(st.sampled_from(TYPES))
def test_a_type_and_its_chinese_name_map_to_themselves(kind):
    assert from_text(kind) == kind
    assert from_text(CHINESE[kind]) == kind


# (type, 合格/不合格 wording, retest rights, follow-up, published, risk notice, inconclusive)
RULE_TABLE = [
    (SUPERVISION, True, True, True, True, False, False),
    (RISK_MONITORING, False, False, False, False, True, True),
    (EVALUATION, True, False, False, False, False, True),
]


@pytest.mark.parametrize(
    ("kind", "worded", "retest", "followup", "published", "risk_notice", "inconclusive"),
    RULE_TABLE,
)
def test_what_each_type_decides(
    kind, worded, retest, followup, published, risk_notice, inconclusive
):
    rule = rules(kind)
    assert (
        rule.concludes_qualified,
        rule.retest_rights,
        rule.followup,
        rule.published,
        rule.risk_notice,
        rule.allows_inconclusive,
    ) == (worded, retest, followup, published, risk_notice, inconclusive)


def test_a_sample_without_a_plan_has_the_supervision_rules():
    assert rules(None) == rules(SUPERVISION)


@given(st.sampled_from(TYPES))
def test_rights_publication_and_conclusion_go_together(kind):
    rule = rules(kind)
    # Only a type that concludes 合格/不合格 can publish or give a retest of that conclusion;
    # a type that must conclude never allows an inconclusive verdict.
    assert not rule.published or (rule.concludes_qualified and rule.retest_rights)
    assert not rule.retest_rights or rule.followup
    assert not rule.risk_notice or not rule.concludes_qualified
    assert rule.allows_inconclusive != (kind == SUPERVISION)


@pytest.mark.parametrize(
    ("kind", "rule", "expected"),
    [
        (SUPERVISION, "guarded", "simple"),  # supervision must conclude
        (None, "guarded", "simple"),
        (SUPERVISION, "simple", "simple"),
        (RISK_MONITORING, "guarded", "guarded"),
        (EVALUATION, "guarded", "guarded"),
        (EVALUATION, "simple", "simple"),
    ],
)
def test_the_decision_rule_a_sample_is_judged_by(kind, rule, expected):
    assert decision_rule_for(kind, rule) == expected


@pytest.mark.parametrize(
    ("problems", "bases", "expected"),
    [
        (
            [("铅(以Pb计)", "GB 2762-2022")],
            [],
            "经风险监测检验，铅(以Pb计)项目的检验结果超出参考值（GB 2762-2022），"
            "该样品为问题样品。",
        ),
        (
            [("铅(以Pb计)", "GB 2762-2022"), ("镉(以Cd计)", "GB 2762-2022"), ("苯甲酸", "")],
            [],
            "经风险监测检验，铅(以Pb计)、镉(以Cd计)项目的检验结果超出参考值（GB 2762-2022），"
            "苯甲酸项目的检验结果超出参考值，该样品为问题样品。",
        ),
        (
            [],
            ["GB 2762-2022", "GB 2761-2017", "GB 2762-2022"],
            "经风险监测检验，所检项目的检验结果均未超出参考值（GB 2762-2022、GB 2761-2017）。",
        ),
        ([], [], "经风险监测检验，所检项目的检验结果均未超出参考值。"),
    ],
)
def test_risk_monitoring_wording(problems, bases, expected):
    assert problem_sentence(problems, bases) == expected


# Item names never spell the words the wording must not use (合格, 检验结论): hypothesis
# found an item literally named 检验结论, which says nothing about the template.
NAMES = st.text(
    alphabet=st.characters(blacklist_characters="合格论、（），。", blacklist_categories=("Cs",)),
    min_size=1,
    max_size=12,
).filter(str.strip)


@given(st.lists(st.tuples(NAMES, st.sampled_from(["", "GB 2762-2022", "GB 2763-2021"]))))
def test_risk_monitoring_never_concludes_unqualified(problems):
    sentence = problem_sentence(problems, ["GB 2762-2022"])
    assert "不合格" not in sentence and "检验结论" not in sentence
    assert sentence.endswith("该样品为问题样品。") == bool(problems)
    for item, _basis in problems:
        assert item.strip() in sentence


@given(st.sampled_from(TYPES), st.sampled_from(["pass", "fail", "inconclusive", None]))
def test_item_and_conclusion_labels_follow_the_type(kind, verdict):
    label = item_label(kind, verdict)
    if rules(kind).concludes_qualified:
        assert label == {"pass": "合格", "fail": "不合格", "inconclusive": "不确定"}.get(
            verdict, "—"
        )
    else:
        assert "合格" not in label
    for conclusion in ("qualified", "unqualified"):
        text = conclusion_label(kind, conclusion)
        assert ("合格" in text) == rules(kind).concludes_qualified


def test_risk_monitoring_labels():
    assert item_label(RISK_MONITORING, "fail") == "问题项目"
    assert conclusion_label(RISK_MONITORING, "unqualified") == "问题样品"
    assert conclusion_label(SUPERVISION, "unqualified") == "不合格"
    assert conclusion_label(SUPERVISION, "inconclusive") is None
    assert inspection.CHINESE == {
        SUPERVISION: "监督抽检",
        RISK_MONITORING: "风险监测",
        EVALUATION: "评价性抽检",
    }
