"""Rate limits per token, counted in the database: every server process (here: two app
instances on the same database, as ``labsys serve --workers 2`` runs) shares the count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from labsys import create_app
from labsys.extensions import db
from labsys.models import ApiRateWindow, Role
from labsys.services import api_tokens, rate_limits

T0 = datetime(2026, 11, 30, 2, 0, 10, tzinfo=UTC)


def _bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def limited(app, monkeypatch, freeze_clock):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT_PER_MINUTE", 3)
    freeze_clock(T0)
    return lambda seconds: freeze_clock(T0 + timedelta(seconds=seconds))


def test_calls_beyond_the_rate_limit_get_429(app, make_user, token_for, limited):
    first, second = token_for(make_user("ann", Role.SAMPLER)), token_for(make_user("bob"))
    client = app.test_client()
    answers = [client.get("/api/v1/me", headers=_bearer(first)) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers["RateLimit-Limit"] == "3"
    assert answers[0].headers["RateLimit-Remaining"] == "2"
    assert answers[3].headers["Retry-After"] == "50"  # the minute started 10 s ago
    assert answers[3].mimetype == "application/problem+json"
    # per token: another token is not held back
    assert client.get("/api/v1/me", headers=_bearer(second)).status_code == 200
    # the next minute opens a new window, and the token's old one is deleted
    limited(50)
    assert client.get("/api/v1/me", headers=_bearer(first)).status_code == 200
    windows = db.session.scalars(select(ApiRateWindow).order_by(ApiRateWindow.token_id)).all()
    assert [(w.calls, w.window_start % 60) for w in windows] == [(1, 0), (1, 0)]


def test_two_server_processes_share_the_count(app, database_url, make_user, token_for, limited):
    """Two app instances (each with its own engine and connection pool) on one database:
    the limit holds across them, where a per-process count would allow twice as many."""
    secret = token_for(make_user("ann", Role.SAMPLER))
    other = create_app({**_config_of(app), "API_RATE_LIMIT_PER_MINUTE": 3})
    try:
        clients = [app.test_client(), other.test_client()]
        codes = [clients[n % 2].get("/api/v1/me", headers=_bearer(secret)) for n in range(4)]
        assert [c.status_code for c in codes] == [200, 200, 200, 429]
        assert [c.headers["RateLimit-Remaining"] for c in codes] == ["2", "1", "0", "0"]
    finally:
        with other.app_context():
            db.engine.dispose()
    assert db.session.scalar(select(func.sum(ApiRateWindow.calls))) == 4


def _config_of(app) -> dict:
    keys = ("TESTING", "SECRET_KEY", "DATABASE_URL", "INSTANCE_PATH", "BASE_URL")
    return {key: app.config[key] for key in keys} | {
        "PASSWORD_HASH_METHOD": app.config["PASSWORD_HASH_METHOD"]
    }


def test_the_count_is_one_atomic_upsert_per_call(app, make_user, token_for):
    """The counter itself, on this database's dialect: one row per token and window."""
    secret = token_for(make_user("ann", Role.SAMPLER), "read")
    db.session.rollback()  # the counter's own transactions write; this test's only reads
    digest = api_tokens.token_hash(secret)
    states = [rate_limits.hit(db.engine, digest, 2, T0) for _ in range(3)]
    assert [(s.allowed, s.remaining, s.reset) for s in states] == [
        (True, 1, 50),
        (True, 0, 50),
        (False, 0, 50),
    ]
    later = rate_limits.hit(db.engine, digest, 2, T0 + timedelta(minutes=5))
    assert later.allowed and later.remaining == 1
    assert rate_limits.hit(db.engine, api_tokens.token_hash("lsk_unknown"), 2, T0) is None
    rows = db.session.execute(select(ApiRateWindow.window_start, ApiRateWindow.calls)).all()
    assert len(rows) == 1 and rows[0].calls == 1
