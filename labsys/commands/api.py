"""``labsys api-token``: personal API tokens from the command line (shown once);
``labsys webhooks deliver``: the webhook delivery worker."""

from __future__ import annotations

import time

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from labsys.cli import fail
from labsys.extensions import db
from labsys.services import ServiceError, api_tokens, users, webhooks
from labsys.services.access import SYSTEM


@click.group("api-token")
def api_token_group():
    """Personal tokens for the REST API (/api/v1)."""


@api_token_group.command("create")
@click.argument("username")
@click.option(
    "--scope",
    type=click.Choice(["read", "write"]),
    default="read",
    show_default=True,
    help="read: GET only; write: changes too, within the user's roles.",
)
@click.option(
    "--days",
    type=click.IntRange(1, api_tokens.MAX_DAYS),
    default=api_tokens.DEFAULT_DAYS,
    show_default=True,
    help="Days until the token expires.",
)
@click.option("--name", default="", help="What the token is for (shown in the user's list).")
@with_appcontext
def create_command(username: str, scope: str, days: int, name: str):
    """Make a token for USERNAME and print it once (only its hash is kept)."""
    user = users.get_by_username(db.session, username)
    if user is None:
        fail(_("error: no active user %(name)s", name=repr(username)))
    try:
        made = api_tokens.create_token(
            db.session, SYSTEM, user, scope=scope, days=days, name=name or "CLI"
        )
    except ServiceError as error:
        fail(_("error: %(message)s", message=error.message))
    db.session.commit()
    click.echo(made.secret)
    click.echo(
        _(
            "Token for %(user)s, scope %(scope)s, valid until %(until)s. It is shown only "
            "now: keep it in a safe place.",
            user=user.username,
            scope=scope,
            until=made.token.expires_at.date().isoformat(),
        ),
        err=True,
    )


@click.group("webhooks")
def webhooks_group():
    """Webhook deliveries from the outbox."""


@webhooks_group.command("deliver")
@click.option("--loop", is_flag=True, help="Keep delivering until stopped (Ctrl+C).")
@click.option(
    "--interval",
    type=click.FloatRange(0.1, 3600),
    default=10.0,
    show_default=True,
    help="Seconds between rounds with --loop.",
)
@with_appcontext
def deliver_command(loop: bool, interval: float):
    """Write the overdue-deadline events, then deliver every event due (each attempt is
    committed on its own: an interrupted run repeats at most the attempt under way)."""
    while True:
        webhooks.scan_overdue(db.session)
        db.session.commit()
        run = webhooks.deliver(db.session)
        click.echo(
            _(
                "%(delivered)d delivered, %(failed)d failed (retried later), %(skipped)d not wanted",
                delivered=run.delivered,
                failed=run.failed,
                skipped=run.skipped,
            ),
            err=True,
        )
        if not loop:
            return
        time.sleep(interval)
