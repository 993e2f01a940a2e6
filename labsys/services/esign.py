"""Electronic signatures: accepting results (审核) and issuing a report (批准) are signed by
the signer re-entering their password at the moment of signing.

21 CFR Part 11 §11.200(a)(1): an electronic signature not based on biometrics employs at
least two distinct identification components (the user name of the login session and the
password), and in a series of signings during one continuous session each signing uses at
least the component only the signer knows *(verify the wording of §11.200(a)(1)(i)-(ii))*;
§11.50 asks for the signer's name, the time and the meaning of the signature on the signed
record: the audit entries of ``accept`` and ``issue`` carry ``signed`` (the meaning) beside
the user and time.

One signature covers one batch: the results of a sample accepted together, the reports of
one bulk issue (web: one request of the queue's bulk issue; CLI: one ``labsys report issue``
run, the password read once from standard input or a prompt).

:func:`sign` checks the password and returns a :class:`Signature`; the services that sign
(``results.accept_results``, ``results.review_result`` when accepting,
``reports.issue_report``/``correct_report``/``issue_many``) refuse anything but a signature
made by :func:`sign` in this process, for the same user and meaning.  A wrong password
raises :class:`SignatureRefused` (a PermissionDenied: the web layer writes it to the audit
trail as a refused access, the CLI records it itself) and nothing is signed.
"""

from __future__ import annotations

import weakref
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from labsys.core import clock
from labsys.models import User
from labsys.services import security
from labsys.services.access import SystemActor
from labsys.services.errors import PermissionDenied

# How long a password may be: the login form's limit (a longer one is wrong anyway).
MAX_PASSWORD = 128


class Meaning(StrEnum):
    REVIEW = "review"  # 审核: results accepted
    APPROVAL = "approval"  # 批准: a report approved and issued


@dataclass(frozen=True, eq=False)
class Signature:
    """A password re-entered by ``user_id`` at ``at`` for ``meaning``."""

    user_id: int
    meaning: Meaning
    at: datetime


# Every signature :func:`sign` made in this process (a hand-built one is not in it).
_MADE: weakref.WeakSet[Signature] = weakref.WeakSet()
# While set (the web layer sets it per request), the ids of users whose password was wrong
# when signing: counted as failed logins after the request (its own work rolled back), so
# that guessing a password through a signing form locks the account like the login page.
failed_signers: ContextVar[list[int] | None] = ContextVar("labsys_failed_signers", default=None)


class SignatureRefused(PermissionDenied):
    """The password given to sign was wrong (or missing)."""


def sign(
    actor: User | SystemActor | None,
    password: str | None,
    meaning: Meaning,
    *,
    session: Session | None = None,
) -> Signature:
    """The signature of ``actor`` if ``password`` is theirs; else SignatureRefused.  With a
    ``session``, an account locked by failed logins (or failed signatures) cannot sign
    (21 CFR Part 11 §11.300(d): attempts at unauthorized use are detected and stopped)."""
    if actor is None or isinstance(actor, SystemActor) or actor.id is None:
        raise PermissionDenied(_("Only a person signs: log in as the signer."))
    if session is not None:
        minutes = security.login_blocked(session, actor.username, None)
        if minutes is not None:
            raise SignatureRefused(
                _(
                    "Too many wrong passwords: signing is locked for %(n)d minutes. "
                    "Nothing was signed.",
                    n=minutes,
                ),
                field="password",
            )
    password = password or ""
    if not password:
        raise SignatureRefused(
            _("Enter your password to sign: nothing was signed."), field="password"
        )
    if len(password) > MAX_PASSWORD or not check_password_hash(actor.password_hash, password):
        failed = failed_signers.get()
        if failed is not None:
            failed.append(actor.id)
        raise SignatureRefused(
            _("Signature refused: the password is wrong. Nothing was signed."), field="password"
        )
    signature = Signature(actor.id, meaning, clock.now())
    _MADE.add(signature)
    return signature


def check(signature: Signature | None, actor: User, meaning: Meaning) -> None:
    """PermissionDenied unless ``signature`` was made by :func:`sign` for ``actor`` and
    ``meaning``."""
    if (
        signature is None
        or signature not in _MADE
        or signature.user_id != getattr(actor, "id", None)
        or signature.meaning != meaning
    ):
        raise PermissionDenied(
            _(
                "This is an electronic signature: re-enter your password to sign. "
                "Nothing was signed."
            ),
            field="password",
        )
