"""The register of retest backups (复检备份样品): where each is kept, until when, its hand-over
to a retest lab and its disposal (SAMR Order No. 15 Art. 25)."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from labsys.core import clock
from labsys.models.base import Base, UTCDateTime, str_enum
from labsys.models.enums import TitledEnum
from labsys.models.reference import Lab
from labsys.models.sampling import Sample
from labsys.models.user import User


class BackupStatus(TitledEnum):
    """held → handed over (to a retest lab) | disposed (``labsys.core.lifecycle.BACKUP``)."""

    HELD = "held"
    HANDED_OVER = "handed_over"
    DISPOSED = "disposed"

    @classmethod
    def __titles__(cls):
        return {
            cls.HELD: _l("Kept"),
            cls.HANDED_OVER: _l("Handed over to the retest lab"),
            cls.DISPOSED: _l("Disposed of"),
        }

    @property
    def is_held(self) -> bool:
        return self is BackupStatus.HELD


class BackupSample(Base):
    """One row per received sample: its sealed retest backup in the lab's keeping."""

    __tablename__ = "backup_samples"

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("samples.id"), unique=True)
    status: Mapped[BackupStatus] = mapped_column(
        str_enum(BackupStatus, "backup_status"), default=BackupStatus.HELD
    )
    location: Mapped[str | None] = mapped_column(String(200))  # e.g. 留样室 冷藏柜A-3
    stored_on: Mapped[date | None]
    stored_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # Kept until this day (inclusive); None until the sample has a final conclusion.
    retain_until: Mapped[date | None]
    handed_over_on: Mapped[date | None]
    handed_to_lab_id: Mapped[int | None] = mapped_column(ForeignKey("labs.id"), index=True)
    handed_over_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    seal_intact: Mapped[bool | None]
    handover_notes: Mapped[str | None] = mapped_column(String(500))
    disposed_on: Mapped[date | None]
    disposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    disposal_method: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    version_id: Mapped[int] = mapped_column(default=1)

    sample: Mapped[Sample] = relationship()
    handed_to_lab: Mapped[Lab | None] = relationship()
    stored_by: Mapped[User | None] = relationship(foreign_keys=[stored_by_id])
    disposed_by: Mapped[User | None] = relationship(foreign_keys=[disposed_by_id])

    __table_args__ = (
        # "What may be disposed of this week": held backups by retention date.
        Index("ix_backup_samples_status_retain_until", "status", "retain_until"),
    )
    __mapper_args__ = {"version_id_col": version_id}

    def __repr__(self) -> str:
        return f"<BackupSample sample={self.sample_id} {self.status}>"
