"""``labsys backup`` and ``labsys restore`` (see ``labsys.services.backup``)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from labsys.extensions import db
from labsys.services import anchor, backup


@click.command("backup")
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
    help="The archive to write (tar.gz, readable by you only).",
)  # fmt: skip
@with_appcontext
def backup_command(output: Path):
    """Back up the database (online: work goes on), the attachments and the signed audit
    checkpoint into one archive with a manifest."""
    try:
        manifest = backup.backup(db.engine, output)
    except (backup.BackupError, anchor.AuditKeyError) as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    head = manifest["audit_head"]
    rows = sum(manifest["counts"].values())
    click.echo(
        f"backup written to {output}: {manifest['dialect']}, schema "
        f"{manifest['versions']['schema']}, {rows} rows, {head['seq']} audit entries "
        f"(head {head['hash'][:16]}…), {len(manifest['members'])} files"
    )


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(archive: Path):
    """Restore a backup into an EMPTY database, then verify the audit chain, every report's
    SHA-256 and every result against the trail (exit status 1 on any problem)."""
    try:
        restored = backup.restore(db.engine, archive)
    except (backup.BackupError, anchor.AuditKeyError) as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    manifest, outcome = restored.manifest, restored.verification
    click.echo(
        f"restored {archive} (made {manifest['created_at']}, schema "
        f"{manifest['versions']['schema']}, labsys {manifest['versions']['labsys']})"
    )
    for note in restored.notes:
        click.echo(f"note: {note}", err=True)
    if restored.problems:
        for problem in restored.problems:
            click.echo(f"PROBLEM: {problem}", err=True)
        sys.exit(1)
    click.echo(
        f"verified: audit trail intact ({outcome.entries} entries, matching the backup's "
        f"checkpoint), {outcome.reports} report hashes and {outcome.results} results agree, "
        "every table's row count matches the manifest"
    )
