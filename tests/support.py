"""Helpers shared by tests (imported by name: ``from support import ...``).

Kept out of ``conftest.py``: several test folders have a conftest of their own, and a
``from conftest import`` would pick whichever was imported first.
"""

from __future__ import annotations

import contextvars
import re

from flask import has_app_context
from flask.testing import FlaskClient

from labsys.extensions import db as _db

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
PASSWORD = "correct-horse-7"
CSRF_RE = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'name="csrf_token" value="([^"]+)"'
)


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token of the page at ``path`` (following redirects), as a browser sends it."""
    html = client.get(path, follow_redirects=True).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


class IsolatedClient(FlaskClient):
    """Each request runs in a fresh context, as in production: its own app context,
    ``g`` and database session, not the test's."""

    def open(self, *args, **kwargs):
        # The test's own transaction ends first: an open SQLite write transaction would
        # block the request, and uncommitted test data is invisible to it anyway.
        if has_app_context() and _db.session().in_transaction():
            _db.session.rollback()
        return contextvars.Context().run(super().open, *args, **kwargs)


def require_tool(available: bool, what: str) -> None:
    """Skip a test that needs a system package a developer may lack; in CI, fail instead:
    `make test` installs it, so its absence there is a broken set-up, not a reason."""
    import os

    import pytest

    if available:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing: scripts/test.sh installs it")
    pytest.skip(f"needs {what}")


def signed(user, meaning: str = "review"):
    """``user``'s electronic signature (their password, PASSWORD, re-entered) for the
    services that sign: "review" (accepting results) or "approval" (issuing reports)."""
    from labsys.services import esign

    return esign.sign(user, PASSWORD, esign.Meaning(meaning))


SHOWN_RE = re.compile(r'name="shown" value="(\d+:\d+)"')


def shown_on(client, path: str, *, form: str = "") -> list[str]:
    """The (result id, version) pairs, as ``id:version``, that the page at ``path`` posts
    back with its submit or accept form (``form``: the form's action, when several)."""
    html = client.get(path).get_data(as_text=True)
    if form:
        start = html.index(f'action="{form}"')
        html = html[start : html.index("</form>", start)]
    return SHOWN_RE.findall(html)


def write_from_another_connection(path: str) -> str:
    """What a web request saving something does on SQLite, without waiting for the lock:
    "ok", or SQLite's error ("database is locked" while a command holds the write lock)."""
    import sqlite3

    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE labs SET name = name")
        other.execute("COMMIT")
        return "ok"
    except sqlite3.OperationalError as error:
        return str(error)
    finally:
        other.close()


def page_until(page, script: str, *, timeout: float = 15.0, poll: float = 0.05):
    """Wait until ``script`` (a JavaScript expression or arrow function) is truthy in the
    page, polling from Python; return its value.  Playwright's ``wait_for_function`` polls
    inside the page with ``new Function``, which the app's Content-Security-Policy refuses
    (no 'unsafe-eval') whenever the condition is not already true at the first try;
    ``page.evaluate`` goes through the DevTools protocol, outside the page's policy."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(script)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {script}")
        time.sleep(poll)


def last_audit_entry(entity: str, entity_id: object):
    """The newest audit entry of one record (``entity``, its id)."""
    from sqlalchemy import select

    from labsys.models import AuditEntry

    return _db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity == entity, AuditEntry.entity_id == str(entity_id))
        .order_by(AuditEntry.id.desc())
    ).first()
