"""Read queries of the user administration pages."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from labsys.models import FoodCategory, Role, User, UserRole


def user_list_query(search: str) -> Select:
    """Users whose login or full name contains ``search`` (all when empty)."""
    query = select(User)
    if search:
        like = f"%{search}%"
        query = query.where(User.username.ilike(like) | User.full_name.ilike(like))
    return query


def scope_categories(session: Session, current: Sequence[int] = ()) -> list[FoodCategory]:
    """The 大类 a signatory's scope is chosen from, plus any other category already in it."""
    query = select(FoodCategory).where(
        (FoodCategory.level == 1) | FoodCategory.id.in_(list(current) or [0])
    )
    return list(session.scalars(query.order_by(FoodCategory.level, FoodCategory.sort_order)))


def supervisors(session: Session) -> list[User]:
    """Active supervisors: who may be made an authorised signatory."""
    return list(
        session.scalars(
            select(User)
            .join(UserRole)
            .where(UserRole.role == Role.SUPERVISOR, User.active.is_(True))
            .order_by(User.username)
        )
    )
