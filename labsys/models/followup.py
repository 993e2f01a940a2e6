"""Follow-up of an unqualified sample: notification, retest (复检), objection (异议), disposal
(核查处置) and the retest backup's retention; plus the indexes of the deadline board."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from labsys.core import clock
from labsys.models.base import Base, UTCDateTime, str_enum
from labsys.models.enums import Conclusion, TitledEnum
from labsys.models.reference import Lab
from labsys.models.sampling import Sample
from labsys.models.user import User


class ObjectionKind(TitledEnum):
    """异议: about the sampling process, or about the result's method or standard."""

    SAMPLING = "sampling"
    RESULT = "result"

    @classmethod
    def __titles__(cls):
        return {cls.SAMPLING: _l("Sampling process"), cls.RESULT: _l("Test result")}


class FollowUpStatus(TitledEnum):
    """The retest track of a follow-up: open → notified → retest requested → backup received
    → retested (``labsys.core.lifecycle.FOLLOWUP``); objections and the disposal run beside it."""

    OPEN = "open"
    NOTIFIED = "notified"
    RETEST_REQUESTED = "retest_requested"
    BACKUP_RECEIVED = "backup_received"
    RETESTED = "retested"

    @classmethod
    def __titles__(cls):
        return {
            cls.OPEN: _l("Awaiting notification"),
            cls.NOTIFIED: _l("Notified"),
            cls.RETEST_REQUESTED: _l("Retest requested"),
            cls.BACKUP_RECEIVED: _l("Retest in progress"),
            cls.RETESTED: _l("Retested"),
        }


class FollowUp(Base):
    """One row per unqualified sample.  Deadlines are stored (computed on working days when
    the date they count from is recorded) so the deadline board is an indexed range query."""

    __tablename__ = "followups"

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("samples.id"), unique=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[FollowUpStatus] = mapped_column(
        str_enum(FollowUpStatus, "followup_status"), default=FollowUpStatus.OPEN
    )

    # The sampled unit received the conclusion: the retest and objection clocks start.
    notified_on: Mapped[date | None]
    retest_window_end: Mapped[date | None]  # notified_on + 7 working days

    # Retest (复检) in a different lab; its conclusion decides.
    retest_requested_on: Mapped[date | None]
    retest_lab_id: Mapped[int | None] = mapped_column(ForeignKey("labs.id"), index=True)
    retest_backup_received_on: Mapped[date | None]
    retest_due: Mapped[date | None]  # backup received + 10 working days
    retest_result: Mapped[str | None] = mapped_column(Text)
    retest_conclusion: Mapped[Conclusion | None] = mapped_column(str_enum(Conclusion, "conclusion"))
    retest_reported_on: Mapped[date | None]

    # Objection (异议).
    objection_kind: Mapped[ObjectionKind | None] = mapped_column(
        str_enum(ObjectionKind, "objection_kind")
    )
    objection_filed_on: Mapped[date | None]
    objection_outcome: Mapped[str | None] = mapped_column(Text)

    # Disposal (核查处置): started, two milestones, completed, by a deadline.
    disposal_started_on: Mapped[date | None]
    disposal_first_due: Mapped[date | None]  # first milestone (5 days in national practice)
    disposal_first_done_on: Mapped[date | None]
    disposal_second_due: Mapped[date | None]  # second milestone (30 days)
    disposal_second_done_on: Mapped[date | None]
    disposal_due: Mapped[date | None]  # the deadline (90 days, a setting)
    disposal_completed_on: Mapped[date | None]
    disposal_notes: Mapped[str | None] = mapped_column(Text)

    backup_retain_until: Mapped[date | None]  # keep the retest backup until this day
    notes: Mapped[str | None] = mapped_column(String(500))
    version_id: Mapped[int] = mapped_column(default=1)

    sample: Mapped[Sample] = relationship()
    retest_lab: Mapped[Lab | None] = relationship()
    opened_by: Mapped[User | None] = relationship()

    __table_args__ = (
        Index("ix_followups_disposal_due", "disposal_due"),
        Index("ix_followups_retest_due", "retest_due"),
    )
    __mapper_args__ = {"version_id_col": version_id}

    @property
    def final_conclusion(self) -> Conclusion | None:
        """The retest's conclusion once there is one, else the sample's."""
        return self.retest_conclusion or self.sample.conclusion

    def __repr__(self) -> str:
        return f"<FollowUp sample={self.sample_id}>"


# The deadline board's range queries on the samples table (declared here, by the feature
# that needs them; created by migration 0008).
Index("ix_samples_due_delivery", Sample.due_delivery)
Index("ix_samples_due_report", Sample.due_report)
Index("ix_samples_due_unqualified_report", Sample.due_unqualified_report)
# The board's counts and "most urgent first" per kind: the kind's equality condition, then
# the due date (created by migration 0011).
Index("ix_samples_status_due_delivery", Sample.status, Sample.due_delivery)
Index("ix_samples_status_due_report", Sample.status, Sample.due_report)
Index("ix_samples_conclusion_due_unqualified", Sample.conclusion, Sample.due_unqualified_report)
