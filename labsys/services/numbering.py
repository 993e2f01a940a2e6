"""Gap-tolerant, collision-free counters for sample and report numbers."""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from labsys.models import NumberSequence


def next_value(session: Session, name: str) -> int:
    """Draw the next number of the sequence ``name`` (created at 1 on first use).

    The increment is one UPDATE: concurrent transactions queue on the row lock
    (PostgreSQL) or the database write lock (SQLite), so no two draw the same value.
    A rolled-back transaction gives its number back.
    """
    for _attempt in range(3):
        value = session.execute(
            update(NumberSequence)
            .where(NumberSequence.name == name)
            .values(last_value=NumberSequence.last_value + 1)
            .returning(NumberSequence.last_value)
        ).scalar()
        if value is not None:
            return value
        try:
            with session.begin_nested():
                session.execute(insert(NumberSequence).values(name=name, last_value=1))
            return 1
        except IntegrityError:
            continue  # another transaction created it first: draw again with UPDATE
    raise RuntimeError(f"could not draw a number from sequence {name!r}")


def current_value(session: Session, name: str) -> int:
    return session.scalar(select(NumberSequence.last_value).where(NumberSequence.name == name)) or 0
