"""Read queries of the correction pages: the approvers' queue, one's own requests, and the
values of a request shown with the sampling form's labels."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from labsys.models import (
    Correction,
    CorrectionStatus,
    Enterprise,
    FoodCategory,
    Role,
    User,
)


def queue_query(user: User) -> Select:
    """Pending requests ``user`` may decide: not their own (a supervisor sees all of them; a
    reviewer too, the reported ones are then refused with the reason)."""
    return (
        select(Correction)
        .where(
            Correction.status == CorrectionStatus.PENDING,
            Correction.requested_by_id != user.id,
        )
        .options(selectinload(Correction.sample), selectinload(Correction.requested_by))
    )


def own_requests(session: Session, user: User, limit: int = 50) -> list[Correction]:
    return list(
        session.scalars(
            select(Correction)
            .where(Correction.requested_by_id == user.id)
            .options(selectinload(Correction.sample), selectinload(Correction.decided_by))
            .order_by(Correction.id.desc())
            .limit(limit)
        )
    )


def may_see_queue(user: User) -> bool:
    return user.has_role(Role.REVIEWER, Role.SUPERVISOR)


@dataclass
class Line:
    field: str
    label: str
    before: str
    after: str


def _category(session: Session, value) -> str:
    category = session.get(FoodCategory, int(value)) if value else None
    return f"{category.name_zh} [{category.code}]" if category else ""


def _enterprise(session: Session, value) -> str:
    enterprise = session.get(Enterprise, int(value)) if value else None
    return enterprise.name if enterprise else ""


def _users(session: Session, value) -> str:
    ids = [int(i) for i in value or []]
    users = session.scalars(select(User).where(User.id.in_(ids))) if ids else []
    return "、".join(sorted(u.display_name for u in users))


_SHOWN = {
    "category_id": _category,
    "producer_id": _enterprise,
    "sampled_unit_id": _enterprise,
    "sampler_ids": _users,
}


def shown(session: Session, field: str, value) -> str:
    if field in _SHOWN:
        return _SHOWN[field](session, value)
    if value is None:
        return ""
    if isinstance(value, list):
        return "；".join(str(v) for v in value)
    return str(value)
