"""Read queries of the enterprise pages."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from labsys.models import Enterprise, Region, RiskGrade
from labsys.services import enterprises


def regions(session: Session) -> list[Region]:
    return list(session.scalars(select(Region).order_by(Region.code)))


def region_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """Chinese name of each region code given."""
    return {
        r.code: r.name_zh
        for r in session.scalars(select(Region).where(Region.code.in_(set(codes))))
    }


def enterprise_list_query(q: str, region: str, risk: str) -> Select:
    """Enterprises matching the search text, district and risk grade (each when given)."""
    query = select(Enterprise).options(selectinload(Enterprise.region))
    condition = enterprises.search_condition(q)
    if condition is not None:
        query = query.where(condition)
    if region:
        query = query.where(Enterprise.region_code == region)
    if risk in RiskGrade.__members__.values():
        query = query.where(Enterprise.risk_grade == RiskGrade(risk))
    return query
