"""Risk-based plan proposals (issue 17 §3): quotas per category × district from the stored
history (``labsys.core.proposals``), a draft a supervisor edits and accepts into a real plan,
the enterprises to visit, and the backtest.

The history is read from the pass-rate rollups (``sample_rollups``: counted batches per month,
category and district), so a proposal costs a few grouped queries at any volume.  The cells
are the categories of the chosen level that the catalog holds × the districts that took
batches in the look-back window (the category alone when none did).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any, cast

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from labsys.core import clock, grades
from labsys.core import proposals as rules
from labsys.core.proposals import Counts, Key
from labsys.models import (
    Enterprise,
    FoodCategory,
    GradeChange,
    InspectionType,
    PlanProposal,
    PlanVisit,
    ProposalQuota,
    ProposalStatus,
    RiskGrade,
    Role,
    User,
)
from labsys.services import audit, grading, planning, risk
from labsys.services.access import writes
from labsys.services.errors import ServiceError
from labsys.services.stats import StatsFilter, rollup_source

LOOKBACK_MONTHS = 12
PRIOR_STRENGTH = 20  # batches the category's rate is worth in a cell's shrunk rate
LEVEL_COLUMNS = {1: "cat_l1_id", 2: "cat_l2_id"}


def _month_end(day: date) -> date:
    following = date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)
    return following - timedelta(days=1)


def cell_counts(session: Session, first: date, last: date, level: int = 1) -> dict[Key, Counts]:
    """Batches and unqualified batches per (category, district) in the whole months from
    ``first`` to ``last`` (district None for batches without one)."""
    level_column = LEVEL_COLUMNS[level]
    first_day = first.replace(day=1)
    last_day = _month_end(last)
    source = rollup_source(
        session, StatsFilter(date_from=first_day, date_to=last_day), {level_column, "region_code"}
    )
    category, region = source.column(level_column), source.column("region_code")
    samples, _qualified, unqualified = source.counts()
    rows: Any = session.execute(
        select(category, region, samples, unqualified)
        .where(category.is_not(None))
        .group_by(category, region)
    ).all()
    counts: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    for category_id, region_code, n, u in rows:
        key = (int(category_id), region_code or None)
        counts[key][0] += int(n or 0)
        counts[key][1] += int(u or 0)
    return {k: Counts(n, u) for k, (n, u) in counts.items()}


def _categories(session: Session, level: int) -> list[int]:
    return list(
        session.scalars(
            select(FoodCategory.id).where(FoodCategory.level == level).order_by(FoodCategory.id)
        )
    )


@dataclass(frozen=True)
class Proposed:
    quotas: dict[Key, int]
    risks: dict[Key, Fraction]
    signals: dict[Key, Fraction] = field(default_factory=dict)  # strength in [0, 1]
    grades: dict[Key, Fraction] = field(default_factory=dict)  # share of grade C/D


# --- what the signals and grades add (labsys.core.proposals.shaped) --------------------------

SIGNAL_SCOPES = ("category", "district", "district_category")
# A signal scoring this much (evidence × hazard weight, services.risk) counts at full
# strength; weaker ones in proportion.  20 is, e.g., a posterior tail of 1e-5 on a pesticide
# residue (3.0) or 1e-10 on a quality indicator (1.0) (a choice, not a standard).
FULL_SIGNAL_SCORE = Fraction(20)
SIGNAL_BOOST = Fraction(1)  # a full-strength signal doubles the cell's weight
GRADE_BOOST = Fraction(1)  # so does a district whose graded enterprises are all C or D
HIGH_GRADES = (RiskGrade.C, RiskGrade.D)


def signal_strengths(
    session: Session, cells: list[Key], day: date, *, level: int = 1, settings=None
) -> dict[Key, Fraction]:
    """Each cell's strongest open signal as of ``day``: on its district × 大类, its category
    (of the cells' level) or its district, min(1, score / FULL_SIGNAL_SCORE).  A signal
    explained by the keys nested in it is left out (a district rising only through its
    vegetables raises the vegetables' cell, not every category of the district).  One
    explained by an overlapping key keeps its strength: that key may be no cell of the plan
    (a 4th-level category under a plan by 大类), and the cell holds the same failures."""
    found = risk.signalled(
        risk.compute_signals(session, settings or _risk_settings(), today=day, scopes=SIGNAL_SCOPES)
    )
    if not found:
        return {}
    by_key: dict[tuple[str, str], Fraction] = {}
    for signal in found:
        if signal.explained_how == "nested":  # its excess is a nested key's: that carries it
            continue
        strength = min(
            Fraction(1), Fraction(signal.score).limit_denominator(1000) / FULL_SIGNAL_SCORE
        )
        index = (signal.scope, signal.key)
        by_key[index] = max(by_key.get(index, Fraction(0)), strength)
    l1_of = _level_one(session, {int(str(c)) for c, _d in cells}) if level != 1 else {}
    result = {}
    for category, district in cells:
        l1 = l1_of.get(cast(int, category), category)
        candidates = [by_key.get(("category", str(category)), Fraction(0))]
        if district:
            candidates.append(by_key.get(("district", str(district)), Fraction(0)))
            candidates.append(by_key.get(("district_category", f"{district}:{l1}"), Fraction(0)))
        if max(candidates):
            result[(category, district)] = max(candidates)
    return result


def _risk_settings():
    return risk.Settings.from_config(current_app.config) if has_app_context() else risk.Settings()


def _level_one(session: Session, ids: set[int]) -> dict[int, int]:
    rows = session.execute(
        select(FoodCategory.id, FoodCategory.path).where(FoodCategory.id.in_(ids))
    )
    return {int(i): int(path.strip("/").split("/")[0]) for i, path in rows if path.strip("/")}


def grade_shares(session: Session, day: date) -> dict[str, Fraction]:
    """Per district: the share of its graded enterprises whose grade on ``day`` (the grade
    history, so a backtest sees no later grade) was C or D."""
    ranked = (
        select(
            GradeChange.enterprise_id,
            GradeChange.grade,
            func.row_number()
            .over(
                partition_by=GradeChange.enterprise_id,
                order_by=(GradeChange.graded_on.desc(), GradeChange.id.desc()),
            )
            .label("n"),
        )
        .where(GradeChange.graded_on <= day)
        .subquery()
    )
    high = func.sum(case((ranked.c.grade.in_([g.value for g in HIGH_GRADES]), 1), else_=0))
    rows: Any = session.execute(
        select(Enterprise.region_code, func.count(), high)
        .join(ranked, ranked.c.enterprise_id == Enterprise.id)
        .where(ranked.c.n == 1, Enterprise.region_code.is_not(None))
        .group_by(Enterprise.region_code)
    ).all()
    return {str(region): Fraction(int(k or 0), int(n)) for region, n, k in rows if n}


def propose_quotas(
    session: Session,
    *,
    total: int,
    minimum: int,
    history_end: date,
    level: int = 1,
    lookback_months: int = LOOKBACK_MONTHS,
    shape: bool = True,
) -> Proposed:
    """Quotas for ``total`` batches from the ``lookback_months`` whole months before the month
    of ``history_end``, shifted toward open signals and high grades as of the day before
    ``history_end`` unless ``shape`` is false (not saved)."""
    last = grades.months_before(history_end.replace(day=1), 1)
    first = grades.months_before(last, lookback_months - 1)
    history = cell_counts(session, first, last, level)
    districts: list[str | None] = [*sorted({str(k[1]) for k in history if k[1]})] or [None]
    cells: list[Key] = [(c, d) for c in _categories(session, level) for d in districts]
    known = set(cells)
    cells += [k for k in history if k not in known]
    if not cells:
        raise ServiceError(_("The catalog has no food category to propose quotas for."))
    risks = rules.risks(history, cells, PRIOR_STRENGTH)
    categories = {k[0] for k in cells}
    if minimum * len(categories) > total:
        raise ServiceError(
            _(
                "%(n)d categories need at least %(min)d batches each: the total must be at "
                "least %(need)d.",
                n=len(categories),
                min=minimum,
                need=minimum * len(categories),
            ),
            field="total",
        )
    # The signals and grades as they stood on the last day of the history (no look-ahead
    # in a backtest).
    day = min(history_end - timedelta(days=1), clock.today())
    signals = signal_strengths(session, cells, day, level=level) if shape else {}
    shares = grade_shares(session, day) if shape else {}
    high = {k: shares[str(k[1])] for k in cells if k[1] and shares.get(str(k[1]))}
    weights = rules.shaped(risks, signals, high, signal_boost=SIGNAL_BOOST, grade_boost=GRADE_BOOST)
    return Proposed(rules.allocate(weights, total, minimum), risks, signals, high)


def _check_numbers(total, minimum) -> tuple[int, int]:
    try:
        total, minimum = int(total), int(minimum)
    except (TypeError, ValueError):
        raise ServiceError(_("Enter a whole number."), field="total") from None
    if total <= 0:
        raise ServiceError(_("The total is at least 1 batch."), field="total")
    if minimum < 0:
        raise ServiceError(_("The minimum is zero or more."), field="min_per_category")
    return total, minimum


@writes(Role.SUPERVISOR)
def create_proposal(
    session: Session,
    actor: User,
    *,
    name: str,
    period_start: date,
    period_end: date,
    total: int,
    min_per_category: int,
) -> PlanProposal:
    """A draft proposal for the period from the history before it."""
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("A proposal needs a name."), field="name")
    if period_end < period_start:
        raise ServiceError(_("The period ends after it starts."), field="period_end")
    total, minimum = _check_numbers(total, min_per_category)
    proposed = propose_quotas(
        session, total=total, minimum=minimum, history_end=min(period_start, clock.today())
    )
    proposal = PlanProposal(
        name=name[:200],
        period_start=period_start,
        period_end=period_end,
        total=total,
        min_per_category=minimum,
        created_by_id=actor.id if actor else None,
    )
    proposal.quotas = [
        ProposalQuota(
            category_id=key[0],
            region_code=key[1],
            quota=n,
            risk=str(as_decimal(proposed.risks[key], 4)),
            signal=str(as_decimal(proposed.signals.get(key, Fraction(0)), 2)),
            grade_share=str(as_decimal(proposed.grades.get(key, Fraction(0)), 2)),
        )
        for key, n in sorted(proposed.quotas.items(), key=lambda kv: (-kv[1], repr(kv[0])))
        if n > 0
    ]
    session.add(proposal)
    session.flush()
    audit.record(
        session,
        actor,
        "plan_proposal",
        proposal.id,
        "create",
        new={"name": proposal.name, "total": total, "min_per_category": minimum},
    )
    return proposal


def _draft(proposal: PlanProposal) -> None:
    if proposal.status is not ProposalStatus.DRAFT:
        raise ServiceError(_("Only a draft proposal can change."))


@writes(Role.SUPERVISOR)
def set_proposal_quota(
    session: Session, actor: User, quota: ProposalQuota, number
) -> ProposalQuota:
    """Change one proposed quota (a draft's); zero leaves the cell out of the plan."""
    _draft(quota.proposal)
    try:
        number = int(number)
    except (TypeError, ValueError):
        number = -1
    if number < 0:
        raise ServiceError(
            _("The quota is a whole number of batches, zero or more."), field="quota"
        )
    if number != quota.quota:
        old = quota.quota
        quota.quota = number
        session.flush()
        audit.record(
            session,
            actor,
            "proposal_quota",
            quota.id,
            "update",
            old={"quota": old},
            new={"quota": number},
        )
    return quota


VISIT_LIMIT = 30  # enterprises to visit proposed with a plan (the page shows the same list)


def visits_to_propose(session: Session, today: date | None = None) -> list[grading.GradeRow]:
    """The enterprises a proposal would have the plan visit, as the page shows them."""
    return grading.visit_list(session, today or clock.today(), limit=VISIT_LIMIT)


def fingerprint(proposal: PlanProposal, visits: list[grading.GradeRow]) -> str:
    """What the supervisor saw: every quota (id and number) and the enterprises to visit.
    The accept form carries it, so a page opened before someone else changed a quota (or
    before the grades were recomputed) cannot accept what its reader never saw."""
    text = ";".join(
        [
            ",".join(f"{q.id}:{q.quota}" for q in sorted(proposal.quotas, key=lambda q: q.id)),
            ",".join(f"{v.enterprise_id}:{v.grade}" for v in visits),
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@writes(Role.SUPERVISOR)
def accept_proposal(
    session: Session,
    actor: User,
    proposal: PlanProposal,
    *,
    code: str,
    seen: str | None = None,
):
    """Accept a draft: a real plan (supervisory sampling) with the quotas above zero and the
    enterprises to visit, all in the caller's one transaction and audited.

    ``seen``: the :func:`fingerprint` of the page the supervisor accepted from; refused when
    the proposal or the list to visit has changed since.  The draft is claimed first by a
    conditional UPDATE (``… WHERE status = 'draft'``): of two requests accepting the same
    draft at once, the second waits for the first's row lock (PostgreSQL) or write lock
    (SQLite), then matches no row and is refused, so one proposal never makes two plans."""
    _draft(proposal)
    rows = [q for q in proposal.quotas if q.quota > 0]
    if not rows:
        raise ServiceError(_("The proposal has no quota above zero."))
    visits = visits_to_propose(session)
    if seen is not None and seen != fingerprint(proposal, visits):
        raise ServiceError(
            _(
                "The proposal or its list of enterprises changed after the page was opened: "
                "check it again before accepting."
            )
        )
    claimed: Any = session.execute(  # a CursorResult: rowcount is the rows claimed
        update(PlanProposal)
        .where(PlanProposal.id == proposal.id, PlanProposal.status == ProposalStatus.DRAFT)
        .values(status=ProposalStatus.ACCEPTED)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        session.refresh(proposal)
        raise ServiceError(_("Only a draft proposal can change."))
    plan = planning.create_plan(
        session,
        actor,
        code=code,
        name=proposal.name,
        year=proposal.period_start.year,
        inspection_type=InspectionType.SUPERVISION,
        description=_(
            "Risk-based proposal %(id)d for %(start)s to %(end)s",
            id=proposal.id,
            start=proposal.period_start.isoformat(),
            end=proposal.period_end.isoformat(),
        ),
    )
    for row in rows:
        planning.add_quota(
            session,
            actor,
            plan,
            category_id=row.category_id,
            quota=row.quota,
            region_code=row.region_code,
        )
    for visit in visits:
        session.add(
            PlanVisit(
                plan_id=plan.id,
                enterprise_id=visit.enterprise_id,
                grade=RiskGrade(visit.grade),
                reason=visit.reason,
            )
        )
    proposal.status = ProposalStatus.ACCEPTED
    proposal.plan_id = plan.id
    session.flush()
    audit.record(
        session,
        actor,
        "plan_proposal",
        proposal.id,
        "accept",
        old={"status": ProposalStatus.DRAFT.value},
        new={
            "status": ProposalStatus.ACCEPTED.value,
            "plan_id": plan.id,
            "quotas": [[r.category_id, r.region_code, r.quota] for r in rows],
            "visits": [v.enterprise_id for v in visits],
        },
    )
    return plan


@writes(Role.SUPERVISOR)
def discard_proposal(session: Session, actor: User, proposal: PlanProposal) -> PlanProposal:
    _draft(proposal)
    proposal.status = ProposalStatus.DISCARDED
    session.flush()
    audit.record(session, actor, "plan_proposal", proposal.id, "discard")
    return proposal


# --- backtest ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BacktestResult:
    first: date
    last: date
    total: int
    actual_found: int
    proposal_found: Decimal


def run_backtest(
    session: Session, *, first: date, last: date, minimum: int = 0, level: int = 1
) -> BacktestResult:
    """The proposal made from the 12 months before ``first`` with the total the period
    actually took, against what the period found (``labsys.core.proposals`` notes)."""
    period = cell_counts(session, first, last, level)
    total = sum(c.samples for c in period.values())
    if total == 0:
        raise ServiceError(_("No batch was taken in that period."))
    proposed = propose_quotas(session, total=total, minimum=minimum, history_end=first, level=level)
    result = rules.backtest(period, proposed.quotas)
    return BacktestResult(
        first, last, total, result.actual_found, as_decimal(result.proposal_found, 1)
    )


def as_decimal(value: Fraction, places: int) -> Decimal:
    return round(Decimal(value.numerator) / Decimal(value.denominator), places)


def category_names(session: Session, ids) -> dict[int, str]:
    """The Chinese name of each category id given."""
    return dict(
        session.execute(
            select(FoodCategory.id, FoodCategory.name_zh).where(FoodCategory.id.in_(list(ids)))
        ).all()
    )
