"""Reference data: administrative regions, the holiday table, labs, number sequences."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from labsys.models.base import Base


class Region(Base):
    """An administrative division by its GB/T 2260 code (Beijing's 16 districts seeded)."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(80), default="")
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name_zh}>"


class Holiday(Base):
    """One day that departs from the weekend rule: a holiday, or a make-up workday (调休).

    Seeded from chinese-calendar; editable, so deadlines beyond the package's last year
    (and corrections) still compute.
    """

    __tablename__ = "holidays"

    day: Mapped[date] = mapped_column(primary_key=True)
    is_workday: Mapped[bool] = mapped_column(default=False)
    name: Mapped[str] = mapped_column(String(60), default="")


class Lab(Base):
    __tablename__ = "labs"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))

    def __repr__(self) -> str:
        return f"<Lab {self.code} {self.name}>"


class NumberSequence(Base):
    """Counters behind sample and report numbers.

    Incremented with a single UPDATE, so concurrent writers queue on the row lock
    (PostgreSQL) or the write lock (SQLite) and never draw the same number.
    """

    __tablename__ = "number_sequences"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    last_value: Mapped[int] = mapped_column(default=0)
