"""Read queries of the backup register pages."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from labsys.models import BackupSample, Sample


def backup_for_sample(session: Session, sample_id: int) -> BackupSample | None:
    return session.scalar(select(BackupSample).where(BackupSample.sample_id == sample_id))


def sample_by_no(session: Session, sample_no: str) -> Sample | None:
    return session.scalar(select(Sample).where(Sample.sample_no == sample_no.strip()))
