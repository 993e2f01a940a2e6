"""The append-only, hash-chained audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from labsys.core import clock
from labsys.models.base import Base, UTCDateTime


class AuditEntry(Base):
    """One change to data: who, when, what, old and new values, why.

    ``row_hash`` is the SHA-256 of this row's content and the previous row's hash, so
    editing or deleting any row breaks the chain from there on (``labsys audit verify``).
    ``prev_hash`` is unique: two writers that raced for the same predecessor cannot both
    commit.

    Keyed rows (``key_id`` set) hash with HMAC-SHA256 under the audit key, which is kept
    outside the database (``AUDIT_KEY`` or ``instance/audit_key``): whoever can write the
    database but not read that key cannot re-chain an edited trail.  ``key_id`` names the
    key (a fingerprint, never the key); NULL marks a row written before keys (plain
    SHA-256), verified the old way up to the first keyed row.  ``seq`` is the row's
    position in the chain (1, 2, ...; NULL on rows from before it existed), covered by the
    HMAC, so a signed checkpoint of (seq, head hash) exposes deleted newest rows.

    The trail is several chains (``chain`` 0, 1, ...), each with its own head, so that
    writers do not queue behind one another (``labsys.services.audit``): a transaction
    appends to one chain, under that chain's lock only.  Rows from before (chain 0) hash as
    they always did; a row of another chain has its chain in its HMAC, and one checkpoint
    signs the heads of every chain together.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    old_values: Mapped[str | None] = mapped_column(Text)  # canonical JSON
    new_values: Mapped[str | None] = mapped_column(Text)  # canonical JSON
    reason: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    row_hash: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int | None]
    key_id: Mapped[str | None] = mapped_column(String(16))
    # The way the change came in when not a page or the command line: "api".  Covered by
    # the row's HMAC when set (rows without a channel hash exactly as before it existed).
    channel: Mapped[str | None] = mapped_column(String(10))
    chain: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")

    __table_args__ = (
        Index("ix_audit_log_entity", "entity", "entity_id", "id"),
        # A chain's rows in order, its head, and the chains there are (a skip scan).
        Index("ix_audit_log_chain_id", "chain", "id"),
        UniqueConstraint("chain", "seq"),
    )

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.entity}:{self.entity_id} {self.action}>"
