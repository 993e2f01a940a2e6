"""The command line's app has no pages (issue #19 §1): ``labsys stats`` starts without
registering the blueprints, the migrations or the exports' libraries.  How fast it starts
is measured in bench/bench_cli.py, not here."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import waitress
from click.testing import CliRunner

from labsys.cli import main

from support import TEST_SECRET

PROBE = """
import json, sys
from labsys.cli import main
main(["stats", "--format", "json"], standalone_mode=False)
heavy = ("labsys.web", "alembic", "flask_migrate", "flask_login", "flask_wtf", "openpyxl",
         "reportlab", "labsys.commands.demo", "labsys.commands.reports")
print(json.dumps(sorted(m for m in sys.modules if m.startswith(heavy))))
"""


def _environment(database_url: str, instance) -> dict:
    return {
        **os.environ,
        "LABSYS_SECRET_KEY": TEST_SECRET,
        "LABSYS_DATABASE_URL": database_url,
        "LABSYS_INSTANCE_PATH": str(instance),
        "LABSYS_CLI_LANGUAGE": "en",
    }


def test_labsys_stats_imports_no_page(app, database_url, tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=_environment(database_url, tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    *output, loaded = done.stdout.strip().splitlines()
    assert json.loads("\n".join(output))["samples"] == 0
    assert json.loads(loaded) == []


def test_serve_builds_the_app_with_its_pages(database_url, tmp_path, monkeypatch):
    served = []
    monkeypatch.setattr(waitress, "serve", lambda app, **options: served.append(app))
    result = CliRunner().invoke(main, ["serve"], env=_environment(database_url, tmp_path))
    assert result.exit_code == 0, result.output
    (app,) = served
    assert {"auth.login", "stats.summary", "api.stats_view"} <= set(app.view_functions)


def test_the_migrations_group_is_there_when_asked_for(database_url, tmp_path):
    result = CliRunner().invoke(main, ["db", "current"], env=_environment(database_url, tmp_path))
    assert result.exit_code == 0, result.output


def test_the_served_app_pools_a_connection_per_thread(database_url, tmp_path, monkeypatch):
    """On PostgreSQL each process keeps as many connections as it has threads: none is
    opened and closed again per request when every thread is busy."""
    from labsys.extensions import db as _db

    served = []
    monkeypatch.setattr(waitress, "serve", lambda app, **options: served.append(app))
    result = CliRunner().invoke(
        main, ["serve", "--threads", "12"], env=_environment(database_url, tmp_path)
    )
    assert result.exit_code == 0, result.output
    (app,) = served
    with app.app_context():
        pool = _db.engine.pool
        if _db.engine.dialect.name == "postgresql":
            assert pool.size() == 12
        else:  # SQLite opens a file: nothing to save
            assert app.config["SQLALCHEMY_ENGINE_OPTIONS"] == {}


def test_a_pool_size_in_the_settings_is_kept():
    from labsys.commands.serve import served_settings

    postgres = "postgresql+psycopg://labsys@db.example/labsys"
    assert served_settings({"SQLALCHEMY_DATABASE_URI": postgres}, 8) == {
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 8}
    }
    own = {"SQLALCHEMY_DATABASE_URI": postgres, "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 3}}
    assert served_settings(own, 8)["SQLALCHEMY_ENGINE_OPTIONS"] == {"pool_size": 3}
    sqlite = {"SQLALCHEMY_DATABASE_URI": "sqlite:///labsys.sqlite3"}
    assert served_settings(sqlite, 8) == {"SQLALCHEMY_ENGINE_OPTIONS": {}}


def test_a_pool_without_a_size_is_left_as_set():
    """NullPool (a common choice behind pgbouncer) takes no pool_size: the served app must
    still build its engine."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from labsys.commands.serve import served_settings

    postgres = "postgresql+psycopg://labsys@db.example/labsys"
    config = {
        "SQLALCHEMY_DATABASE_URI": postgres,
        "SQLALCHEMY_ENGINE_OPTIONS": {"poolclass": NullPool},
    }
    options = served_settings(config, 8)["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options == {"poolclass": NullPool}
    create_engine(postgres, **options).dispose()  # no TypeError: nothing is connected
