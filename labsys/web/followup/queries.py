"""Read queries of the follow-up pages (the list and the deadline board are read by
services.followup, which the API and the CLI share)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from labsys.models import FollowUp


def followup_of(session: Session, sample_id: int) -> FollowUp | None:
    """The follow-up record of a sample, if one was opened."""
    return session.scalar(select(FollowUp).where(FollowUp.sample_id == sample_id))


def has_followup(session: Session, sample_id: int) -> bool:
    return session.scalar(select(FollowUp.id).where(FollowUp.sample_id == sample_id)) is not None
