"""Commands that only read take no SQLite write lock while they run (issue #19 §2): a web
save or a login can commit meanwhile.  Writing commands still begin ``BEGIN IMMEDIATE``
(tests/stats/test_read_only_commands.py)."""

from __future__ import annotations

import click
import pytest

from labsys.database import write_intent
from labsys.extensions import db
from labsys.models import Role
from labsys.services import backups, catalog, integrity, retests

from support import write_from_another_connection

# Every command that only reads, as ``labsys`` names it; the guard test below keeps it whole.
READ_ONLY = {
    "audit verify",
    "catalog show",
    "catalog tree",
    "report pdf",
    "report zip",
    "retest-backups due",
    "retest-labs list",
}
# Read-only through a ``read_only()`` block of their own (the group ``stats`` has a writing
# subcommand, ``stats rebuild``).
READ_ONLY_BLOCKS = {"export", "stats"}


@pytest.fixture
def sqlite_path(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's database lock (PostgreSQL readers never lock out writers)")
    return db.engine.url.database


@pytest.fixture
def as_the_cli():
    """The CLI's own default: transactions begin BEGIN IMMEDIATE."""
    token = write_intent.set(True)
    yield
    write_intent.reset(token)


def saving_meanwhile(monkeypatch, module, name: str, path: str) -> list[str]:
    """Patch ``module.name`` so that, once it has read (the command's transaction is open),
    another connection tries to write; what it met is appended to the list returned."""
    seen: list[str] = []
    original = getattr(module, name)

    def read_then_save(*args, **kwargs):
        try:
            return original(*args, **kwargs)
        finally:
            assert db.session().in_transaction()  # still inside the command's read
            seen.append(write_from_another_connection(path))

    monkeypatch.setattr(module, name, read_then_save)
    return seen


def _run(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result


def test_catalog_tree_and_show(app, make_category, sqlite_path, as_the_cli, monkeypatch):
    flour = make_category("粮食加工品", "小麦粉", "小麦粉", "通用小麦粉")
    tree = saving_meanwhile(monkeypatch, catalog, "category_tree", sqlite_path)
    assert "通用小麦粉" in _run(app, "catalog", "tree").output
    show = saving_meanwhile(monkeypatch, catalog, "applicable_specifications", sqlite_path)
    _run(app, "catalog", "show", flour.code)
    assert (tree, show) == (["ok"], ["ok"])


def test_retest_labs_list(app, sqlite_path, as_the_cli, monkeypatch):
    seen = saving_meanwhile(monkeypatch, retests, "retest_labs", sqlite_path)
    _run(app, "retest-labs", "list")
    assert seen == ["ok"]


def test_retest_backups_due(app, sqlite_path, as_the_cli, monkeypatch):
    seen = saving_meanwhile(monkeypatch, backups, "disposable", sqlite_path)
    _run(app, "retest-backups", "due")
    assert seen == ["ok"]


def test_audit_verify(app, make_user, sqlite_path, as_the_cli, monkeypatch):
    make_user("li", Role.SAMPLER)  # a few audited rows to walk
    seen = saving_meanwhile(monkeypatch, integrity, "_verify_reports", sqlite_path)
    assert "audit trail intact" in _run(app, "audit", "verify").output
    assert seen == ["ok"]


def _leaves(group: click.Group, ctx: click.Context, prefix: str = ""):
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group) and command.list_commands(ctx):
            yield from _leaves(command, ctx, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


def test_every_read_only_command_is_marked(app):
    """The guard: the commands marked ``@reads_only`` are exactly the list above (a new
    command that only reads joins it, with a test)."""
    ctx = click.Context(app.cli)
    marked = {
        name
        for name, command in _leaves(app.cli, ctx)
        if getattr(command.callback, "reads_only", False)
    }
    assert marked == READ_ONLY
    assert set(app.cli.list_commands(ctx)) >= READ_ONLY_BLOCKS
