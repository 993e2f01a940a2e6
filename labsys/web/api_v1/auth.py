"""Who calls the API: ``Authorization: Bearer <token>``, nothing else.

The login cookie is never read on ``/api/v1`` (``enforce_access`` sends API views here
before anything loads the cookie's user), so no CSRF token is needed or accepted: a
browser cannot send the bearer token on its own.  The token's user, with the roles they
hold now, is the request's ``current_user``; every change the request makes is audited as
that user with the channel "api".  Calls are limited per token and minute (429 beyond),
counted in the database so that every server process shares the count
(``services/rate_limits.py``).
"""

from __future__ import annotations

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_login import AnonymousUserMixin

from labsys.core import clock
from labsys.extensions import db
from labsys.models import ApiToken
from labsys.services import api_tokens, audit, rate_limits
from labsys.web.access import TokenAccess
from labsys.web.api_v1.problems import problem

CHANNEL = "api"
READ_METHODS = {"GET", "HEAD", "OPTIONS"}


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
    # Counted first, in a transaction of its own (services/rate_limits.py).
    limit = current_app.config["API_RATE_LIMIT_PER_MINUTE"]
    rate = rate_limits.hit(db.engine, api_tokens.token_hash(secret), limit, clock.now())
    token = api_tokens.authenticate(db.session, secret)
    if token is None or rate is None:
        return _unauthorized(_("The API token is unknown, expired or revoked."))
    g.api_token = token
    g._login_user = token.user
    g.rate_headers = {
        "RateLimit-Limit": str(limit),
        "RateLimit-Remaining": str(rate.remaining),
        "RateLimit-Reset": str(rate.reset),
    }
    if not rate.allowed:
        return problem(
            429,
            _("Too many calls with this token: wait a minute."),
            headers={**g.rate_headers, "Retry-After": str(rate.reset)},
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
