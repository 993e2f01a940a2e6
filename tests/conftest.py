"""Shared fixtures.

The database comes from ``LABSYS_TEST_DATABASE_URL`` (PostgreSQL in CI's second pass):
each pytest-xdist worker gets a fresh database of its own named after it (see
``databases.py``).  Without it, a SQLite file in the worker's temporary folder.  The schema
is built once per worker by the migrations, exactly as ``labsys init`` does; every test
then starts from empty tables.
"""

from __future__ import annotations

import contextlib
import contextvars
import os

import pytest
from flask_migrate import upgrade
from hypothesis import settings
from sqlalchemy import text

from labsys import create_app
from labsys.core import clock
from labsys.database import write_intent
from labsys.extensions import db as _db
from labsys.models import Role
from labsys.services import anchor, users
from labsys.services.access import SYSTEM

from databases import Snapshots, worker_database
from support import PASSWORD, TEST_SECRET, IsolatedClient, csrf_token

pytest_plugins = ["factories"]

# Speed is measured in bench/, not in unit tests: hypothesis's per-example deadline would
# only make the properties fail on a busy machine.
settings.register_profile("labsys", deadline=None)
settings.load_profile("labsys")


def pytest_configure(config):
    os.environ.setdefault("LABSYS_TEST_DATABASE_URL", "")
    os.environ["LABSYS_CLI_LANGUAGE"] = "en"  # CLI output does not follow the developer's LANG


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("LABSYS_TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    # PostgreSQL: never the base database itself, so that a snapshot can replace ours.
    with worker_database(url, os.environ.get("PYTEST_XDIST_WORKER", "main")) as worker_url:
        yield worker_url


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": TEST_SECRET,
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
            "BASE_URL": "http://labsys.test",
            # Hashes stay scrypt, at a work factor that keeps hundreds of logins fast.
            "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        }
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        _db.session.commit()
    yield app
    with app.app_context():
        # Close pooled connections now, not at garbage collection after the run (psycopg
        # warns about connections it has to close itself).
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture(autouse=True)
def _app_context(request):
    """Tests that use the app run inside an app context, and leave empty tables behind."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    # The test's own reads must not hold SQLite's write lock while a live server or another
    # thread writes (threads start with the default: BEGIN IMMEDIATE).
    token = write_intent.set(False)
    with app.app_context():
        yield
        _db.session.rollback()
        _empty_tables()
        _db.session.remove()
    write_intent.reset(token)


def _empty_tables() -> None:
    # DELETE, children first, not TRUNCATE: a test leaves a few rows, and PostgreSQL's
    # TRUNCATE of two dozen tables costs about a second (new files, a checkpoint's worth of
    # fsyncs) where DELETE costs a few milliseconds.
    if _db.engine.dialect.name == "postgresql":
        # The audit table refuses DELETE by trigger; a superuser (as the tests connect) may
        # skip ordinary triggers for this transaction, the application's role may not.
        _db.session.execute(text("SET LOCAL session_replication_role = replica"))
    for table in reversed(_db.metadata.sorted_tables):
        _db.session.execute(text(f"DELETE FROM {table.name}"))
    # Deleting rows fires the triggers that keep the deadline counters (on SQLite; on
    # PostgreSQL they are off above): empty the counters once the rest is gone.
    _db.session.execute(text("DELETE FROM deadline_counts"))
    _db.session.execute(text("DELETE FROM deadline_count_deltas"))
    if _db.engine.dialect.name == "postgresql":
        # Ids start again at 1, as on SQLite after its DELETEs.
        _db.session.execute(
            text("SELECT setval(s, 1, false) FROM unnest(CAST(:names AS text[])) AS s"),
            {"names": _sequences()},
        )
    _db.session.commit()
    # The trail was emptied on purpose: its signed checkpoint goes with it.
    anchor.checkpoint_path().unlink(missing_ok=True)


_SEQUENCES: dict[str, list[str]] = {}


def _sequences() -> list[str]:
    """The worker database's serial and identity sequences (looked up once)."""
    key = str(_db.engine.url)
    if key not in _SEQUENCES:
        _SEQUENCES[key] = list(
            _db.session.scalars(
                text(
                    "SELECT pg_get_serial_sequence(table_name, column_name)"
                    " FROM information_schema.columns WHERE table_schema = 'public'"
                    " AND pg_get_serial_sequence(table_name, column_name) IS NOT NULL"
                )
            )
        )
    return _SEQUENCES[key]


@pytest.fixture
def db(app):
    return _db


@pytest.fixture(scope="session")
def _snapshots(tmp_path_factory):
    return Snapshots(tmp_path_factory.mktemp("snapshots"))


@pytest.fixture
def database_snapshot(app, _snapshots):
    """database_snapshot(key, build) -> build()'s value, with the database as build() left
    it.  The first call per worker runs build() and keeps a copy of the database; later
    calls copy it back (a demo year costs seconds to build, milliseconds to copy).  Ask for
    it before any fixture that adds rows: the copy replaces the whole database."""

    def restore_or_build(key: str, build):
        return _snapshots.restore_or_build(_db, key, build)

    return restore_or_build


@pytest.fixture
def freeze_clock():
    """``freeze_clock(day_or_moment)`` stops labsys's clock there until the test ends (call
    it again to move the clock on)."""
    with contextlib.ExitStack() as stack:
        yield lambda at: stack.enter_context(clock.frozen(at))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    """make_user("ann", Role.SAMPLER, ...) -> a committed User with password PASSWORD."""
    counter = iter(range(1, 10_000))

    def make(
        username: str | None = None, *roles: Role, full_name: str = "", password: str = PASSWORD
    ):
        username = username or f"user{next(counter)}"
        user = users.create_user(
            _db.session,
            SYSTEM,
            username=username,
            password=password,
            roles=roles or [Role.SAMPLER],
            full_name=full_name or username.title(),
        )
        _db.session.commit()
        return user

    return make


@pytest.fixture
def login(client):
    """login(user) logs the test client in through the real login form."""

    def do_login(user, password: str = PASSWORD):
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
        response = client.post(
            "/login",
            data={
                "username": user.username,
                "password": password,
                "csrf_token": csrf_token(client),
            },
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return client

    return do_login


@pytest.fixture
def post(client):
    """post(path, data) with a valid CSRF token taken from ``token_from`` (default: path)."""

    def do_post(path: str, data: dict | None = None, token_from: str | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", csrf_token(client, token_from or "/"))
        return client.post(path, data=data, **kwargs)

    return do_post


# --- Browser tests -------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def live_server(app):
    """The app served on 127.0.0.1 by a real HTTP server in a thread; yields its base URL."""
    import threading

    from werkzeug.serving import make_server

    if _db.session().in_transaction():
        _db.session.rollback()  # let the server's threads write
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    # The server's threads must not inherit the test's app context.
    contextvars.Context().run(thread.start)
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def _browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} not installed (install Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(_browser, live_server):
    """A fresh browser context and page; ``page.base_url`` is the live server's URL.

    The app's Content-Security-Policy applies (no ``bypass_csp``): whatever it blocks on any
    page the test visits fails the test.  Waits use locators or Python predicates, never a
    JavaScript string (``wait_for_function`` evaluates it, which the policy refuses)."""
    context = _browser.new_context(base_url=live_server, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    blocked: list[str] = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield page
    context.close()
    assert blocked == [], f"the Content-Security-Policy blocked: {blocked}"


@pytest.fixture
def browser_login(browser_page):
    """browser_login(user) logs in through the real login page."""

    def do_login(user, password: str = PASSWORD):
        browser_page.goto("/login")
        browser_page.fill("input[name=username]", user.username)
        browser_page.fill("input[name=password]", password)
        browser_page.click("#login-submit")
        browser_page.wait_for_url(lambda url: "/login" not in url)
        return browser_page

    return do_login
