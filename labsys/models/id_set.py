"""``in_id_set(column, ids)``: ``column`` is one of the ids a subquery selects, looked up by
the column's index, whatever the planner estimates.

A work queue's rows are a small set found elsewhere (the review queue's samples: the distinct
sample ids of the submitted results, a few thousand among a million samples).  Written as
``IN (subquery)`` or a join, PostgreSQL estimates the set from column statistics (40,000
rows where 8,000 were found at 1,000,000 samples) and hashes every sample to join them
(0.3 s) or walks the samples in the page's order probing the set (3 s).  ``= ANY(ARRAY(
subquery))`` makes the set a value computed first, which the planner can only look up by
the index (pk_samples: 8,000 lookups, 8–28 ms at that size).  SQLite has no arrays; its
``IN (subquery)`` builds the set first and probes it already.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal


class InIdSet(ColumnElement[bool]):
    __visit_name__ = "labsys_in_id_set"
    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("ids", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column, ids: Select) -> None:
        self.column = (
            column.__clause_element__() if hasattr(column, "__clause_element__") else column
        )
        self.ids = ids.scalar_subquery()


def in_id_set(column, ids: Select) -> InIdSet:
    """``column`` is among the values of ``ids`` (a SELECT of one integer column)."""
    return InIdSet(column, ids)


@compiles(InIdSet)
def _in_subquery(element: InIdSet, compiler, **kw) -> str:
    return f"{compiler.process(element.column, **kw)} IN ({compiler.process(element.ids.element, asfrom=False, **kw)})"


@compiles(InIdSet, "postgresql")
def _any_array(element: InIdSet, compiler, **kw) -> str:
    return f"{compiler.process(element.column, **kw)} = ANY(ARRAY({compiler.process(element.ids.element, asfrom=False, **kw)}))"
