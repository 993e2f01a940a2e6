"""Follow-up of an unqualified sample: notification, retest (复检), objections (异议), disposal
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
from labsys.models.report import Report
from labsys.models.sampling import Sample
from labsys.models.user import User


class FollowUpStatus(TitledEnum):
    """open → notified (``labsys.core.lifecycle.FOLLOWUP``); the retest, the objections and
    the disposal run beside it, each with a machine of its own."""

    OPEN = "open"
    NOTIFIED = "notified"

    @classmethod
    def __titles__(cls):
        return {cls.OPEN: _l("Awaiting notification"), cls.NOTIFIED: _l("Notified")}


class FollowUp(Base):
    """One row per unqualified sample: when the sampled unit received the conclusion (the
    retest and result-objection windows count from it) and how long to keep its backup."""

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
    retest_window_end: Mapped[date | None]  # notified_on + 7 working days (Art. 30)

    # How long the retest backup is kept: the register's row (``BackupSample.retain_until``).
    notes: Mapped[str | None] = mapped_column(String(500))
    version_id: Mapped[int] = mapped_column(default=1)

    sample: Mapped[Sample] = relationship()
    opened_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version_id}

    def __repr__(self) -> str:
        return f"<FollowUp sample={self.sample_id}>"


# --- retest (复检), SAMR Order No. 15 (2019) Arts. 30-36 -------------------------------------


class Applicant(TitledEnum):
    """Who may apply for a retest or file an objection (Arts. 30, 37): the sampled food
    business or the labelled producer."""

    SAMPLED_UNIT = "sampled_unit"
    PRODUCER = "producer"

    @classmethod
    def __titles__(cls):
        return {cls.SAMPLED_UNIT: _l("Sampled unit"), cls.PRODUCER: _l("Labelled producer")}


class RetestStatus(TitledEnum):
    """``labsys.core.lifecycle.RETEST``."""

    APPLIED = "applied"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    LAB_CHOSEN = "lab_chosen"
    BACKUP_RECEIVED = "backup_received"
    RETESTED = "retested"

    @classmethod
    def __titles__(cls):
        return {
            cls.APPLIED: _l("Retest applied for, awaiting the decision"),
            cls.ACCEPTED: _l("Retest accepted, awaiting the retest lab"),
            cls.REFUSED: _l("Retest refused"),
            cls.LAB_CHOSEN: _l("Retest lab chosen, awaiting the backup"),
            cls.BACKUP_RECEIVED: _l("Retest in progress"),
            cls.RETESTED: _l("Retested"),
        }


class RetestGround(TitledEnum):
    """Why a retest is refused: SAMR Order No. 15 (2019) Art. 31 (1)-(4) (verify wording)."""

    MICROBIOLOGICAL = "microbiological"  # Art. 31(1): a microbiological item failed
    BACKUP_EXPIRED = "backup_expired"  # Art. 31(2): the backup is past its shelf life
    LATE = "late"  # Art. 31(3), Art. 30: applied after 7 working days
    BACKUP_UNUSABLE = "backup_unusable"  # Art. 31(4): e.g. its seal or package broken

    @classmethod
    def __titles__(cls):
        return {
            cls.MICROBIOLOGICAL: _l("A microbiological item failed (Art. 31(1))"),
            cls.BACKUP_EXPIRED: _l("The retest backup is past its shelf life (Art. 31(2))"),
            cls.LATE: _l("Applied after the 7 working days (Arts. 30, 31(3))"),
            cls.BACKUP_UNUSABLE: _l("The backup cannot serve the retest (Art. 31(4))"),
        }


class RetestLab(Base):
    """The list of qualified retest labs (复检机构名录) the retest lab is drawn from (Art. 32),
    kept by the administrator."""

    __tablename__ = "retest_labs"

    id: Mapped[int] = mapped_column(primary_key=True)
    lab_id: Mapped[int] = mapped_column(ForeignKey("labs.id"), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    note: Mapped[str] = mapped_column(String(200), default="")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    lab: Mapped[Lab] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<RetestLab {self.lab_id} active={self.active}>"


class Retest(Base):
    """One retest application and, if accepted, the retest (Arts. 30-36).  Its periods are
    stored when the step they count from is recorded, for the deadline board."""

    __tablename__ = "retests"

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("samples.id"), index=True)
    status: Mapped[RetestStatus] = mapped_column(
        str_enum(RetestStatus, "retest_status"), default=RetestStatus.APPLIED
    )
    applicant: Mapped[Applicant] = mapped_column(str_enum(Applicant, "retest_applicant"))
    applicant_name: Mapped[str] = mapped_column(String(200))
    conclusion_received_on: Mapped[date]  # the applicant received the conclusion
    applied_on: Mapped[date]
    window_end: Mapped[date]  # Art. 30: 7 working days after receiving the conclusion
    decision_due: Mapped[date | None]  # Art. 32: 5 working days after the application
    decided_on: Mapped[date | None]
    refusal_ground: Mapped[RetestGround | None] = mapped_column(
        str_enum(RetestGround, "retest_ground")
    )
    refusal_note: Mapped[str | None] = mapped_column(Text)
    lab_due: Mapped[date | None]  # Art. 32: 5 working days after acceptance (+5)
    lab_extension_reason: Mapped[str | None] = mapped_column(Text)
    lab_id: Mapped[int | None] = mapped_column(ForeignKey("labs.id"), index=True)
    lab_chosen_on: Mapped[date | None]
    lab_seed: Mapped[str | None] = mapped_column(String(40))  # the draw can be repeated
    lab_candidates: Mapped[str | None] = mapped_column(String(500))  # lab codes drawn from
    methods: Mapped[str | None] = mapped_column(Text)  # Art. 34: the first test's methods
    handover_due: Mapped[date | None]  # Art. 33: 3 working days after the lab is chosen
    backup_received_on: Mapped[date | None]
    seal_intact: Mapped[bool | None]
    seal_note: Mapped[str | None] = mapped_column(Text)
    result_due: Mapped[date | None]  # Art. 35: 10 working days after the backup arrived
    result_text: Mapped[str | None] = mapped_column(Text)
    conclusion: Mapped[Conclusion | None] = mapped_column(str_enum(Conclusion, "retest_conclusion"))
    reported_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    version_id: Mapped[int] = mapped_column(default=1)

    sample: Mapped[Sample] = relationship()
    lab: Mapped[Lab | None] = relationship()

    __table_args__ = (
        Index("ix_retests_decision", "status", "decision_due"),
        Index("ix_retests_lab", "status", "lab_due"),
        Index("ix_retests_handover", "status", "handover_due"),
        Index("ix_retests_result", "status", "result_due"),
    )
    __mapper_args__ = {"version_id_col": version_id}

    def __repr__(self) -> str:
        return f"<Retest sample={self.sample_id} {self.status}>"


# --- objections (异议), Arts. 37-39 ------------------------------------------------------------


class ObjectionKind(TitledEnum):
    """异议, Art. 37: about the sampling process (within 7 working days of sampling), or the
    sample's authenticity, the test method or the standard applied (within 7 working days of
    receiving the conclusion)."""

    SAMPLING_PROCESS = "sampling_process"
    AUTHENTICITY = "authenticity"
    TEST_METHOD = "test_method"
    STANDARD = "standard"

    @classmethod
    def __titles__(cls):
        return {
            cls.SAMPLING_PROCESS: _l("Sampling process"),
            cls.AUTHENTICITY: _l("Authenticity of the sample"),
            cls.TEST_METHOD: _l("Test method"),
            cls.STANDARD: _l("Standard applied"),
        }


class ObjectionStatus(TitledEnum):
    """``labsys.core.lifecycle.OBJECTION``."""

    FILED = "filed"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    UPHELD = "upheld"
    DISMISSED = "dismissed"

    @classmethod
    def __titles__(cls):
        return {
            cls.FILED: _l("Objection filed, awaiting the decision"),
            cls.ACCEPTED: _l("Objection accepted, under review"),
            cls.REFUSED: _l("Objection not accepted"),
            cls.UPHELD: _l("Objection upheld"),
            cls.DISMISSED: _l("Objection dismissed"),
        }


class ObjectionEffect(TitledEnum):
    """What an upheld objection does to the conclusion."""

    WITHDRAWN = "withdrawn"  # the conclusion no longer stands
    CORRECTED = "corrected"  # a corrected report supersedes the first

    @classmethod
    def __titles__(cls):
        return {
            cls.WITHDRAWN: _l("Conclusion withdrawn"),
            cls.CORRECTED: _l("Conclusion corrected by a superseding report"),
        }


class Objection(Base):
    """One objection (several per sample, each of one kind)."""

    __tablename__ = "objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("samples.id"), index=True)
    status: Mapped[ObjectionStatus] = mapped_column(
        str_enum(ObjectionStatus, "objection_status"), default=ObjectionStatus.FILED
    )
    kind: Mapped[ObjectionKind] = mapped_column(str_enum(ObjectionKind, "objection_kind"))
    applicant: Mapped[Applicant] = mapped_column(str_enum(Applicant, "objection_applicant"))
    applicant_name: Mapped[str] = mapped_column(String(200))
    grounds: Mapped[str] = mapped_column(Text)  # what is objected to, with its evidence
    filed_on: Mapped[date]
    window_end: Mapped[date]  # Art. 37: 7 working days
    decision_due: Mapped[date | None]
    decided_on: Mapped[date | None]
    refusal_note: Mapped[str | None] = mapped_column(Text)
    review_due: Mapped[date | None]
    outcome_on: Mapped[date | None]
    outcome_note: Mapped[str | None] = mapped_column(Text)
    effect: Mapped[ObjectionEffect | None] = mapped_column(
        str_enum(ObjectionEffect, "objection_effect")
    )
    # superseding
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    version_id: Mapped[int] = mapped_column(default=1)

    sample: Mapped[Sample] = relationship()
    report: Mapped[Report | None] = relationship()

    __table_args__ = (
        Index("ix_objections_decision", "status", "decision_due"),
        Index("ix_objections_review", "status", "review_due"),
    )
    __mapper_args__ = {"version_id_col": version_id}

    def __repr__(self) -> str:
        return f"<Objection sample={self.sample_id} {self.kind} {self.status}>"


# --- disposal (核查处置), Art. 45 --------------------------------------------------------------


class DisposalStatus(TitledEnum):
    """``labsys.core.lifecycle.DISPOSAL``; before it, the regulator has not yet received the
    conclusion (no row)."""

    UNDER_WAY = "under_way"
    COMPLETED = "completed"
    # The unqualified conclusion no longer stands (a qualified retest, a withdrawal).
    CLOSED = "closed"

    @classmethod
    def __titles__(cls):
        return {
            cls.UNDER_WAY: _l("Disposal under way"),
            cls.COMPLETED: _l("Disposal completed"),
            cls.CLOSED: _l("Disposal closed"),
        }


class Disposal(Base):
    """核查处置 of an unqualified sample: the 90-day clock runs from the day the regulator
    received the unqualified conclusion (its issued report) (Art. 45 (verify)); approved
    extensions move the deadline; the outcome records what was done."""

    __tablename__ = "disposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("samples.id"), unique=True)
    status: Mapped[DisposalStatus] = mapped_column(
        str_enum(DisposalStatus, "disposal_status"), default=DisposalStatus.UNDER_WAY
    )
    # the conclusion received
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    received_on: Mapped[date]
    # The national platform's milestones (local practice, settings), not Order No. 15.
    first_due: Mapped[date | None]
    first_done_on: Mapped[date | None]
    second_due: Mapped[date | None]
    second_done_on: Mapped[date | None]
    due: Mapped[date | None]  # received_on + 90 days, moved by approved extensions
    completed_on: Mapped[date | None]
    # Closed without an outcome: the unqualified conclusion no longer stands (why, when).
    closed_on: Mapped[date | None]
    closed_reason: Mapped[str | None] = mapped_column(Text)
    # The outcome: quantities as Decimal text in ``quantity_unit``.
    removed_quantity: Mapped[str | None] = mapped_column(String(30))  # 下架
    sealed_quantity: Mapped[str | None] = mapped_column(String(30))  # 封存
    recalled_quantity: Mapped[str | None] = mapped_column(String(30))  # 召回
    quantity_unit: Mapped[str | None] = mapped_column(String(20))
    cause: Mapped[str | None] = mapped_column(Text)  # 不合格原因
    corrections: Mapped[str | None] = mapped_column(Text)  # 整改
    case_filed: Mapped[bool | None]  # 立案
    case_no: Mapped[str | None] = mapped_column(String(60))
    penalty: Mapped[str | None] = mapped_column(Text)
    penalty_amount: Mapped[str | None] = mapped_column(String(30))  # Decimal text, yuan
    version_id: Mapped[int] = mapped_column(default=1)

    sample: Mapped[Sample] = relationship()
    report: Mapped[Report] = relationship()
    extensions: Mapped[list[DisposalExtension]] = relationship(
        order_by="DisposalExtension.id", back_populates="disposal"
    )

    __table_args__ = (Index("ix_disposals_due", "status", "due"),)
    __mapper_args__ = {"version_id_col": version_id}

    def __repr__(self) -> str:
        return f"<Disposal sample={self.sample_id} {self.status}>"


class DisposalExtension(Base):
    """An approved extension of the disposal period (Art. 45: approved in writing by the
    head of the responsible regulator (verify))."""

    __tablename__ = "disposal_extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    disposal_id: Mapped[int] = mapped_column(ForeignKey("disposals.id"), index=True)
    days: Mapped[int]
    approved_by: Mapped[str] = mapped_column(String(100))
    approved_on: Mapped[date]
    reason: Mapped[str] = mapped_column(Text)
    previous_due: Mapped[date]
    new_due: Mapped[date]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    disposal: Mapped[Disposal] = relationship(back_populates="extensions")


# The deadline board's range queries on the samples table (declared here, by the feature
# that needs them; created by migration 0008).
Index("ix_samples_due_delivery", Sample.due_delivery)
Index("ix_samples_due_report", Sample.due_report)
Index("ix_samples_due_unqualified_report", Sample.due_unqualified_report)
# The board's "most urgent first" per kind and the work queues sorted by due date (receipt:
# registered by due_delivery; my work and reports to issue: received / concluded by
# due_report): the status, then (due date, id), the keyset order both read, so a page stops
# after its rows (migration 0011; the id since 0040).
Index("ix_samples_status_due_delivery", Sample.status, Sample.due_delivery, Sample.id)
Index("ix_samples_status_due_report", Sample.status, Sample.due_report, Sample.id)
Index("ix_samples_conclusion_due_unqualified", Sample.conclusion, Sample.due_unqualified_report)
# Qualified results reported and the regulator's service of the report (migration 0023).
Index("ix_samples_conclusion_due_qualified", Sample.conclusion, Sample.due_qualified_report)
Index("ix_samples_due_service", Sample.due_service)
