"""Free-text search: what "the text contains the query" means, as pure rules.

Every list that searches text (samples, queues, reports, enterprises, the API) asks one
question: does a column *contain* the query, as a literal substring, ignoring the case of
ASCII letters?  ``%``, ``_`` and ``\\`` in a query are ordinary characters.  The database
side (``labsys.models.search``) turns that into an indexed condition; this module holds the
rules it is built from, so they can be tested without a database:

- :func:`clean` — the query as searched (surrounding blanks dropped);
- :func:`like_pattern` — a LIKE/ILIKE pattern, with ``\\`` as the escape character, that
  matches exactly the texts containing the query;
- :func:`fts_phrase` — an FTS5 phrase string (SQLite's trigram index) for the query;
- :func:`indexed` — whether a trigram index can answer the query (3+ characters);
- :func:`caseless` — whether the query has no letters of two cases (case-sensitive
  matching then gives the same rows, faster);
- :func:`contains` — the reference rule itself, which the database conditions must equal.

Why 3 characters: both indexes (PostgreSQL's pg_trgm, SQLite's FTS5 ``trigram``
tokenizer) store the text's runs of three characters.  A query of 1 or 2 characters (very
common in Chinese: 米, 茶, 牛奶) contains no such run, so no trigram index can narrow it.
"""

from __future__ import annotations

# Runs of this many characters are indexed; shorter queries are answered without the index.
TRIGRAM = 3
ESCAPE = "\\"


def clean(q: str | None) -> str:
    """The query as searched: surrounding blanks dropped ("" means no search)."""
    return (q or "").strip()


def like_pattern(q: str) -> str:
    """``%q%`` with ``\\``, ``%`` and ``_`` escaped (by ``\\``): LIKE then matches exactly
    the texts that contain ``q`` literally."""
    escaped = q.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")
    return f"%{escaped}%"


def fts_phrase(q: str) -> str:
    """``q`` as one FTS5 phrase (a double-quoted string, inner quotes doubled): with the
    trigram tokenizer it matches the texts containing ``q``, case folded; every other
    character (``*``, ``:``, ``^``, ``-``, ``%`` ...) is literal inside the quotes."""
    return '"' + q.replace('"', '""') + '"'


def indexed(q: str) -> bool:
    """Can a trigram index answer ``q``? (at least :data:`TRIGRAM` characters)"""
    return len(q) >= TRIGRAM


def caseless(q: str) -> bool:
    """Has ``q`` no letters of two cases (Chinese, digits, punctuation)?  Then "contains,
    case ignored" is plain "contains", which databases test faster (PostgreSQL's ILIKE
    folds every row's text; LIKE compares bytes)."""
    return q.lower() == q.upper()


def _fold(text: str) -> str:
    # ASCII letters only, as SQLite's LIKE (PostgreSQL's ILIKE also folds other scripts'
    # capitals; Chinese has none).
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def contains(text: str | None, q: str) -> bool:
    """The rule: ``text`` contains the cleaned query, ignoring the case of ASCII letters."""
    q = clean(q)
    return bool(q) and text is not None and _fold(q) in _fold(text)
