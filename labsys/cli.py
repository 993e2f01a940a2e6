"""The ``labsys`` command: a Flask CLI group bound to the app factory.

Each command is one unit of work: it commits once at the end, and any error rolls it back.
Features add their commands and reference-data steps in ``labsys.features``.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from functools import partial, wraps
from importlib import import_module
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, FlaskGroup
from flask_babel import force_locale
from flask_babel import gettext as _

from labsys.extensions import db

# Exit statuses, as the README states them: click exits 2 on a usage error by itself.
EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


def _create_app(*_args, web: bool = False, **_kwargs):
    """The command line's app: without the pages (see ``labsys.app.create_app``)."""
    from labsys.app import create_app
    from labsys.config import ConfigurationError

    try:
        return create_app(web=web)
    except ConfigurationError as error:  # one line, not Flask's traceback
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_FAILURE)


def labsys_version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as distribution_version

    try:
        return distribution_version("labsys")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _print_version(ctx: click.Context, _param, value: bool) -> None:
    """``--version``: the package metadata is read only when asked for."""
    if value and not ctx.resilient_parsing:
        click.echo(f"labsys {labsys_version()}")
        ctx.exit()


class LabsysGroup(FlaskGroup):
    """Flask's command group without its plugin scan: Flask reads every installed package's
    metadata for ``flask.commands`` entry points (a fiftieth of a second, for each command),
    and labsys's commands are its own (``FOUNDATION_COMMANDS``, ``labsys.features``)."""

    def _load_plugin_commands(self) -> None:
        self._loaded_plugin_commands = True


@click.group(
    cls=LabsysGroup,
    create_app=_create_app,
    add_version_option=False,
    add_default_commands=False,
    load_dotenv=False,
    set_debug_flag=False,
    help="labsys: laboratory information system for food-safety sampling inspection.\n\n"
    "Exit status: 0 done, 1 failed (nothing changed), 2 wrong usage.",
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and exit.",
)
def main():
    pass


# Flask's group offers --env-file (needs python-dotenv, which labsys does not use), --app
# (labsys is the app) and --debug (the waitress server ignores it): none works here.
main.params = [p for p in main.params if p.name not in ("env_file", "app", "debug")]


# The foundation's commands; features add theirs in ``labsys.features.CLI_COMMANDS``.
FOUNDATION_COMMANDS = {
    "init": "labsys.commands.foundation:init",
    "create-user": "labsys.commands.foundation:create_user",
    "quickstart": "labsys.commands.foundation:quickstart",
    "audit": "labsys.commands.foundation:audit_group",
    "backup": "labsys.commands.backup:backup_command",
    "restore": "labsys.commands.backup:restore_command",
    "serve": "labsys.commands.serve:serve_command",
}


class LazyCommands(AppGroup):
    """The app's command group, importing a command's module only when it is run (or
    listed by ``--help``): ``labsys stats`` does not import the demo, the PDF reports or
    the migrations."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, Callable[[], click.Command]] = {}

    def add_lazy(self, name: str, load: Callable[[], click.Command]) -> None:
        self.lazy[name] = load

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            self.add_command(self.lazy.pop(cmd_name)(), cmd_name)
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})


def register_commands(app) -> None:
    from labsys.features import CLI_COMMANDS

    lazy = LazyCommands(app.cli.name)
    for name, command in app.cli.commands.items():  # blueprints' own, if any
        lazy.add_command(command, name)
    app.cli = lazy
    for name, target in {**FOUNDATION_COMMANDS, **CLI_COMMANDS}.items():
        lazy.add_lazy(name, partial(_load_command, target))
    if "migrate" not in app.extensions:  # the command line's app: alembic when needed
        lazy.add_lazy("db", partial(_migrations_group, app))


# Commands that declare the model modules they use themselves (``labsys stats``: the
# pass-rate read and its drill-down touch only samples, categories, rollups and what those
# reference; its subcommands, which write, load every model).  Every other command gets all
# models before it runs: any query may configure the mappers, which must know every class.
OWN_MODELS = frozenset({"labsys.commands.stats:stats_command"})


def _load_command(target: str) -> click.Command:
    module, _, attribute = target.partition(":")
    if target not in OWN_MODELS:
        from labsys.models import load_all

        load_all()
    return _as_cli_run(getattr(import_module(module), attribute))


def _migrations_group(app) -> click.Command:
    from labsys.app import init_migrations
    from labsys.models import load_all

    load_all()
    app.cli.lazy.pop("db", None)
    init_migrations(app)  # adds Flask-Migrate's ``db`` group to app.cli
    return app.cli.commands["db"]


def cli_locale() -> str:
    """The language of a command's messages, one per run: the setting CLI_LANGUAGE
    (``LABSYS_CLI_LANGUAGE``), else the terminal's (LC_ALL, LC_MESSAGES, LANG): Chinese for
    zh*, English otherwise."""
    chosen = os.environ.get("LABSYS_CLI_LANGUAGE") or current_app.config.get("CLI_LANGUAGE")
    if not chosen:
        chosen = next(
            (os.environ[k] for k in ("LC_ALL", "LC_MESSAGES", "LANG") if os.environ.get(k)), ""
        )
    return current_app.config["BABEL_DEFAULT_LOCALE"] if chosen.lower().startswith("zh") else "en"


def _as_cli_run(command: click.Command) -> click.Command:
    """Run ``command`` (and, for a group, its subcommands) in the CLI's language, with a
    database that cannot be reached reported in one line (exit status 1)."""
    invoke = command.invoke

    def run(ctx: click.Context):
        with cli_run():
            return invoke(ctx)

    command.invoke = run  # type: ignore[method-assign]
    return command


@contextmanager
def cli_run() -> Iterator[None]:
    from sqlalchemy.exc import InterfaceError, OperationalError

    with force_locale(cli_locale()):
        try:
            yield
        except (OperationalError, InterfaceError) as error:
            fail(database_error(error))


def database_error(error: Exception) -> str:
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
    url = db.engine.url.render_as_string(hide_password=True)
    return _("error: the database %(url)s cannot be used: %(reason)s", url=url, reason=reason)


def default_base_url() -> str:
    from labsys.config import base_url

    return base_url(current_app.config)


@main.command("secret-key", with_appcontext=False)
def secret_key_command():
    """Create the embedded quick start's secret key and audit key in the instance folder
    (if missing), readable by the owner only."""
    from labsys import default_instance_path
    from labsys.config import ensure_secret_key, make_private_dir
    from labsys.services.anchor import ensure_key_file

    instance = os.environ.get("LABSYS_INSTANCE_PATH") or str(default_instance_path())
    make_private_dir(instance)
    ensure_secret_key(instance)
    click.echo(f"secret key kept in {Path(instance).resolve() / 'secret_key'}")
    if not os.environ.get("LABSYS_AUDIT_KEY"):
        click.echo(f"audit key kept in {ensure_key_file(instance).resolve()}")


def random_password() -> str:
    return secrets.token_urlsafe(12) + "7a"


def fail(message: str) -> None:
    """Roll back and exit with status 1 and a message on standard error."""
    with suppress(Exception):  # a dead connection: nothing to roll back
        db.session.rollback()
    click.echo(message, err=True)
    sys.exit(EXIT_FAILURE)


@contextmanager
def read_only() -> Iterator[None]:
    """Run a command that only reads (stats, exports) without SQLite's write lock.

    Every CLI command begins ``BEGIN IMMEDIATE`` (see labsys/database.py), which would hold
    the write lock for the whole run: a long export would make web saves and logins fail
    with "database is locked".  Inside this block transactions begin deferred (a WAL
    snapshot, no lock); PostgreSQL is unaffected.  Any transaction already open ends first,
    and the one used here is rolled back at the end."""
    from labsys.database import write_intent

    db.session.rollback()
    token = write_intent.set(False)
    try:
        yield
    finally:
        with suppress(Exception):  # a dead connection: nothing to roll back
            db.session.rollback()
        write_intent.reset(token)


def reads_only(command_function):
    """Run a command function that only reads inside :func:`read_only` (no SQLite write
    lock); put it under ``@with_appcontext``.  Marked ``reads_only`` for the guard test."""

    @wraps(command_function)
    def run(*args, **kwargs):
        with read_only():
            return command_function(*args, **kwargs)

    run.reads_only = True  # type: ignore[attr-defined]
    return run


def progress_bar(length: int | None, label: str, iterable=None):
    """A progress bar on standard error when it is a terminal; on a pipe or a log, the label
    alone (click's own behaviour), so the output stays line-based for scripts.  Without a
    length, it counts the items of ``iterable`` as they pass."""
    return click.progressbar(iterable, length=length, label=label, show_pos=True, file=sys.stderr)
