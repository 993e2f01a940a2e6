"""Authorised signatories (授权签字人): the admin's list, and the check made at issue.

A report's approver (批准) must be an active authorised signatory whose scope contains the
sample's food category (RB/T 214-2017 §4.2.4 *(verify the clause)*; ISO/IEC 17025:2017
§7.8.2.1 o) "identification of the person(s) authorizing the report").
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from labsys.models import AuthorisedSignatory, FoodCategory, Role, Sample, SignatoryScope, User
from labsys.services import audit
from labsys.services.access import SystemActor, writes
from labsys.services.errors import NotFound, PermissionDenied, ServiceError


def get(session: Session, signatory_id: int) -> AuthorisedSignatory:
    signatory = session.get(AuthorisedSignatory, signatory_id)
    if signatory is None:
        raise NotFound(_("There is no such authorised signatory."))
    return signatory


def of_user(session: Session, user: User) -> AuthorisedSignatory | None:
    return session.scalar(select(AuthorisedSignatory).where(AuthorisedSignatory.user_id == user.id))


def signatory_list(session: Session) -> list[AuthorisedSignatory]:
    return list(
        session.scalars(
            select(AuthorisedSignatory).order_by(
                AuthorisedSignatory.active.desc(), AuthorisedSignatory.id
            )
        )
    )


def _snapshot(signatory: AuthorisedSignatory) -> dict:
    return {
        "user": signatory.user.username,
        "active": signatory.active,
        "note": signatory.note,
        "categories": sorted(link.category_id for link in signatory.scope_links),
    }


def _categories(session: Session, category_ids: Iterable[int]) -> list[FoodCategory]:
    ids = sorted({int(i) for i in category_ids or ()})
    if not ids:
        raise ServiceError(
            _("Choose at least one food category the signatory may sign for."),
            field="categories",
        )
    found = list(session.scalars(select(FoodCategory).where(FoodCategory.id.in_(ids))))
    if len(found) != len(ids):
        raise NotFound(_("A chosen food category does not exist."))
    return found


@writes(Role.ADMIN, system=True)
def authorise(
    session: Session,
    actor: User | SystemActor,
    user: User,
    *,
    category_ids: Iterable[int],
    note: str = "",
) -> AuthorisedSignatory:
    """Put ``user`` on the list (or update their scope, re-activating them), audited."""
    if not user.active or not user.has_role(Role.SUPERVISOR):
        raise ServiceError(
            _(
                "%(name)s cannot be an authorised signatory: only an active supervisor "
                "approves and issues reports.",
                name=user.display_name,
            ),
            field="user",
        )
    categories = _categories(session, category_ids)
    note = (note or "").strip()
    if len(note) > 200:
        raise ServiceError(_("The note is longer than 200 characters."), field="note")
    signatory = of_user(session, user)
    old = _snapshot(signatory) if signatory else None
    if signatory is None:
        signatory = AuthorisedSignatory(user=user, created_by_id=actor.id if actor else None)
        session.add(signatory)
    signatory.active = True
    signatory.note = note
    signatory.scope_links = [SignatoryScope(category=c) for c in categories]
    session.flush()
    audit.record(
        session,
        actor,
        "signatory",
        signatory.id,
        "authorise" if old is None else "update",
        old=old,
        new=_snapshot(signatory),
    )
    return signatory


@writes(Role.ADMIN)
def revoke(
    session: Session, actor: User, signatory: AuthorisedSignatory, reason: str = ""
) -> AuthorisedSignatory:
    """Take a signatory off the list; the row (and reports they signed) stay on file."""
    if not signatory.active:
        raise ServiceError(_("This signatory's authorisation is already revoked."))
    old = _snapshot(signatory)
    signatory.active = False
    session.flush()
    audit.record(
        session,
        actor,
        "signatory",
        signatory.id,
        "revoke",
        old=old,
        new=_snapshot(signatory),
        reason=reason or None,
    )
    return signatory


def covers(signatory: AuthorisedSignatory | None, sample: Sample) -> bool:
    """Whether an active signatory's scope contains the sample's category."""
    if signatory is None or not signatory.active:
        return False
    path = {sample.category_id, sample.cat_l1_id, sample.cat_l2_id}
    path |= {sample.cat_l3_id, sample.cat_l4_id}
    return any(link.category_id in path for link in signatory.scope_links)


def check_approver(
    session: Session,
    approver: User,
    sample: Sample,
    *,
    author: User,
    reviewer: User | None,
    entered: Collection[int] = (),
    reviewed: Collection[int] = (),
) -> None:
    """批准 is a third person: a supervisor, neither the author (编制) nor the reviewer (审核),
    who entered (``entered``: user ids) and reviewed (``reviewed``) none of the report's
    current results, and an authorised signatory for the sample's category.  Each refusal
    names its rule."""
    if not approver.has_role(Role.SUPERVISOR):
        raise PermissionDenied(_("Only a supervisor may approve and issue a report."))
    if approver.id in entered and approver.id != author.id:
        raise PermissionDenied(
            _(
                "You entered results of this report; the approver must have neither entered "
                "nor reviewed any of its results: another supervisor must approve and issue it."
            )
        )
    if approver.id in reviewed and (reviewer is None or approver.id != reviewer.id):
        raise PermissionDenied(
            _(
                "You reviewed results of this report; the approver must have neither entered "
                "nor reviewed any of its results: another supervisor must approve and issue it."
            )
        )
    if approver.id == author.id:
        raise PermissionDenied(
            _(
                "You wrote this report (most results are yours); the approver must be "
                "neither the author nor the reviewer: another supervisor must approve and "
                "issue it."
            )
        )
    if reviewer is not None and approver.id == reviewer.id:
        raise PermissionDenied(
            _(
                "You reviewed this report's results; the approver must be neither the "
                "author nor the reviewer: another supervisor must approve and issue it."
            )
        )
    signatory = of_user(session, approver)
    if not covers(signatory, sample):
        category = sample.category.name_zh if sample.category else ""
        raise PermissionDenied(
            _(
                "%(name)s is not an authorised signatory for %(category)s: "
                "a report may only be approved by a signatory whose scope covers the "
                "sample's food category (the admin keeps the list).",
                name=approver.display_name,
                category=category,
            )
        )


@writes(Role.ADMIN, system=True)
def authorise_all_categories(
    session: Session, actor: User | SystemActor, users: Iterable[User], note: str = ""
) -> list[AuthorisedSignatory]:
    """Authorise each user for every 食品大类 (the demo's and a small lab's set-up)."""
    top = [c.id for c in session.scalars(select(FoodCategory).where(FoodCategory.level == 1))]
    return [authorise(session, actor, user, category_ids=top, note=note) for user in users]
