"""Who may change what, checked by the services themselves: the ``@writes`` decorator.

Every public service function that changes data is declared a *writer*::

    @writes(Role.ADMIN)
    def update_category(session, actor, category, **fields): ...

On every call, before and around the body, the decorator

1. refuses an actor holding none of the roles with ``PermissionDenied`` (the body never
   runs), whoever the caller is: a view, a CLI command, the demo, a future API;
2. runs the body in a savepoint (``session.begin_nested()``): if the body raises (a
   ``ServiceError`` or anything else), exactly what this operation flushed is rolled back
   and the error re-raised; what the same transaction did before stays.  The caller still
   commits once (the request's ``after_request``, a CLI command at its end).

Rules the body still checks itself (four eyes, "your own sample", "an admin sets another
user's password") are finer than roles and stay in the body.

**The system actor.** ``labsys init``/``quickstart``, ``labsys create-user`` and the demo's
first accounts act without a user.  They pass :data:`SYSTEM` explicitly, and only writers
declared ``@writes(..., system=True)`` accept it.  ``None`` is never an actor: a caller that
forgot to pass the user is refused, not let through.  ``SYSTEM`` is falsy and has no id, so
``actor.id if actor else None`` and the audit trail record "no user", as before.

:data:`WRITERS` names every writer; ``tests/foundation/test_service_access.py`` calls each
with a wrong-role actor and checks that it is refused and wrote nothing, and fails on a
public service function that changes data without being declared.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from flask_babel import gettext as _
from sqlalchemy.orm import Session, SessionTransaction, scoped_session

from labsys.models import Role
from labsys.services.errors import PermissionDenied

F = TypeVar("F", bound=Callable[..., Any])


class SystemActor:
    """The actor of ``labsys init``, the CLI's account creation and the demo loader."""

    id = None
    roles: frozenset[Role] = frozenset()

    def has_role(self, *roles: Role) -> bool:
        return False

    def __bool__(self) -> bool:  # "no user" wherever code asks ``if actor``
        return False

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = SystemActor()

# "module.function" -> the decorated function (with ``.roles`` and ``.system``).
WRITERS: dict[str, Callable[..., Any]] = {}


def writes(*roles: Role, system: bool = False, message=None) -> Callable[[F], F]:
    """Declare a service function that changes data: who may call it (any of ``roles``;
    ``system=True`` also lets :data:`SYSTEM` in), and run it in a savepoint.  ``message``
    (a lazy string) says who may, for a friendlier refusal than the general one."""
    if not roles:
        raise ValueError("writes needs at least one role")
    allowed = frozenset(roles)

    def decorate(func: F) -> F:
        names = list(inspect.signature(func).parameters)
        if "session" not in names or "actor" not in names:
            raise TypeError(f"{func.__qualname__}: a writer takes `session` and `actor`")
        session_at, actor_at = names.index("session"), names.index("actor")

        @functools.wraps(func)
        def writer(*args, **kwargs):
            session = args[session_at] if len(args) > session_at else kwargs["session"]
            actor = args[actor_at] if len(args) > actor_at else kwargs.get("actor")
            check_actor(actor, allowed, system=system, message=message)
            return in_savepoint(session, func, *args, **kwargs)

        writer.roles = allowed  # type: ignore[attr-defined]
        writer.system = system  # type: ignore[attr-defined]
        WRITERS[f"{func.__module__}.{func.__qualname__}"] = writer
        return writer  # type: ignore[return-value]

    return decorate


def check_actor(actor, roles: frozenset[Role], *, system: bool = False, message=None) -> None:
    """PermissionDenied unless ``actor`` holds one of ``roles`` (or is SYSTEM where allowed)."""
    if actor is SYSTEM and system:
        return
    if isinstance(actor, SystemActor) or actor is None or not actor.has_role(*roles):
        raise PermissionDenied(message or _("Your roles do not allow this."))


def in_savepoint(session: Session | scoped_session, func: Callable[..., Any], *args, **kwargs):
    """``func(*args, **kwargs)`` in a savepoint: kept on success, rolled back on any error."""
    with savepoint(session):
        return func(*args, **kwargs)


@contextmanager
def savepoint(session: Session | scoped_session) -> Iterator[SessionTransaction]:
    """A block whose writes are kept when it ends normally and rolled back when it raises."""
    transaction = _session(session).begin_nested()
    try:
        yield transaction
    except BaseException:
        # A failed flush leaves the savepoint open but inactive: roll it back too.  A body
        # that rolled it back itself (to re-read a row after a conflict) left nothing open.
        if _is_open(transaction):
            transaction.rollback()
        raise
    if _is_open(transaction):
        transaction.commit()


def undo_operation(session: Session | scoped_session) -> None:
    """Roll back the running writer's savepoint now, inside its body (e.g. to read a row's
    current values after a version conflict); the body then raises its error."""
    savepoint = _session(session).get_nested_transaction()
    if savepoint is not None:
        savepoint.rollback()


def _session(session: Session | scoped_session) -> Session:
    return session() if isinstance(session, scoped_session) else session


def _is_open(savepoint: SessionTransaction) -> bool:
    transaction = savepoint.session.get_nested_transaction()
    while transaction is not None and transaction is not savepoint:
        transaction = transaction.parent
    return transaction is savepoint
