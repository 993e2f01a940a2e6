"""Inspection types (检验类别) and what each one decides: wording, rights, publication.

SAMR Order No. 15 (2019, 《食品安全抽样检验管理办法》) Art. 2 names three kinds of sampling
inspection a market regulator runs *(verify the article number)*:

- ``supervision`` (监督抽检): judged against the food-safety standards, concludes 合格/不合格;
  the sampled unit and the labelled producer may apply for a retest (复检, Arts. 30-36) and
  object (异议, Arts. 37-39); unqualified results are followed up (核查处置, Art. 45) and
  published (Art. 40 *(verify)*).
- ``risk_monitoring`` (风险监测): results go to the regulator's risk analysis; a result beyond
  its reference value (参考值) makes a problem item (问题项目) and a problem sample (问题样品),
  never "检验结论为不合格"; no retest, no objection procedure, no publication (the risk
  monitoring rules apply instead: 《食品安全风险监测管理规定》 *(verify)*).
- ``evaluation`` (评价性抽检): assesses the safety of a market as a whole; judged against the
  standards, but without the supervision's retest rights or publication *(verify)*.

A city's published monitoring figure (such as Beijing's key-food 98.89 %) counts all three;
a supervision pass rate counts supervision only.

Pure Python: the models' ``InspectionType`` enum and the services read these rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

SUPERVISION = "supervision"
RISK_MONITORING = "risk_monitoring"
EVALUATION = "evaluation"
TYPES = (SUPERVISION, RISK_MONITORING, EVALUATION)

# As printed on the report (检验类别) and stored before the enum (migration 0020).
CHINESE = {SUPERVISION: "监督抽检", RISK_MONITORING: "风险监测", EVALUATION: "评价性抽检"}


@dataclass(frozen=True)
class TypeRules:
    """What an inspection type decides."""

    # 合格/不合格 wording; False: 问题样品/问题项目 against reference values.
    concludes_qualified: bool
    # The sampled unit and producer may apply for a retest and object (Arts. 30-39).
    retest_rights: bool
    # Unqualified results get the follow-up and its deadlines (notice, retest, disposal).
    followup: bool
    # Unqualified products appear in the published announcement table.
    published: bool
    # Problems go to the regulator's risk notice list instead of the announcement.
    risk_notice: bool
    # The guarded (inconclusive) decision rule may be used: supervision must conclude.
    allows_inconclusive: bool


RULES: dict[str, TypeRules] = {
    SUPERVISION: TypeRules(
        concludes_qualified=True,
        retest_rights=True,
        followup=True,
        published=True,
        risk_notice=False,
        allows_inconclusive=False,
    ),
    RISK_MONITORING: TypeRules(
        concludes_qualified=False,
        retest_rights=False,
        followup=False,
        published=False,
        risk_notice=True,
        allows_inconclusive=True,
    ),
    EVALUATION: TypeRules(
        concludes_qualified=True,
        retest_rights=False,
        followup=False,
        published=False,
        risk_notice=False,
        allows_inconclusive=True,
    ),
}


def rules(kind: str | None) -> TypeRules:
    """The rules of ``kind``; a sample without a plan (``None``) is handled as supervision,
    the type that gives the producer the most rights."""
    return RULES[kind or SUPERVISION]


def from_text(text: str | None) -> str:
    """The type of a legacy free-text 检验类别 (the data migration's mapping).

    The three Chinese names and the English values map to themselves; anything naming risk
    monitoring (风险监测) or evaluation (评价) maps there; everything else, blank included, is
    supervision, the default the free text had.
    """
    value = (text or "").strip()
    lowered = value.lower()
    if lowered in TYPES:
        return lowered
    if "风险监测" in value or lowered.startswith("risk"):
        return RISK_MONITORING
    if "评价" in value or lowered.startswith("evaluat"):
        return EVALUATION
    return SUPERVISION


def decision_rule_for(kind: str | None, rule: str) -> str:
    """The decision rule a sample of ``kind`` is judged by, given the catalog's ``rule``
    ("simple" or "guarded").  Supervision must conclude 合格/不合格 (the conclusion carries
    the retest and publication): its samples are judged by simple acceptance, the Chinese
    practice; the guard band (which may leave a result inconclusive) applies to the other
    types only."""
    if rule == "guarded" and not rules(kind).allows_inconclusive:
        return "simple"
    return rule


# --- wording ---------------------------------------------------------------------------------


def _distinct(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(n.strip() for n in names if n and n.strip()))


def problem_sentence(problems: Iterable[tuple[str, str]] = (), bases: Iterable[str] = ()) -> str:
    """A risk-monitoring sample's wording: its problem items (问题项目) against their
    reference values (参考值), grouped by the basis they were compared with; with none,
    that no result exceeded its reference value.  Never a 合格/不合格 conclusion.

    ``problems``: (item, basis) pairs of the items beyond their reference value;
    ``bases``: the bases of all items (named when there is no problem).
    """
    by_basis: dict[str, list[str]] = {}
    for item, basis in problems:
        if item and item.strip():
            by_basis.setdefault((basis or "").strip(), []).append(item)
    if not by_basis:
        basis = "、".join(_distinct(bases))
        where = f"（{basis}）" if basis else ""
        return f"经风险监测检验，所检项目的检验结果均未超出参考值{where}。"
    parts = [
        f"{'、'.join(_distinct(items))}项目的检验结果超出参考值" + (f"（{basis}）" if basis else "")
        for basis, items in by_basis.items()
    ]
    return f"经风险监测检验，{'，'.join(parts)}，该样品为问题样品。"


# 单项判定 as printed, per type: a risk-monitoring item is a problem item or within its
# reference value, never 合格/不合格.
ITEM_LABELS = {
    True: {"pass": "合格", "fail": "不合格", "inconclusive": "不确定"},
    False: {"pass": "未超出参考值", "fail": "问题项目", "inconclusive": "不确定"},
}


def item_label(kind: str | None, verdict: str | None) -> str:
    """单项判定 of an item with ``verdict`` (pass/fail/inconclusive) under ``kind``; "—"
    without a verdict (or not judged)."""
    return ITEM_LABELS[rules(kind).concludes_qualified].get(verdict or "", "—")


# The sample's conclusion as shown in lists, per type (qualified/unqualified stored alike).
CONCLUSION_LABELS = {
    True: {"qualified": "合格", "unqualified": "不合格"},
    False: {"qualified": "未发现问题", "unqualified": "问题样品"},
}


def conclusion_label(kind: str | None, conclusion: str | None) -> str | None:
    """合格/不合格, or for risk monitoring 未发现问题/问题样品; None for other conclusions."""
    return CONCLUSION_LABELS[rules(kind).concludes_qualified].get(conclusion or "")
