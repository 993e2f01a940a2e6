"""Writing and verifying the hash-chained audit trail."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum

from flask import has_app_context
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from labsys.core import clock
from labsys.database import is_postgres, write_intent
from labsys.models import AuditEntry, User
from labsys.services import anchor
from labsys.services.access import SystemActor

GENESIS_HASH = "0" * 64
# Any constant works; it only has to be the same for every writer of the chain.
_AUDIT_LOCK_KEY = 7_270_001
# Keyed rows: HMAC-SHA256 over this tag, the row's position and the legacy payload.
KEYED_SCHEME = "labsys-audit-hmac-v1"
_HASHED = (
    "prev_hash", "at", "user_id", "entity", "entity_id", "action", "old_values", "new_values",
    "reason",
)  # fmt: skip
_APPENDED = "labsys_audit_appended"
# The way changes come in when it is not a page or the command line: the API sets "api"
# for its requests, and every entry appended meanwhile records it (``AuditEntry.channel``).
channel: ContextVar[str | None] = ContextVar("labsys_audit_channel", default=None)
log = logging.getLogger(__name__)


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


def entry_hash(entry, keys: dict | None = None) -> str:
    """The hash a row must carry: plain SHA-256 for rows written before keys (``key_id``
    NULL), HMAC-SHA256 under the key named by ``key_id`` for every later row."""
    fields = (
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
    if entry.key_id is None:
        return _hash(*fields)
    key = (keys if keys is not None else anchor.keyring()).get(entry.key_id)
    if key is None:
        raise anchor.AuditKeyError(
            f"entry {entry.id} is signed with audit key {entry.key_id}, which is not "
            "configured (set LABSYS_AUDIT_KEY, restore instance/audit_key, or list retired "
            "keys in AUDIT_PREVIOUS_KEYS)"
        )
    return _keyed_hash(key, entry.seq, *fields, channel=getattr(entry, "channel", None))


def _payload(prev_hash, at, user_id, entity, entity_id, action, old_values, new_values, reason):
    return [
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


def _hash(prev_hash, at, user_id, entity, entity_id, action, old_values, new_values, reason) -> str:
    """The unkeyed SHA-256 of rows written before keys (kept to verify them)."""
    payload = "\x1f".join(
        _payload(prev_hash, at, user_id, entity, entity_id, action, old_values, new_values, reason)
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _keyed_hash(key: anchor.Key, seq: int | None, *fields, channel: str | None = None) -> str:
    parts = [KEYED_SCHEME, str(seq), *_payload(*fields)]
    if channel is not None:  # rows without a channel keep the payload they always had
        parts += [f"channel={channel}"]
    payload = "\x1f".join(parts)
    return hmac.new(key.secret, payload.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Head:
    seq: int
    row_hash: str


def _head(session: Session | Connection, lock: bool = False) -> Head:
    """The chain's last row (position and hash); GENESIS at position 0 when empty."""
    if lock and is_postgres(session):
        # Serialise appenders: the chain must not fork (SQLite writers already queue on
        # BEGIN IMMEDIATE).  The lock is released at commit or rollback.
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _AUDIT_LOCK_KEY})
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.row_hash).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    if last is None:
        return Head(0, GENESIS_HASH)
    if last.seq is None:  # the first keyed row after a chain written before positions
        count = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
        return Head(count, last.row_hash)
    return Head(last.seq, last.row_hash)


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
    key = anchor.current_key()
    way = channel.get()
    head = _head(session, lock=True)
    prev, seq = head.row_hash, head.seq
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
        seq += 1
        prev = _keyed_hash(key, seq, *(row[name] for name in _HASHED), channel=way)
        rows.append({**row, "row_hash": prev, "seq": seq, "key_id": key.id, "channel": way})
    if rows:
        session.flush()  # pending ORM changes first, as an ORM insert would have
        session.connection().execute(insert(AuditEntry), rows)
        session.info[_APPENDED] = True  # a checkpoint is due after the commit
    return len(rows)


@dataclass(frozen=True)
class ChainBreak:
    entry_id: int | None  # None: the trail as a whole (e.g. it ends too early)
    problem: str


def verify_chain(
    session: Session, batch_size: int = 5000, checkpoint: anchor.Checkpoint | None = None
) -> tuple[int, ChainBreak | None]:
    """Walk the chain in id order; return (rows checked, first break or None).

    Rows written before keys verify with plain SHA-256 until the first keyed row; after it
    every row must be keyed, numbered in sequence, and match its HMAC.  With a
    ``checkpoint``, the row at its position must carry its head hash, and the trail must
    reach it (else its newest rows were deleted)."""
    keys = anchor.keyring()
    prev, checked, keyed = GENESIS_HASH, 0, False
    for entry in _entries_in_order(session, batch_size):
        problem = _row_problem(entry, prev, checked + 1, keyed, keys)
        if problem is None and checkpoint and _contradicts(entry, checked + 1, checkpoint):
            problem = (
                f"differs from the checkpoint of {checkpoint.at} at position "
                f"{checkpoint.seq} (the trail was rewritten from here or before)"
            )
        if problem:
            return checked, ChainBreak(entry.id, problem)
        keyed = keyed or entry.key_id is not None
        prev = entry.row_hash
        checked += 1
    if checkpoint is not None and checked < checkpoint.seq:
        return checked, ChainBreak(
            None,
            f"the trail ends after {checked} entries, but the checkpoint of {checkpoint.at} "
            f"recorded {checkpoint.seq}: the newest entries were deleted",
        )
    return checked, None


def _contradicts(entry, position: int, checkpoint: anchor.Checkpoint | None) -> bool:
    return (
        checkpoint is not None
        and position == checkpoint.seq
        and entry.row_hash != checkpoint.head_hash
    )


def _row_problem(entry, prev: str, position: int, keyed: bool, keys: dict) -> str | None:
    if entry.prev_hash != prev:
        return "previous-hash link broken (a row before it was changed, deleted or inserted)"
    if keyed and entry.key_id is None:
        return "an unkeyed entry after the keyed chain began (forged or re-chained)"
    if entry.key_id is not None and entry.seq != position:
        return f"position {entry.seq} where {position} was due (rows deleted or inserted)"
    try:
        expected = entry_hash(entry, keys)
    except anchor.AuditKeyError as error:
        return str(error)
    if not hmac.compare_digest(expected, entry.row_hash):
        return "content does not match its hash (row edited)"
    return None


# --- checkpoints -------------------------------------------------------------------------------


def write_checkpoint(bind, *, force: bool = False) -> anchor.Checkpoint | None:
    """Sign the chain's committed head and keep it (see ``labsys.services.anchor``);
    returns it, or None when nothing was written (not due, or not newer)."""
    if not force and not anchor.checkpoint_due():
        return None
    key = anchor.current_key()
    token = write_intent.set(False)  # a read: SQLite's plain BEGIN, no write lock
    try:
        with bind.connect() as connection:
            head = _head(connection)
            checkpoint = anchor.sign(head.seq, head.row_hash, key)
            stored = anchor.store_checkpoint(
                checkpoint, lambda old: _hash_at(connection, old.seq) == old.head_hash
            )
    finally:
        write_intent.reset(token)
    anchor.mark_written()
    return checkpoint if stored else None


def _hash_at(connection, seq: int) -> str | None:
    found = connection.scalar(select(AuditEntry.row_hash).where(AuditEntry.seq == seq))
    if found is None and seq > 0:  # a position among rows from before ``seq`` existed
        found = connection.scalar(
            select(AuditEntry.row_hash).order_by(AuditEntry.id).offset(seq - 1).limit(1)
        )
    return found if seq > 0 else GENESIS_HASH


@event.listens_for(Session, "after_commit")
def _checkpoint_after_commit(session: Session) -> None:
    """Anchor what was just committed (cheap: one indexed read and a small file).  The
    event fires for savepoints too: only the real commit counts."""
    if session.in_nested_transaction():
        return
    if not session.info.pop(_APPENDED, False) or not has_app_context():
        return
    try:
        write_checkpoint(session.get_bind())
    except Exception:  # the commit stands; a missing checkpoint shows in ``audit verify``
        log.exception("could not write the audit checkpoint")


@event.listens_for(Session, "after_rollback")
def _forget_appended(session: Session) -> None:
    if not session.in_nested_transaction():  # a savepoint's rollback keeps what came before
        session.info.pop(_APPENDED, None)


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
