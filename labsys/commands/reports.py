"""``labsys report``: issue reports in bulk, write a stored PDF or a ZIP of many."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext

from labsys.cli import default_base_url, fail, progress_bar, reads_only
from labsys.extensions import db
from labsys.services import ServiceError, esign, reports, security, users
from labsys.services.access import SYSTEM


@click.group("report")
def report_group():
    """Inspection reports."""


@report_group.command("issue")
@click.argument("sample_nos", nargs=-1, required=True)
@click.option("--as", "username", required=True, help="The approving supervisor's username.")
@click.option(
    "--base-url",
    default=None,
    help="Absolute base of the verification links (default: the BASE_URL setting, else "
    "http://127.0.0.1:8000, the address `labsys serve` listens on by default).",
)
@with_appcontext
def issue_command(sample_nos: tuple[str, ...], username: str, base_url: str | None):
    """Issue the reports of the samples SAMPLE_NOS (one commit; failures are listed).

    Issuing is the approver's electronic signature: USER's password is read once, from a
    prompt or standard input."""
    actor = users.get_by_username(db.session, username)
    if actor is None or not actor.active:
        fail(_("error: no active user %(name)s", name=repr(username)))
    base_url = base_url or default_base_url()
    try:
        samples = reports.samples_by_no(db.session, sample_nos)
    except ServiceError as error:
        fail(_("error: %(message)s", message=error.message))
    signature = _sign(actor)
    with progress_bar(len(samples), _("issuing reports")) as bar:
        outcome = reports.issue_many(
            db.session,
            actor,
            samples,
            base_url=base_url,
            signature=signature,
            progress=lambda *_: bar.update(1),
        )
    db.session.commit()
    for report in outcome.issued:
        click.echo(f"{report.sample.sample_no}\t{report.report_no}")
    for sample, message in outcome.failed:
        click.echo(f"{sample.sample_no}\t" + _("NOT ISSUED: %(why)s", why=message), err=True)
    click.echo(
        _(
            "%(issued)d issued, %(failed)d failed",
            issued=len(outcome.issued),
            failed=len(outcome.failed),
        ),
        err=True,
    )
    if outcome.failed:
        sys.exit(1)


def _sign(actor) -> esign.Signature:
    """The approver's electronic signature for this run: their password, read once from a
    prompt or standard input (never the command line).  A wrong one is recorded in the
    audit trail and nothing is issued."""
    if sys.stdin.isatty():
        password = click.prompt(
            _("Password of %(name)s (signs the reports)", name=actor.username), hide_input=True
        )
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        return esign.sign(actor, password, esign.Meaning.APPROVAL, session=db.session)
    except ServiceError as error:
        db.session.rollback()
        security.access_refused(
            db.session,
            actor,
            "report issue",
            method="CLI",
            path="labsys report issue",
            message=error.message,
            address=None,
        )
        security.signature_failed(db.session, actor)  # counts as a failed login
        db.session.commit()
        fail(_("error: %(message)s", message=error.message))


@report_group.command("pdf")
@click.argument("report_no")
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False),
    help="Where to write the PDF ('-' for standard output).",
)
@with_appcontext
@reads_only
def pdf_command(report_no: str, output: str):
    """Write the issued PDF of REPORT_NO exactly as stored."""
    try:
        report = reports.get_by_no(db.session, report_no)
    except ServiceError as error:
        fail(_("error: %(message)s", message=error.message))
    if output == "-":
        sys.stdout.buffer.write(report.pdf)
        return
    Path(output).write_bytes(report.pdf)
    click.echo(
        ngettext(
            "%(no)s: %(num)d byte, sha256 %(sha)s -> %(output)s",
            "%(no)s: %(num)d bytes, sha256 %(sha)s -> %(output)s",
            len(report.pdf),
            no=report.report_no,
            sha=report.sha256,
            output=output,
        ),
        err=True,
    )


@report_group.command("zip")
@click.argument("report_nos", nargs=-1, required=True)
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False))
@with_appcontext
@reads_only
def zip_command(report_nos: tuple[str, ...], output: str):
    """Write the stored PDFs of REPORT_NOS into one ZIP file."""
    try:
        chosen = [reports.get_by_no(db.session, no) for no in report_nos]
    except ServiceError as error:
        fail(_("error: %(message)s", message=error.message))
    with open(output, "wb") as target:
        count = reports.write_zip(chosen, target)
    click.echo(
        ngettext(
            "%(num)d report -> %(output)s", "%(num)d reports -> %(output)s", count, output=output
        ),
        err=True,
    )


@report_group.command("authorise")
@click.argument("username")
@click.option(
    "--category",
    "categories",
    multiple=True,
    help="A food category (name or code) they may sign for; repeat it. Default: every 大类.",
)
@click.option("--note", default="", help="E.g. the approval letter's number.")
@with_appcontext
def authorise_command(username: str, categories: tuple[str, ...], note: str):
    """Make USERNAME (a supervisor) an authorised signatory (授权签字人)."""
    from sqlalchemy import or_, select

    from labsys.models import FoodCategory
    from labsys.services import signatories

    user = users.get_by_username(db.session, username)
    if user is None:
        fail(_("error: no user %(name)s", name=repr(username)))
    if categories:
        found = list(
            db.session.scalars(
                select(FoodCategory).where(
                    or_(FoodCategory.name_zh.in_(categories), FoodCategory.code.in_(categories))
                )
            )
        )
        missing = set(categories) - {c.name_zh for c in found} - {c.code for c in found}
        if missing:
            fail(_("error: no food category %(code)s", code=", ".join(sorted(missing))))
        ids = [c.id for c in found]
    else:
        ids = [
            c.id for c in db.session.scalars(select(FoodCategory).where(FoodCategory.level == 1))
        ]
    try:
        signatory = signatories.authorise(db.session, SYSTEM, user, category_ids=ids, note=note)
    except ServiceError as error:
        fail(_("error: %(message)s", message=error.message))
    db.session.commit()
    names = "、".join(c.name_zh for c in signatory.categories)
    click.echo(_("%(name)s may sign reports for: %(names)s", name=user.username, names=names))
