"""Results: one row per test item of a received sample, with its specification frozen."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from labsys.models.base import Base, UTCDateTime, str_enum
from labsys.models.catalog import TestItem
from labsys.models.enums import ComparisonMethod, DecisionRule, ResultStatus, VerdictValue
from labsys.models.sampling import Sample
from labsys.models.user import User

# The results still to enter (the states services.results.EDITABLE names, as SQL): the
# condition of the worksheet's partial index and of its query, written the same in both.
OPEN_RESULT_STATES = ("pending", "entered", "returned")
OPEN_RESULTS = "status IN ({})".format(", ".join(f"'{s}'" for s in OPEN_RESULT_STATES))


class SampleResult(Base):
    """A test item on a sample: the limit it is judged by, the value found, the verdict.

    The specification columns are copied from the catalog when the lab receives the sample,
    so later catalog edits never change this sample's judgement or report.  Values are text:
    ``measured_text`` exactly as entered, ``reported_text`` rounded per GB/T 8170.
    ``version_id`` gives optimistic locking: a stale save raises instead of overwriting.
    """

    __tablename__ = "sample_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("samples.id", ondelete="CASCADE"))
    test_item_id: Mapped[int] = mapped_column(ForeignKey("test_items.id"))
    seq: Mapped[int] = mapped_column(default=0)  # 序号 on the report

    # The frozen specification.
    item_name: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(30), default="")
    limit_text: Mapped[str] = mapped_column(String(60), default="")
    method_standard: Mapped[str] = mapped_column(String(120), default="")
    judgement_basis: Mapped[str] = mapped_column(String(120), default="")
    lod: Mapped[str | None] = mapped_column(String(30))
    loq: Mapped[str | None] = mapped_column(String(30))
    interval: Mapped[str | None] = mapped_column(String(20))
    significant_digits: Mapped[int | None]
    is_colony_count: Mapped[bool] = mapped_column(default=False)  # GB 4789.2 plate count
    comparison_method: Mapped[ComparisonMethod] = mapped_column(
        str_enum(ComparisonMethod, "comparison_method"), default=ComparisonMethod.FULL
    )
    decision_rule: Mapped[DecisionRule] = mapped_column(
        str_enum(DecisionRule, "decision_rule"), default=DecisionRule.SIMPLE
    )
    uncertainty: Mapped[str | None] = mapped_column(String(30))
    micro_n: Mapped[int | None]
    micro_c: Mapped[int | None]
    micro_m: Mapped[str | None] = mapped_column(String(30))
    micro_big_m: Mapped[str | None] = mapped_column(String(30))

    # The result.
    measured_text: Mapped[str | None] = mapped_column(String(60))
    unit_values: Mapped[str | None] = mapped_column(Text)  # JSON list: the n micro units
    reported_text: Mapped[str | None] = mapped_column(String(80))
    verdict: Mapped[VerdictValue | None] = mapped_column(str_enum(VerdictValue, "verdict"))
    status: Mapped[ResultStatus] = mapped_column(
        str_enum(ResultStatus, "result_status"), default=ResultStatus.PENDING
    )
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    entered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    return_reason: Mapped[str | None] = mapped_column(Text)
    # A retest row points at the result it replaces; that one becomes SUPERSEDED.
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("sample_results.id"), index=True)
    version_id: Mapped[int] = mapped_column(default=1)

    # A sample's results in the order they were created (an original before its retest row).
    sample: Mapped[Sample] = relationship(backref=backref("results", order_by="SampleResult.id"))
    test_item: Mapped[TestItem] = relationship()
    entered_by: Mapped[User | None] = relationship(foreign_keys=[entered_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    supersedes: Mapped[SampleResult | None] = relationship(remote_side=[id])

    __table_args__ = (
        Index("ix_sample_results_sample", "sample_id", "seq"),
        Index("ix_sample_results_worksheet", "test_item_id", "status", "sample_id"),
        Index("ix_sample_results_status", "status", "id"),
        # the review queue's samples in id order (created by migration 0011)
        Index("ix_sample_results_review", "status", "sample_id", "entered_by_id"),
        # The worksheet: one item's open results (still to enter: services.results.EDITABLE)
        # in id order, a page at a time (migration 0040).  Partial: the open rows are few
        # among the item's accepted ones; the worksheet's query writes the same condition
        # literally, so both databases can use it.
        Index(
            "ix_sample_results_open_by_item",
            "test_item_id",
            "id",
            postgresql_where=text(OPEN_RESULTS),
            sqlite_where=text(OPEN_RESULTS),
        ),
    )
    __mapper_args__ = {"version_id_col": version_id}

    @property
    def is_microbiological(self) -> bool:
        return self.micro_n is not None

    def __repr__(self) -> str:
        return f"<SampleResult {self.id} sample={self.sample_id} {self.item_name} {self.status}>"
