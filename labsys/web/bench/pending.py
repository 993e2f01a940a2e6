"""An uploaded import file kept between its preview and the user's confirmation.

Stored under ``instance/import_pending/<user id>-<token><.csv|.xlsx>`` (owner-only), never in
the session cookie; a token names only its uploader's file, and files older than a day are
deleted at the next upload."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from flask import current_app

from labsys.core import clock

MAX_AGE_SECONDS = 24 * 3600
_TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")
SUFFIXES = (".csv", ".xlsx")


def _folder() -> Path:
    folder = Path(current_app.instance_path) / "import_pending"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _path(user_id: int, token: str, suffix: str) -> Path:
    return _folder() / f"{user_id}-{token}{suffix}"


def store(user_id: int, data: bytes, filename: str) -> str:
    """Keep ``data`` for ``user_id``; returns the token naming it."""
    _forget_old()
    suffix = Path(filename).suffix.lower()
    suffix = suffix if suffix in SUFFIXES else ".csv"
    token = secrets.token_hex(16)
    path = _path(user_id, token, suffix)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)
    return token


def load(user_id: int, token: str) -> tuple[bytes, str] | None:
    """(data, file name) of the user's pending file, or None (unknown, expired, another's)."""
    if not _TOKEN_RE.match(token or ""):
        return None
    for suffix in SUFFIXES:
        path = _path(user_id, token, suffix)
        if path.is_file():
            return path.read_bytes(), f"import{suffix}"
    return None


def discard(user_id: int, token: str) -> None:
    if not _TOKEN_RE.match(token or ""):
        return
    for suffix in SUFFIXES:
        _path(user_id, token, suffix).unlink(missing_ok=True)


def _forget_old() -> None:
    limit = clock.now().timestamp() - MAX_AGE_SECONDS
    for path in _folder().iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            continue
