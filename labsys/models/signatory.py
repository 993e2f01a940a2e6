"""Authorised signatories (授权签字人): who may approve (批准) reports, and for which foods.

A CMA-accredited lab names the people who may sign its reports and the scope each may sign
(RB/T 214-2017 §4.2.4 *(verify the clause)*; CNCA's 资质认定 rules).  The admin keeps the list;
issuing a report checks that its approver is on it, active, and that one of the scope's
categories contains the sample's category (a 大类 covers everything under it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from labsys.core import clock
from labsys.models.base import Base, UTCDateTime
from labsys.models.catalog import FoodCategory
from labsys.models.user import User


class AuthorisedSignatory(Base):
    __tablename__ = "authorised_signatories"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    active: Mapped[bool] = mapped_column(default=True)  # revoked ones stay on file
    note: Mapped[str] = mapped_column(String(200), default="")  # e.g. the approval letter
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    scope_links: Mapped[list[SignatoryScope]] = relationship(
        back_populates="signatory", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def categories(self) -> list[FoodCategory]:
        return [link.category for link in self.scope_links]

    def __repr__(self) -> str:
        return f"<AuthorisedSignatory user={self.user_id} active={self.active}>"


class SignatoryScope(Base):
    """One food category (any level) a signatory may sign reports for."""

    __tablename__ = "signatory_scopes"

    signatory_id: Mapped[int] = mapped_column(
        ForeignKey("authorised_signatories.id", ondelete="CASCADE"), primary_key=True
    )
    category_id: Mapped[int] = mapped_column(
        ForeignKey("food_categories.id"), primary_key=True, index=True
    )

    signatory: Mapped[AuthorisedSignatory] = relationship(back_populates="scope_links")
    category: Mapped[FoodCategory] = relationship(lazy="joined")
