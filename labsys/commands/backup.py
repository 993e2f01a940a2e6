"""``labsys backup`` and ``labsys restore`` (see ``labsys.services.backup``)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

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
        click.echo(_("error: %(message)s", message=str(error)), err=True)
        sys.exit(1)
    head = manifest["audit_head"]
    click.echo(
        _(
            "backup written to %(output)s: %(dialect)s, schema %(schema)s, %(rows)d rows, "
            "%(entries)d audit entries (head %(head)s…), %(files)d files",
            output=output,
            dialect=manifest["dialect"],
            schema=manifest["versions"]["schema"],
            rows=sum(manifest["counts"].values()),
            entries=head["seq"],
            head=head["hash"][:16],
            files=len(manifest["members"]),
        )
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
        click.echo(_("error: %(message)s", message=str(error)), err=True)
        sys.exit(1)
    manifest, outcome = restored.manifest, restored.verification
    click.echo(
        _(
            "restored %(archive)s (made %(at)s, schema %(schema)s, labsys %(version)s)",
            archive=archive,
            at=manifest["created_at"],
            schema=manifest["versions"]["schema"],
            version=manifest["versions"]["labsys"],
        )
    )
    for note in restored.notes:
        click.echo(_("note: %(note)s", note=note), err=True)
    if restored.problems:
        for problem in restored.problems:
            click.echo(_("PROBLEM: %(problem)s", problem=problem), err=True)
        sys.exit(1)
    click.echo(
        _(
            "verified: audit trail intact (%(entries)d entries, matching the backup's "
            "checkpoint), %(reports)d report hashes and %(results)d results agree, every "
            "table's row count matches the manifest",
            entries=outcome.entries,
            reports=outcome.reports,
            results=outcome.results,
        )
    )
