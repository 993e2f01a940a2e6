"""Indexed free-text search on both databases: the one condition every list uses.

``contains_text(q, Sample.food_name, Sample.sample_no)`` is true for the rows where one of
the columns contains ``q`` (``labsys.core.search.contains``: a literal substring, ASCII
case ignored; ``%``, ``_`` and ``\\`` are ordinary characters).  It compiles differently
per database, to the same rows:

- **PostgreSQL**: ``col ILIKE '%q%' ESCAPE '\\'`` per column, OR-ed (``LIKE`` when the
  query has no letters of two cases, e.g. Chinese: the same rows, cheaper).  Each searched
  column has a pg_trgm GIN index (``gin_trgm_ops``; migration 0039, declared on the models
  as PostgreSQL-only indexes), which the planner uses for either when the query holds a
  run of 3 characters (a bitmap OR over the columns' indexes).
- **SQLite**: the table's FTS5 index with the ``trigram`` tokenizer (``<table>_fts``, an
  external-content table kept in step by triggers; migration 0039) narrows the rows first,
  ``id IN (SELECT rowid FROM <table>_fts WHERE <table>_fts MATCH '{cols} : "q"')``, and the
  same LIKE as above re-checks them (the index folds case beyond ASCII; the LIKE keeps the
  answer exactly the rule's).

Queries of 1 or 2 characters (common in Chinese: 米, 茶, 牛奶) contain no trigram: no
trigram index can narrow them.  An index of 1- and 2-character runs (as the pg_bigm
extension keeps; SQLite has no such tokenizer) would be a second index per column to build
and keep, for queries whose matches are usually plentiful; it is not built.  They are
answered by the LIKE alone, unindexed but exact: the lists read in their order and stop
at a page (LIMIT), so a frequent 1–2 character query finds its page after a short walk;
only a rare one reads the whole table (measured in BENCHMARKS.md, *Free-text search*).
No bounded "search the recent rows only" fallback: it would silently drop older matches,
and the results must stay exactly the rule's.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Index, String, bindparam
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from labsys.core import search

# The searched columns of each table with an FTS5 index on SQLite (<table>_fts, columns in
# this order) and a pg_trgm index per column on PostgreSQL (ix_<table>_<column>_trgm).
# Migration 0039 creates them; tests/foundation/test_text_search.py checks they agree.
SEARCHED: dict[str, tuple[str, ...]] = {
    "samples": ("food_name", "sample_no"),
    "reports": ("report_no", "food_name", "sampled_unit_name"),
    "enterprises": ("name",),
}

# FTS5's tables behind <table>_fts (an external-content table has no _content table; it is
# listed all the same, in case a table is ever made with its own content).
FTS_SHADOWS = ("", "_data", "_idx", "_docsize", "_config", "_content")
FTS_TABLE_NAMES = frozenset(f"{table}_fts{suffix}" for table in SEARCHED for suffix in FTS_SHADOWS)


def trigram_index_name(table: str, column: str) -> str:
    return f"ix_{table}_{column}_trgm"


def trigram_indexes(table: str) -> tuple[Index, ...]:
    """The model's pg_trgm GIN indexes of ``table``'s searched columns: PostgreSQL only
    (``ddl_if``; ``info["only_on"]`` tells the migrations compare, see
    :func:`include_object_for`)."""
    return tuple(
        Index(
            trigram_index_name(table, column),
            column,
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
            info={"only_on": "postgresql"},
        ).ddl_if(dialect="postgresql")
        for column in SEARCHED[table]
    )


class ContainsText(ColumnElement[bool]):
    """One of ``columns`` contains ``q`` (see the module's docstring)."""

    __visit_name__ = "labsys_contains_text"
    inherit_cache = True
    type = Boolean()
    # A predicate in its own right: without this, SQLite (no native boolean) gets
    # ``WHERE (...) = 1``, which its planner cannot use to look rows up by the FTS5 rowids.
    _is_implicitly_boolean = True
    # Part of the statement cache key: the columns, both parameters, and whether the index
    # is used (a 2-character query must not reuse a 3-character query's compiled SQL).
    _traverse_internals = [
        ("columns", InternalTraversal.dp_clauseelement_tuple),
        ("pattern", InternalTraversal.dp_clauseelement),
        ("phrase", InternalTraversal.dp_clauseelement),
        ("use_index", InternalTraversal.dp_boolean),
        ("caseless", InternalTraversal.dp_boolean),
    ]

    def __init__(self, q: str, columns) -> None:
        self.columns = tuple(
            c.__clause_element__() if hasattr(c, "__clause_element__") else c for c in columns
        )
        names = {_base_table(c).name for c in self.columns}
        self.table_name = names.pop() if len(names) == 1 else None
        searched = SEARCHED.get(self.table_name or "", ())
        self.use_index = search.indexed(q) and all(c.name in searched for c in self.columns)
        self.caseless = search.caseless(q)
        self.pattern = bindparam(None, search.like_pattern(q), type_=String(), unique=True)
        filter_ = " ".join(c.name for c in self.columns)
        self.phrase = bindparam(
            None, f"{{{filter_}}} : {search.fts_phrase(q)}", type_=String(), unique=True
        )


def _base_table(column):
    table = column.table
    while hasattr(table, "element"):  # an alias of the table
        table = table.element
    return table


def _likes(element: ContainsText, compiler, operator: str, **kw) -> str:
    pattern = compiler.process(element.pattern, **kw)
    likes = [
        f"{compiler.process(column, **kw)} {operator} {pattern} ESCAPE '\\'"
        for column in element.columns
    ]
    return "(" + " OR ".join(likes) + ")"


@compiles(ContainsText)
def _compile_default(element: ContainsText, compiler, **kw) -> str:
    # PostgreSQL: gin_trgm_ops serves LIKE and ILIKE alike (3+ characters).  A query without
    # letters of two cases (Chinese, numbers) gets LIKE: the same rows, and where no index
    # helps (1-2 characters) a scan 3-4 times faster than ILIKE's, which folds every text.
    return _likes(element, compiler, "LIKE" if element.caseless else "ILIKE", **kw)


@compiles(ContainsText, "sqlite")
def _compile_sqlite(element: ContainsText, compiler, **kw) -> str:
    likes = _likes(element, compiler, "LIKE", **kw)  # SQLite's LIKE ignores ASCII case
    if not element.use_index:
        return likes
    table = element.columns[0].table
    row_id = compiler.process(table.c.id, **kw)
    fts = f"{element.table_name}_fts"
    phrase = compiler.process(element.phrase, **kw)
    return f"({row_id} IN (SELECT rowid FROM {fts} WHERE {fts} MATCH {phrase}) AND {likes})"


def contains_text(q: str | None, *columns) -> ColumnElement[bool] | None:
    """One of ``columns`` (of one table) contains ``q``; None when ``q`` is blank (no
    condition)."""
    q = search.clean(q)
    if not q:
        return None
    return ContainsText(q, columns)


def include_name(name, type_, parent_names) -> bool:
    """Alembic's autogenerate compare: FTS5's tables are the migration's, not models."""
    return not (type_ == "table" and name in FTS_TABLE_NAMES)


def include_object_for(dialect_name: str):
    """Alembic's autogenerate compare on ``dialect_name``: a model index meant for another
    database only (``info["only_on"]``, with ``ddl_if``) is not expected there."""

    def include_object(obj, name, type_, reflected, compare_to) -> bool:
        if type_ == "index" and not reflected:
            only_on = obj.info.get("only_on")
            return only_on is None or only_on == dialect_name
        return True

    return include_object
