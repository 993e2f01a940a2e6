"""Enterprise risk grades and risk-based plan proposals (issue 17 §2, §3).

``risk_settings`` holds the grading rules an administrator edits (one JSON value per name);
``grade_changes`` the history of each enterprise's grade (a row only when it changes);
``plan_proposals``/``proposal_quotas`` a proposed plan a supervisor edits and accepts, which
then becomes a real :class:`~labsys.models.planning.Plan`.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from labsys.core import clock
from labsys.models.base import Base, UTCDateTime, str_enum
from labsys.models.catalog import FoodCategory
from labsys.models.enterprise import Enterprise
from labsys.models.enums import RiskGrade, TitledEnum
from labsys.models.planning import Plan
from labsys.models.reference import Region
from labsys.models.user import User


class RiskSetting(Base):
    """One setting of the risk rules (``services.grading.SETTINGS``), as JSON text."""

    __tablename__ = "risk_settings"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)  # JSON
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    def __repr__(self) -> str:
        return f"<RiskSetting {self.name}>"


class GradeChange(Base):
    """An enterprise's grade from ``graded_on`` on: written when the grade changes, and
    when a supervisor sets it by hand (``by_hand``, with the reason in ``note``) or a grade
    set by hand ends (cleared, or past ``hold_until``) and the rules grade it again.

    A grade set by hand holds while it is the enterprise's latest change and ``hold_until``
    (its last day; None: until cleared) has not passed: a recomputation keeps it and says
    so (services.grading.recompute)."""

    __tablename__ = "grade_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    graded_on: Mapped[date]
    grade: Mapped[RiskGrade] = mapped_column(str_enum(RiskGrade, "grade"))
    previous_grade: Mapped[RiskGrade | None] = mapped_column(str_enum(RiskGrade, "previous_grade"))
    score: Mapped[str] = mapped_column(String(20))  # Decimal text
    # JSON list of the reasons (labsys.core.grades.Reason), worded when shown.  A grade set
    # by hand keeps the rules' score and reasons of that day beside its own reason.
    reasons: Mapped[str] = mapped_column(Text)
    by_hand: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The reason given: for a grade set by hand (required), or for clearing one.
    note: Mapped[str | None] = mapped_column(Text)
    hold_until: Mapped[date | None]  # a grade set by hand: its last day (None: until cleared)
    # Who set it by hand, or cleared one; None: a recomputation.
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    enterprise: Mapped[Enterprise] = relationship()
    set_by: Mapped[User | None] = relationship()

    __table_args__ = (
        Index("ix_grade_changes_enterprise", "enterprise_id", "id"),
        CheckConstraint("NOT by_hand OR note IS NOT NULL", name="by_hand_has_note"),
    )

    def __repr__(self) -> str:
        return f"<GradeChange {self.enterprise_id} {self.graded_on} {self.grade}>"


class ProposalStatus(TitledEnum):
    DRAFT = "draft"
    ACCEPTED = "accepted"
    DISCARDED = "discarded"

    @classmethod
    def __titles__(cls):
        return {
            cls.DRAFT: _l("Draft"),
            cls.ACCEPTED: _l("Accepted into a plan"),
            cls.DISCARDED: _l("Discarded"),
        }


class PlanProposal(Base):
    """A risk-based plan proposed for a period: quotas per category and district."""

    __tablename__ = "plan_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    period_start: Mapped[date]
    period_end: Mapped[date]
    total: Mapped[int]  # the batches to share out
    min_per_category: Mapped[int]  # every category gets at least this many
    status: Mapped[ProposalStatus] = mapped_column(
        str_enum(ProposalStatus, "proposal_status"), default=ProposalStatus.DRAFT
    )
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    plan: Mapped[Plan | None] = relationship()
    quotas: Mapped[list[ProposalQuota]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", order_by="ProposalQuota.id"
    )

    __table_args__ = (
        CheckConstraint("total > 0", name="total_positive"),
        CheckConstraint("min_per_category >= 0", name="min_not_negative"),
    )

    @property
    def is_draft(self) -> bool:
        return self.status is ProposalStatus.DRAFT

    def __repr__(self) -> str:
        return f"<PlanProposal {self.id} {self.status}>"


class ProposalQuota(Base):
    """One proposed quota: batches of a category in a district, and why."""

    __tablename__ = "proposal_quotas"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("plan_proposals.id", ondelete="CASCADE"), index=True
    )
    category_id: Mapped[int] = mapped_column(ForeignKey("food_categories.id"), index=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    quota: Mapped[int]
    risk: Mapped[str] = mapped_column(String(20))  # Decimal text: the expected unqualified rate
    # Decimal text in [0, 1]: the strongest open signal on the cell, and the share of the
    # district's graded enterprises in grade C/D, when proposed (core.proposals.shaped).
    signal: Mapped[str] = mapped_column(String(20), default="0", server_default="0")
    grade_share: Mapped[str] = mapped_column(String(20), default="0", server_default="0")

    proposal: Mapped[PlanProposal] = relationship(back_populates="quotas")
    category: Mapped[FoodCategory] = relationship()
    region: Mapped[Region | None] = relationship()

    __table_args__ = (CheckConstraint("quota >= 0", name="quota_not_negative"),)


class PlanVisit(Base):
    """An enterprise a plan made from a proposal is to visit (the proposal's list of grade C/D
    enterprises not sampled lately, as it stood when the proposal was accepted)."""

    __tablename__ = "plan_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    grade: Mapped[RiskGrade] = mapped_column(str_enum(RiskGrade, "visit_grade"))
    reason: Mapped[str] = mapped_column(Text)  # the grade's reasons, worded when accepted

    enterprise: Mapped[Enterprise] = relationship()

    __table_args__ = (UniqueConstraint("plan_id", "enterprise_id"),)

    def __repr__(self) -> str:
        return f"<PlanVisit {self.plan_id} {self.enterprise_id}>"


class RiskSignalCount(Base):
    """How many risk signals were open when the signals were last computed in full (the
    supervisor's dashboard reads the newest row: one indexed read, never a recomputation)."""

    __tablename__ = "risk_signal_counts"

    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[date]  # the day the signals were computed for
    open_count: Mapped[int]
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    __table_args__ = (CheckConstraint("open_count >= 0", name="open_count_not_negative"),)

    def __repr__(self) -> str:
        return f"<RiskSignalCount {self.as_of} {self.open_count}>"
