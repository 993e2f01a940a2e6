"""Fixtures of the API tests: tokens, and a client that sends them."""

from __future__ import annotations

import pytest

from labsys.extensions import db
from labsys.services import api_tokens
from labsys.services.access import SYSTEM


@pytest.fixture
def token_for(app):
    """token_for(user, scope="write") -> a new token's secret (committed)."""

    def make(user, scope: str = "write", days: int = 30) -> str:
        made = api_tokens.create_token(db.session, SYSTEM, user, scope=scope, days=days)
        db.session.commit()
        return made.secret

    return make


class Api:
    """The test client with a bearer token: ``api.get(path)``, ``api.post(path, json=...)``."""

    def __init__(self, client, secret: str | None):
        self.client = client
        self.secret = secret

    def open(self, path: str, method: str = "GET", headers: dict | None = None, **kwargs):
        headers = dict(headers or {})
        if self.secret:
            headers.setdefault("Authorization", f"Bearer {self.secret}")
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path, **kwargs):
        return self.open(path, "GET", **kwargs)

    def post(self, path, **kwargs):
        return self.open(path, "POST", **kwargs)

    def put(self, path, **kwargs):
        return self.open(path, "PUT", **kwargs)


@pytest.fixture
def api_as(app, token_for):
    """api_as(user, scope="write") -> an Api client acting as ``user``."""

    def make(user, scope: str = "write") -> Api:
        return Api(app.test_client(), token_for(user, scope))

    return make
