"""The food catalog: categories in four levels, test items, and specifications."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from labsys.core import clock
from labsys.models.base import Base, UTCDateTime, str_enum
from labsys.models.enums import ComparisonMethod, DecisionRule, HazardClass


class FoodCategory(Base):
    """食品大类 (level 1) / 亚类 (2) / 次亚类 (3) / 细类 (4)."""

    __tablename__ = "food_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    level: Mapped[int]
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("food_categories.id"), index=True)
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    # Counts in the key-food indicator (重点食品), with all its descendants.
    is_key_food: Mapped[bool] = mapped_column(default=False)
    # Ids from the root down, e.g. "/3/41/97/" : a subtree is one LIKE prefix query.
    path: Mapped[str] = mapped_column(String(200), index=True, default="/")
    sort_order: Mapped[int] = mapped_column(default=0)

    parent: Mapped[FoodCategory | None] = relationship(remote_side=[id])

    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 4", name="level_range"),)

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/") if part]

    def __repr__(self) -> str:
        return f"<FoodCategory {self.code} L{self.level} {self.name_zh}>"


class TestItem(Base):
    """检验项目: an analyte or property, with its usual unit and method."""

    __tablename__ = "test_items"
    __test__ = False  # not a pytest test class

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(160), default="")
    unit: Mapped[str] = mapped_column(String(30), default="")
    method_standard: Mapped[str] = mapped_column(String(120), default="")
    # True for microbiological items judged by a sampling plan (n, c, m, M).
    is_microbiological: Mapped[bool] = mapped_column(default=False)
    # A plate count reported by GB 4789.2 (two figures half up, "<10" for no growth).
    is_colony_count: Mapped[bool] = mapped_column(default=False)
    # 危害类别: weighs the item's failures in the risk signals (labsys.core.hazards).
    hazard_class: Mapped[HazardClass] = mapped_column(
        str_enum(HazardClass, "hazard_class"),
        default=HazardClass.QUALITY_INDICATOR,
        server_default=HazardClass.QUALITY_INDICATOR.value,
    )

    def __repr__(self) -> str:
        return f"<TestItem {self.code} {self.name_zh}>"


class Specification(Base):
    """A test item and its limit for a category, inherited by the category's descendants.

    A row on a lower category overrides the inherited one for the same item; ``excluded``
    removes an inherited item there.  Rows take effect on ``effective_from``; the newest row
    not in the future wins.  Decimal quantities are kept as text, exactly as written.
    """

    __tablename__ = "specifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("food_categories.id"))
    test_item_id: Mapped[int] = mapped_column(ForeignKey("test_items.id"))
    limit_text: Mapped[str] = mapped_column(String(60), default="")  # Spec.parse() syntax
    unit: Mapped[str] = mapped_column(String(30), default="")
    method_standard: Mapped[str] = mapped_column(String(120), default="")  # 检验依据
    judgement_basis: Mapped[str] = mapped_column(String(120), default="")  # 判定依据, with edition
    lod: Mapped[str | None] = mapped_column(String(30))
    loq: Mapped[str | None] = mapped_column(String(30))
    interval: Mapped[str | None] = mapped_column(String(20))  # GB/T 8170 reporting interval
    # Or: report to n significant figures (several GB 5009 methods do); wins over the interval.
    significant_digits: Mapped[int | None]
    comparison_method: Mapped[ComparisonMethod] = mapped_column(
        str_enum(ComparisonMethod, "comparison_method"), default=ComparisonMethod.FULL
    )
    decision_rule: Mapped[DecisionRule] = mapped_column(
        str_enum(DecisionRule, "decision_rule"), default=DecisionRule.SIMPLE
    )
    uncertainty: Mapped[str | None] = mapped_column(String(30))  # U for the guard band
    micro_n: Mapped[int | None]
    micro_c: Mapped[int | None]
    micro_m: Mapped[str | None] = mapped_column(String(30))
    micro_big_m: Mapped[str | None] = mapped_column(String(30))
    effective_from: Mapped[date] = mapped_column(default=date(2000, 1, 1))
    # The end of the transition period of a row that a newer edition replaced: until this date
    # food made before the newer edition took effect may still be judged by this row (also
    # never after the food's shelf life).  None: until the shelf life ends.
    transition_end: Mapped[date | None]
    # "" for every sample; "pressed" / "solvent" (OilProcess) for a row that applies only to
    # oils made that way (GB 2716-2018 solvent residue).
    oil_process: Mapped[str] = mapped_column(String(10), default="", server_default="")
    excluded: Mapped[bool] = mapped_column(default=False)
    sort_order: Mapped[int] = mapped_column(default=0)
    note: Mapped[str | None] = mapped_column(Text)

    category: Mapped[FoodCategory] = relationship()
    test_item: Mapped[TestItem] = relationship()

    __table_args__ = (
        UniqueConstraint("category_id", "test_item_id", "effective_from", "oil_process"),
        CheckConstraint("oil_process IN ('', 'pressed', 'solvent')", name="oil_process_values"),
        Index("ix_specifications_item", "test_item_id"),
    )

    @property
    def spec(self):
        """The parsed limit (``labsys.core.judgement.Spec``)."""
        from labsys.core.judgement import Spec

        return Spec.parse(self.limit_text or "")

    @property
    def is_colony_count(self) -> bool:
        """Whether results of this row are GB 4789.2 colony counts: the item counts colonies
        and this row judges a count — not presence in 25 g or 100 mL ("0/100mL", as 大肠菌群
        in drinking water), nor 不得检出."""
        if not self.test_item.is_colony_count or (self.micro_m and "/" in self.micro_m):
            return False
        from labsys.core.judgement import SpecKind

        return self.micro_n is not None or self.spec.kind is not SpecKind.NOT_DETECTED

    @property
    def plan(self):
        """The microbiological sampling plan (``MicroPlan``), or None when judged by a limit."""
        from labsys.core.judgement import MicroPlan

        if self.micro_n is None or self.micro_c is None or not self.micro_m:
            return None
        return MicroPlan(self.micro_n, self.micro_c, self.micro_m, self.micro_big_m)

    def __repr__(self) -> str:
        return f"<Specification cat={self.category_id} item={self.test_item_id} {self.limit_text}>"


class CatalogVersion(Base):
    """Which version of a shipped catalog data file is loaded (idempotent loading)."""

    __tablename__ = "catalog_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    version: Mapped[str] = mapped_column(String(40))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
