"""Writing and verifying the hash-chained audit trail.

The trail is several hash chains (``AuditEntry.chain``; ``AUDIT_CHAINS`` of them for new
writes), so that audited writers never queue behind one global lock: a transaction takes
the lock of one chain for its first entry (on PostgreSQL the first chain whose lock is
free, starting from one chosen by the user) and appends all its entries there; another
transaction, meanwhile, takes another chain.  Each chain is verified as before (links,
positions, keyed hashes; a row's chain is in its HMAC), and one signed checkpoint holds the
head of every chain, so deleting the newest rows of any chain, or a whole chain, shows.
"""

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

from flask import current_app, has_app_context
from sqlalchemy import event, func, insert, select, text, union_all
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from labsys.core import clock
from labsys.database import is_postgres, write_intent
from labsys.models import AuditEntry, User
from labsys.services import anchor
from labsys.services.access import SystemActor

GENESIS_HASH = "0" * 64  # chain 0's first ``prev_hash`` (the one chain of before)
# Any constant works; it only has to be the same for every writer of the trail.  A chain's
# lock is the pair (_AUDIT_LOCK_KEY, chain).
_AUDIT_LOCK_KEY = 7_270_001
_CHAIN = "labsys_audit_chain"  # session.info: the chain this transaction appends to
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
    return _keyed_hash(
        key,
        entry.seq,
        *fields,
        channel=getattr(entry, "channel", None),
        chain=getattr(entry, "chain", 0) or 0,
    )


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


def _keyed_hash(
    key: anchor.Key, seq: int | None, *fields, channel: str | None = None, chain: int = 0
) -> str:
    parts = [KEYED_SCHEME, str(seq), *_payload(*fields)]
    if channel is not None:  # rows without a channel keep the payload they always had
        parts += [f"channel={channel}"]
    if chain:  # chain 0's rows too (the trail of before)
        parts += [f"chain={chain}"]
    payload = "\x1f".join(parts)
    return hmac.new(key.secret, payload.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Head:
    seq: int
    row_hash: str


def genesis(chain: int) -> str:
    """The ``prev_hash`` of a chain's first row: chain 0 keeps the zeros it always had, the
    others a hash naming the chain (``prev_hash`` is unique across the table)."""
    if chain == 0:
        return GENESIS_HASH
    return hashlib.sha256(f"labsys-audit-chain\x1f{chain}".encode()).hexdigest()


def _head(session: Session | Connection, chain: int = 0) -> Head:
    """A chain's last row (position and hash); its genesis at position 0 when empty."""
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.row_hash)
        .where(AuditEntry.chain == chain)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).first()
    if last is None:
        return Head(0, genesis(chain))
    if last.seq is None:  # the first keyed row after a chain written before positions
        count = session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.chain == chain)
        )
        return Head(count or 0, last.row_hash)
    return Head(last.seq, last.row_hash)


def chains(session: Session | Connection) -> list[int]:
    """The chains the trail holds, one index probe each (``ix_audit_log_chain_id``)."""
    found: list[int] = []
    while True:
        query = select(AuditEntry.chain).order_by(AuditEntry.chain).limit(1)
        if found:
            query = query.where(AuditEntry.chain > found[-1])
        following = session.scalar(query)
        if following is None:
            return found
        found += [following]


def heads(session: Session | Connection) -> anchor.Heads:
    """Every chain's head: chain -> (position, row hash).  Written after every audited
    commit, so it costs two round trips: the heads of the configured chains in one query
    (an index probe each), and a probe for chains beyond them (``AUDIT_CHAINS`` lowered)."""
    configured = _configured_chains()
    probes = [
        select(AuditEntry.chain, AuditEntry.seq, AuditEntry.row_hash)
        .where(AuditEntry.chain == chain)
        .order_by(AuditEntry.id.desc())
        .limit(1)
        .subquery()
        for chain in range(configured)
    ]
    rows = session.execute(union_all(*(select(probe) for probe in probes))).all()
    found: anchor.Heads = {}
    for row in rows:
        # A chain whose last row has no position (written before positions) is counted.
        head = Head(row.seq, row.row_hash) if row.seq is not None else _head(session, row.chain)
        found[row.chain] = (head.seq, head.row_hash)
    beyond = session.scalar(select(AuditEntry.chain).where(AuditEntry.chain >= configured).limit(1))
    if beyond is not None:
        for chain in chains(session):
            if chain not in found:
                head = _head(session, chain)
                found[chain] = (head.seq, head.row_hash)
    return dict(sorted(found.items()))


def _configured_chains() -> int:
    return max(1, int(current_app.config.get("AUDIT_CHAINS") or 1))


@dataclass(frozen=True)
class TrailHead:
    """The whole trail's head: its length, a digest of the heads, and each chain's head."""

    seq: int
    row_hash: str
    heads: anchor.Heads


def trail_head(session: Session | Connection) -> TrailHead:
    found = heads(session)
    return TrailHead(sum(seq for seq, _hash in found.values()), anchor.heads_digest(found), found)


def _lock_chain(session: Session, chain: int, *, wait: bool = True) -> bool:
    """Take the chain's lock until the transaction ends (PostgreSQL; SQLite's writers
    already queue on BEGIN IMMEDIATE); without ``wait``, only if it is free."""
    if not is_postgres(session):
        return True
    function = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
    taken = session.scalar(
        text(f"SELECT {function}(:key, :chain)"), {"key": _AUDIT_LOCK_KEY, "chain": chain}
    )
    return wait or bool(taken)


def _chain_for(session: Session, entries: list[Stamped]) -> int:
    """The chain this transaction appends to, its lock held: the one it took for its first
    entry, else the first free one from the user's own (``user id mod AUDIT_CHAINS``), else
    (every chain busy) the user's own, waiting for it."""
    chosen = session.info.get(_CHAIN)
    if chosen is not None:
        # Held already (re-entrant); taken again after a savepoint's rollback released it.
        _lock_chain(session, chosen)
        return chosen
    count = _configured_chains()
    user_id = next((e.user_id for e in entries if e.user_id is not None), 0)
    own = user_id % count
    candidates = [(own + offset) % count for offset in range(count)]
    chosen = next((c for c in candidates if _lock_chain(session, c, wait=False)), None)
    if chosen is None:
        _lock_chain(session, own)
        chosen = own
    session.info[_CHAIN] = chosen
    return chosen


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
    entries = list(entries)
    for entry in entries:
        if not isinstance(entry, Stamped) or not isinstance(entry.change, Change):
            raise TypeError(f"audit entries are Stamped(Change(...)), not {entry!r}")
    if not entries:
        return 0
    chain = _chain_for(session, entries)
    head = _head(session, chain)
    prev, seq = head.row_hash, head.seq
    rows = []
    for entry in entries:
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
        prev = _keyed_hash(key, seq, *(row[name] for name in _HASHED), channel=way, chain=chain)
        rows.append(
            {
                **row,
                "row_hash": prev,
                "seq": seq,
                "key_id": key.id,
                "channel": way,
                "chain": chain,
            }
        )
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
    """Walk the trail in id order, each row against the chain it belongs to; return (rows
    checked, first break or None).

    Chain 0's rows written before keys verify with plain SHA-256 until its first keyed
    row; after it, and in every other chain from its start, every row must be keyed,
    numbered in sequence, and match its HMAC.  With a ``checkpoint``, the row at each
    chain's anchored position must carry the anchored hash, and every anchored chain must
    reach it (else its newest rows were deleted)."""
    keys = anchor.keyring()
    anchored = checkpoint.chain_heads() if checkpoint is not None else {}
    walked: dict[int, _Walk] = {}
    checked = 0
    for entry in _entries_in_order(session, batch_size):
        chain = entry.chain
        walk = walked.setdefault(chain, _Walk(genesis(chain), keyed=chain != 0))
        position = walk.count + 1
        problem = _row_problem(entry, walk.prev, position, walk.keyed, keys)
        if problem is None and checkpoint and _contradicts(entry, position, anchored):
            problem = (
                f"differs from the checkpoint of {checkpoint.at} at position {position} of "
                f"chain {chain} (the trail was rewritten from here or before)"
            )
        if problem:
            return checked, ChainBreak(entry.id, problem)
        walk.keyed = walk.keyed or entry.key_id is not None
        walk.prev, walk.count = entry.row_hash, position
        checked += 1
    for chain, (seq, _hash) in sorted(anchored.items()):
        reached = walked[chain].count if chain in walked else 0
        if reached < seq:
            assert checkpoint is not None
            return checked, ChainBreak(
                None,
                f"chain {chain} of the trail ends after {reached} entries, but the checkpoint "
                f"of {checkpoint.at} recorded {seq}: the newest entries were deleted "
                f"({checked} entries in all, {checkpoint.seq} at the checkpoint)",
            )
    return checked, None


@dataclass
class _Walk:
    """Where the walk of one chain stands."""

    prev: str
    keyed: bool
    count: int = 0


def _contradicts(entry, position: int, anchored: anchor.Heads) -> bool:
    head = anchored.get(entry.chain)
    return head is not None and position == head[0] and entry.row_hash != head[1]


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
            checkpoint = anchor.sign(heads(connection), key)
            stored = anchor.store_checkpoint(
                checkpoint, lambda old: _still_holds(connection, old), key
            )
    finally:
        write_intent.reset(token)
    anchor.mark_written()
    return stored


def _still_holds(connection, checkpoint: anchor.Checkpoint) -> bool:
    """Whether the trail still holds every head ``checkpoint`` anchored."""
    return all(
        _hash_at(connection, chain, seq) == head
        for chain, (seq, head) in checkpoint.chain_heads().items()
    )


def _hash_at(connection, chain: int, seq: int) -> str | None:
    if seq <= 0:
        return genesis(chain)
    found = connection.scalar(
        select(AuditEntry.row_hash).where(AuditEntry.chain == chain, AuditEntry.seq == seq)
    )
    if found is None:  # a position among rows from before ``seq`` existed (chain 0)
        found = connection.scalar(
            select(AuditEntry.row_hash)
            .where(AuditEntry.chain == chain)
            .order_by(AuditEntry.id)
            .offset(seq - 1)
            .limit(1)
        )
    return found


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


@event.listens_for(Session, "after_transaction_end")
def _release_chain(session: Session, transaction) -> None:
    """The chain's lock ends with the transaction: the next one chooses again."""
    if transaction.parent is None:
        session.info.pop(_CHAIN, None)


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
