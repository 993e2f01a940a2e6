"""The pass-rate summary: sample counts per month and dimension, kept by database triggers.

One row per combination of the dimensions the statistics group or filter by (month of the
sampling date, the four category levels, district, link, lab, conclusion), holding how many
counted samples (all but those rejected at receipt) have it.  Triggers on ``samples``
(migration 0010) keep it exactly in step on every write path; ``labsys stats rebuild``
recomputes it.  Missing values are sentinels (0 for an id, '' for a text), never NULL, so
the primary key over every dimension is the upsert target on both databases.
"""

from __future__ import annotations

from sqlalchemy import Integer, String
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
