"""The pass-rate rollups: sample counts per period and small key, kept by database triggers.

``sample_rollups`` holds several rollups (``summary_sql.ROLLUPS``), each a count of the
counted samples (all but those rejected at receipt or voided) per period (a month, or a day)
and a small key: the inspection type plus, say, the 大类, or the district, or every
dimension at once (kind ``all``, months only).  The statistics answer a question from the
smallest kind that keeps what it filters and groups by: whole months from month rows, the
days at either end of a range from day rows.  Missing values are sentinels (0 for an id, ''
for a text), never NULL, so the primary key is the upsert target on both databases; a
dimension a kind does not keep holds the sentinel too.

Triggers on ``samples`` (migration 0035, SQL in ``summary_sql``) keep the rollups exact on
every write path.  SQLite: directly.  PostgreSQL: by appending to ``sample_rollup_deltas``
(never updated, so concurrent writers neither wait for nor deadlock with each other); the
statistics add the deltas not folded in yet, and ``labsys stats fold`` (also run after each
web write) folds them into the rollups.  ``labsys stats rebuild`` recomputes everything.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from labsys.models.base import Base


class SampleRollup(Base):
    __tablename__ = "sample_rollups"

    rollup: Mapped[str] = mapped_column(String(8), primary_key=True)  # summary_sql.ROLLUPS
    grain: Mapped[str] = mapped_column(String(5), primary_key=True)  # 'month' or 'day'
    period: Mapped[date] = mapped_column(primary_key=True)  # the day, or the month's first
    inspection_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    cat_l1_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    cat_l2_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    cat_l3_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    cat_l4_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    region_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    link: Mapped[str] = mapped_column(String(20), primary_key=True)
    lab_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    samples: Mapped[int] = mapped_column(Integer)
    qualified: Mapped[int] = mapped_column(Integer)
    unqualified: Mapped[int] = mapped_column(Integer)

    def __repr__(self) -> str:
        return (
            f"<SampleRollup {self.rollup} {self.grain} {self.period} {self.inspection_type} "
            f"{self.cat_l1_id}/{self.cat_l2_id}/{self.cat_l3_id}/{self.cat_l4_id} "
            f"{self.region_code} {self.link} {self.lab_id}: {self.samples} "
            f"({self.qualified} q, {self.unqualified} u)>"
        )


class DeadlineCount(Base):
    """Open items of one kind of deadline due on one date (the deadline board's counters).

    Kept exact by triggers on ``samples``, ``retests``, ``objections`` and ``disposals``
    (migration 0034): the board sums the dates before today for "overdue", so the counts stay
    right as days pass.  A count that falls to 0 stays as a row (one per kind and date)."""

    __tablename__ = "deadline_counts"

    kind: Mapped[str] = mapped_column(String(30), primary_key=True)  # followup.DEADLINE_KINDS
    due: Mapped[date] = mapped_column(Date, primary_key=True)
    items: Mapped[int] = mapped_column(Integer)

    def __repr__(self) -> str:
        return f"<DeadlineCount {self.kind} {self.due}: {self.items}>"


class SampleRollupDelta(Base):
    """PostgreSQL: one counted sample's ±1 not folded into ``sample_rollups`` yet."""

    __tablename__ = "sample_rollup_deltas"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    day: Mapped[date]
    inspection_type: Mapped[str] = mapped_column(String(20))
    cat_l1_id: Mapped[int] = mapped_column(Integer)
    cat_l2_id: Mapped[int] = mapped_column(Integer)
    cat_l3_id: Mapped[int] = mapped_column(Integer)
    cat_l4_id: Mapped[int] = mapped_column(Integer)
    region_code: Mapped[str] = mapped_column(String(12))
    link: Mapped[str] = mapped_column(String(20))
    lab_id: Mapped[int] = mapped_column(Integer)
    samples: Mapped[int] = mapped_column(Integer)
    qualified: Mapped[int] = mapped_column(Integer)
    unqualified: Mapped[int] = mapped_column(Integer)


class DeadlineCountDelta(Base):
    """PostgreSQL: one open item's ±1 on a deadline counter not folded into
    ``deadline_counts`` yet (migration 0037; ``models.deadline_sql``).  Empty on SQLite."""

    __tablename__ = "deadline_count_deltas"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(30))
    due: Mapped[date] = mapped_column(Date)
    items: Mapped[int] = mapped_column(Integer)
