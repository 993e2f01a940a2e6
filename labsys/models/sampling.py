"""Sampling visits (one 抽样单 session at one unit) and the samples (batches) taken."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from labsys.core import clock
from labsys.models.base import Base, UTCDateTime, str_enum
from labsys.models.catalog import FoodCategory
from labsys.models.enterprise import Enterprise
from labsys.models.enums import (
    Conclusion,
    InspectionType,
    Link,
    OilProcess,
    Packaging,
    PhysicalState,
    SampleAttribute,
    SampleSource,
    SampleStatus,
    SamplingMethod,
)
from labsys.models.planning import Plan, Task
from labsys.models.reference import Lab
from labsys.models.search import trigram_indexes
from labsys.models.user import User

# Sample.remarks is TEXT; the forms and the service hold it to this many characters.
REMARKS_MAX = 2000


class SamplingVisit(Base):
    """One visit: one sampled unit, date, place and team; it takes many batches."""

    __tablename__ = "sampling_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"), index=True)
    sampled_unit_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    sampling_date: Mapped[date]
    place: Mapped[str] = mapped_column(String(300), default="")  # 抽样地点
    link: Mapped[Link] = mapped_column(str_enum(Link, "link"))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    # Who organised the sampling and why (the national form's header).
    sampling_basis: Mapped[str] = mapped_column(String(300), default="")  # 抽样依据
    organising_authority: Mapped[str] = mapped_column(String(200), default="")  # 组织机构
    task_source: Mapped[str] = mapped_column(String(200), default="")  # 任务来源
    # 网络抽检 (link "online"), Order No. 15 Art. 18 *(verify)*: the shop, the order, the
    # buyer, the payment and where the parcel went; the sample is sealed when it is unboxed,
    # and the delivery clock starts on the parcel's arrival.
    online_platform: Mapped[str] = mapped_column(String(100), default="")  # 平台
    online_shop: Mapped[str] = mapped_column(String(200), default="")  # 网店名称
    online_shop_url: Mapped[str] = mapped_column(String(500), default="")
    online_order_no: Mapped[str] = mapped_column(String(100), default="")
    online_buyer_account: Mapped[str] = mapped_column(String(100), default="")  # 注册账号
    online_payment_account: Mapped[str] = mapped_column(String(100), default="")  # 付款账户
    online_payment_amount: Mapped[str | None] = mapped_column(String(20))  # Decimal text, yuan
    delivery_address: Mapped[str] = mapped_column(String(300), default="")  # 收货地址
    parcel_arrival_date: Mapped[date | None]
    unboxing_record: Mapped[str | None] = mapped_column(Text)  # 拆封查验记录
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    version_id: Mapped[int] = mapped_column(default=1)
    # 作废: the whole form voided (its batches too); kept, its numbers never reused.
    # Who voided it: the audit trail and the correction request record it.
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    void_reason: Mapped[str | None] = mapped_column(Text)

    task: Mapped[Task | None] = relationship()
    sampled_unit: Mapped[Enterprise] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    sampler_links: Mapped[list[VisitSampler]] = relationship(
        back_populates="visit", cascade="all, delete-orphan", lazy="selectin"
    )
    samples: Mapped[list[Sample]] = relationship(back_populates="visit", order_by="Sample.id")

    __mapper_args__ = {"version_id_col": version_id}

    @property
    def samplers(self) -> list[User]:
        return [link.user for link in self.sampler_links]


class VisitSampler(Base):
    __tablename__ = "visit_samplers"

    visit_id: Mapped[int] = mapped_column(
        ForeignKey("sampling_visits.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)

    visit: Mapped[SamplingVisit] = relationship(back_populates="sampler_links")
    user: Mapped[User] = relationship(lazy="joined")


class Sample(Base):
    """One sampled batch (批次): the unit of testing, conclusion and pass rates.

    Columns from the visit and the category path are copied here (sampling date, district,
    link, task, plan, lab, categories of each level) so that lists and pass-rate aggregates
    are single-table GROUP BYs on indexed columns, at national volume.
    """

    __tablename__ = "samples"

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_no: Mapped[str] = mapped_column(String(40), unique=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("sampling_visits.id"), index=True)
    status: Mapped[SampleStatus] = mapped_column(
        str_enum(SampleStatus, "sample_status"), default=SampleStatus.REGISTERED
    )

    # What was taken (抽样单).
    category_id: Mapped[int] = mapped_column(ForeignKey("food_categories.id"), index=True)
    food_name: Mapped[str] = mapped_column(String(200))
    brand: Mapped[str] = mapped_column(String(100), default="")  # 商标
    specification: Mapped[str] = mapped_column(String(100), default="")  # 规格型号
    production_date: Mapped[date | None]
    batch_no: Mapped[str] = mapped_column(String(60), default="")  # 批号
    shelf_life: Mapped[str] = mapped_column(String(40), default="")  # as printed, e.g. 12个月
    shelf_life_days: Mapped[int | None]
    # 压榨/浸出 from an edible oil's label: which solvent-residue limit applies (GB 2716-2018).
    oil_process: Mapped[OilProcess | None] = mapped_column(str_enum(OilProcess, "oil_process"))
    quantity: Mapped[str] = mapped_column(String(30))  # Decimal text: 样品数量
    quantity_unit: Mapped[str] = mapped_column(String(20), default="")
    backup_quantity: Mapped[str | None] = mapped_column(String(30))  # 复检备份样品
    sampling_base: Mapped[str] = mapped_column(String(60), default="")  # 抽样基数
    producer_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    remarks: Mapped[str | None] = mapped_column(Text)  # at most REMARKS_MAX characters
    # The rest of the national form (services/sampling.py validates each).
    product_standard: Mapped[str] = mapped_column(String(200), default="")  # 执行标准
    quality_grade: Mapped[str] = mapped_column(String(40), default="")  # 质量等级
    licence_no: Mapped[str] = mapped_column(String(20), default="")  # 生产许可证编号 SC…
    sample_source: Mapped[SampleSource | None] = mapped_column(
        str_enum(SampleSource, "sample_source")
    )
    sample_attribute: Mapped[SampleAttribute | None] = mapped_column(
        str_enum(SampleAttribute, "sample_attribute")
    )
    physical_state: Mapped[PhysicalState | None] = mapped_column(
        str_enum(PhysicalState, "physical_state")
    )
    packaging: Mapped[Packaging | None] = mapped_column(str_enum(Packaging, "packaging"))
    # StorageCondition values joined by ",", e.g. "refrigerated,dark".
    storage_conditions: Mapped[str] = mapped_column(String(80), default="")
    sampling_method: Mapped[SamplingMethod | None] = mapped_column(
        str_enum(SamplingMethod, "sampling_method")
    )
    unit_price: Mapped[str | None] = mapped_column(String(20))  # Decimal text, yuan: 单价
    purchase_cost: Mapped[str | None] = mapped_column(String(20))  # Decimal text: 购样费用
    purchase_date: Mapped[date | None]  # 食用农产品: 购进日期
    supplier: Mapped[str] = mapped_column(String(200), default="")  # 食用农产品: 供货者
    seal_checker: Mapped[str] = mapped_column(String(60), default="")  # 检查封样人员

    # Copied from the visit and the catalog for fast filtering and aggregates.
    sampling_date: Mapped[date]
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    link: Mapped[Link] = mapped_column(str_enum(Link, "link"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"), index=True)
    # The plan's 检验类别 (supervision without a plan); a plan's type is fixed once it has
    # samples, so the copy never goes stale.
    inspection_type: Mapped[InspectionType] = mapped_column(
        str_enum(InspectionType, "inspection_type"), default=InspectionType.SUPERVISION
    )
    lab_id: Mapped[int | None] = mapped_column(ForeignKey("labs.id"), index=True)
    sampler_id: Mapped[int] = mapped_column(ForeignKey("users.id"))  # who entered it
    cat_l1_id: Mapped[int] = mapped_column(ForeignKey("food_categories.id"))
    cat_l2_id: Mapped[int | None] = mapped_column(ForeignKey("food_categories.id"))
    cat_l3_id: Mapped[int | None] = mapped_column(ForeignKey("food_categories.id"))
    cat_l4_id: Mapped[int | None] = mapped_column(ForeignKey("food_categories.id"))

    # Receipt in the lab.
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    seal_state: Mapped[str | None] = mapped_column(String(40))  # 封样状态
    condition: Mapped[str | None] = mapped_column(String(200))
    temperature: Mapped[str | None] = mapped_column(String(20))  # Decimal text, °C
    rejection_reason: Mapped[str | None] = mapped_column(Text)

    # Conclusion (derived from accepted results with core.judgement.conclude).
    conclusion: Mapped[Conclusion | None] = mapped_column(str_enum(Conclusion, "conclusion"))
    concluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Working-day deadlines, stored so the deadline board is an indexed range query.
    due_delivery: Mapped[date | None]  # at the lab 5 working days after sampling
    due_report: Mapped[date | None]  # report 20 working days after receipt
    due_unqualified_report: Mapped[date | None]  # 2 working days after an unqualified result
    due_qualified_report: Mapped[date | None]  # 7 working days after a qualified result
    # The regulator serves the report and notice of an unqualified supervision sample
    # (5 working days, counted from the report's issue: services.periods SERVICE_WORKDAYS).
    due_service: Mapped[date | None]
    # Kept by database triggers (migration 0034), never set by the application: an issued
    # report exists; the conclusion was served (followups.notified_on).  The deadline board's
    # counters (``deadline_counts``) follow from them and the due dates above.
    # No Python-side default: an insert never names them (a Core insert at an older revision,
    # as tests of old migrations make, must not either); the database's default is false.
    report_issued: Mapped[bool] = mapped_column(Boolean, server_default=false(), nullable=False)
    conclusion_served: Mapped[bool] = mapped_column(Boolean, server_default=false(), nullable=False)
    # A delivery extension approved by the regulator (services.periods), and why.
    delivery_extension_workdays: Mapped[int | None]
    delivery_extension_reason: Mapped[str | None] = mapped_column(String(300))

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    version_id: Mapped[int] = mapped_column(default=1)

    visit: Mapped[SamplingVisit] = relationship(back_populates="samples")
    category: Mapped[FoodCategory] = relationship(foreign_keys=[category_id])
    producer: Mapped[Enterprise | None] = relationship(foreign_keys=[producer_id])
    task: Mapped[Task | None] = relationship()
    plan: Mapped[Plan | None] = relationship()
    lab: Mapped[Lab | None] = relationship()
    sampler: Mapped[User] = relationship(foreign_keys=[sampler_id])
    received_by: Mapped[User | None] = relationship(foreign_keys=[received_by_id])

    __table_args__ = (
        Index("ix_samples_sampling_date", "sampling_date", "id"),
        Index("ix_samples_status", "status", "id"),
        Index("ix_samples_cat_l1", "cat_l1_id", "sampling_date"),
        Index("ix_samples_cat_l2", "cat_l2_id", "sampling_date"),
        Index("ix_samples_cat_l3", "cat_l3_id", "sampling_date"),
        Index("ix_samples_cat_l4", "cat_l4_id", "sampling_date"),
        Index("ix_samples_region", "region_code", "sampling_date"),
        Index("ix_samples_task", "task_id"),
        Index("ix_samples_sampler", "sampler_id", "id"),
        Index("ix_samples_received_at", "received_at"),  # the lab's "received today" list
        *trigram_indexes("samples"),  # free-text search (PostgreSQL; FTS5 on SQLite)
        CheckConstraint(
            "shelf_life_days IS NULL OR shelf_life_days > 0", name="shelf_life_positive"
        ),
    )
    __mapper_args__ = {"version_id_col": version_id}

    @property
    def conclusion_title(self) -> str:
        """The conclusion as shown: a risk-monitoring sample is a problem sample (问题样品) or
        has no problem found, never 合格/不合格 (``labsys.core.inspection``)."""
        if self.conclusion is None:
            return ""
        conclusion = Conclusion(self.conclusion)  # a value just assigned may be plain text
        worded = InspectionType.of(self.inspection_type).concludes_qualified
        if not worded and conclusion in (Conclusion.QUALIFIED, Conclusion.UNQUALIFIED):
            unqualified = conclusion is Conclusion.UNQUALIFIED
            return str(_l("Problem sample") if unqualified else _l("No problem found"))
        return conclusion.title

    def __repr__(self) -> str:
        return f"<Sample {self.sample_no} {self.status}>"
