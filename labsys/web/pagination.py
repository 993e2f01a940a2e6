"""Keyset pagination: constant cost for any page depth (no OFFSET)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from labsys.extensions import db


@dataclass
class Page:
    items: list
    next_after: object | None  # pass as ?after= to get the next page

    @property
    def has_next(self) -> bool:
        return self.next_after is not None


def keyset_page(
    query, key_column, *, after=None, size: int | None = None, descending: bool = False, key_of=None
) -> Page:
    """One page of ``query`` ordered by the unique ``key_column``, starting after ``after``.

    ``key_of`` extracts the key from a row (default: the attribute named like the column).
    """
    size = size or current_app.config["PAGE_SIZE"]
    if after is not None:
        query = query.where(key_column < after if descending else key_column > after)
    query = query.order_by(key_column.desc() if descending else key_column).limit(size + 1)
    rows = list(db.session.scalars(query))
    key_of = key_of or (lambda row: getattr(row, key_column.key))
    if len(rows) > size:
        rows = rows[:size]
        return Page(rows, key_of(rows[-1]))
    return Page(rows, None)
