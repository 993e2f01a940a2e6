"""Read queries of the catalog pages (the category tree's reads live in services.catalog,
which the CLI and the sampling forms share)."""

from __future__ import annotations

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from labsys.models import TestItem


def item_choices(session: Session) -> list[tuple[int, str]]:
    """(id, "name (unit) · code") of every test item, by code."""
    rows = session.execute(
        select(TestItem.id, TestItem.code, TestItem.name_zh, TestItem.unit).order_by(TestItem.code)
    )
    return [
        (
            row.id,
            f"{row.name_zh} ({row.unit}) · {row.code}"
            if row.unit
            else f"{row.name_zh} · {row.code}",
        )
        for row in rows
    ]


def item_list_query(search: str) -> Select:
    """Test items whose code or name contains ``search`` (all when empty)."""
    query = select(TestItem)
    if search:
        like = f"%{search}%"
        query = query.where(
            or_(
                TestItem.code.ilike(like),
                TestItem.name_zh.ilike(like),
                TestItem.name_en.ilike(like),
            )
        )
    return query
