"""The pass-rate summary: sample counts per month and dimension, kept by database triggers.

One row per combination of the dimensions the statistics group or filter by (month of the
sampling date, the four category levels, district, link, lab, conclusion), holding how many
counted samples (all but those rejected at receipt) have it.  Triggers on ``samples``
(migration 0010) keep it exactly in step on every write path; ``labsys stats rebuild``
recomputes it.  Missing values are sentinels (0 for an id, '' for a text), never NULL, so
the primary key over every dimension is the upsert target on both databases.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from labsys.models.base import Base


class SampleStat(Base):
    __tablename__ = "sample_stats"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # 'YYYY-MM'
    cat_l1_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    cat_l2_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    cat_l3_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    cat_l4_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    region_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    link: Mapped[str] = mapped_column(String(20), primary_key=True)
    lab_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    conclusion: Mapped[str] = mapped_column(String(20), primary_key=True)
    samples: Mapped[int] = mapped_column(Integer)

    def __repr__(self) -> str:
        return (
            f"<SampleStat {self.month} {self.cat_l1_id}/{self.cat_l2_id}/{self.cat_l3_id}/"
            f"{self.cat_l4_id} {self.region_code} {self.link} {self.lab_id} "
            f"{self.conclusion}: {self.samples}>"
        )


class DeadlineCount(Base):
    """Open items of one kind of deadline due on one date (the deadline board's counters).

    Kept exact by triggers on ``samples``, ``retests``, ``objections`` and ``disposals``
    (migration 0031): the board sums the dates before today for "overdue", so the counts stay
    right as days pass.  A count that falls to 0 stays as a row (one per kind and date)."""

    __tablename__ = "deadline_counts"

    kind: Mapped[str] = mapped_column(String(30), primary_key=True)  # followup.DEADLINE_KINDS
    due: Mapped[date] = mapped_column(Date, primary_key=True)
    items: Mapped[int] = mapped_column(Integer)

    def __repr__(self) -> str:
        return f"<DeadlineCount {self.kind} {self.due}: {self.items}>"
