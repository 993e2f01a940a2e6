"""Read queries of the follow-up pages (the list and the deadline board are read by
services.followup, which the API and the CLI share)."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from labsys.core import clock
from labsys.models import FollowUp, Lab, RetestStatus, Sample
from labsys.services import backups, disposals, followup, objections, retests


def followup_queue(conditions, deadlines) -> Select:
    """The follow-up list's sample ids narrowed by the queue filters' ``conditions`` (on Sample
    and on ``deadlines``, the subquery of each sample's next deadline, outer-joined)."""
    return (
        select(Sample.id)
        .outerjoin(deadlines, deadlines.c.sample_id == Sample.id)
        .where(*followup.followup_conditions(), *conditions)
    )


def followup_of(session: Session, sample_id: int) -> FollowUp | None:
    """The follow-up record of a sample, if one was opened."""
    return session.scalar(select(FollowUp).where(FollowUp.sample_id == sample_id))


def has_followup(session: Session, sample_id: int) -> bool:
    return session.scalar(select(FollowUp.id).where(FollowUp.sample_id == sample_id)) is not None


def detail_context(session: Session, sample: Sample) -> dict:
    """What the follow-up page shows of ``sample``: its follow-up, retests (the current one:
    the last that is not refused), objections, disposal, and what the system already knows
    of the Art. 31 grounds."""
    retest_rows = retests.retests_of(session, sample.id)
    current = next((r for r in reversed(retest_rows) if r.status != RetestStatus.REFUSED), None)
    first_lab_id = followup.first_lab_id(session, sample)
    return {
        "record": followup_of(session, sample.id),
        "backup": backups.backup_of(session, sample),
        "first_lab": session.get(Lab, first_lab_id) if first_lab_id else None,
        "retests": retest_rows,
        "current_retest": current,
        "grounds": retests.grounds(session, current, clock.today())
        if current is not None and current.status == RetestStatus.APPLIED
        else {},
        "objections": objections.objections_of(session, sample.id),
        "disposal": disposals.disposal_of(session, sample.id),
        "unqualified_report": disposals.unqualified_report(session, sample),
        "retest_labs": retests.retest_labs(session, active_only=True),
    }
