"""The weekly risk briefing (风险预警简报, issue 17 §4): what the PDF and the spreadsheet show.

One :class:`BriefingData` per week (the seven days ending on the day asked for): the top
risk signals (``services.risk``, as of that day), the recorded grades by letter, the grade changes recorded that week, the enterprises of highest
risk by today's rules, those to visit, and the draft plan proposals.  Nothing is written.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from labsys.core import clock, grades
from labsys.models import Enterprise, GradeChange, PlanProposal, ProposalStatus
from labsys.services import exports, grading, risk

TOP = 20
SIGNALS = 15
SCOPE_NAMES = {
    "category": "食品类别",
    "district": "行政区",
    "district_category": "行政区×食品类别",
    "link": "抽样环节",
    "producer": "标称生产者",
    "unit": "被抽样单位",
    "test_item": "检验项目",
}


@dataclass(frozen=True)
class SignalRow:
    scope: str  # in Chinese
    name: str
    samples: int
    unqualified: int
    score: float
    reason: str


@dataclass(frozen=True)
class ChangeRow:
    name: str
    previous: str
    grade: str
    graded_on: date
    reason: str


@dataclass
class BriefingData:
    lab_name: str
    week_start: date
    week_end: date
    counts: dict[str, int]  # recorded grade -> enterprises ("" for not graded)
    changes: list[ChangeRow] = field(default_factory=list)
    top: list[grading.GradeRow] = field(default_factory=list)
    visits: list[grading.GradeRow] = field(default_factory=list)
    proposals: list[PlanProposal] = field(default_factory=list)
    signals: list[SignalRow] = field(default_factory=list)


def top_signals(session: Session, day: date, limit: int = SIGNALS) -> list[SignalRow]:
    """The signalled scopes as of ``day``, highest score first."""
    found = risk.compute_signals(session, risk.Settings.from_config(current_app.config), today=day)
    return [
        SignalRow(
            scope=SCOPE_NAMES.get(s.scope, s.scope),
            name=s.name,
            samples=s.samples,
            unqualified=s.unqualified,
            score=s.score,
            reason=s.reason,
        )
        for s in risk.signalled(found)[:limit]
    ]


def briefing_data(session: Session, lab_name: str, day: date | None = None) -> BriefingData:
    day = day or clock.today()
    start = day - timedelta(days=6)
    counts = Counter((g.value if g else "") for g in session.scalars(select(Enterprise.risk_grade)))
    window = grading.rules(session).window_months
    changes = [
        ChangeRow(
            name=c.enterprise.name,
            previous=c.previous_grade.value if c.previous_grade else "",
            grade=c.grade.value,
            graded_on=c.graded_on,
            reason=grading.change_reason(c, window),
        )
        for c in session.scalars(
            select(GradeChange)
            .options(selectinload(GradeChange.enterprise))
            .where(GradeChange.graded_on >= start, GradeChange.graded_on <= day)
            .order_by(GradeChange.id)
        )
        if grading.is_change(c)  # a first grading confirming the register's grade is none
    ]
    changes.sort(key=lambda c: (grades.order_key(c.grade), c.name))
    rows = grading.grade_rows(session, day)
    visits = [
        r
        for r in rows
        if r.grade in ("C", "D")
        and (r.months_since_sampled is None or r.months_since_sampled >= grading.VISIT_AFTER_MONTHS)
    ]
    drafts = list(
        session.scalars(
            select(PlanProposal)
            .where(PlanProposal.status == ProposalStatus.DRAFT)
            .order_by(PlanProposal.id.desc())
            .limit(10)
        )
    )
    return BriefingData(
        lab_name=lab_name,
        week_start=start,
        week_end=day,
        counts={g: counts.get(g, 0) for g in (*grades.GRADES, "")},
        changes=changes[:100],
        top=rows[:TOP],
        visits=visits[:TOP],
        proposals=drafts,
        signals=top_signals(session, day),
    )


XLSX_HEADER = ["部分", "企业/名称", "等级", "分值/数量", "说明"]


def xlsx_rows(data: BriefingData) -> list[list]:
    """The briefing as rows of one sheet (section, name, grade, number, detail)."""
    rows: list[list] = []
    for sig in data.signals:
        rows.append(
            [
                "风险信号",
                f"{sig.scope}：{sig.name}",
                "",
                sig.score,
                f"{sig.unqualified}/{sig.samples}；{sig.reason}",
            ]
        )
    for letter in (*grades.GRADES, ""):
        rows.append(["等级分布", "", letter or "未分级", data.counts[letter], ""])
    for c in data.changes:
        rows.append(["本周等级变化", c.name, f"{c.previous or '—'}→{c.grade}", "", c.reason])
    for r in data.top:
        rows.append(["高风险企业", r.name, r.grade, str(r.score), r.reason])
    for r in data.visits:
        rows.append(["建议检查", r.name, r.grade, str(r.score), r.reason])
    for p in data.proposals:
        rows.append(
            [
                "待采纳的计划建议",
                p.name,
                "",
                p.total,
                f"{p.period_start.isoformat()} 至 {p.period_end.isoformat()}",
            ]
        )
    return rows


def briefing_pdf(session: Session, lab_name: str, day: date | None = None, font_path=None):
    """The briefing as PDF bytes (a BytesIO)."""
    from labsys.pdf.briefing import RiskBriefing

    return RiskBriefing(briefing_data(session, lab_name, day), font_path).build()


def briefing_xlsx(session: Session, target, lab_name: str, day: date | None = None) -> None:
    """The briefing as a one-sheet workbook written to ``target`` (a path or a file); text
    that a spreadsheet would run as a formula is stored as a string cell
    (``exports.write_xlsx``)."""
    data = briefing_data(session, lab_name, day)
    exports.write_xlsx(
        target,
        XLSX_HEADER,
        xlsx_rows(data),
        title="风险预警简报",
        preamble=[
            [f"风险预警简报　{data.lab_name}"],
            [f"{data.week_start.isoformat()} 至 {data.week_end.isoformat()}"],
        ],
        widths=[16, 40, 10, 12, 80],
    )
