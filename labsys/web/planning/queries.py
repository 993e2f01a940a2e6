"""Read queries of the plan and task pages (progress counts shared with the sampling pages
live in services.planning)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from labsys.models import FoodCategory, Plan, PlanQuota, PlanVisit, Sample, Task


def plan_list_query() -> Select:
    return select(Plan)


def quota_totals(session: Session, plan_ids: Sequence[int]) -> dict[int, int]:
    """Samples planned per plan (the sum of its quotas)."""
    return dict(
        session.execute(
            select(PlanQuota.plan_id, func.sum(PlanQuota.quota))
            .where(PlanQuota.plan_id.in_(plan_ids))
            .group_by(PlanQuota.plan_id)
        ).all()
    )


def sampled_counts(session: Session, plan_ids: Sequence[int]) -> dict[int, int]:
    """Samples taken so far per plan."""
    return dict(
        session.execute(
            select(Sample.plan_id, func.count(Sample.id))
            .where(Sample.plan_id.in_(plan_ids))
            .group_by(Sample.plan_id)
        ).all()
    )


def categories_in_tree_order(session: Session) -> list[FoodCategory]:
    return list(session.scalars(select(FoodCategory).order_by(FoodCategory.path)))


def plan_quotas(session: Session, plan: Plan) -> list[PlanQuota]:
    return list(
        session.scalars(
            select(PlanQuota)
            .where(PlanQuota.plan_id == plan.id)
            .options(selectinload(PlanQuota.category), selectinload(PlanQuota.region))
            .order_by(PlanQuota.id)
        )
    )


def plan_visits(session: Session, plan: Plan) -> list[PlanVisit]:
    """The enterprises the plan is to visit (a plan accepted from a risk-based proposal)."""
    return list(
        session.scalars(
            select(PlanVisit)
            .where(PlanVisit.plan_id == plan.id)
            .options(selectinload(PlanVisit.enterprise))
            .order_by(PlanVisit.id)
        )
    )


def plan_tasks(session: Session, plan: Plan) -> list[Task]:
    return list(
        session.scalars(
            select(Task).where(Task.plan_id == plan.id).order_by(Task.due_date, Task.id)
        )
    )


def task_list_query(show: str, today: date, plan_id: int | None) -> Select:
    """Tasks to list: ``show`` is "open", "overdue" (open and past due) or anything else
    (all); only one plan's when ``plan_id`` is given."""
    query = select(Task).options(
        selectinload(Task.plan), selectinload(Task.category), selectinload(Task.region)
    )
    if show == "open":
        query = query.where(Task.closed.is_(False))
    elif show == "overdue":
        query = query.where(Task.closed.is_(False), Task.due_date < today)
    if plan_id:
        query = query.where(Task.plan_id == plan_id)
    return query
