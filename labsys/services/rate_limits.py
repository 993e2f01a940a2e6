"""Rate limits per API token, counted in the database so that every server process and
thread sees the same count (``labsys serve --workers N``), on SQLite and PostgreSQL alike.

A fixed window of ``WINDOW_SECONDS`` per token: one row (``api_rate_windows``: token,
window start, calls) counted up by one atomic upsert (``INSERT … ON CONFLICT DO UPDATE …
RETURNING``, which both databases run as one statement: two processes counting at the same
moment both count, neither fails), in a short transaction of its own — committed at once,
whatever the request then does, so a refused or failing call counts too, and a read-only
request never holds a write transaction open on SQLite.  The first call of a new window
deletes the token's older rows, so the table holds about one row per token in use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from labsys.database import write_intent
from labsys.models import ApiRateWindow, ApiToken

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class RateState:
    allowed: bool
    remaining: int
    reset: int  # seconds until the window ends


def _upsert(dialect: str, token_id: int, window_start: int):
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(ApiRateWindow).values(token_id=token_id, window_start=window_start, calls=1)
    return statement.on_conflict_do_update(
        index_elements=[ApiRateWindow.token_id, ApiRateWindow.window_start],
        set_={"calls": ApiRateWindow.calls + 1},
    ).returning(ApiRateWindow.calls)


def hit(engine: Engine, digest: str, limit: int, now: datetime) -> RateState | None:
    """Count one call with the token whose SHA-256 is ``digest`` at ``now``: whether it is
    within ``limit``; None for an unknown token (refused anyway, and not counted).

    The count has a connection and a transaction of its own, taken before the request's:
    on SQLite a writing request holds the write lock from its first statement, and a
    second writer inside the same request would wait for it in vain."""
    seconds = int(now.timestamp())
    window_start = seconds - seconds % WINDOW_SECONDS
    intent = write_intent.set(True)  # SQLite: BEGIN IMMEDIATE, queued on the busy timeout
    try:
        with engine.begin() as connection:
            token_id = connection.scalar(select(ApiToken.id).where(ApiToken.token_hash == digest))
            if token_id is None:
                return None
            calls = connection.execute(_upsert(engine.dialect.name, token_id, window_start))
            count = int(calls.scalar_one())
            if count == 1:  # a new window: the token's older ones are done with
                connection.execute(
                    delete(ApiRateWindow).where(
                        ApiRateWindow.token_id == token_id,
                        ApiRateWindow.window_start < window_start,
                    )
                )
    finally:
        write_intent.reset(intent)
    reset = window_start + WINDOW_SECONDS - seconds
    return RateState(count <= limit, max(limit - count, 0), reset)
