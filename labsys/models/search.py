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
trigram index can narrow them.  A frequent one is cheap anyway: the lists read in their
order and stop at a page (LIMIT).  A rare or absent one would read the whole table (395 ms
at 1,000,000 samples), so on **PostgreSQL** each searched column also has a GIN index of
its characters, ``ix_<table>_<column>_chars`` on ``string_to_array(lower(col), NULL)``
(one array element per character; migration 0046), whose statistics (``pg_stats``:
``most_common_elems`` and their frequencies, kept by ANALYZE) say how frequent each
character is.  When, for every searched column, one of the query's characters is rare
(:data:`RARE`), the condition becomes

    id = ANY(ARRAY(SELECT id FROM <table> WHERE string_to_array(lower(col), NULL)
                   @> string_to_array(lower(:rare_chars), NULL) OR ...)) AND <the LIKEs>

(only the rare characters, which narrow most; ``= ANY(ARRAY(...))`` makes the set a value
computed first, as ``labsys.models.id_set``: left to join, the planner misjudges ``@>``
and hashes the whole table).  Every row containing the query contains each of its
characters (``lower`` keeps ILIKE's case folding a necessary condition), and the LIKEs
still decide: the rows are exactly the rule's.  Otherwise (a frequent query, characters of
a cased script other than ASCII, no statistics yet) the condition is the LIKEs alone.

The statistics come from the connection that runs the statement: an engine event
(:func:`decide_on`, installed by ``labsys.database.configure_engine`` on PostgreSQL)
rewrites a short ``ContainsText`` into its decided form before it is compiled, so the
statement cache keeps the two forms apart and the callers need no session.  They are
cached per process for :data:`STATISTICS_SECONDS`.  **SQLite** has no character index
(FTS5 has no tokenizer of single characters): its short queries are answered by the LIKE
alone, unindexed but exact, as before.  No bounded "search the recent rows only"
fallback: it would silently drop older matches, and the results must stay exactly the
rule's.
"""

from __future__ import annotations

import time
from contextvars import ContextVar

from sqlalchemy import Boolean, Index, String, bindparam, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ClauseElement, ColumnClause, ColumnElement
from sqlalchemy.sql.selectable import TableClause
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


def char_index_name(table: str, column: str) -> str:
    return f"ix_{table}_{column}_chars"


# Not model objects (alembic cannot compare an expression index on SQLite, where the model
# would carry it too): migration 0046 builds them, tests/foundation/test_text_search.py
# checks they exist, and the migrations compare leaves them out (:func:`include_name`).
CHAR_INDEX_NAMES = frozenset(
    char_index_name(table, column) for table, columns in SEARCHED.items() for column in columns
)


# A character is rare in a column when fewer than this share of its rows hold it.  The
# character path then fetches at most ~0.1 % of the table by the index (1,000 rows at
# 1,000,000 samples: a few ms), while the ordered walk would read ~1,000 rows per row of
# the page before stopping (51,000 for a page of 51).  A character missing from
# ``most_common_elems`` is rarer than every listed one (ANALYZE lists up to 10 x the
# statistics target, 1,000 by default), so it counts as rare too.
RARE = 0.001
# How long a process trusts the statistics it read (ANALYZE changes them slowly).
STATISTICS_SECONDS = 300.0

# Tests and benchmarks: True takes the character path for every short query on
# PostgreSQL whatever the statistics say, False never; None (default) asks the statistics.
force_characters: ContextVar[bool | None] = ContextVar("labsys_force_characters", default=None)


def _short_chars(q: str, use_index: bool, searched: bool) -> str:
    """The distinct characters of a 1-2 character query, when the character path may
    answer it: characters without case, or ASCII (whose lower case PostgreSQL's lower()
    and ILIKE agree on, character by character); "" otherwise."""
    if use_index or not searched:
        return ""
    if not all(c.isascii() or c.lower() == c.upper() for c in q):
        return ""
    return "".join(dict.fromkeys(q))


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
        # The character path (PostgreSQL): one parameter per column, or none.
        ("char_params", InternalTraversal.dp_clauseelement_tuple),
    ]

    def __init__(self, q: str, columns) -> None:
        self.columns = tuple(
            c.__clause_element__() if hasattr(c, "__clause_element__") else c for c in columns
        )
        names = {_base_table(c).name for c in self.columns}
        self.table_name = names.pop() if len(names) == 1 else None
        searched = SEARCHED.get(self.table_name or "", ())
        self.use_index = search.indexed(q) and all(c.name in searched for c in self.columns)
        self.chars = _short_chars(
            q, search.indexed(q), bool(searched) and all(c.name in searched for c in self.columns)
        )
        self.char_params: tuple = ()
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


@compiles(ContainsText, "postgresql")
def _compile_postgresql(element: ContainsText, compiler, **kw) -> str:
    likes = _compile_default(element, compiler, **kw)
    if not element.char_params:
        return likes
    row_id = compiler.process(element.columns[0].table.c.id, **kw)
    has = [
        f"string_to_array(lower(labsys_chars.{column.name}), NULL) @> "
        f"string_to_array(lower({compiler.process(param, **kw)}), NULL)"
        for column, param in zip(element.columns, element.char_params, strict=True)
    ]
    table = element.table_name
    ids = f"SELECT labsys_chars.id FROM {table} AS labsys_chars WHERE {' OR '.join(has)}"
    return f"({row_id} = ANY(ARRAY({ids})) AND {likes})"


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


# --- the character path's decision, at execution (PostgreSQL) ---------------------------


def decide_on(engine: Engine) -> None:
    """Decide each short search of the statements ``engine`` runs from its statistics."""
    event.listen(engine, "before_execute", _decide, retval=True)


def _decide(connection: Connection, statement, multiparams, params, execution_options):
    return decide(statement, connection), multiparams, params


def decide(statement, connection: Connection):
    """``statement`` with each short search decided from ``connection``'s statistics (the
    same statement when it has none)."""
    if not getattr(statement, "is_select", False) or not _has_pending(statement):
        return statement
    return visitors.replacement_traverse(
        statement, {}, lambda e: _decided(e, connection) if _pending(e) else None
    )


def _has_pending(statement: ClauseElement) -> bool:
    # Every SELECT on PostgreSQL passes here: tables and columns are not looked into (20-50
    # microseconds for a list's page or count query, measured; compiling it costs more).
    stack = [statement]
    while stack:
        element = stack.pop()
        if _pending(element):
            return True
        if not isinstance(element, (TableClause, ColumnClause, ContainsText)):
            stack.extend(element.get_children())
    return False


def _pending(element) -> bool:
    return isinstance(element, ContainsText) and bool(element.chars) and not element.char_params


def _decided(element: ContainsText, connection: Connection) -> ContainsText:
    rare = _rare_chars(element, connection)
    if rare is None:
        return element
    decided = element._clone()
    decided.char_params = tuple(
        bindparam(None, chars, type_=String(), unique=True) for chars in rare
    )
    return decided


def _rare_chars(element: ContainsText, connection: Connection) -> list[str] | None:
    """Per column, the query's characters that are rare there; None unless every column
    has one (or the statistics are missing)."""
    forced = force_characters.get()
    if forced is not None:
        return [element.chars] * len(element.columns) if forced else None
    rare = []
    for column in element.columns:
        frequencies = _frequencies(connection, char_index_name(element.table_name, column.name))
        if frequencies is None:
            return None
        chars = "".join(c for c in element.chars if frequencies.get(c.lower(), 0.0) < RARE)
        if not chars:
            return None
        rare.append(chars)
    return rare


_statistics: dict[tuple[str, str], tuple[float, dict[str, float] | None]] = {}


def _frequencies(connection: Connection, index: str) -> dict[str, float] | None:
    """The share of rows holding each common character of ``index``'s column (ANALYZE's
    ``most_common_elems``); None when the index has no statistics yet."""
    key = (connection.engine.url.render_as_string(), index)
    now = time.monotonic()
    cached = _statistics.get(key)
    if cached is not None and now - cached[0] < STATISTICS_SECONDS:
        return cached[1]
    row = connection.exec_driver_sql(
        "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
        "WHERE schemaname = current_schema() AND tablename = %(index)s "
        "AND attname = 'string_to_array'",
        {"index": index},
    ).first()
    frequencies = None
    if row is not None and row[0] is not None:
        frequencies = dict(zip(row[0], row[1], strict=False))
    _statistics[key] = (now, frequencies)
    return frequencies


def forget_statistics() -> None:
    """Read the statistics again on next use (after an ANALYZE, in tests)."""
    _statistics.clear()


def include_name(name, type_, parent_names) -> bool:
    """Alembic's autogenerate compare: FTS5's tables and the character indexes are the
    migrations', not models."""
    return not (
        (type_ == "table" and name in FTS_TABLE_NAMES)
        or (type_ == "index" and name in CHAR_INDEX_NAMES)
    )


def include_object_for(dialect_name: str):
    """Alembic's autogenerate compare on ``dialect_name``: a model index meant for another
    database only (``info["only_on"]``, with ``ddl_if``) is not expected there."""

    def include_object(obj, name, type_, reflected, compare_to) -> bool:
        if type_ == "index" and not reflected:
            only_on = obj.info.get("only_on")
            return only_on is None or only_on == dialect_name
        return True

    return include_object
