"""Correction requests (更正申请): a change to a received or reported record, or its voiding
(作废), waiting for a second person's approval.

A request names its target (a visit, a sample, or a result row), what it would change
(``changes``: field → new value, as the sampling form or the worksheet posts it; ``before``:
the same fields' values when it was asked), the target's ``version_id`` then (approval is
refused when the target changed meanwhile), the reason, and who asked.  Approving applies the
change (and, for a sample with an issued report, issues the superseding report, ``report``);
rejecting or withdrawing changes nothing.  The transitions:
``labsys.core.lifecycle.CORRECTION``.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from labsys.core import clock
from labsys.models.base import Base, UTCDateTime, str_enum
from labsys.models.enums import TitledEnum
from labsys.models.report import Report
from labsys.models.sampling import Sample, SamplingVisit
from labsys.models.user import User

REASON_MAX = 500


class CorrectionStatus(TitledEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"

    @classmethod
    def __titles__(cls):
        return {
            cls.PENDING: _l("Awaiting approval"),
            cls.APPROVED: _l("Approved"),
            cls.REJECTED: _l("Rejected"),
            cls.WITHDRAWN: _l("Withdrawn by the requester"),
        }

    @property
    def is_pending(self) -> bool:
        return self is CorrectionStatus.PENDING


class CorrectionTarget(TitledEnum):
    VISIT = "visit"
    SAMPLE = "sample"
    RESULT = "result"

    @classmethod
    def __titles__(cls):
        return {
            cls.VISIT: _l("Sampling form"),
            cls.SAMPLE: _l("Sample"),
            cls.RESULT: _l("Result"),
        }


class CorrectionAction(TitledEnum):
    CORRECT = "correct"
    VOID = "void"

    @classmethod
    def __titles__(cls):
        return {cls.CORRECT: _l("Correction"), cls.VOID: _l("Voiding")}

    @property
    def is_void(self) -> bool:
        return self is CorrectionAction.VOID


class Correction(Base):
    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[CorrectionTarget] = mapped_column(
        str_enum(CorrectionTarget, "correction_target")
    )
    target_id: Mapped[int]
    action: Mapped[CorrectionAction] = mapped_column(
        str_enum(CorrectionAction, "correction_action")
    )
    status: Mapped[CorrectionStatus] = mapped_column(
        str_enum(CorrectionStatus, "correction_status"), default=CorrectionStatus.PENDING
    )
    # The visit and (for a sample or result) the sample concerned: for lists and badges.
    visit_id: Mapped[int] = mapped_column(ForeignKey("sampling_visits.id"), index=True)
    sample_id: Mapped[int | None] = mapped_column(ForeignKey("samples.id"), index=True)
    changes: Mapped[str] = mapped_column(Text, default="{}")  # JSON: field → new value
    before: Mapped[str] = mapped_column(Text, default="{}")  # JSON: field → value when asked
    target_version: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # A reported result's correction is reviewed (审核, signed) by a reviewer who neither asked
    # for it nor entered the value, before a supervisor approves it (issue 18 §1-2).
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
    report_id: Mapped[int | None] = mapped_column(
        ForeignKey("reports.id"), index=True
    )  # superseding
    version_id: Mapped[int] = mapped_column(default=1)

    visit: Mapped[SamplingVisit] = relationship()
    sample: Mapped[Sample | None] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    report: Mapped[Report | None] = relationship()

    __table_args__ = (
        Index("ix_corrections_status", "status", "id"),
        Index("ix_corrections_target", "target", "target_id", "status"),
    )
    __mapper_args__ = {"version_id_col": version_id}

    def __repr__(self) -> str:
        return f"<Correction {self.id} {self.action} {self.target} {self.target_id} {self.status}>"
