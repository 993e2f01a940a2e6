"""Sampling plans (抽样计划), their quotas, and tasks (抽样任务) given to sampler teams."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from labsys.core import clock
from labsys.models.base import Base, UTCDateTime, str_enum
from labsys.models.catalog import FoodCategory
from labsys.models.enums import InspectionType, Link
from labsys.models.reference import Lab, Region
from labsys.models.user import User


class Plan(Base):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    year: Mapped[int]
    # 检验类别: decides wording, rights and publication (labsys.core.inspection).
    inspection_type: Mapped[InspectionType] = mapped_column(
        str_enum(InspectionType, "inspection_type"), default=InspectionType.SUPERVISION
    )
    description: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    quotas: Mapped[list[PlanQuota]] = relationship(
        back_populates="plan", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Plan {self.code} {self.name}>"


class PlanQuota(Base):
    """How many batches of a category to take, optionally per district and link."""

    __tablename__ = "plan_quotas"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("food_categories.id"), index=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    link: Mapped[Link | None] = mapped_column(str_enum(Link, "link"))
    quota: Mapped[int]

    plan: Mapped[Plan] = relationship(back_populates="quotas")
    category: Mapped[FoodCategory] = relationship()
    region: Mapped[Region | None] = relationship()

    __table_args__ = (CheckConstraint("quota > 0", name="quota_positive"),)


class Task(Base):
    """Part of a quota, assigned to a team of at least two samplers, with a due date."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    quota_id: Mapped[int | None] = mapped_column(ForeignKey("plan_quotas.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("food_categories.id"), index=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    link: Mapped[Link | None] = mapped_column(str_enum(Link, "link"))
    quota: Mapped[int]
    due_date: Mapped[date]
    lab_id: Mapped[int | None] = mapped_column(ForeignKey("labs.id"), index=True)
    closed: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    plan: Mapped[Plan] = relationship()
    category: Mapped[FoodCategory | None] = relationship()
    region: Mapped[Region | None] = relationship()
    lab: Mapped[Lab | None] = relationship()
    sampler_links: Mapped[list[TaskSampler]] = relationship(
        back_populates="task", cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (CheckConstraint("quota > 0", name="quota_positive"),)

    @property
    def samplers(self) -> list[User]:
        return [link.user for link in self.sampler_links]

    def __repr__(self) -> str:
        return f"<Task {self.code}>"


class TaskSampler(Base):
    __tablename__ = "task_samplers"

    task_id: Mapped[int] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)

    task: Mapped[Task] = relationship(back_populates="sampler_links")
    user: Mapped[User] = relationship(lazy="joined")
