"""``labsys import results FILE --as USER``: instrument results from a CSV or XLSX file."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from labsys.cli import fail
from labsys.extensions import db
from labsys.services import ServiceError, users
from labsys.services.results_import import ImportErrors, import_results


@click.group("import")
def import_group():
    """Import data from files."""


@import_group.command("results")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "username", required=True, help="The lab technician who enters them.")
@with_appcontext
def import_results_command(file: Path, username: str):
    """Import results (sample number, test item, value, unit, optional LOD): all rows are
    saved and judged, or, if any row is wrong, none (the problems are listed; exit 1)."""
    actor = users.get_by_username(db.session, username)
    if actor is None or not actor.active:
        fail(f"error: no active user {username}")
    try:
        summary = import_results(db.session, actor, file.read_bytes(), file.name)
    except ImportErrors as error:
        lines = [f"row {e.row}, {e.column}: {e.message}" for e in error.errors]
        if error.total > len(error.errors):
            lines.append(f"(the first {len(error.errors)} of {error.total} problems are listed)")
        fail("\n".join([error.message, *lines]))
    except ServiceError as error:
        fail(f"error: {error.message}")
    db.session.commit()
    verdicts = ", ".join(f"{name} {count}" for name, count in sorted(summary.verdicts.items()))
    click.echo(f"imported {summary.rows} results for {summary.samples} samples ({verdicts})")
