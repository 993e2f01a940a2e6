"""Writing and verifying the hash-chained audit trail."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from labsys.core import clock
from labsys.database import is_postgres
from labsys.models import AuditEntry, User
from labsys.services.access import SystemActor

GENESIS_HASH = "0" * 64
# Any constant works; it only has to be the same for every writer of the chain.
_AUDIT_LOCK_KEY = 7_270_001


def _json_default(value):
    if isinstance(value, Decimal | date | datetime):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot record {type(value).__name__} in the audit trail")


def canonical_json(values: dict | None) -> str | None:
    if values is None:
        return None
    return json.dumps(
        values, sort_keys=True, ensure_ascii=False, default=_json_default, separators=(",", ":")
    )


def entry_hash(entry) -> str:
    """SHA-256 over the previous hash and every field of the entry but its own id/hash."""
    return _hash(
        entry.prev_hash,
        entry.at,
        entry.user_id,
        entry.entity,
        entry.entity_id,
        entry.action,
        entry.old_values,
        entry.new_values,
        entry.reason,
    )


def _hash(prev_hash, at, user_id, entity, entity_id, action, old_values, new_values, reason) -> str:
    payload = "\x1f".join(
        [
            prev_hash,
            at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"),
            "" if user_id is None else str(user_id),
            entity,
            entity_id,
            action,
            old_values or "",
            new_values or "",
            reason or "",
        ]
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _last_hash(session: Session) -> str:
    if is_postgres(session):
        # Serialise appenders: the chain must not fork (SQLite writers already queue on
        # BEGIN IMMEDIATE).  The lock is released at commit or rollback.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _AUDIT_LOCK_KEY})
    last = session.scalar(select(AuditEntry.row_hash).order_by(AuditEntry.id.desc()).limit(1))
    return last or GENESIS_HASH


@dataclass(frozen=True, slots=True)
class Change:
    """One audited change: what (``entity``/``entity_id``), which ``action``, the values
    before and after, and why.  ``old``/``new`` are stored as canonical JSON."""

    entity: str
    entity_id: object
    action: str
    old: dict | None = None
    new: dict | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Stamped:
    """A change with who made it and when: what :func:`append` writes."""

    change: Change
    user_id: int | None
    at: datetime


def record(
    session: Session,
    actor: User | SystemActor | None,
    entity: str,
    entity_id,
    action: str,
    *,
    old: dict | None = None,
    new: dict | None = None,
    reason: str | None = None,
) -> None:
    """Append one entry to the audit trail."""
    record_many(session, actor, [Change(entity, entity_id, action, old, new, reason)])


def record_many(
    session: Session, actor: User | SystemActor | None, changes: Iterable[Change]
) -> int:
    """Append several changes by one actor at once (bulk operations): one lock, one insert;
    returns how many were written."""
    user_id = actor.id if actor else None
    at = clock.now()
    return append(session, (Stamped(change, user_id, at) for change in changes))


def append(session: Session, entries: Iterable[Stamped]) -> int:
    """Append stamped changes, hash-chained, with one multi-row insert (rows, not ORM
    objects: bulk imports write thousands).

    Callers other than ``record_many`` are bulk loaders of past events (the demo's year),
    whose changes carry the time they happened.
    """
    prev = _last_hash(session)
    rows = []
    for entry in entries:
        if not isinstance(entry, Stamped) or not isinstance(entry.change, Change):
            raise TypeError(f"audit entries are Stamped(Change(...)), not {entry!r}")
        change = entry.change
        row = {
            "at": entry.at,
            "user_id": entry.user_id,
            "entity": change.entity,
            "entity_id": str(change.entity_id),
            "action": change.action,
            "old_values": canonical_json(change.old),
            "new_values": canonical_json(change.new),
            "reason": change.reason,
            "prev_hash": prev,
        }
        row["row_hash"] = prev = _hash(**row)
        rows.append(row)
    if rows:
        session.flush()  # pending ORM changes first, as an ORM insert would have
        session.connection().execute(insert(AuditEntry), rows)
    return len(rows)


@dataclass(frozen=True)
class ChainBreak:
    entry_id: int
    problem: str


def verify_chain(session: Session, batch_size: int = 5000) -> tuple[int, ChainBreak | None]:
    """Walk the chain in id order; return (rows checked, first break or None)."""
    prev = GENESIS_HASH
    checked = 0
    for entry in _entries_in_order(session, batch_size):
        if entry.prev_hash != prev:
            return checked, ChainBreak(
                entry.id,
                "previous-hash link broken (a row before it was changed, deleted or inserted)",
            )
        if entry_hash(entry) != entry.row_hash:
            return checked, ChainBreak(entry.id, "content does not match its hash (row edited)")
        prev = entry.row_hash
        checked += 1
    return checked, None


def _entries_in_order(session: Session, batch_size: int) -> Iterator:
    """Plain rows (not ORM objects) in keyset-paged batches: constant memory."""
    columns = [getattr(AuditEntry, c.key) for c in AuditEntry.__table__.columns]
    last_id = 0
    while True:
        batch = session.execute(
            select(*columns)
            .where(AuditEntry.id > last_id)
            .order_by(AuditEntry.id)
            .limit(batch_size)
        ).all()
        if not batch:
            return
        yield from batch
        last_id = batch[-1].id


def history(session: Session, entity: str, entity_id) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == entity, AuditEntry.entity_id == str(entity_id))
            .order_by(AuditEntry.id)
        )
    )
