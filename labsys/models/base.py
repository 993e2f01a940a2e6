"""Declarative base, the constraint naming convention, and column types shared by models."""

from __future__ import annotations

import enum
from datetime import UTC

from sqlalchemy import DateTime, Enum, MetaData, types
from sqlalchemy.orm import DeclarativeBase

# Named constraints from the first migration on, so downgrades and later migrations never
# meet an anonymous constraint (the two databases would name them differently).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(types.TypeDecorator):
    """A timestamp stored as naive UTC and always returned timezone-aware (UTC).

    SQLite has no time zones, so storing naive UTC on both databases keeps one code path;
    a naive value handed in is refused rather than guessed at.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


def str_enum(enum_class: type[enum.Enum], name: str) -> Enum:
    """A string column restricted to an enum's values by a named CHECK constraint."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        length=max(len(m.value) for m in enum_class),
        values_callable=lambda cls: [m.value for m in cls],
    )
