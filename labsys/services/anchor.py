"""What anchors the audit trail outside the database: the HMAC key and signed checkpoints.

The key is ``AUDIT_KEY`` (e.g. ``LABSYS_AUDIT_KEY``) or, failing that, the file
``instance/audit_key`` (owner-only), created by ``labsys init``/``labsys secret-key`` or on
the first audited write.  Keys retired by a rotation stay readable for verification in
``AUDIT_PREVIOUS_KEYS``.  Whoever can change the database but not read the key cannot
re-chain an edited trail.

A checkpoint is the heads of the trail's chains (each chain's position ``seq`` and
``row_hash``; the trail is several chains, see ``labsys.services.audit``) signed together
with the key, kept in ``AUDIT_CHECKPOINT_PATH`` (default ``instance/audit_checkpoint.json``).  It is
written after every commit that appended entries (at most every
``AUDIT_CHECKPOINT_SECONDS``), by ``labsys audit checkpoint`` and into every backup; a
trail that ends before it, or differs at its position, has lost its newest rows.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import logging
import os
import secrets
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from flask import current_app, has_app_context

from labsys.core import clock

KEY_FILE = "audit_key"
CHECKPOINT_FILE = "audit_checkpoint.json"
MIN_KEY_LENGTH = 32
log = logging.getLogger(__name__)


class AuditKeyError(RuntimeError):
    """No usable audit key: the trail can neither be written nor verified."""


@dataclass(frozen=True)
class Key:
    id: str
    secret: bytes


def key_id(secret: bytes) -> str:
    """A name for the key that reveals nothing of it (stored on every keyed row)."""
    return hmac.new(secret, b"labsys audit key id", hashlib.sha256).hexdigest()[:16]


def make_key(text: str) -> Key:
    if len(text) < MIN_KEY_LENGTH:
        raise AuditKeyError(f"the audit key must have at least {MIN_KEY_LENGTH} characters")
    secret = text.encode("utf-8")
    return Key(key_id(secret), secret)


def private_dir(path: Path) -> Path:
    """Create ``path`` readable by its owner only (0700) if it does not exist."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only, atomically (temporary file, rename)."""
    private_dir(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)


def ensure_key_file(instance_path: str | os.PathLike) -> Path:
    """The instance's key file, created (owner-only) if missing."""
    path = Path(instance_path) / KEY_FILE
    if not path.exists():
        write_private(path, secrets.token_urlsafe(48))
    return path


def _config() -> dict:
    if not has_app_context():
        raise AuditKeyError("the audit trail is written and verified inside the app")
    return current_app.config


def current_key(create: bool = True) -> Key:
    """The key new entries are signed with."""
    config = _config()
    if config.get("AUDIT_KEY"):
        return make_key(str(config["AUDIT_KEY"]))
    path = Path(current_app.instance_path) / KEY_FILE
    if not path.exists():
        if not create:
            raise AuditKeyError(
                f"no audit key: set LABSYS_AUDIT_KEY or put the key file back at {path}"
            )
        log.warning("no audit key configured: creating %s", path)
        ensure_key_file(current_app.instance_path)
    return make_key(path.read_text(encoding="utf-8").strip())


def keyring() -> dict[str, Key]:
    """Every key that may verify a row: the current one and the retired ones."""
    keys = [make_key(str(text)) for text in _config().get("AUDIT_PREVIOUS_KEYS") or []]
    with contextlib.suppress(AuditKeyError):  # rows under an unknown key are reported
        keys.append(current_key(create=False))
    return {key.id: key for key in keys}


# --- checkpoints -------------------------------------------------------------------------------


# chain -> (position of its head, the head's row hash)
Heads = dict[int, tuple[int, str]]


@dataclass(frozen=True)
class Checkpoint:
    seq: int  # rows in the trail up to and including the heads (every chain)
    head_hash: str  # version 1: the one chain's head; version 2: ``heads_digest(heads)``
    at: str
    key_id: str
    mac: str = ""
    # Version 2: every chain's head.  None: a version-1 checkpoint, written when the trail
    # was one chain; it anchors chain 0 (``chain_heads``).
    heads: Heads | None = None

    def payload(self) -> bytes:
        if self.heads is None:
            return f"labsys-checkpoint-v1\x1f{self.seq}\x1f{self.head_hash}\x1f{self.at}".encode()
        return (
            f"labsys-checkpoint-v2\x1f{self.seq}\x1f{self.head_hash}\x1f{self.at}"
            f"\x1f{_heads_text(self.heads)}"
        ).encode()

    def chain_heads(self) -> Heads:
        return dict(self.heads) if self.heads is not None else {0: (self.seq, self.head_hash)}

    def to_json(self) -> str:
        data = asdict(self)
        if self.heads is None:
            del data["heads"]
        else:
            data["heads"] = {str(c): [seq, h] for c, (seq, h) in sorted(self.heads.items())}
        return json.dumps(data, sort_keys=True)


def _heads_text(heads: Heads) -> str:
    return ";".join(f"{chain}:{seq}:{h}" for chain, (seq, h) in sorted(heads.items()))


def heads_digest(heads: Heads) -> str:
    """One hash naming every chain's head (what a checkpoint's ``head_hash`` shows)."""
    return hashlib.sha256(_heads_text(heads).encode()).hexdigest()


def sign(heads: Heads, key: Key) -> Checkpoint:
    """The signed checkpoint of ``heads``: the trail's length, a digest and each head."""
    heads = {int(chain): (int(seq), str(h)) for chain, (seq, h) in heads.items()}
    total = sum(seq for seq, _hash in heads.values())
    unsigned = Checkpoint(total, heads_digest(heads), clock.now().isoformat(), key.id, "", heads)
    mac = hmac.new(key.secret, unsigned.payload(), hashlib.sha256).hexdigest()
    return Checkpoint(total, unsigned.head_hash, unsigned.at, key.id, mac, heads)


def is_authentic(checkpoint: Checkpoint, keys: dict[str, Key]) -> bool:
    key = keys.get(checkpoint.key_id)
    if key is None:
        return False
    expected = hmac.new(key.secret, checkpoint.payload(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, checkpoint.mac)


def checkpoint_path() -> Path:
    config = _config()
    configured = config.get("AUDIT_CHECKPOINT_PATH")
    return Path(configured) if configured else Path(current_app.instance_path) / CHECKPOINT_FILE


def parse_checkpoint(text: str) -> Checkpoint:
    data = json.loads(text)
    heads = None
    if "heads" in data:
        heads = {int(c): (int(seq), str(h)) for c, (seq, h) in data["heads"].items()}
    return Checkpoint(
        int(data["seq"]),
        str(data["head_hash"]),
        str(data["at"]),
        str(data["key_id"]),
        data["mac"],
        heads,
    )


def read_checkpoint(path: Path | None = None) -> Checkpoint | None:
    path = path or checkpoint_path()
    if not path.exists():
        return None
    return parse_checkpoint(path.read_text(encoding="utf-8"))


def store_checkpoint(
    checkpoint: Checkpoint, still_holds, key: Key, path: Path | None = None
) -> Checkpoint | None:
    """Replace the kept checkpoint by a newer one, under a file lock (several processes
    write it); return what was kept, or None when nothing was newer.  ``still_holds(old)``
    must confirm that the trail still contains every head of the old one: a checkpoint that
    no longer matches is evidence and is never overwritten.  Two writers that read the
    heads at different moments may each have a newer head of some chain: the one kept is
    the later head of every chain, signed again with ``key``."""
    path = path or checkpoint_path()
    private_dir(path.parent)
    lock_fd = os.open(path.with_name(path.name + ".lock"), os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(lock_fd, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        old = read_checkpoint(path)
        if old is not None:
            kept, new = old.chain_heads(), checkpoint.chain_heads()
            if all(seq <= kept.get(chain, (0, ""))[0] for chain, (seq, _h) in new.items()):
                return None
            if not still_holds(old):
                log.error("audit checkpoint %s no longer matches the trail: kept as is", path)
                return None
            merged = {**kept, **{c: h for c, h in new.items() if h[0] > kept.get(c, (0, ""))[0]}}
            if merged != new:
                checkpoint = sign(merged, key)
        write_private(path, checkpoint.to_json())
        return checkpoint


_last_write = {"monotonic": float("-inf")}


def checkpoint_due() -> bool:
    interval = _config().get("AUDIT_CHECKPOINT_SECONDS", 0)
    if interval is None:
        return False
    return time.monotonic() - _last_write["monotonic"] >= float(interval)


def mark_written() -> None:
    _last_write["monotonic"] = time.monotonic()
