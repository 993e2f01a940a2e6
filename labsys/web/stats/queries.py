"""Read queries of the pass-rate pages (the rates themselves are computed by services.stats,
which the API and the exports share)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from labsys.models import FoodCategory, Plan, Task


def plan_choices(session: Session) -> Sequence[Row]:
    """(id, code, name) of every plan, the newest year first."""
    return session.execute(
        select(Plan.id, Plan.code, Plan.name).order_by(Plan.year.desc(), Plan.code)
    ).all()


def task_choices(session: Session, plan_id: int) -> Sequence[Row]:
    """(id, code, name) of a plan's tasks."""
    return session.execute(
        select(Task.id, Task.code, Task.name).where(Task.plan_id == plan_id).order_by(Task.code)
    ).all()


def categories_by_id(session: Session, ids: Sequence[int]) -> dict[int, FoodCategory]:
    return {c.id: c for c in session.scalars(select(FoodCategory).where(FoodCategory.id.in_(ids)))}


def top_categories(session: Session) -> Sequence[Row]:
    """(id, name) of every 大类, in catalog order (the announcement's category filter)."""
    return session.execute(
        select(FoodCategory.id, FoodCategory.name_zh)
        .where(FoodCategory.level == 1)
        .order_by(FoodCategory.sort_order, FoodCategory.code)
    ).all()
