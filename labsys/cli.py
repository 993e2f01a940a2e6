"""The ``labsys`` command: a Flask CLI group bound to the app factory.

Each command is one unit of work: it commits once at the end, and any error rolls it back.
Features add their commands and reference-data steps in ``labsys.features``.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from labsys.extensions import db


def _create_app(*_args, **_kwargs):
    from labsys import create_app

    return create_app()


@click.group(
    cls=FlaskGroup,
    create_app=_create_app,
    add_version_option=True,
    add_default_commands=False,
    load_dotenv=False,
    set_debug_flag=False,
    help="labsys: laboratory information system for food-safety sampling inspection.",
)
def main():
    pass


def register_commands(app) -> None:
    from labsys.commands.foundation import audit_group, create_user, init, quickstart

    for command in (init, create_user, quickstart, audit_group):
        app.cli.add_command(command)
    for command in _feature_commands():
        app.cli.add_command(command)


def _feature_commands():
    from labsys.features import CLI_COMMANDS

    return CLI_COMMANDS()


@main.command("secret-key", with_appcontext=False)
def secret_key_command():
    """Create the embedded quick start's secret key in the instance folder (if missing)."""
    from labsys import default_instance_path
    from labsys.config import ensure_secret_key

    instance = os.environ.get("LABSYS_INSTANCE_PATH") or str(default_instance_path())
    ensure_secret_key(instance)
    click.echo(f"secret key kept in {Path(instance).resolve() / 'secret_key'}")


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@with_appcontext
def serve_command(host: str, port: int, threads: int):
    """Serve the app with the production WSGI server (waitress)."""
    from waitress import serve

    app = current_app._get_current_object()
    click.echo(f"labsys is serving on http://{host}:{port}/  (Ctrl+C stops it)")
    serve(app, host=host, port=port, threads=threads, ident="labsys")


def random_password() -> str:
    return secrets.token_urlsafe(12) + "7a"


def fail(message: str) -> None:
    """Roll back and exit non-zero with a message on standard error."""
    db.session.rollback()
    click.echo(message, err=True)
    sys.exit(1)
