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
without checking the password; a successful login clears the account's counter.  The
account's counter also notes the addresses its failures came from, so that an administrator
unlocking the account is offered the locks of those addresses too (the colleague's own
computer, whose lock would otherwise still keep them out).  OWASP ASVS
4.0 V2.2.1 asks that no more than 100 failed attempts an hour be possible on one account,
NIST SP 800-63B §5.2.2 limits consecutive failures to 100 *(verify both)*: 5 per 15 minutes
is well inside, and short enough a lock that a locked-out colleague waits, not calls IT.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from labsys.core import clock
from labsys.models import LoginThrottle, Role, User
from labsys.services import audit
from labsys.services.access import writes
from labsys.services.errors import ServiceError

# Text recorded from the request is cut here: an attacker chooses it.
_MAX = 200
ACCOUNT, ADDRESS = "user", "address"
# The addresses an account's counter remembers (the newest): enough for a colleague's
# computers, bounded against a spray from many addresses.
MAX_ADDRESSES = 10
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


def _count_failure(
    session: Session, kind: str, key: str, limit: int, now: datetime, address: str | None = None
) -> bool:
    """One more failure on this counter (from ``address``, noted on an account's counter);
    True when it is (now) locked."""
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
        counter.addresses = None
    counter.failures += 1
    if address and kind == ACCOUNT:
        _note_address(counter, address[:_MAX])
    if counter.failures >= limit and counter.locked_until is None:
        counter.locked_until = now + window
    session.flush()
    return counter.locked_until is not None


def _address_failures(counter: LoginThrottle) -> dict[str, int]:
    """The addresses the account's failures came from, each with how many, oldest first
    (a list, as first recorded, counts none: such an address is never offered)."""
    noted = json.loads(counter.addresses) if counter.addresses else {}
    return noted if isinstance(noted, dict) else dict.fromkeys(noted, 0)


def _note_address(counter: LoginThrottle, address: str) -> None:
    noted = _address_failures(counter)
    count = noted.pop(address, 0) + 1  # moved to the newest end
    noted[address] = count
    counter.addresses = json.dumps(dict(list(noted.items())[-MAX_ADDRESSES:]))


def _only_this_account(address_counter: LoginThrottle, noted: dict[str, int]) -> bool:
    """Whether every failure the address's counter holds can be this account's: an address
    that also failed on other accounts (a spray that tried this one too) is not offered,
    however the administrator trusts the colleague."""
    return address_counter.failures <= noted.get(address_counter.key, 0)


def login_succeeded(session: Session, user: User, address: str | None) -> None:
    """Audited; the account's failure counter starts again (the address' does not: one
    valid account must not reset the count of guesses at others)."""
    counter = _counter(session, ACCOUNT, user.username.casefold()[:_MAX], lock=True)
    if counter is not None:
        session.delete(counter)
        session.flush()
    audit.record(session, user, "user", user.id, "login", new={"address": address})


def _account_key(user: User) -> str:
    return user.username.casefold()[:_MAX]


def _locked(counter: LoginThrottle | None, now: datetime) -> bool:
    return counter is not None and counter.locked_until is not None and counter.locked_until > now


@dataclass(frozen=True)
class AccountLock:
    """What keeps an account out: its own lock (``account``: its counter, or None) and the
    locks of the addresses its failed logins came from (``addresses``: their counters)."""

    account: LoginThrottle | None
    addresses: tuple[LoginThrottle, ...] = ()

    @property
    def address_keys(self) -> list[str]:
        return [counter.key for counter in self.addresses]


def account_lock(session: Session, user: User) -> AccountLock | None:
    """The account's lock and those of the addresses it failed from that are locked now (for
    the admin's page); None when neither keeps it out."""
    now = clock.now()
    counter = _counter(session, ACCOUNT, _account_key(user))
    if counter is None:
        return None
    noted = _address_failures(counter)
    addresses = _address_counters(session, list(noted))
    lock = AccountLock(
        account=counter if _locked(counter, now) else None,
        addresses=tuple(c for c in addresses if _locked(c, now) and _only_this_account(c, noted)),
    )
    return lock if lock.account is not None or lock.addresses else None


def _address_counters(session: Session, keys: list[str], *, lock: bool = False):
    if not keys:
        return []
    query = (
        select(LoginThrottle)
        .where(LoginThrottle.kind == ADDRESS, LoginThrottle.key.in_(keys))
        .order_by(LoginThrottle.key)
    )
    return list(session.scalars(query.with_for_update() if lock else query))


@dataclass(frozen=True)
class Unlocked:
    """What an unlock lifted: the account's own lock, and the addresses'."""

    account: bool
    addresses: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.account or bool(self.addresses)


@writes(Role.ADMIN)
def unlock_account(
    session: Session, actor: User, user: User, addresses: Iterable[str] = ()
) -> Unlocked:
    """An administrator lifts the account's lock before it lapses (the colleague called:
    it was them), and the locks of ``addresses``: only addresses this account's failed logins
    came from (the colleague's computer; AccountLock.addresses offers them), never another
    one, since another client's guesses are no reason to trust an address.  Audited with the
    failures counted.  Falsy when nothing was locked."""
    now = clock.now()
    counter = _counter(session, ACCOUNT, _account_key(user), lock=True)
    noted = _address_failures(counter) if counter is not None else {}
    wanted = sorted({str(a)[:_MAX] for a in addresses})
    strangers = [a for a in wanted if a not in noted]
    if strangers:
        raise ServiceError(
            _(
                "%(addresses)s: no failed login of %(name)s came from there lately, so this "
                "page does not unlock it.",
                addresses=", ".join(strangers),
                name=user.username,
            )
        )
    # The locked ones among them are lifted, unless another account failed from there too.
    lifted = [c for c in _address_counters(session, wanted, lock=True) if _locked(c, now)]
    others = [c.key for c in lifted if not _only_this_account(c, noted)]
    if others:
        raise ServiceError(
            _(
                "%(addresses)s: more failed logins came from there than %(name)s's own, so "
                "other accounts were tried from there too: its lock ends at its time.",
                addresses=", ".join(others),
                name=user.username,
            )
        )
    old: dict = {}
    account = _locked(counter, now)
    if account:
        assert counter is not None
        old.update(failures=counter.failures, locked_until=counter.locked_until)
        # The count starts again; the addresses stay noted, so that a lock of one of them
        # left in place is still offered on this page.
        counter.failures, counter.window_start, counter.locked_until = 0, now, None
    if lifted:
        old["addresses"] = {
            c.key: {"failures": c.failures, "locked_until": c.locked_until} for c in lifted
        }
    for address_counter in lifted:
        session.delete(address_counter)
    done = Unlocked(account=account, addresses=tuple(c.key for c in lifted))
    if not done:
        return done
    session.flush()
    new: dict = {"locked_until": None}
    if lifted:
        new["addresses_unlocked"] = list(done.addresses)
    audit.record(session, actor, "user", user.id, "unlock", old=old, new=new)
    return done


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
        locked = _count_failure(session, kind, key, limit, now, address) or locked
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
