"""Traceable bench work (ISO/IEC 17025 §6.4 equipment, §7.5 technical records): the
instrument register, the methods a test item may be tested by, who is assigned which
result, and the bench record of each result (dates, method, instrument).

Kept in tables of their own (not columns of ``sample_results``) so the result rows, their
lifecycle and their optimistic locking stay as they are; each table is keyed by the result.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from labsys.core import clock
from labsys.models.base import Base, UTCDateTime, str_enum
from labsys.models.catalog import TestItem
from labsys.models.results import SampleResult
from labsys.models.user import User


class InstrumentStatus(enum.StrEnum):
    IN_SERVICE = "in_service"
    OUT_OF_SERVICE = "out_of_service"  # under repair, failed a check
    RETIRED = "retired"

    @property
    def title(self) -> str:
        return str(INSTRUMENT_STATUS_TITLES[self])


INSTRUMENT_STATUS_TITLES = {
    InstrumentStatus.IN_SERVICE: _l("In service"),
    InstrumentStatus.OUT_OF_SERVICE: _l("Out of service"),
    InstrumentStatus.RETIRED: _l("Retired"),
}


class Instrument(Base):
    """An instrument of the lab's equipment register (ISO/IEC 17025 §6.4.13: identity,
    manufacturer's type, serial number, calibration dates and due date)."""

    __tablename__ = "instruments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(100), default="")
    # The lab's asset number (设备编号): what the bench record names.
    asset_no: Mapped[str] = mapped_column(String(60), unique=True)
    serial_no: Mapped[str] = mapped_column(String(100), default="")
    calibration_due: Mapped[date]
    status: Mapped[InstrumentStatus] = mapped_column(
        str_enum(InstrumentStatus, "instrument_status"), default=InstrumentStatus.IN_SERVICE
    )
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    @property
    def label(self) -> str:
        model = f" {self.model}" if self.model else ""
        return f"{self.name}{model} ({self.asset_no})"

    def __repr__(self) -> str:
        return f"<Instrument {self.asset_no} {self.name} due={self.calibration_due}>"


class TestItemMethod(Base):
    """A further method a test item may be tested by, besides the method frozen on the result
    (the specification's 检验依据) and the item's usual method."""

    __tablename__ = "test_item_methods"
    __test__ = False  # not a pytest test class

    id: Mapped[int] = mapped_column(primary_key=True)
    test_item_id: Mapped[int] = mapped_column(ForeignKey("test_items.id", ondelete="CASCADE"))
    method_standard: Mapped[str] = mapped_column(String(120))

    test_item: Mapped[TestItem] = relationship()

    __table_args__ = (UniqueConstraint("test_item_id", "method_standard"),)


class ResultAssignment(Base):
    """Which technician a result row is assigned to, by whom and when."""

    __tablename__ = "result_assignments"

    result_id: Mapped[int] = mapped_column(
        ForeignKey("sample_results.id", ondelete="CASCADE"), primary_key=True
    )
    technician_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    technician: Mapped[User] = relationship(foreign_keys=[technician_id])

    __table_args__ = (Index("ix_result_assignments_technician", "technician_id", "result_id"),)


class BenchRecord(Base):
    """How a result was obtained: test dates, the method actually used, the instrument."""

    __tablename__ = "bench_records"

    result_id: Mapped[int] = mapped_column(
        ForeignKey("sample_results.id", ondelete="CASCADE"), primary_key=True
    )
    started_on: Mapped[date]
    ended_on: Mapped[date]
    method_standard: Mapped[str] = mapped_column(String(120))
    instrument_id: Mapped[int | None] = mapped_column(ForeignKey("instruments.id"), index=True)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    result: Mapped[SampleResult] = relationship()
    instrument: Mapped[Instrument | None] = relationship()

    __table_args__ = (CheckConstraint("ended_on >= started_on", name="dates_in_order"),)
