"""Read queries of the risk grade pages."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from labsys.models import Enterprise, PlanProposal, ProposalQuota, RiskGrade


def graded_query(grade: str, region: str) -> Select:
    """Graded enterprises, of one grade and district when given."""
    query = (
        select(Enterprise)
        .options(selectinload(Enterprise.region))
        .where(Enterprise.risk_grade.is_not(None))
    )
    if grade in RiskGrade.__members__.values():
        query = query.where(Enterprise.risk_grade == RiskGrade(grade))
    if region:
        query = query.where(Enterprise.region_code == region)
    return query


def proposals_query() -> Select:
    return select(PlanProposal)


def proposal_quotas(session: Session, proposal: PlanProposal) -> list[ProposalQuota]:
    """The proposal's quotas, largest first, with their category and district."""
    return list(
        session.scalars(
            select(ProposalQuota)
            .options(selectinload(ProposalQuota.category), selectinload(ProposalQuota.region))
            .where(ProposalQuota.proposal_id == proposal.id)
            .order_by(ProposalQuota.quota.desc(), ProposalQuota.id)
        )
    )
