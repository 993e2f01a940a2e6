"""Names the history shows instead of ids: users, food categories, enterprises."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from labsys.models import Enterprise, FoodCategory, User


def user_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {
        uid: full_name or username
        for uid, full_name, username in session.execute(
            select(User.id, User.full_name, User.username).where(User.id.in_(wanted))
        )
    }


def category_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = {i for i in ids if isinstance(i, int)}
    if not wanted:
        return {}
    return dict(
        session.execute(
            select(FoodCategory.id, FoodCategory.name_zh).where(FoodCategory.id.in_(wanted))
        ).all()
    )


def enterprise_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = {i for i in ids if isinstance(i, int)}
    if not wanted:
        return {}
    return dict(
        session.execute(
            select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(wanted))
        ).all()
    )
