"""``labsys import results FILE --as USER``: instrument results from a CSV or XLSX file."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext

from labsys.cli import fail
from labsys.extensions import db
from labsys.services import ServiceError, users
from labsys.services.results_import import (
    ImportErrors,
    OverwriteNeedsConfirmation,
    fingerprint,
    overwrites,
    prepare_import,
    save_import,
)


@click.group("import")
def import_group():
    """Import data from files."""


@import_group.command("results")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "username", required=True, help="The lab technician who enters them.")
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace values already entered (without it, such a file lists them and exits 1).",
)
@with_appcontext
def import_results_command(file: Path, username: str, overwrite: bool):
    """Import results (sample number, test item, value, unit, optional LOD): all rows are
    saved and judged, or, if any row is wrong, none (the problems are listed; exit 1).
    Values already entered are replaced only with --overwrite."""
    actor = users.get_by_username(db.session, username)
    if actor is None or not actor.active:
        fail(_("error: no active user %(name)s", name=repr(username)))
    click.echo(_("checking and judging %(file)s ...", file=file.name), err=True)
    try:
        data = file.read_bytes()
        judged = prepare_import(db.session, actor, data, file.name)
        # --overwrite: the user was told (by a run without it) what would be replaced.
        confirmed = fingerprint(overwrites(judged)) if overwrite else None
        summary = save_import(
            db.session, actor, judged, confirmed=confirmed, data=data, filename=file.name
        )
    except OverwriteNeedsConfirmation as error:
        lines = [
            _(
                "row %(row)s, %(no)s %(item)s: %(old)s -> %(new)s",
                row=o.row,
                no=o.sample_no,
                item=o.item,
                old=o.old,
                new=o.new,
            )
            for o in error.overwrites[:200]
        ]
        lines.append(_("(run again with --overwrite to replace them)"))
        fail("\n".join([error.message, *lines]))
    except ImportErrors as error:
        lines = [
            _("row %(row)s, %(column)s: %(message)s", row=e.row, column=e.column, message=e.message)
            for e in error.errors
        ]
        if error.total > len(error.errors):
            lines.append(
                _(
                    "(the first %(shown)d of %(total)d problems are listed)",
                    shown=len(error.errors),
                    total=error.total,
                )
            )
        fail("\n".join([error.message, *lines]))
    except ServiceError as error:
        fail(_("error: %(message)s", message=error.message))
    db.session.commit()
    verdicts = ", ".join(f"{name} {count}" for name, count in sorted(summary.verdicts.items()))
    results = ngettext("%(num)d result", "%(num)d results", summary.rows)
    samples = ngettext("%(num)d sample", "%(num)d samples", summary.samples)
    click.echo(
        _(
            "imported %(results)s for %(samples)s (%(verdicts)s)",
            results=results,
            samples=samples,
            verdicts=verdicts,
        )
    )
    if summary.without_record:
        click.echo(
            _(
                "%(n)d imported results have no bench record (test dates, method): "
                "this lab submits them only once it is recorded (the import's "
                "columns 开始日期, 结束日期, 检验方法, or each result's record page).",
                n=summary.without_record,
            ),
            err=True,
        )
