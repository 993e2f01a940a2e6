"""Who calls the API: ``Authorization: Bearer <token>``, nothing else.

The login cookie is never read on ``/api/v1`` (``enforce_access`` sends API views here
before anything loads the cookie's user), so no CSRF token is needed or accepted: a
browser cannot send the bearer token on its own.  The token's user, with the roles they
hold now, is the request's ``current_user``; every change the request makes is audited as
that user with the channel "api".  Calls are limited per token and minute (429 beyond).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin

from labsys.extensions import db
from labsys.models import ApiToken
from labsys.services import api_tokens, audit
from labsys.web.access import TokenAccess
from labsys.web.api_v1.problems import problem

CHANNEL = "api"
READ_METHODS = {"GET", "HEAD", "OPTIONS"}


class RateLimiter:
    """A fixed one-minute window per token, in this process's memory (each worker process
    of a server counts its own calls; the limit is a guard against runaway clients, not
    an accounting)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[int, tuple[int, int]] = {}

    def hit(self, token_id: int, limit: int) -> tuple[bool, int, int]:
        """(allowed, remaining, seconds until the window resets)."""
        now = self._clock()
        minute = int(now // 60)
        with self._lock:
            start, count = self._windows.get(token_id, (minute, 0))
            if start != minute:
                start, count = minute, 0
            count += 1
            self._windows[token_id] = (start, count)
            if len(self._windows) > 10_000:  # forget old windows
                self._windows = {k: v for k, v in self._windows.items() if v[0] == minute}
        reset = int(60 - now % 60) or 60
        return count <= limit, max(limit - count, 0), reset


limiter = RateLimiter()


def _unauthorized(detail: str):
    return problem(401, detail, headers={"WWW-Authenticate": 'Bearer realm="labsys"'})


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def authenticate_request(rule: TokenAccess):
    """before_request for API views: None to go on, or the problem response."""
    g._login_user = AnonymousUserMixin()  # never the cookie's user
    audit.channel.set(CHANNEL)
    secret = bearer_token()
    if secret is None:
        return _unauthorized(_("Send an API token: Authorization: Bearer <token>."))
    token = api_tokens.authenticate(db.session, secret)
    if token is None:
        return _unauthorized(_("The API token is unknown, expired or revoked."))
    g.api_token = token
    g._login_user = token.user
    allowed, remaining, reset = limiter.hit(
        token.id, current_app.config["API_RATE_LIMIT_PER_MINUTE"]
    )
    g.rate_headers = {
        "RateLimit-Limit": str(current_app.config["API_RATE_LIMIT_PER_MINUTE"]),
        "RateLimit-Remaining": str(remaining),
        "RateLimit-Reset": str(reset),
    }
    if not allowed:
        return problem(
            429,
            _("Too many calls with this token: wait a minute."),
            headers={**g.rate_headers, "Retry-After": str(reset)},
        )
    writing = rule.write or request.method not in READ_METHODS
    if writing and not token.writes:
        return problem(403, _("This token may only read (scope read)."))
    if rule.roles is not None and not token.user.has_role(*rule.roles):
        return problem(403, _("Your roles do not allow this."))
    return None


def current_token() -> ApiToken:
    return g.api_token


def add_rate_headers(response):
    for name, value in (g.get("rate_headers") or {}).items():
        response.headers.setdefault(name, value)
    return response


def reset_channel(_exception=None) -> None:
    """teardown: the next request on this thread starts without a channel."""
    audit.channel.set(None)
