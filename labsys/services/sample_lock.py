"""One sample's workflow steps that decide on what each other wrote take turns.

A retest application reads the sample's conclusion, which a correction of its result
suspends; a correction reads whether a retest is under way.  An objection's filing reads the
day its 7 working days count from (the notification, the sampling date), which recording
the notification again or correcting the sampling date moves, moving the objections it
finds.  Each of these steps first takes the sample's row lock (PostgreSQL's ``SELECT … FOR
UPDATE``; SQLite lets one writer in at a time anyway) and reads the sample again, so the
second of two concurrent steps reads what the first committed instead of deciding on what
it read before.  Several samples are locked in id order (two steps locking the same pair
never wait on each other in a circle)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from labsys.models import Sample


def lock_samples(session: Session, samples: Iterable[Sample]) -> None:
    """Wait for and hold the row lock of each of ``samples`` until the transaction ends,
    and refresh them from the locked rows (PostgreSQL; nothing on SQLite)."""
    ids = sorted({sample.id for sample in samples if sample.id is not None})
    if not ids or session.get_bind().dialect.name != "postgresql":
        return
    session.scalars(
        select(Sample)
        .where(Sample.id.in_(ids))
        .order_by(Sample.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
