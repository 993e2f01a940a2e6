"""Security events in the audit trail: logins, failed logins, refused access.

The password is never recorded, nor anything derived from it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from labsys.models import User
from labsys.services import audit

# Text recorded from the request is cut here: an attacker chooses it.
_MAX = 200


def login_succeeded(session: Session, user: User, address: str | None) -> None:
    audit.record(session, user, "user", user.id, "login", new={"address": address})


def login_failed(session: Session, username: str, address: str | None) -> None:
    """Unknown user, wrong password or deactivated account alike (the page says the same)."""
    name = (username or "")[:_MAX]
    audit.record(
        session,
        None,
        "login",
        name[:64] or "-",
        "failed",
        new={"username": name, "address": address},
    )


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
