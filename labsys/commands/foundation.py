"""Commands of the foundation: init, create-user, quickstart, audit verify."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_migrate import upgrade
from sqlalchemy import func, select

from labsys.cli import fail, random_password
from labsys.commands.catalog import refusal
from labsys.extensions import db
from labsys.features import INIT_STEPS
from labsys.models import Role, User
from labsys.services import ServiceError, audit, users
from labsys.services.access import SYSTEM
from labsys.services.catalog_check import CatalogError

ROLE_CHOICES = click.Choice([r.value for r in Role])


@click.command("init")
@with_appcontext
def init():
    """Bring the database to the newest migration and load reference data (idempotent)."""
    upgrade(directory=current_app.extensions["migrate"].directory)
    for name, step in INIT_STEPS():
        try:
            click.echo(f"  {name}: {step(db.session) or _('up to date')}")
        except CatalogError as error:
            fail(refusal(error))
    db.session.commit()
    url = db.engine.url.render_as_string(hide_password=True)
    click.echo(_("database ready: %(url)s", url=url))


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
            roles=list(Role),
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
def audit_verify():
    """Check the whole hash chain; name the first broken row (exit status 1)."""
    checked, broken = audit.verify_chain(db.session)
    if broken:
        click.echo(
            ngettext(
                "audit trail BROKEN at entry %(entry)s: %(problem)s "
                "(%(num)d entry before it is intact)",
                "audit trail BROKEN at entry %(entry)s: %(problem)s "
                "(%(num)d entries before it are intact)",
                checked,
                entry=broken.entry_id,
                problem=broken.problem,
            ),
            err=True,
        )
        sys.exit(1)
    click.echo(
        ngettext(
            "audit trail intact: %(num)d entry", "audit trail intact: %(num)d entries", checked
        )
    )
