"""Inspection reports (检验报告): issued once, stored byte for byte, verifiable by anyone."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from labsys.core import clock
from labsys.models.base import Base, UTCDateTime, str_enum
from labsys.models.enums import Conclusion, TitledEnum
from labsys.models.sampling import Sample
from labsys.models.search import trigram_indexes
from labsys.models.user import User


class ReportStatus(TitledEnum):
    """issued → superseded (by a corrected report).  A draft is never stored: the preview
    is rendered on the fly, and issuing creates the row with its final PDF.  The
    transitions: ``labsys.core.lifecycle.REPORT``."""

    ISSUED = "issued"
    SUPERSEDED = "superseded"
    WITHDRAWN = "withdrawn"  # its conclusion withdrawn by an upheld objection (Art. 39)

    @classmethod
    def __titles__(cls):
        return {
            cls.ISSUED: _l("Issued"),
            cls.SUPERSEDED: _l("Superseded"),
            cls.WITHDRAWN: _l("Withdrawn"),
        }

    @property
    def is_issued(self) -> bool:
        return self is ReportStatus.ISSUED

    @property
    def is_superseded(self) -> bool:
        return self is ReportStatus.SUPERSEDED

    @property
    def is_withdrawn(self) -> bool:
        return self is ReportStatus.WITHDRAWN


class Report(Base):
    """One issued report of one concluded sample.

    ``pdf`` holds the bytes produced at issue and ``sha256`` their digest: every download
    returns exactly these bytes, and the public verification page shows the digest.
    Food name, sampled unit, producer and conclusion are copied at issue (``parties_of``), so
    the verification page and the announcement show what the report says even if the
    sample or an enterprise is edited later.
    """

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_no: Mapped[str] = mapped_column(String(40), unique=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("samples.id"))
    status: Mapped[ReportStatus] = mapped_column(
        str_enum(ReportStatus, "report_status"), default=ReportStatus.ISSUED
    )
    food_name: Mapped[str] = mapped_column(String(200))
    sampled_unit_name: Mapped[str] = mapped_column(String(200))
    # The parties as printed at issue (issue 18 §2): the announcement reads these, so
    # renaming an enterprise later changes neither the report nor its announcement row.
    # None: no producer named (or, for the unit's address, a report issued before 0042
    # whose sample had none).
    sampled_unit_address: Mapped[str | None] = mapped_column(String(300))
    producer_name: Mapped[str | None] = mapped_column(String(200))
    producer_address: Mapped[str | None] = mapped_column(String(300))
    conclusion: Mapped[Conclusion] = mapped_column(str_enum(Conclusion, "conclusion"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)  # 编制
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)  # 审核
    approver_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)  # 批准 (issued it)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64))
    # Public, unguessable: secrets.token_urlsafe(32) gives 43 characters.
    verify_token: Mapped[str] = mapped_column(String(64), unique=True)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    correction_reason: Mapped[str | None] = mapped_column(Text)
    # Withdrawn (no report in force until a new one is issued): when and why, as signed.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    sample: Mapped[Sample] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])
    approver: Mapped[User] = relationship(foreign_keys=[approver_id])
    replaces: Mapped[Report | None] = relationship(foreign_keys=[replaces_id], remote_side=[id])
    superseded_by: Mapped[Report | None] = relationship(
        foreign_keys=[superseded_by_id], remote_side=[id]
    )

    __table_args__ = (
        Index("ix_reports_sample", "sample_id", "id"),
        Index("ix_reports_status", "status", "id"),
        *trigram_indexes("reports"),  # free-text search (PostgreSQL; FTS5 on SQLite)
    )

    def __repr__(self) -> str:
        return f"<Report {self.report_no} {self.status}>"


def parties_of(sample: Sample) -> dict:
    """The Report columns copied from ``sample``'s sampled unit and producer at issue."""
    unit, producer = sample.visit.sampled_unit, sample.producer
    return {
        "sampled_unit_name": unit.name,
        "sampled_unit_address": unit.address,
        "producer_name": producer.name if producer else None,
        "producer_address": producer.address if producer else None,
    }
