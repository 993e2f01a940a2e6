"""Enterprises: sampled units (被抽样单位) and labelled producers (标称生产者)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from labsys.core import clock
from labsys.models.base import Base, UTCDateTime, str_enum
from labsys.models.enums import RiskGrade
from labsys.models.reference import Region
from labsys.models.search import trigram_indexes


class Enterprise(Base):
    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)  # GB 32100 code
    licence_no: Mapped[str] = mapped_column(String(60), default="")
    risk_grade: Mapped[RiskGrade | None] = mapped_column(str_enum(RiskGrade, "risk_grade"))
    phone: Mapped[str] = mapped_column(String(40), default="")
    contact: Mapped[str] = mapped_column(String(60), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    version_id: Mapped[int] = mapped_column(default=1)

    region: Mapped[Region | None] = relationship()

    __table_args__ = (
        Index("ix_enterprises_name", "name"),
        Index("ix_enterprises_region", "region_code"),
        # Licence-number prefix search (migration 0004).
        Index("ix_enterprises_licence_no", "licence_no"),
        *trigram_indexes("enterprises"),  # free-text search (PostgreSQL; FTS5 on SQLite)
    )
    __mapper_args__ = {"version_id_col": version_id}

    def __repr__(self) -> str:
        return f"<Enterprise {self.id} {self.name}>"
