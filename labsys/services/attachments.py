"""The attachment store: files kept on disk beside the database, described by a row.

A file is stored once under its SHA-256 (``<ATTACHMENTS_DIR>/ab/abcdef…``, owner-only), so
the name on disk *is* the checksum and :func:`verified_path` can prove a file unchanged
before it is served.  ``ATTACHMENTS_DIR`` defaults to ``instance/attachments``, which
``labsys backup`` archives and ``labsys restore`` brings back (services/backup.py).  The
database holds the :class:`~labsys.models.Attachment` row only: owner (``entity``,
``entity_id``), kind, the uploaded name, the type found in the content, size, SHA-256, who
and when; the audit trail records the same on the owner's history ("attach").

Types are read from the content, never from the name or the browser's claim: JPEG
(FF D8 FF), PNG (the 8-byte signature), PDF (``%PDF-``), and for callers that allow them
XLSX (a ZIP holding ``[Content_Types].xml``) and plain text/CSV (UTF-8 or GB 18030 without
NUL bytes).  Images must also open in Pillow within ``ATTACHMENT_MAX_PIXELS``.  Each file
is at most ``ATTACHMENT_MAX_BYTES`` (20 MB by default).

Who may attach to and see what depends on the owner: each feature registers its owners with
:func:`register_owner` (sampling: "sampling_visit" and "sample"; the bench: results).

A rolled-back operation leaves the file it wrote behind, unreferenced; it is harmless (the
same content uploaded again reuses it) and never listed.  Withdrawing an attachment hides
it from lists with a reason; the file and the row are kept (evidence is not deleted).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from labsys.core import clock
from labsys.models import Attachment, Role, User
from labsys.services import NotFound, PermissionDenied, ServiceError, anchor, audit
from labsys.services.access import writes

JPEG, PNG, PDF = "image/jpeg", "image/png", "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEXT = "text/plain"
IMAGE_TYPES = frozenset({JPEG, PNG})
EVIDENCE_TYPES = frozenset({JPEG, PNG, PDF})  # photos, scans, screenshots
RAW_DATA_TYPES = frozenset({JPEG, PNG, PDF, XLSX, TEXT})  # instrument exports too
EXTENSIONS = {JPEG: ".jpg", PNG: ".png", PDF: ".pdf", XLSX: ".xlsx", TEXT: ".txt"}
TYPE_NAMES = {JPEG: "JPEG", PNG: "PNG", PDF: "PDF", XLSX: "XLSX", TEXT: _l("text")}

DEFAULT_MAX_BYTES = 20_000_000  # 20 MB
DEFAULT_MAX_PIXELS = 80_000_000  # a 10,000 × 8,000 photo; more is a decompression bomb
THUMB_SIZE = 240
_CHUNK = 1 << 16

# What a file shows.  Sampling: Order No. 15 Art. 18 (online sampling) asks for the seller's
# page, the order and the payment and a record of the unboxing *(verify the article)*.
KINDS: dict[str, Any] = {
    "scene": _l("Sampling scene"),
    "seal": _l("Seal"),
    "label": _l("Label"),
    "licence": _l("Licence of the sampled unit"),
    "online_shop": _l("Online shop page"),
    "online_order": _l("Online order"),
    "online_payment": _l("Online payment"),
    "unboxing": _l("Unboxing record"),
    "signed_form": _l("Signed sampling form"),
    "signed_notice": _l("Signed sampling notice"),
    "raw_data": _l("Instrument raw data"),
    "other": _l("Other"),
}


class AttachmentError(ServiceError):
    """The file is refused (type, size, empty) or cannot be served (missing, altered)."""


@dataclass(frozen=True)
class Owner:
    """How a feature's records own attachments: the model and who may attach and view."""

    model: type[Any]
    may_attach: Callable[[Session, User, Any], bool]
    may_view: Callable[[Session, User, Any], bool]
    kinds: tuple[str, ...]
    # Why the record's files may no longer change (e.g. a report is issued), or None.
    locked: Callable[[Session, Any], str | None] | None = None


_OWNERS: dict[str, Owner] = {}


def register_owner(
    entity: str,
    model: type[Any],
    *,
    may_attach: Callable[[Session, User, Any], bool],
    may_view: Callable[[Session, User, Any], bool],
    kinds: tuple[str, ...] = tuple(KINDS),
    locked: Callable[[Session, Any], str | None] | None = None,
) -> None:
    """Let records of ``model`` (audit entity name ``entity``) own attachments; ``locked``
    says why a record's files may no longer be added or withdrawn (None: they may)."""
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown attachment kinds {sorted(unknown)}")
    _OWNERS[entity] = Owner(model, may_attach, may_view, tuple(kinds), locked)


def locked_reason(session: Session, entity: str, record) -> str | None:
    """Why ``record``'s files may no longer change, or None (for the pages' upload form)."""
    owner = owner_of(entity)
    return owner.locked(session, record) if owner.locked else None


def _refuse_locked(session: Session, owner: Owner, record) -> None:
    message = owner.locked(session, record) if owner.locked else None
    if message:
        raise ServiceError(message)


def owner_of(entity: str) -> Owner:
    if entity not in _OWNERS:
        raise NotFound(_("Attachments cannot be added here."))
    return _OWNERS[entity]


def kind_title(kind: str) -> str:
    return str(KINDS.get(kind, kind))


# --- settings and paths -------------------------------------------------------------------


def storage_dir() -> Path:
    from labsys.config import attachments_dir

    return attachments_dir(current_app.config, current_app.instance_path)


def blob_path(sha256: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256 or ""):
        raise ValueError(f"not a SHA-256: {sha256!r}")
    return storage_dir() / sha256[:2] / sha256


def max_bytes() -> int:
    return int(current_app.config.get("ATTACHMENT_MAX_BYTES") or DEFAULT_MAX_BYTES)


def _max_pixels() -> int:
    return int(current_app.config.get("ATTACHMENT_MAX_PIXELS") or DEFAULT_MAX_PIXELS)


# --- pure checks --------------------------------------------------------------------------


def sniff(head: bytes, path: Path | None = None) -> str | None:
    """The content type of a file from its first bytes (and, for a ZIP, its listing)."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04") and path is not None:
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError):
            return None
        return XLSX if "[Content_Types].xml" in names and "xl/workbook.xml" in names else None
    if head and b"\x00" not in head and _is_text(head):
        return TEXT
    return None


def _is_text(head: bytes) -> bool:
    # A byte order mark (Excel's "CSV UTF-8", the import template) is not a character.
    head = head.removeprefix(b"\xef\xbb\xbf")
    for encoding in ("utf-8", "gb18030"):
        try:
            # The first bytes may end inside a character: drop at most 3 bytes at the end.
            for cut in range(4):
                try:
                    text = head[: len(head) - cut].decode(encoding)
                    break
                except UnicodeDecodeError:
                    if cut == 3:
                        raise
            return all(ch.isprintable() or ch in "\r\n\t" for ch in text)
        except UnicodeDecodeError:
            continue
    return False


def safe_filename(name: str | None, content_type: str) -> str:
    """The uploaded name without folders or control characters, at most 200 characters,
    ending in the extension of the type found (a "photo.jpg" holding a PDF is "photo.pdf")."""
    base = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>|:*?').strip(" .")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    extension = EXTENSIONS.get(content_type, "")
    if content_type == TEXT and base.lower().endswith(".csv"):
        extension = ".csv"
    return (stem or "file")[: 200 - len(extension)] + extension


# --- storing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    sha256: str
    size: int
    content_type: str


def _store(stream: IO[bytes], allowed: frozenset[str]) -> Stored:
    """Copy ``stream`` into the store (hashing and counting as it goes); refuse what is too
    large, empty, or of a type not ``allowed``.  Returns what was stored."""
    folder = anchor.private_dir(storage_dir())
    limit = max_bytes()
    digest = hashlib.sha256()
    size = 0
    head = b""
    fd, temporary = tempfile.mkstemp(prefix=".upload-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as sink:
            while block := stream.read(_CHUNK):
                size += len(block)
                if size > limit:
                    raise AttachmentError(
                        _(
                            "The file is larger than %(mb)s MB: it was not stored.",
                            mb=f"{limit / 10**6:g}",
                        )
                    )
                if len(head) < 4096:
                    head += block[: 4096 - len(head)]
                digest.update(block)
                sink.write(block)
        if size == 0:
            raise AttachmentError(_("The file is empty."))
        content_type = sniff(head, Path(temporary))
        if content_type not in allowed:
            names = "、".join(sorted(str(TYPE_NAMES[t]) for t in allowed))
            raise AttachmentError(
                _("Only these kinds of file are accepted: %(types)s.", types=names)
            )
        if content_type in IMAGE_TYPES:
            _check_image(Path(temporary))
        sha256 = digest.hexdigest()
        target = blob_path(sha256)
        anchor.private_dir(target.parent)
        if target.exists():
            os.unlink(temporary)  # the same content is stored already
        else:
            os.chmod(temporary, 0o600)
            os.replace(temporary, target)
        return Stored(sha256, size, content_type)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _check_image(path: Path) -> None:
    from PIL import Image

    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > _max_pixels():
                raise AttachmentError(_("The image has too many pixels."))
            image.verify()
    except AttachmentError:
        raise
    except Exception:  # Pillow raises many kinds for a broken file
        raise AttachmentError(_("The image cannot be read: it may be damaged.")) from None


@writes(Role.SAMPLER, Role.SUPERVISOR, Role.TECHNICIAN, Role.REVIEWER)
def attach(
    session: Session,
    actor: User,
    *,
    entity: str,
    entity_id: int,
    kind: str,
    filename: str | None,
    stream: IO[bytes],
    allowed: frozenset[str] = EVIDENCE_TYPES,
    note: str = "",
) -> Attachment:
    """Store the file of ``stream`` and attach it to the record; audited on the record."""
    owner = owner_of(entity)
    record = session.get(owner.model, entity_id)
    if record is None:
        raise NotFound(_("The record does not exist."))
    if not owner.may_attach(session, actor, record):
        raise PermissionDenied(_("You may not add files to this record."))
    _refuse_locked(session, owner, record)
    if kind not in owner.kinds:
        raise AttachmentError(_("Choose what the file shows."), field="kind")
    stored = _store(stream, allowed)
    attachment = Attachment(
        entity=entity,
        entity_id=entity_id,
        kind=kind,
        filename=safe_filename(filename, stored.content_type),
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        note=(note or "").strip()[:300],
        uploaded_by_id=actor.id,
        uploaded_at=clock.now(),
    )
    session.add(attachment)
    session.flush()
    audit.record(session, actor, entity, entity_id, "attach", new=_values(attachment))
    return attachment


@writes(Role.TECHNICIAN)
def attach_many(
    session: Session,
    actor: User,
    *,
    entity: str,
    entity_ids: Sequence[int],
    kind: str,
    filename: str | None,
    data: bytes,
    allowed: frozenset[str] = EVIDENCE_TYPES,
) -> int:
    """Store one file once and attach it to many records (a bulk path: one multi-row insert
    and one audit batch, an "attach" entry on each record as ``attach`` writes).  The caller
    has checked that ``actor`` may add files to each record (the results import checks every
    row's state and assignment before it saves).  A record that already has this very file
    (same kind and SHA-256, not withdrawn) is left alone.  Returns how many were attached."""
    owner = owner_of(entity)
    if kind not in owner.kinds:
        raise AttachmentError(_("Choose what the file shows."), field="kind")
    ids = sorted(set(entity_ids))
    if not ids:
        return 0
    stored = _store(io.BytesIO(data), allowed)
    having: set[int] = set()
    for start in range(0, len(ids), 2000):
        having.update(
            session.scalars(
                select(Attachment.entity_id).where(
                    Attachment.entity == entity,
                    Attachment.kind == kind,
                    Attachment.sha256 == stored.sha256,
                    Attachment.withdrawn_at.is_(None),
                    Attachment.entity_id.in_(ids[start : start + 2000]),
                )
            )
        )
    wanted = [i for i in ids if i not in having]
    if not wanted:
        return 0
    now = clock.now()
    name = safe_filename(filename, stored.content_type)
    rows = [
        {
            "entity": entity,
            "entity_id": entity_id,
            "kind": kind,
            "filename": name,
            "content_type": stored.content_type,
            "size": stored.size,
            "sha256": stored.sha256,
            "note": "",
            "uploaded_by_id": actor.id,
            "uploaded_at": now,
        }
        for entity_id in wanted
    ]
    made = session.execute(
        insert(Attachment).returning(
            Attachment.id, Attachment.entity_id, sort_by_parameter_order=True
        ),
        rows,
    ).all()
    audit.record_many(
        session,
        actor,
        (
            audit.Change(
                entity,
                entity_id,
                "attach",
                new={
                    "attachment_id": attachment_id,
                    "kind": kind,
                    "filename": name,
                    "content_type": stored.content_type,
                    "size": stored.size,
                    "sha256": stored.sha256,
                },
            )
            for attachment_id, entity_id in made
        ),
    )
    return len(made)


@writes(Role.SAMPLER, Role.SUPERVISOR, Role.TECHNICIAN, Role.REVIEWER)
def withdraw(session: Session, actor: User, attachment: Attachment, *, reason: str) -> Attachment:
    """Hide an attachment from lists (file and row kept), with the reason; audited."""
    owner = owner_of(attachment.entity)
    record = session.get(owner.model, attachment.entity_id)
    if record is None or not owner.may_attach(session, actor, record):
        raise PermissionDenied(_("You may not withdraw files of this record."))
    _refuse_locked(session, owner, record)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Give the reason for withdrawing the file."), field="reason")
    if attachment.withdrawn_at is not None:
        return attachment
    attachment.withdrawn_at = clock.now()
    attachment.withdrawn_reason = reason[:500]
    session.flush()
    audit.record(
        session,
        actor,
        attachment.entity,
        attachment.entity_id,
        "detach",
        old=_values(attachment),
        reason=attachment.withdrawn_reason,
    )
    return attachment


def _values(attachment: Attachment) -> dict:
    return {
        "attachment_id": attachment.id,
        "kind": attachment.kind,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
    }


# --- reading ------------------------------------------------------------------------------


def listed(session: Session, entity: str, entity_ids) -> list[Attachment]:
    """The attachments (not withdrawn) of the records, oldest first."""
    ids = list(entity_ids)
    if not ids:
        return []
    return list(
        session.scalars(
            select(Attachment)
            .where(
                Attachment.entity == entity,
                Attachment.entity_id.in_(ids),
                Attachment.withdrawn_at.is_(None),
            )
            .order_by(Attachment.id)
        )
    )


def may_view(session: Session, user: User, attachment: Attachment) -> bool:
    owner = _OWNERS.get(attachment.entity)
    if owner is None:
        return False
    record = session.get(owner.model, attachment.entity_id)
    return record is not None and owner.may_view(session, user, record)


def verified_path(attachment: Attachment) -> Path:
    """The stored file, after checking that its content still has the recorded SHA-256."""
    path = blob_path(attachment.sha256)
    if not path.is_file():
        raise AttachmentError(
            _("The file of %(name)s is missing from the store.", name=attachment.filename)
        )
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    if digest.hexdigest() != attachment.sha256:
        raise AttachmentError(
            _(
                "The file of %(name)s was altered on disk (its SHA-256 differs): not served.",
                name=attachment.filename,
            )
        )
    return path


def thumbnail(attachment: Attachment, size: int = THUMB_SIZE) -> bytes | None:
    """A JPEG of the image at most ``size`` pixels wide and high (None for other types),
    cached in ``instance/thumbnails`` (not backed up: it is made again on demand)."""
    if not attachment.is_image:
        return None
    cache = Path(current_app.instance_path) / "thumbnails" / f"{attachment.sha256}-{size}.jpg"
    if cache.is_file():
        return cache.read_bytes()
    from PIL import Image, ImageOps

    source = verified_path(attachment)
    with Image.open(source) as image:
        if image.width * image.height > _max_pixels():
            return None
        image.draft("RGB", (size * 2, size * 2))  # JPEG: decode at a reduced scale
        picture = ImageOps.exif_transpose(image).convert("RGB")
        picture.thumbnail((size, size))
        out = io.BytesIO()
        picture.save(out, "JPEG", quality=80)
    data = out.getvalue()
    anchor.private_dir(cache.parent)
    temporary = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, cache)
    return data
