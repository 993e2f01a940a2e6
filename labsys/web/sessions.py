"""The idle timeout: a login session unused for IDLE_TIMEOUT_MINUTES ends.

The session cookie carries the time of the last request (``seen``, epoch seconds, rewritten
at most once a minute).  Logging out and password changes end sessions server-side through
the user's session nonce (``User.session_version``, see services.users.end_sessions).
"""

from __future__ import annotations

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from labsys.core import clock
from labsys.web.access import is_api_request

SEEN_KEY = "seen"


def enforce_idle_timeout() -> None:
    if is_api_request():  # the API reads no login cookie (a bearer token per call)
        return
    minutes = current_app.config.get("IDLE_TIMEOUT_MINUTES")
    if not minutes or not current_user.is_authenticated:
        return
    now = int(clock.now().timestamp())
    seen = session.get(SEEN_KEY)
    if isinstance(seen, int) and now - seen > minutes * 60:
        logout_user()
        session.pop(SEEN_KEY, None)
        flash(_("You were logged out after %(n)d minutes without activity.", n=minutes), "info")
        return
    if not isinstance(seen, int) or now - seen >= 60:
        session[SEEN_KEY] = now


# What a user who must change the password may still open.
_WHILE_CHANGING = {"auth.change_password", "auth.logout", "auth.language", "static"}


def enforce_password_change():
    """After an administrator set the password, every page leads to the change form."""
    if not current_user.is_authenticated or not current_user.must_change_password:
        return None
    if request.endpoint in _WHILE_CHANGING:
        return None
    if is_api_request():
        from labsys.web.api_v1.problems import problem

        return problem(403, _("An administrator set your password: choose your own to continue."))
    flash(_("An administrator set your password: choose your own to continue."), "warning")
    return redirect(url_for("auth.change_password"))
