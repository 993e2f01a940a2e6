"""``labsys retest-backups``: the register of retest backups (复检备份样品) from the shell."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from labsys.cli import reads_only
from labsys.core import clock
from labsys.extensions import db
from labsys.services import backups
from labsys.services.access import SYSTEM


@click.group("retest-backups")
def retest_backups_group():
    """The register of retest backups (复检备份样品)."""


@retest_backups_group.command("sync")
@with_appcontext
def sync_command():
    """Enter every received sample missing from the register and bring each retention up to
    date (after an upgrade, or a bulk load)."""
    counts = backups.sync_register(db.session, SYSTEM)
    db.session.commit()
    click.echo(
        _(
            "%(added)d backups entered, %(changed)d retentions updated",
            added=counts["added"],
            changed=counts["retention_changed"],
        )
    )


@retest_backups_group.command("due")
@with_appcontext
@reads_only
def due_command():
    """The backups that may be disposed of this week (sample number, place, kept until)."""
    after = 0
    while True:
        page = backups.disposable(db.session, clock.today(), after=after)
        for backup in page.rows:
            click.echo(
                f"{backup.sample.sample_no}\t{backup.location or '-'}\t{backup.retain_until}"
            )
        if page.next_after is None:
            break
        after = page.next_after
