"""``labsys retest-labs``: the list of qualified retest labs (复检机构名录, SAMR Order No. 15
(2019) Art. 32) the retest lab is drawn from."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from labsys.cli import fail, reads_only
from labsys.extensions import db
from labsys.services import ServiceError, retests, users


@click.group("retest-labs")
def retest_labs_group():
    """The list of retest labs (Order No. 15, Art. 32)."""


@retest_labs_group.command("list")
@with_appcontext
@reads_only
def list_command():
    """Print the list: code, name, on the list or not, note."""
    for entry in retests.retest_labs(db.session):
        state = _("on the list") if entry.active else _("off the list")
        click.echo(f"{entry.lab.code}\t{entry.lab.name}\t{state}\t{entry.note}")


@retest_labs_group.command("set")
@click.argument("code")
@click.option("--name", default="", help="The lab's name (needed for a lab not known yet).")
@click.option("--note", default="", help="A note: its qualification or scope.")
@click.option("--off", "off", is_flag=True, help="Take the lab off the list (not drawn).")
@click.option("--as", "username", required=True, help="The administrator's username.")
@with_appcontext
def set_command(code: str, name: str, note: str, off: bool, username: str):
    """Put the lab CODE on the list (or off it with --off)."""
    actor = users.get_by_username(db.session, username)
    if actor is None or not actor.active:
        fail(_("error: no active user %(name)s", name=repr(username)))
    try:
        entry = retests.set_retest_lab(
            db.session, actor, code=code, name=name, active=not off, note=note
        )
    except ServiceError as error:
        fail(_("error: %(message)s", message=error.message))
    db.session.commit()
    state = _("on the list") if entry.active else _("off the list")
    click.echo(f"{entry.lab.code}\t{entry.lab.name}\t{state}")
