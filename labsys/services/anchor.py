"""What anchors the audit trail outside the database: the HMAC key and signed checkpoints.

The key is ``AUDIT_KEY`` (e.g. ``LABSYS_AUDIT_KEY``) or, failing that, the file
``instance/audit_key`` (owner-only), created by ``labsys init``/``labsys secret-key`` or on
the first audited write.  Keys retired by a rotation stay readable for verification in
``AUDIT_PREVIOUS_KEYS``.  Whoever can change the database but not read the key cannot
re-chain an edited trail.

A checkpoint is the chain's head (position ``seq`` and ``row_hash``) signed with the key,
kept in ``AUDIT_CHECKPOINT_PATH`` (default ``instance/audit_checkpoint.json``).  It is
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


@dataclass(frozen=True)
class Checkpoint:
    seq: int  # rows in the chain up to and including the head
    head_hash: str
    at: str
    key_id: str
    mac: str = ""

    def payload(self) -> bytes:
        return f"labsys-checkpoint-v1\x1f{self.seq}\x1f{self.head_hash}\x1f{self.at}".encode()

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def sign(seq: int, head_hash: str, key: Key) -> Checkpoint:
    unsigned = Checkpoint(seq, head_hash, clock.now().isoformat(), key.id)
    mac = hmac.new(key.secret, unsigned.payload(), hashlib.sha256).hexdigest()
    return Checkpoint(seq, head_hash, unsigned.at, key.id, mac)


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
    return Checkpoint(
        int(data["seq"]), str(data["head_hash"]), str(data["at"]), str(data["key_id"]), data["mac"]
    )


def read_checkpoint(path: Path | None = None) -> Checkpoint | None:
    path = path or checkpoint_path()
    if not path.exists():
        return None
    return parse_checkpoint(path.read_text(encoding="utf-8"))


def store_checkpoint(checkpoint: Checkpoint, still_holds, path: Path | None = None) -> bool:
    """Replace the kept checkpoint by a newer one, under a file lock (several processes
    write it).  ``still_holds(old)`` must confirm that the trail still contains the old
    head: a checkpoint that no longer matches is evidence and is never overwritten."""
    path = path or checkpoint_path()
    private_dir(path.parent)
    lock_fd = os.open(path.with_name(path.name + ".lock"), os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(lock_fd, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        old = read_checkpoint(path)
        if old is not None and old.seq >= checkpoint.seq:
            return False
        if old is not None and not still_holds(old):
            log.error("audit checkpoint %s no longer matches the trail: kept as is", path)
            return False
        write_private(path, checkpoint.to_json())
        return True


_last_write = {"monotonic": float("-inf")}


def checkpoint_due() -> bool:
    interval = _config().get("AUDIT_CHECKPOINT_SECONDS", 0)
    if interval is None:
        return False
    return time.monotonic() - _last_write["monotonic"] >= float(interval)


def mark_written() -> None:
    _last_write["monotonic"] = time.monotonic()
