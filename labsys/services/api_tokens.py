"""Personal API tokens: made and revoked by their user (an administrator, or ``labsys
api-token create`` at the command line, for anyone), shown once, kept as a SHA-256 hash.

A token is ``lsk_`` followed by 32 random bytes (URL-safe base64): with 256 bits of
entropy, an unsalted SHA-256 is as good as a password hash and can be looked up by its
index.  ``scope`` read allows reading only; write also allows changes, always within the
roles the user holds when the call is made (roles are read at each call, never copied).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from labsys.core import clock
from labsys.models import ApiToken, IdempotentRequest, Role, User
from labsys.models.api import SCOPES
from labsys.services import audit
from labsys.services.access import SystemActor, writes
from labsys.services.errors import PermissionDenied, ServiceError

TOKEN_PREFIX = "lsk_"
DEFAULT_DAYS = 90
MAX_DAYS = 366


@dataclass(frozen=True)
class NewToken:
    """A token just made: ``secret`` is the only copy of the token, shown once."""

    token: ApiToken
    secret: str


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _check_owner(actor: User | SystemActor, user: User) -> None:
    if isinstance(actor, SystemActor):
        return
    if actor.id != user.id and not actor.has_role(Role.ADMIN):
        raise PermissionDenied(_("You may only manage your own API tokens."))


@writes(*Role, system=True)  # anyone for themselves; an admin or the command line for anyone
def create_token(
    session: Session,
    actor: User | SystemActor,
    user: User,
    *,
    scope: str = "read",
    days: int = DEFAULT_DAYS,
    name: str = "",
) -> NewToken:
    _check_owner(actor, user)
    if scope not in SCOPES:
        raise ServiceError(_("The scope is read or write."), field="scope")
    if not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise ServiceError(_("A token is valid for 1 to %(n)d days.", n=MAX_DAYS), field="days")
    if not user.active:
        raise ServiceError(_("%(name)s is not active.", name=user.display_name), field="user")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    token = ApiToken(
        user_id=user.id,
        name=(name or "").strip()[:100],
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        token_hash=token_hash(secret),
        scope=scope,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor,
        "api_token",
        token.id,
        "create",
        new={
            "user": user.username,
            "name": token.name,
            "prefix": token.prefix,
            "scope": scope,
            "expires_at": token.expires_at,
        },
    )
    return NewToken(token, secret)


@writes(*Role)  # anyone for their own tokens; an admin for anyone's
def revoke_token(session: Session, actor: User, token: ApiToken) -> ApiToken:
    _check_owner(actor, token.user)
    if token.revoked_at is not None:
        raise ServiceError(_("This token is already revoked."))
    token.revoked_at = clock.now()
    session.flush()
    audit.record(session, actor, "api_token", token.id, "revoke", new={"prefix": token.prefix})
    return token


def authenticate(session: Session, secret: str) -> ApiToken | None:
    """The valid (unrevoked, unexpired) token of an active user with this secret, or None."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    digest = token_hash(secret)
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    if not token.is_valid(clock.now()) or not token.user.active:
        return None
    return token


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        )
    )


def stored_answer(session: Session, user_id: int, key: str) -> IdempotentRequest | None:
    """The answer stored for this user's ``Idempotency-Key``, if any."""
    return session.scalar(
        select(IdempotentRequest).where(
            IdempotentRequest.user_id == user_id, IdempotentRequest.key == key
        )
    )


def store_answer(
    session: Session,
    *,
    user_id: int,
    key: str,
    method: str,
    path: str,
    request_hash: str,
    status_code: int,
    body: str,
    location: str | None,
) -> None:
    """Keep a create's answer for its retries, in the create's own transaction."""
    session.add(
        IdempotentRequest(
            user_id=user_id,
            key=key,
            method=method,
            path=path,
            request_hash=request_hash,
            status_code=status_code,
            response_body=body,
            location=location,
        )
    )
    session.flush()
