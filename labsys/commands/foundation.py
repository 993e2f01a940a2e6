"""Commands of the foundation: init, create-user, quickstart, audit verify."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from labsys.app import init_migrations
from labsys.cli import fail, random_password, reads_only
from labsys.commands.catalog import refusal
from labsys.config import make_private_dir, sqlite_path
from labsys.extensions import db
from labsys.features import INIT_STEPS
from labsys.models import Role, User
from labsys.services import ServiceError, anchor, audit, integrity, users
from labsys.services.access import SYSTEM
from labsys.services.catalog_check import CatalogError

ROLE_CHOICES = click.Choice([r.value for r in Role])


@click.command("init")
@with_appcontext
def init():
    """Bring the database to the newest migration and load reference data (idempotent)."""
    from flask_migrate import upgrade

    _secure_instance()
    upgrade(directory=init_migrations(current_app).directory)
    for name, step in INIT_STEPS():
        try:
            click.echo(f"  {name}: {step(db.session) or _('up to date')}")
        except CatalogError as error:
            fail(refusal(error))
    db.session.commit()
    url = db.engine.url.render_as_string(hide_password=True)
    click.echo(_("database ready: %(url)s", url=url))


def _secure_instance() -> None:
    """The instance folder and the SQLite file readable by the owner only; the audit key
    kept there unless one is configured."""
    make_private_dir(current_app.instance_path)
    database = sqlite_path(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if database is not None and database.exists():
        database.chmod(0o600)
    if not current_app.config.get("AUDIT_KEY"):
        anchor.ensure_key_file(current_app.instance_path)


def _read_password(name: str) -> str:
    if sys.stdin.isatty():
        return click.prompt(
            _("Password for %(name)s", name=name), hide_input=True, confirmation_prompt=True
        )
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


@click.command("create-user")
@click.argument("name")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=ROLE_CHOICES,
    help="A role to give; repeat for several.",
)
@click.option("--full-name", default="", help="The name shown on reports and lists.")
@with_appcontext
def create_user(name: str, roles: tuple[str, ...], full_name: str):
    """Create a user; the password is read from standard input or a prompt."""
    password = _read_password(name)
    try:
        user = users.create_user(
            db.session, SYSTEM, username=name, password=password, roles=roles, full_name=full_name
        )
    except ServiceError as error:
        fail(_("error: %(message)s", message=error.message))
    db.session.commit()
    click.echo(
        ngettext(
            "created user %(name)s with the role %(roles)s",
            "created user %(name)s with the roles %(roles)s",
            len(roles),
            name=user.username,
            roles=", ".join(sorted(roles)),
        )
    )


@click.command("quickstart")
@click.option("--demo/--no-demo", default=True, help="Load demo data into an empty database.")
@with_appcontext
def quickstart(demo: bool):
    """init, then a first admin (login printed) and demo data, for the embedded database."""
    click.get_current_context().invoke(init)
    login_file = users.initial_password_file()
    admin_count = db.session.scalar(select(func.count()).select_from(User))
    if admin_count == 0:
        password = random_password()
        users.create_user(
            db.session,
            SYSTEM,
            username=users.INITIAL_ADMIN,
            password=password,
            # Only the admin role: accounts, the catalog, signatories.  Lab work, review,
            # reports, pass rates and follow-up need their own accounts (segregation of
            # duties, issue 18 §1); the demo creates one per role.
            roles=[Role.ADMIN],
            full_name="系统管理员",
        )
        db.session.commit()
        login_file.write_text(password, encoding="utf-8")
        login_file.chmod(0o600)
    if demo:
        _load_demo_if_empty()
    password = _initial_password(login_file)
    if password:
        click.echo(
            _(
                "first login: user %(name)s, password %(password)s  (change it after logging in)",
                name=users.INITIAL_ADMIN,
                password=password,
            )
        )


def _initial_password(login_file: Path) -> str | None:
    """The kept first password while it still logs in; a stale one is removed, never shown."""
    if not login_file.exists():
        return None
    password = login_file.read_text(encoding="utf-8").strip()
    if users.authenticate(db.session, users.INITIAL_ADMIN, password) is None:
        login_file.unlink()
        return None
    return password


def _load_demo_if_empty() -> None:
    from labsys.features import DEMO_LOADER

    summary = DEMO_LOADER()(db.session)
    db.session.commit()
    if summary:
        click.echo(summary)


@click.group("audit")
def audit_group():
    """The audit trail."""


@audit_group.command("verify")
@with_appcontext
@reads_only
def audit_verify():
    """Check the hash chain against the signed checkpoint, then every report's SHA-256 and
    every current result against the trail; name the first problem (exit status 1)."""
    outcome = integrity.verify(db.session)
    if not outcome.intact:
        click.echo(outcome.problems[0], err=True)
        sys.exit(1)
    click.echo(
        ngettext(
            "audit trail intact: %(num)d entry",
            "audit trail intact: %(num)d entries",
            outcome.entries,
        )
    )
    if outcome.checkpoint:
        click.echo(
            _(
                "anchored by the signed checkpoint of %(at)s at entry %(seq)d",
                at=outcome.checkpoint.at,
                seq=outcome.checkpoint.seq,
            )
        )
    else:
        click.echo(_("no checkpoint yet: run `labsys audit checkpoint`"))
    reports = ngettext("%(num)d report", "%(num)d reports", outcome.reports)
    results = ngettext("%(num)d result", "%(num)d results", outcome.results)
    click.echo(
        _("%(reports)s and %(results)s agree with the trail", reports=reports, results=results)
    )


@audit_group.command("checkpoint")
@with_appcontext
def audit_checkpoint():
    """Sign the trail's head (position and hash) into the checkpoint file and print it
    (copy the line somewhere the database's users cannot write: a paper log, e-mail)."""
    try:
        checkpoint = audit.write_checkpoint(db.engine, force=True)
    except anchor.AuditKeyError as error:
        fail(_("error: %(message)s", message=str(error)))
    if checkpoint is None:
        kept = anchor.read_checkpoint()
        if kept is None or not _still_holds(kept):
            fail(
                _(
                    "error: the kept checkpoint no longer matches the audit trail; it was "
                    "left as evidence: run `labsys audit verify`"
                )
            )
        checkpoint = kept
    click.echo(_("checkpoint: %(json)s", json=checkpoint.to_json()))


def _still_holds(checkpoint) -> bool:
    _checked, broken = audit.verify_chain(db.session, checkpoint=checkpoint)
    return broken is None
