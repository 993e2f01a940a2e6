"""Accounts: creation, roles, activation and passwords.  Every change is audited."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from labsys.models import Role, User, UserRole
from labsys.services import audit
from labsys.services.access import SystemActor, writes
from labsys.services.errors import PermissionDenied, ServiceError

MIN_PASSWORD_LENGTH = 8  # NIST SP 800-63B §5.1.1.2: at least 8 characters *(verify)*
COMMON_PASSWORDS_FILE = Path(__file__).parent.parent / "data" / "passwords" / "common.txt"
# The quick start's first administrator, and the instance file keeping its first password.
INITIAL_ADMIN = "admin"
INITIAL_PASSWORD_FILE = "initial_admin_password"
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")


@functools.cache
def _dummy_hash(method: str) -> str:
    """Checked against when the username is unknown, so both failures take the same time:
    hashed at the same work factor as real passwords, once per process and only when a
    login first needs it (not at import, which every CLI command would pay for)."""
    return generate_password_hash("labsys-dummy-password", method=method)


def hash_password(password: str) -> str:
    """scrypt, with the work factor of the PASSWORD_HASH_METHOD setting (tests lower it)."""
    return generate_password_hash(password, method=_hash_method())


def _hash_method() -> str:
    if has_app_context():
        return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    return "scrypt"


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (labsys/data/passwords/common.txt), lower case."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().casefold() for line in lines if line.strip() and not line.startswith("#")
    )


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return _("The password must be at least %(n)d characters long.", n=MIN_PASSWORD_LENGTH)
    if password.isdigit() or password.isalpha():
        return _("The password must mix letters with digits or symbols.")
    if password.casefold() in common_passwords():
        return _("This password is one of the most common ones; choose another.")
    return None


def _check_password(password: str) -> None:
    problem = password_problem(password)
    if problem:
        raise ServiceError(problem, field="password")


def _parse_roles(roles) -> set[Role]:
    try:
        parsed = {Role(r) for r in roles}
    except ValueError as exc:
        raise ServiceError(_("Unknown role: %(error)s", error=exc), field="roles") from None
    if not parsed:
        raise ServiceError(_("A user needs at least one role."), field="roles")
    return parsed


def get_by_username(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.username) == username.lower()))


@writes(Role.ADMIN, system=True)
def create_user(
    session: Session,
    actor: User | SystemActor,
    *,
    username: str,
    password: str,
    roles,
    full_name: str = "",
) -> User:
    username = username.strip()
    if not USERNAME_RE.match(username):
        raise ServiceError(
            _("A username has 2 to 64 letters, digits, dots, dashes or underscores."),
            field="username",
        )
    if get_by_username(session, username):
        raise ServiceError(_("The username %(name)s is taken.", name=username), field="username")
    _check_password(password)
    role_set = _parse_roles(roles)
    user = User(
        username=username, full_name=full_name.strip(), password_hash=hash_password(password)
    )
    user.role_links = [UserRole(role=r) for r in sorted(role_set)]
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        "user",
        user.id,
        "create",
        new={"username": username, "full_name": user.full_name, "roles": sorted(role_set)},
    )
    return user


def initial_password_file() -> Path:
    """Where the quick start keeps the first admin's generated password until it changes."""
    return Path(current_app.instance_path) / INITIAL_PASSWORD_FILE


def forget_initial_password() -> None:
    """The kept first password stops working when the admin changes it: drop the file, so
    that ``make run`` no longer prints a login that fails."""
    initial_password_file().unlink(missing_ok=True)


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The user if the credentials are right and the account active, else None.

    Unknown user, wrong password and deactivated account look the same to the caller.
    """
    user = get_by_username(session, username.strip())
    if user is None:
        check_password_hash(_dummy_hash(_hash_method()), password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


@writes(Role.ADMIN)
def set_roles(session: Session, actor: User, user: User, roles) -> None:
    new_roles = _parse_roles(roles)
    old_roles = user.roles
    if new_roles == old_roles:
        return
    if user.id == actor.id and Role.ADMIN in old_roles - new_roles:
        raise PermissionDenied(_("You cannot take the administrator role from yourself."))
    user.role_links = [UserRole(role=r) for r in sorted(new_roles)]
    session.flush()
    audit.record(
        session,
        actor,
        "user",
        user.id,
        "roles",
        old={"roles": sorted(old_roles)},
        new={"roles": sorted(new_roles)},
    )


@writes(Role.ADMIN)
def set_active(session: Session, actor: User, user: User, active: bool) -> None:
    if user.active == active:
        return
    if user.id == actor.id and not active:
        raise PermissionDenied(_("You cannot deactivate your own account."))
    user.active = active
    session.flush()
    audit.record(
        session,
        actor,
        "user",
        user.id,
        "activate" if active else "deactivate",
        old={"active": not active},
        new={"active": active},
    )


@writes(*Role)  # anyone for their own password; an admin for another's (below)
def change_password(
    session: Session,
    actor: User,
    user: User,
    *,
    new_password: str,
    current_password: str | None = None,
) -> None:
    """Set a password.  Users changing their own must give the current one; only an
    administrator sets another user's."""
    if actor.id != user.id and not actor.has_role(Role.ADMIN):
        raise PermissionDenied(_("Only an administrator may set another user's password."))
    if actor.id == user.id and not check_password_hash(user.password_hash, current_password or ""):
        raise ServiceError(_("The current password is wrong."), field="current_password")
    _check_password(new_password)
    user.password_hash = hash_password(new_password)
    user.session_version += 1  # every session of the user ends (a stolen cookie too)
    # A password an administrator set (a reset) is known to two people: replaced at login.
    user.must_change_password = actor.id != user.id
    session.flush()
    if user.username == INITIAL_ADMIN and has_app_context():
        forget_initial_password()
    # Never the hashes themselves: the trail records that it changed, and who changed it.
    audit.record(session, actor, "user", user.id, "password")


@writes(*Role)  # anyone, for their own sessions
def end_sessions(session: Session, actor: User) -> None:
    """Log the user out everywhere: the session nonce (``session_version``, part of the
    login cookie's user id) changes, so every cookie issued before, copied or not, is
    refused.  Logging out calls this."""
    actor.session_version += 1
    session.flush()
    audit.record(session, actor, "user", actor.id, "logout")
