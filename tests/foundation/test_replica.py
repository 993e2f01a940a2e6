"""A read replica (issue 19 §4): statistics, exports and report downloads read through the
bind "replica" when REPLICA_DATABASE_URL is set; logins, the audit trail and every write
stay on the primary.  No cluster here: the "replica" is the test database itself, reached
through an engine of its own, and each engine's statements are recorded.  A real primary
and streaming replica: scripts/replica_check.py."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from labsys.app import create_app
from labsys.database import REPLICA
from labsys.extensions import db as _db
from labsys.models import Role

from support import PASSWORD, TEST_SECRET, IsolatedClient, csrf_token


@pytest.fixture
def replica_app(app, database_url):
    replica = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": TEST_SECRET,
            "DATABASE_URL": database_url,
            "REPLICA_DATABASE_URL": database_url,
            "INSTANCE_PATH": app.instance_path,
            "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        }
    )
    replica.test_client_class = IsolatedClient
    seen: dict[str, list[str]] = {"primary": [], "replica": []}
    with replica.app_context():
        for name, engine in (("primary", _db.engines[None]), ("replica", _db.engines[REPLICA])):
            event.listen(
                engine,
                "before_cursor_execute",
                lambda _c, _cur, statement, *_a, name=name: seen[name].append(statement),
            )
    yield replica, seen
    with replica.app_context():
        for engine in _db.engines.values():
            engine.dispose()


def _logged_in(replica, make_user):
    make_user("ann", Role.SUPERVISOR)
    client = replica.test_client()
    data = {"username": "ann", "password": PASSWORD, "csrf_token": csrf_token(client)}
    assert client.post("/login", data=data).status_code == 302
    return client


def _reads_of(statements: list[str], table: str) -> list[str]:
    return [s for s in statements if s.lstrip().upper().startswith("SELECT") and table in s]


@pytest.mark.parametrize(
    "path",
    ["/stats/", "/stats/table?by=district", "/api/stats", "/stats/download/samples.csv"],
)
def test_statistics_and_exports_read_the_replica(replica_app, make_user, path):
    replica, seen = replica_app
    client = _logged_in(replica, make_user)
    seen["primary"].clear()
    response = client.get(path)
    assert response.status_code == 200
    response.get_data()  # a streamed export reads while it is sent
    assert seen["replica"], "nothing was read from the replica"
    # The primary served the login's own reads only (the user, the session nonce).
    assert _reads_of(seen["primary"], "samples") == []
    assert _reads_of(seen["primary"], "sample_rollups") == []


def test_a_report_download_reads_the_replica_then_the_primary(replica_app, make_user):
    """A report just issued may not have reached the replica yet: the primary answers."""
    replica, seen = replica_app
    client = _logged_in(replica, make_user)
    seen["primary"].clear()
    seen["replica"].clear()
    assert client.get("/reports/999999.pdf").status_code == 404
    assert _reads_of(seen["replica"], "reports") and _reads_of(seen["primary"], "reports")


def test_logins_and_writes_stay_on_the_primary(replica_app, make_user):
    replica, seen = replica_app
    client = _logged_in(replica, make_user)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert seen["replica"] == []
    written = [s for s in seen["primary"] if s.lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert any("audit_log" in s for s in written)


def test_without_a_replica_everything_reads_the_primary(app):
    with app.app_context():
        from labsys.database import read_engine, read_session

        assert REPLICA not in _db.engines
        assert read_session() is _db.session
        assert read_engine() is _db.engine
