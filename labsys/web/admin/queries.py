"""Read queries of the user administration pages."""

from __future__ import annotations

from sqlalchemy import Select, select

from labsys.models import User


def user_list_query(search: str) -> Select:
    """Users whose login or full name contains ``search`` (all when empty)."""
    query = select(User)
    if search:
        like = f"%{search}%"
        query = query.where(User.username.ilike(like) | User.full_name.ilike(like))
    return query
