"""``labsys backup`` and ``labsys restore``: one archive holding everything to start again.

The archive (tar.gz, owner-only) holds:

- ``database.sqlite3`` (SQLite: ``VACUUM INTO``, a read transaction on a WAL snapshot, so
  writers go on meanwhile) or ``database.pgdump`` (PostgreSQL: ``pg_dump -Fc`` on a
  snapshot exported from a REPEATABLE READ transaction, in which the counts and the audit
  head are read too: they describe exactly what was dumped);
- ``audit_checkpoint.json``: the audit head of that snapshot, signed with the audit key;
- ``attachments/...``: the attachments folder, if the instance has one;
- ``manifest.json``: versions, row counts, the audit head and the SHA-256 of every member.

The audit key is deliberately *not* in the archive (with it, a thief of the backup could
re-chain a forged trail): keep ``instance/audit_key`` or ``LABSYS_AUDIT_KEY`` safe apart.

Restore goes into an empty database only, then verifies the chain, every report and every
result against the trail, and the counts against the manifest.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy import create_engine, func, inspect, select, table, text
from sqlalchemy.engine import Connection, Engine

from labsys.core import clock
from labsys.database import write_intent
from labsys.models import Base, load_all
from labsys.services import anchor, audit, integrity

FORMAT = "labsys-backup-1"
MANIFEST = "manifest.json"
CHECKPOINT = "audit_checkpoint.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
ATTACHMENTS = "attachments"


class BackupError(RuntimeError):
    """The backup or restore cannot go on; the message says why and what to do."""


@dataclass
class Snapshot:
    """What was dumped: row counts, the audit head, the schema revision."""

    counts: dict[str, int]
    head: audit.TrailHead
    revision: str | None
    server: str


# --- backup ------------------------------------------------------------------------------------


def backup(engine: Engine, output: Path) -> dict:
    """Write the archive to ``output`` (atomically, mode 0600); return its manifest."""
    audit.write_checkpoint(engine, force=True)  # the live trail, anchored at each backup
    key = anchor.current_key()
    with tempfile.TemporaryDirectory(prefix="labsys-backup-") as folder:
        work = Path(folder)
        if engine.dialect.name == "sqlite":
            member, snapshot = _dump_sqlite(engine, work)
        else:
            member, snapshot = _dump_postgres(engine, work)
        checkpoint = anchor.sign(snapshot.head.heads, key)
        (work / CHECKPOINT).write_text(checkpoint.to_json(), encoding="utf-8")
        members = [member, work / CHECKPOINT]
        manifest = _manifest(engine, snapshot, work, members, _attachment_files())
        _write_archive(output, work, members, manifest)
    return manifest


def _dump_sqlite(engine: Engine, work: Path) -> tuple[Path, Snapshot]:
    source = Path(str(engine.url.database))
    target = work / SQLITE_MEMBER
    raw = sqlite3.connect(source, timeout=30)
    try:
        raw.execute("VACUUM INTO ?", (str(target),))
    finally:
        raw.close()
    copy = create_engine(f"sqlite:///{target}")
    try:
        with copy.connect() as connection:
            snapshot = _read_snapshot(connection, f"SQLite {sqlite3.sqlite_version}")
    finally:
        copy.dispose()
    return target, snapshot


def _dump_postgres(engine: Engine, work: Path) -> tuple[Path, Snapshot]:
    target = work / PG_MEMBER
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
        connection.execute(text("SET TRANSACTION READ ONLY"))
        snapshot_id = connection.scalar(text("SELECT pg_export_snapshot()"))
        server = connection.scalar(text("SHOW server_version"))
        snapshot = _read_snapshot(connection, f"PostgreSQL {server}")
        # The exported snapshot lives as long as this transaction: dump while it is open.
        _run(["pg_dump", "-Fc", f"--snapshot={snapshot_id}", "-f", str(target)], engine)
        connection.rollback()
    return target, snapshot


def _read_snapshot(connection: Connection, server: str) -> Snapshot:
    load_all()  # every table (the model package imports lazily)
    counts = {
        t.name: int(connection.scalar(select(func.count()).select_from(t)) or 0)
        for t in Base.metadata.sorted_tables
    }
    revision = None
    if inspect(connection).has_table("alembic_version"):
        revision = connection.scalar(text("SELECT version_num FROM alembic_version"))
    return Snapshot(counts, audit.trail_head(connection), revision, server)


def _libpq(engine: Engine) -> tuple[str, dict]:
    """The URL for pg_dump/pg_restore and an environment carrying the password (never on
    the command line, where other users could read it)."""
    url = engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], engine: Engine) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is not installed (Debian: postgresql-client)")
    url, env = _libpq(engine)
    result = subprocess.run(
        [*command, f"--dbname={url}"], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[-2000:]}")


def _attachments_dir() -> Path:
    from labsys.config import attachments_dir

    return attachments_dir(current_app.config, current_app.instance_path)


def _attachment_files() -> list[Path]:
    folder = _attachments_dir()
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _manifest(engine, snapshot: Snapshot, work: Path, members, attachments) -> dict:
    folder = _attachments_dir()
    listed = {path.name: path for path in members}
    listed |= {f"{ATTACHMENTS}/{p.relative_to(folder).as_posix()}": p for p in attachments}
    return {
        "format": FORMAT,
        "created_at": clock.now().isoformat(),
        "versions": {
            "labsys": _version(),
            "schema": snapshot.revision,
            "database": snapshot.server,
            "python": platform.python_version(),
        },
        "dialect": engine.dialect.name,
        "counts": snapshot.counts,
        "audit_head": {"seq": snapshot.head.seq, "hash": snapshot.head.row_hash},
        "members": {
            name: {"sha256": _sha256(path), "size": path.stat().st_size}
            for name, path in listed.items()
        },
        "_paths": {name: str(path) for name, path in listed.items()},
    }


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("labsys")
    except PackageNotFoundError:
        return "unknown"


def _private(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
    return info


def _write_archive(output: Path, work: Path, members, manifest: dict) -> None:
    paths = manifest.pop("_paths")
    output = output.resolve()
    temporary = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
            data = json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode, info.mtime = len(data), 0o600, int(clock.now().timestamp())
            archive.addfile(info, io.BytesIO(data))
            for name, path in paths.items():
                archive.add(path, arcname=name, recursive=False, filter=_private)
        os.replace(temporary, output)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


# --- restore -----------------------------------------------------------------------------------


@dataclass
class Restored:
    manifest: dict
    verification: integrity.Verification
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def restore(engine: Engine, archive_path: Path) -> Restored:
    """Restore the archive into the (empty) database and attachments folder, then verify."""
    with _unpacked(archive_path) as (work, manifest):
        _check_target(engine, manifest)
        if manifest["dialect"] == "sqlite":
            _restore_sqlite(engine, work / SQLITE_MEMBER)
        else:
            _run(
                ["pg_restore", "--no-owner", "--no-privileges", "--single-transaction",
                 "--exit-on-error", str(work / PG_MEMBER)],
                engine,
            )  # fmt: skip
        _restore_attachments(work)
        notes = _restore_checkpoint(work / CHECKPOINT)
    verification, problems = _verify_restored(engine, manifest)
    return Restored(manifest, verification, problems, notes)


@contextmanager
def _unpacked(archive_path: Path) -> Iterator[tuple[Path, dict]]:
    with tempfile.TemporaryDirectory(prefix="labsys-restore-") as folder:
        work = Path(folder)
        try:
            with tarfile.open(archive_path, "r:gz") as archive:
                manifest = _extract(archive, work)
        except (tarfile.TarError, OSError, ValueError, KeyError) as error:
            raise BackupError(f"{archive_path} is not a labsys backup ({error})") from None
        yield work, manifest


def _extract(archive: tarfile.TarFile, work: Path) -> dict:
    manifest = json.loads(_member(archive, MANIFEST).read())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    for name, expected in manifest["members"].items():
        if name.startswith("/") or ".." in Path(name).parts:
            raise BackupError(f"unsafe member name {name!r} in the backup")
        member = archive.getmember(name)
        if not member.isfile():
            raise BackupError(f"member {name!r} of the backup is not a plain file")
        target = work / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with _member(archive, name) as source, open(target, "wb") as sink:
            shutil.copyfileobj(source, sink)
        if _sha256(target) != expected["sha256"]:
            raise BackupError(f"member {name} of the backup is damaged (SHA-256 differs)")
    return manifest


def _member(archive: tarfile.TarFile, name: str):
    opened = archive.extractfile(name)
    if opened is None:
        raise BackupError(f"member {name!r} of the backup is not a plain file")
    return opened


def _check_target(engine: Engine, manifest: dict) -> None:
    if manifest["dialect"] != engine.dialect.name:
        raise BackupError(
            f"this is a {manifest['dialect']} backup; the configured database is "
            f"{engine.dialect.name}"
        )
    with engine.connect() as connection:
        tables = inspect(connection).get_table_names()
    if tables:
        raise BackupError(
            f"the database {engine.url.render_as_string(hide_password=True)} is not empty "
            f"({len(tables)} tables): restore only into a new, empty database "
            "(PostgreSQL: createdb; SQLite: point LABSYS_DATABASE_URL at a new file)"
        )
    folder = _attachments_dir()
    if folder.is_dir() and any(folder.iterdir()):
        raise BackupError(f"the attachments folder {folder} is not empty")


def _restore_sqlite(engine: Engine, source: Path) -> None:
    target = Path(str(engine.url.database))
    engine.dispose()  # no pooled connection may hold the old (empty) file
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    for stale in (Path(f"{target}-wal"), Path(f"{target}-shm")):
        stale.unlink(missing_ok=True)
    temporary = target.with_name(f".{target.name}.restore")
    shutil.copyfile(source, temporary)
    temporary.chmod(0o600)
    os.replace(temporary, target)


def _restore_attachments(work: Path) -> None:
    source = work / ATTACHMENTS
    if source.is_dir():
        anchor.private_dir(_attachments_dir())
        shutil.copytree(source, _attachments_dir(), dirs_exist_ok=True)


def _restore_checkpoint(source: Path) -> list[str]:
    """The backup's checkpoint becomes the instance's; a newer one there is kept aside."""
    notes = []
    path = anchor.checkpoint_path()
    kept = anchor.read_checkpoint(path) if path.exists() else None
    restored = anchor.parse_checkpoint(source.read_text(encoding="utf-8"))
    if kept is not None:
        aside = path.with_name(f"{path.name}.before-restore-{clock.now():%Y%m%dT%H%M%S}")
        os.replace(path, aside)
        if kept.seq > restored.seq:
            notes.append(
                f"the instance's checkpoint recorded {kept.seq} audit entries, the backup "
                f"{restored.seq}: what was recorded after the backup is lost (old checkpoint "
                f"kept in {aside})"
            )
    anchor.write_private(path, restored.to_json())
    return notes


def _verify_restored(engine: Engine, manifest: dict) -> tuple[integrity.Verification, list[str]]:
    from labsys.extensions import db

    db.session.remove()
    engine.dispose()
    token = write_intent.set(False)  # reads only
    try:
        verification = integrity.verify(db.session())
        problems = list(verification.problems)
        for name, expected in manifest["counts"].items():
            found = db.session.scalar(select(func.count()).select_from(table(name)))
            if found != expected:
                problems.append(f"table {name}: {found} rows restored, {expected} backed up")
    finally:
        db.session.remove()
        write_intent.reset(token)
    return verification, problems
