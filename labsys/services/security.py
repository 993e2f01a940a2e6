"""Security events in the audit trail (logins, failed logins, refused access) and login
throttling.

The password is never recorded, nor anything derived from it.

**Throttling.** Failed logins are counted per account (the username as typed, known or not,
so that the answer never tells whether an account exists) and per client address, in the
database (``login_throttle``): every server process and thread sees the same count, on
SQLite and PostgreSQL alike.  ``LOGIN_MAX_FAILURES`` failures of one account within
``LOGIN_LOCKOUT_MINUTES`` lock it for ``LOGIN_LOCKOUT_MINUTES``, ``LOGIN_MAX_FAILURES_PER_ADDRESS``
failures from one address lock that address the same way (0 turns a limit off: behind a
reverse proxy every client has the proxy's address).  While locked, a login is refused
without checking the password; a successful login clears the account's counter.  OWASP ASVS
4.0 V2.2.1 asks that no more than 100 failed attempts an hour be possible on one account,
NIST SP 800-63B §5.2.2 limits consecutive failures to 100 *(verify both)*: 5 per 15 minutes
is well inside, and short enough a lock that a locked-out colleague waits, not calls IT.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from labsys.core import clock
from labsys.models import LoginThrottle, Role, User
from labsys.services import audit
from labsys.services.access import writes

# Text recorded from the request is cut here: an attacker chooses it.
_MAX = 200
ACCOUNT, ADDRESS = "user", "address"
DEFAULTS = {
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_MAX_FAILURES_PER_ADDRESS": 20,
    "LOGIN_LOCKOUT_MINUTES": 15,
}


def _setting(name: str) -> int:
    value = current_app.config.get(name) if has_app_context() else None
    return int(DEFAULTS[name] if value is None else value)


def _keys(username: str | None, address: str | None) -> list[tuple[str, str, int]]:
    """(kind, key, limit) of the counters a login attempt counts against."""
    keys = []
    name = (username or "").strip().casefold()[:_MAX]
    if name and _setting("LOGIN_MAX_FAILURES") > 0:
        keys.append((ACCOUNT, name, _setting("LOGIN_MAX_FAILURES")))
    if address and _setting("LOGIN_MAX_FAILURES_PER_ADDRESS") > 0:
        keys.append((ADDRESS, address[:_MAX], _setting("LOGIN_MAX_FAILURES_PER_ADDRESS")))
    return keys


def _counter(session: Session, kind: str, key: str, *, lock: bool = False):
    query = select(LoginThrottle).where(LoginThrottle.kind == kind, LoginThrottle.key == key)
    return session.scalar(query.with_for_update() if lock else query)


def login_blocked(session: Session, username: str | None, address: str | None) -> int | None:
    """The minutes left (at least 1) while the account or the address is locked, else None."""
    now = clock.now()
    left = []
    for kind, key, _limit in _keys(username, address):
        counter = _counter(session, kind, key)
        if counter is not None and counter.locked_until and counter.locked_until > now:
            left.append(math.ceil((counter.locked_until - now).total_seconds() / 60))
    return max(left) if left else None


def _count_failure(session: Session, kind: str, key: str, limit: int, now: datetime) -> bool:
    """One more failure on this counter; True when it is (now) locked."""
    window = timedelta(minutes=_setting("LOGIN_LOCKOUT_MINUTES"))
    counter = _counter(session, kind, key, lock=True)
    if counter is None:
        try:
            with session.begin_nested():  # another process may insert it at the same time
                counter = LoginThrottle(kind=kind, key=key, failures=0, window_start=now)
                session.add(counter)
        except IntegrityError:
            counter = _counter(session, kind, key, lock=True)
            assert counter is not None
    lapsed = counter.locked_until is not None and counter.locked_until <= now
    if lapsed or counter.window_start <= now - window:
        counter.failures, counter.window_start, counter.locked_until = 0, now, None
    counter.failures += 1
    if counter.failures >= limit and counter.locked_until is None:
        counter.locked_until = now + window
    session.flush()
    return counter.locked_until is not None


def login_succeeded(session: Session, user: User, address: str | None) -> None:
    """Audited; the account's failure counter starts again (the address' does not: one
    valid account must not reset the count of guesses at others)."""
    counter = _counter(session, ACCOUNT, user.username.casefold()[:_MAX], lock=True)
    if counter is not None:
        session.delete(counter)
        session.flush()
    audit.record(session, user, "user", user.id, "login", new={"address": address})


def account_lock(session: Session, user: User) -> LoginThrottle | None:
    """The account's failure counter while it locks the account (for the admin's page)."""
    counter = _counter(session, ACCOUNT, user.username.casefold()[:_MAX])
    if counter is None or counter.locked_until is None or counter.locked_until <= clock.now():
        return None
    return counter


@writes(Role.ADMIN)
def unlock_account(session: Session, actor: User, user: User) -> bool:
    """An administrator lifts the account's lock before it lapses (the colleague called:
    it was them); audited with the failures counted.  The address counters stay: another
    client's guesses are no reason to trust that address.  False when it was not locked."""
    counter = _counter(session, ACCOUNT, user.username.casefold()[:_MAX], lock=True)
    if counter is None or counter.locked_until is None or counter.locked_until <= clock.now():
        return False
    old = {"failures": counter.failures, "locked_until": counter.locked_until}
    session.delete(counter)
    session.flush()
    audit.record(session, actor, "user", user.id, "unlock", old=old, new={"locked_until": None})
    return True


def signature_failed(session: Session, user: User) -> bool:
    """A wrong password given to sign (services/esign.py): counted against the account as
    a failed login is (the refusal itself is audited as a refused access); returns whether
    the account is locked now."""
    key = user.username.strip().casefold()[:_MAX]
    limit = _setting("LOGIN_MAX_FAILURES")
    if limit <= 0:
        return False
    return _count_failure(session, ACCOUNT, key, limit, clock.now())


def login_failed(
    session: Session, username: str, address: str | None, *, throttled: bool = False
) -> bool:
    """Unknown user, wrong password or deactivated account alike (the page says the same);
    ``throttled``: refused unchecked, the account or address being locked.  Counted against
    the account and the address; returns whether either is locked now."""
    name = (username or "")[:_MAX]
    now = clock.now()
    locked = False
    for kind, key, limit in _keys(username, address):
        locked = _count_failure(session, kind, key, limit, now) or locked
    values: dict[str, str | bool | None] = {"username": name, "address": address}
    if throttled:
        values["throttled"] = True
    audit.record(session, None, "login", name[:64] or "-", "failed", new=values)
    return locked


def access_refused(
    session: Session,
    actor: User | None,
    what: str,
    *,
    method: str,
    path: str,
    message: str,
    address: str | None,
) -> None:
    """A 403, or a service's PermissionDenied (e.g. reviewing one's own result)."""
    audit.record(
        session,
        actor,
        "access",
        (what or "-")[:64],
        "refused",
        new={
            "method": method,
            "path": path[:_MAX],
            "message": message[:_MAX],
            "address": address,
        },
    )
