"""Exports of samples and of the unqualified-product announcement, in constant memory.

Rows are read in keyset batches of plain column tuples (never ORM objects for the whole
slice) and written as they come: CSV as a generator of text chunks, XLSX through the
streaming sheet writer of ``labsys.core.xlsx`` into a file.  Lookups (category and district
names, key foods, report numbers, failed items, enterprises) are one query per batch, never
one per row.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Date,
    String,
    and_,
    case,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session, aliased

from labsys.core import xlsx
from labsys.core.micro import parse_colony_count
from labsys.core.regions import province_of
from labsys.models import (
    Conclusion,
    Enterprise,
    FoodCategory,
    InspectionType,
    Lab,
    Link,
    Objection,
    ObjectionStatus,
    OilProcess,
    Plan,
    Region,
    Report,
    ReportStatus,
    Retest,
    RetestStatus,
    Sample,
    SampleResult,
    SampleStatus,
    SamplingVisit,
    VerdictValue,
)
from labsys.models.enums import ResultStatus, StorageCondition
from labsys.services.sampling import BATCH_CHOICES
from labsys.services.stats import StatsFilter, key_food_categories, sample_conditions

BATCH_SIZE = 2000

SAMPLE_COLUMNS = [
    "sample_no",
    "category_l1",
    "category_l2",
    "category_l3",
    "category_l4",
    "key_food",
    "district",
    "link",
    "sampling_date",
    "conclusion",
    "report_no",
    "food_name",
    "status",
    "lab",
    "inspection_type",
]
# The national form's fields (issue #13), machine format: enum values, ISO dates, Decimal
# text, several storage conditions joined by ",".  Batch fields, then the visit's.
NATIONAL_SAMPLE_COLUMNS = [
    "product_standard",
    "quality_grade",
    "licence_no",
    "sample_source",
    "sample_attribute",
    "physical_state",
    "packaging",
    "storage_conditions",
    "sampling_method",
    "oil_process",
    "unit_price",
    "purchase_cost",
    "purchase_date",
    "supplier",
    "seal_checker",
]
NATIONAL_VISIT_COLUMNS = [
    "sampling_basis",
    "organising_authority",
    "task_source",
    "online_platform",
    "online_shop",
    "online_shop_url",
    "online_order_no",
    "online_buyer_account",
    "online_payment_account",
    "online_payment_amount",
    "delivery_address",
    "parcel_arrival_date",
    "unboxing_record",
]
SAMPLE_COLUMNS += NATIONAL_SAMPLE_COLUMNS + NATIONAL_VISIT_COLUMNS
# Coded lists in one cell (codes joined by ","): for people each code becomes its word and
# the words are joined by "、" ("冷藏、避光").
LISTED_CODES = ("storage_conditions",)
LISTED_JOIN = "、"

# The national layout of the published table of unqualified products (不合格产品信息), as
# SAMR's and the provinces' announcements print it *(verify against the current template)*:
# "║" separates item, result and limit inside one cell; "/" fills an empty cell.
FAILED_ITEMS_COLUMN = "不合格项目║检验结果║标准值"
ANNOUNCEMENT_COLUMNS = [
    "序号",
    "标称生产企业名称",
    "标称生产企业地址",
    "被抽样单位名称",
    "被抽样单位所在省份",
    "被抽样单位地址",
    "食品名称",
    "规格型号",
    "商标",
    "生产日期/批号",
    FAILED_ITEMS_COLUMN,
    "分类",
    "公告号",
    "公告日期",
    "任务来源",
    "检验机构",
    "备注",
]
ANNOUNCEMENT_TITLE = "不合格产品信息"
# Printed above every published table (e.g. Shandong's and the national announcements).
ANNOUNCEMENT_DECLARATION = (
    "（声明：以下信息仅指本次抽检标称的生产企业相关产品的生产日期/批号和所检项目）"
)
EMPTY = "/"

# The regulator's list of risk-monitoring problem samples (风险监测问题样品): never published;
# "║" separates item, result and reference value as in the announcement.
RISK_NOTICE_TITLE = "风险监测问题样品清单"
PROBLEMS_COLUMN = "问题项目║检验结果║参考值"
RISK_NOTICE_COLUMNS = [
    "序号",
    "样品编号",
    "食品名称",
    "分类",
    "抽样日期",
    "被抽样单位名称",
    "被抽样单位地址",
    "标称生产企业名称",
    "生产日期/批号",
    PROBLEMS_COLUMN,
    "任务来源",
    "检验机构",
]

EXPORT_KINDS = ("samples", "announcement")

# The human form of the samples export (pages; the CLI's ``--labels``): headers and coded
# values in one language.  Plain dictionaries, not gettext: a streamed CSV is written after
# the request (and its locale) has ended.
LABEL_LANGUAGES = ("zh", "en")
SAMPLE_HEADERS = {
    "zh": {
        "sample_no": "样品编号",
        "category_l1": "食品大类",
        "category_l2": "食品亚类",
        "category_l3": "食品次亚类",
        "category_l4": "食品细类",
        "key_food": "重点食品",
        "district": "区",
        "link": "抽样环节",
        "sampling_date": "抽样日期",
        "conclusion": "检验结论",
        "report_no": "报告编号",
        "food_name": "食品名称",
        "status": "状态",
        "lab": "检验机构",
        "inspection_type": "检验类别",
        # The national form's fields (their labels on the sampling form).
        "product_standard": "执行标准/产品标准号",
        "quality_grade": "质量等级",
        "licence_no": "生产许可证编号",
        "sample_source": "样品来源",
        "sample_attribute": "样品属性",
        "physical_state": "样品形态",
        "packaging": "包装分类",
        "storage_conditions": "储存条件",
        "sampling_method": "抽样方式",
        "oil_process": "压榨/浸出",
        "unit_price": "单价（元）",
        "purchase_cost": "购样费用（元）",
        "purchase_date": "购进日期（食用农产品）",
        "supplier": "供货者（食用农产品）",
        "seal_checker": "检查封样人员",
        "sampling_basis": "抽样依据",
        "organising_authority": "组织机构",
        "task_source": "任务来源",
        "online_platform": "平台名称",
        "online_shop": "网店名称",
        "online_shop_url": "网店网址",
        "online_order_no": "订单编号",
        "online_buyer_account": "买样人账号",
        "online_payment_account": "付款账户",
        "online_payment_amount": "付款金额（元）",
        "delivery_address": "收货地址",
        "parcel_arrival_date": "包裹到达日期",
        "unboxing_record": "拆封查验记录",
    },
    "en": {
        "sample_no": "Sample number",
        "category_l1": "Food category",
        "category_l2": "Subcategory",
        "category_l3": "Sub-subcategory",
        "category_l4": "Detailed category",
        "key_food": "Key food",
        "district": "District",
        "link": "Sampling link",
        "sampling_date": "Sampling date",
        "conclusion": "Conclusion",
        "report_no": "Report number",
        "food_name": "Food name",
        "status": "Status",
        "lab": "Laboratory",
        "inspection_type": "Inspection type",
        "product_standard": "Product standard",
        "quality_grade": "Quality grade",
        "licence_no": "Production licence (SC)",
        "sample_source": "Sample source",
        "sample_attribute": "Sample attribute",
        "physical_state": "Physical state",
        "packaging": "Packaging",
        "storage_conditions": "Storage conditions",
        "sampling_method": "Sampling method",
        "oil_process": "Pressed / solvent-extracted",
        "unit_price": "Unit price (yuan)",
        "purchase_cost": "Purchase cost (yuan)",
        "purchase_date": "Purchase date (farm produce)",
        "supplier": "Supplier (farm produce)",
        "seal_checker": "Seal checked by",
        "sampling_basis": "Sampling basis",
        "organising_authority": "Organising authority",
        "task_source": "Task source",
        "online_platform": "Platform",
        "online_shop": "Shop name",
        "online_shop_url": "Shop address (URL)",
        "online_order_no": "Order number",
        "online_buyer_account": "Buyer account",
        "online_payment_account": "Payment account",
        "online_payment_amount": "Amount paid (yuan)",
        "delivery_address": "Delivery address",
        "parcel_arrival_date": "Parcel arrived on",
        "unboxing_record": "Unboxing record",
    },
}


def value_labels(language: str) -> dict[str, dict]:
    """The words for the coded values (link, conclusion, status, key food) in ``language``
    ("zh" or "en"), from the enums' titles: computed where the app is (a request or the
    CLI), before a streamed CSV is written."""
    from flask_babel import force_locale

    with force_locale("en" if language == "en" else "zh_Hans_CN"):
        return {
            "key_food": {1: "yes", 0: "no"} if language == "en" else {1: "是", 0: "否"},
            "conclusion": {c.value: str(c.title) for c in Conclusion},
            "link": {link.value: str(link.title) for link in Link},
            "status": {s.value: str(s.title) for s in SampleStatus},
            "inspection_type": {t.value: str(t.title) for t in InspectionType},
            "oil_process": {p.value: str(p.title) for p in OilProcess},
            **{
                column: {member.value: str(member.title) for member in choices}
                for column, choices in BATCH_CHOICES.items()
                if column in SAMPLE_COLUMNS
            },
            "storage_conditions": {c.value: str(c.title) for c in StorageCondition},
        }


# Column widths (characters) of the human XLSX, by machine column; others get 14.
SAMPLE_WIDTHS = {"sample_no": 20, "food_name": 24, "report_no": 20, "lab": 26, "status": 16}


def _report_model():
    """The reports model, once the reports feature exists (report numbers stay empty before)."""
    try:
        from labsys.models.report import Report, ReportStatus
    except ImportError:  # pragma: no cover - only before the reports feature lands
        return None, None
    return Report, ReportStatus


def report_numbers(session: Session, sample_ids: list[int]) -> dict[int, str]:
    """The number of each sample's issued (current) report."""
    report, status = _report_model()
    if report is None or not sample_ids:
        return {}
    return dict(
        session.execute(
            select(report.sample_id, report.report_no)
            .where(report.sample_id.in_(sample_ids), report.status == status.ISSUED)
            .order_by(report.id)
        ).all()
    )


def _batches(session: Session, columns: list, conditions: list) -> Iterator[Sequence[Any]]:
    """Rows of ``columns`` (the first must be Sample.id) in id order, BATCH_SIZE at a time."""
    last_id = 0
    while True:
        batch = session.execute(
            select(*columns)
            .where(*conditions, Sample.id > last_id)
            .order_by(Sample.id)
            .limit(BATCH_SIZE)
        ).all()
        if not batch:
            return
        yield batch
        if len(batch) < BATCH_SIZE:
            return
        last_id = batch[-1][0]


class _Names:
    """Category and district names, loaded once per export (both tables are small)."""

    def __init__(self, session: Session):
        self.categories = dict(session.execute(select(FoodCategory.id, FoodCategory.name_zh)).all())
        self.regions = dict(session.execute(select(Region.code, Region.name_zh)).all())
        self.labs = dict(session.execute(select(Lab.id, Lab.name)).all())
        self.key_foods = {c.id for c in key_food_categories(session)}

    def category(self, category_id: int | None) -> str:
        return self.categories.get(category_id, "") if category_id else ""


# --- samples -------------------------------------------------------------------------------


def sample_rows(session: Session, filters: StatsFilter | None = None) -> Iterator[list]:
    """One row per sample (SAMPLE_COLUMNS), in sample id order."""
    names = _Names(session)
    columns = [
        Sample.id,
        Sample.sample_no,
        Sample.cat_l1_id,
        Sample.cat_l2_id,
        Sample.cat_l3_id,
        Sample.cat_l4_id,
        Sample.region_code,
        Sample.link,
        Sample.sampling_date,
        Sample.conclusion,
        Sample.food_name,
        Sample.status,
        Sample.lab_id,
        Sample.inspection_type,
        *(getattr(Sample, name) for name in NATIONAL_SAMPLE_COLUMNS),
        *(getattr(SamplingVisit, name) for name in NATIONAL_VISIT_COLUMNS),
    ]
    conditions = sample_conditions(session, filters or StatsFilter(), include_rejected=True)
    conditions = [*conditions, SamplingVisit.id == Sample.visit_id]  # an inner join
    national = len(NATIONAL_SAMPLE_COLUMNS) + len(NATIONAL_VISIT_COLUMNS)
    for batch in _batches(session, columns, conditions):
        reports = report_numbers(session, [row[0] for row in batch])
        for (
            sid,
            number,
            l1,
            l2,
            l3,
            l4,
            region,
            link,
            day,
            conclusion,
            food,
            status,
            lab_id,
            kind,
            *extra,
        ) in batch:
            assert len(extra) == national
            yield [
                number,
                names.category(l1),
                names.category(l2),
                names.category(l3),
                names.category(l4),
                1 if names.key_foods & {l1, l2, l3, l4} else 0,
                names.regions.get(region, "") if region else "",
                link.value,
                day.isoformat(),
                _conclusion_text(conclusion),
                reports.get(sid, ""),
                food,
                status.value,
                names.labs.get(lab_id, "") if lab_id else "",
                kind.value,
                *(_machine(value) for value in extra),
            ]


def _machine(value) -> str:
    """A cell in the machine format: "" for none, an enum's value, an ISO date, text."""
    if value is None:
        return ""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _conclusion_text(conclusion: Conclusion | None) -> str:
    """qualified / unqualified / inconclusive, or empty while pending (not judged is empty
    too: it has no conclusion to publish)."""
    if conclusion in (Conclusion.QUALIFIED, Conclusion.UNQUALIFIED, Conclusion.INCONCLUSIVE):
        return conclusion.value
    return ""


# --- the announcement of unqualified products ----------------------------------------------


def announcement_conditions(
    session: Session, filters: StatsFilter | None = None, *, published_only: bool = True
) -> list:
    """Which samples are published: unqualified, with an issued (current) report, and no
    retest or objection still open (SAMR Order No. 15 Arts. 30-37: the conclusion is not
    final while one is pending *(verify)*); only supervision samples are published
    (risk-monitoring problems go to the regulator's risk notice list instead).
    ``published_only=False``: every unqualified sample (the internal compliance report)."""
    unqualified = [
        *sample_conditions(session, filters or StatsFilter()),
        Sample.conclusion == Conclusion.UNQUALIFIED,
    ]
    if not published_only:
        return unqualified
    # A retest applied for and not yet refused or concluded, an objection not yet refused or
    # decided: the conclusion is not final (Arts. 35, 39 (verify)).
    pending_retest = exists().where(
        Retest.sample_id == Sample.id,
        Retest.status.in_(
            (
                RetestStatus.APPLIED,
                RetestStatus.ACCEPTED,
                RetestStatus.LAB_CHOSEN,
                RetestStatus.BACKUP_RECEIVED,
            )
        ),
    )
    pending_objection = exists().where(
        Objection.sample_id == Sample.id,
        Objection.status.in_((ObjectionStatus.FILED, ObjectionStatus.ACCEPTED)),
    )
    open_followup = or_(pending_retest, pending_objection)
    issued = exists().where(Report.sample_id == Sample.id, Report.status == ReportStatus.ISSUED)
    return [
        *unqualified,
        issued,
        ~open_followup,
        Sample.inspection_type.in_(published_types()),
    ]


def published_types() -> list[InspectionType]:
    """The inspection types whose unqualified products are published (supervision)."""
    return [kind for kind in InspectionType if kind.published]


def risk_notice_conditions(session: Session, filters: StatsFilter | None = None) -> list:
    """Risk-monitoring problem samples: a result beyond its reference value (stored as an
    unqualified conclusion), whatever their report; they go to the regulator, never into
    the published announcement."""
    return [
        *sample_conditions(session, filters or StatsFilter()),
        Sample.conclusion == Conclusion.UNQUALIFIED,
        Sample.inspection_type.in_([kind for kind in InspectionType if kind.rules.risk_notice]),
    ]


def risk_notice_records(
    session: Session,
    filters: StatsFilter | None = None,
    default_lab: str = "",
    *,
    after: int = 0,
    limit: int | None = None,
) -> Iterator[dict]:
    """The risk notice list (RISK_NOTICE_COLUMNS but 序号, plus ``sample_id``), in sample id
    order after ``after``, at most ``limit`` rows.  The parties as the sample's report in
    force printed them, as the announcement reads them (``_printed``)."""
    names = _Names(session)
    unit, producer, report = aliased(Enterprise), aliased(Enterprise), aliased(Report)
    columns = [
        Sample.id,
        Sample.sample_no,
        Sample.food_name,
        Sample.cat_l1_id,
        Sample.sampling_date,
        _printed(report, unit.name, report.sampled_unit_name),
        _printed(report, unit.address, report.sampled_unit_address),
        _printed(report, producer.name, report.producer_name),
        Sample.production_date,
        Sample.batch_no,
        Plan.name,
        Sample.lab_id,
    ]
    conditions = risk_notice_conditions(session, filters)
    count = 0
    for batch in _joined_batches(
        session, columns, conditions, unit, producer, after, report=report
    ):
        problems = failed_items(session, [row[0] for row in batch])
        for (sid, number, food, l1, day, u_name, u_address, p_name, produced, batch_no,
             plan_name, lab_id) in batch:  # fmt: skip
            values = {
                "样品编号": number,
                "食品名称": food,
                "分类": names.category(l1),
                "抽样日期": day.isoformat(),
                "被抽样单位名称": u_name,
                "被抽样单位地址": u_address,
                "标称生产企业名称": p_name,
                "生产日期/批号": _production(produced, batch_no),
                PROBLEMS_COLUMN: "\n".join(problems.get(sid, [])),
                "任务来源": plan_name,
                "检验机构": names.labs.get(lab_id, default_lab) if lab_id else default_lab,
            }
            record = {key: _cell(value) for key, value in values.items()}
            record["sample_id"] = sid
            yield record
            count += 1
            if limit is not None and count >= limit:
                return


def _printed(report, live, snapshot):
    """What the sample's issued report printed (issue 18 §2: an enterprise renamed or moved
    after the report changes neither the report nor the lists made from it: the
    announcement, the risk notice list); without a report (the internal compliance list of
    every unqualified sample, a risk notice not yet reported), the register now."""
    return case((report.id.is_(None), live), else_=snapshot)


def _current_report_id():
    """The id of the sample's report in force (the newest issued one), for an outer join."""
    return (
        select(func.max(Report.id))
        .where(Report.sample_id == Sample.id, Report.status == ReportStatus.ISSUED)
        .correlate(Sample)
        .scalar_subquery()
    )


def _announcement_columns(unit, producer, report) -> list:
    return [
        Sample.id,
        Sample.sample_no,
        _printed(report, producer.name, report.producer_name),
        _printed(report, producer.address, report.producer_address),
        _printed(report, unit.name, report.sampled_unit_name),
        unit.region_code,
        Sample.region_code,
        _printed(report, unit.address, report.sampled_unit_address),
        Sample.food_name,
        Sample.specification,
        Sample.brand,
        Sample.production_date,
        Sample.batch_no,
        Sample.cat_l1_id,
        # 任务来源: the visit's, as the sampling form and the report print it, else the plan.
        func.coalesce(func.nullif(SamplingVisit.task_source, ""), Plan.name),
        Sample.lab_id,
        Sample.remarks,
        Sample.link,
        SamplingVisit.place,
    ]


def announcement_records(
    session: Session,
    filters: StatsFilter | None = None,
    default_lab: str = "",
    *,
    after: int = 0,
    limit: int | None = None,
    published_only: bool = True,
) -> Iterator[dict]:
    """The published rows as dicts (ANNOUNCEMENT_COLUMNS, plus ``sample_id`` and
    ``sample_no``), in sample id order after ``after``, at most ``limit`` of them."""
    names = _Names(session)
    unit, producer, report = aliased(Enterprise), aliased(Enterprise), aliased(Report)
    conditions = announcement_conditions(session, filters, published_only=published_only)
    count = 0
    columns = _announcement_columns(unit, producer, report)
    for batch in _joined_batches(
        session, columns, conditions, unit, producer, after, report=report
    ):
        failures = failed_items(session, [row[0] for row in batch])
        for row in batch:
            yield _announcement_record(row, failures, names, default_lab)
            count += 1
            if limit is not None and count >= limit:
                return


def _announcement_record(row, failures: dict, names: _Names, default_lab: str) -> dict:
    (sid, number, p_name, p_address, u_name, u_region, s_region, u_address, food, spec,
     brand, produced, batch_no, l1, plan_name, lab_id, remarks, link, place) = row  # fmt: skip
    values = {
        "标称生产企业名称": p_name,
        "标称生产企业地址": p_address,
        "被抽样单位名称": u_name,
        "被抽样单位所在省份": province_of(u_region or s_region),
        "被抽样单位地址": u_address,
        "食品名称": food,
        "规格型号": spec,
        "商标": brand,
        "生产日期/批号": _production(produced, batch_no),
        FAILED_ITEMS_COLUMN: "\n".join(failures.get(sid, [])),
        "分类": names.category(l1),
        "公告号": "",  # given by the regulator when it publishes
        "公告日期": "",
        "任务来源": plan_name,
        "检验机构": names.labs.get(lab_id, default_lab) if lab_id else default_lab,
        "备注": _announcement_remarks(remarks, link, u_name, u_address, place),
    }
    record = {key: _cell(value) for key, value in values.items()}
    record.update(sample_id=sid, sample_no=number)
    return record


def _cell(value) -> str:
    text = "" if value is None else str(value).strip()
    return text or EMPTY


def _announcement_remarks(remarks, link, unit_name, unit_address, place) -> str:
    """备注: the sample's remarks; an online sample (环节 网络) names its shop and, where the
    sampling form recorded it, the platform (the 抽样地点 of an online visit)."""
    parts = [remarks.strip()] if remarks and remarks.strip() else []
    if link == Link.ONLINE:
        online = f"网络抽样，网店：{unit_name}"
        if place and place.strip() and place.strip() != (unit_address or "").strip():
            online += f"，平台：{place.strip()}"
        parts.append(online)
    return "；".join(parts)


def announcement_rows(
    session: Session, filters: StatsFilter | None = None, default_lab: str = ""
) -> Iterator[list]:
    """The published table (ANNOUNCEMENT_COLUMNS) of the unqualified samples in the slice."""
    records = announcement_records(session, filters, default_lab)
    for serial, record in enumerate(records, start=1):
        yield [serial, *(record[column] for column in ANNOUNCEMENT_COLUMNS[1:])]


def _joined_batches(
    session, columns, conditions, unit, producer, after: int = 0, *, report=None
) -> Iterator:
    """Batches of ``columns`` over the samples meeting ``conditions``; ``report`` (an alias
    of Report) is outer-joined to each sample's report in force."""
    last_id = after
    while True:
        query = (
            select(*columns)
            .join(SamplingVisit, SamplingVisit.id == Sample.visit_id)
            .join(unit, unit.id == SamplingVisit.sampled_unit_id)
            .outerjoin(producer, producer.id == Sample.producer_id)
            .outerjoin(Plan, Plan.id == Sample.plan_id)
        )
        if report is not None:
            query = query.outerjoin(report, report.id == _current_report_id())
        query = query.where(*conditions, Sample.id > last_id).order_by(Sample.id).limit(BATCH_SIZE)
        batch = session.execute(query).all()
        if not batch:
            return
        yield batch
        if len(batch) < BATCH_SIZE:
            return
        last_id = batch[-1][0]


def _production(produced, batch_no: str) -> str:
    return produced.isoformat() if produced else (batch_no or "")


def failed_items(session: Session, sample_ids: list[int]) -> dict[int, list[str]]:
    """``item║result║limit`` of each failed (current) result of the samples; a
    microbiological item gives its units' reported values and its plan, each with the unit."""
    failures: dict[int, list[str]] = {}
    if not sample_ids:
        return failures
    rows = session.execute(
        select(
            SampleResult.sample_id,
            SampleResult.item_name,
            SampleResult.reported_text,
            SampleResult.measured_text,
            SampleResult.limit_text,
            SampleResult.unit,
            SampleResult.micro_n,
            SampleResult.micro_c,
            SampleResult.micro_m,
            SampleResult.micro_big_m,
            SampleResult.unit_values,
            SampleResult.is_colony_count,
            SampleResult.lod,
        )
        .where(
            SampleResult.sample_id.in_(sample_ids),
            SampleResult.verdict == VerdictValue.FAIL,
            SampleResult.status != ResultStatus.SUPERSEDED,
        )
        .order_by(SampleResult.sample_id, SampleResult.seq)
    )
    # tuple(): mypy types only the first ten columns of a Row, and cannot unpack the rest.
    for sid, item, reported, measured, limit, unit, n, c, m, big_m, units, colony, lod in map(
        tuple, rows
    ):
        if n is not None:
            printed = _unit_values_text(units, colony, lod)
            result = _with_unit(printed or reported or measured or "", unit)
            limit_text = _with_unit(_plan_text(n, c, m, big_m), unit)
        else:
            result = _with_unit(reported or measured or "", unit)
            limit_text = _with_unit(limit, unit)
        failures.setdefault(sid, []).append(f"{item}║{result}║{limit_text}")
    return failures


def _unit_values_text(unit_values: str | None, colony: bool = False, lod=None) -> str:
    """The n units' reported values, "1.2×10⁴,3.0×10⁴,60,80,<10" (as the report prints them:
    colony counts by GB 4789.2)."""
    try:
        units = json.loads(unit_values) if unit_values else None
    except ValueError:
        return ""
    if not isinstance(units, list):
        return ""
    texts = [str(u).strip() for u in units if str(u).strip()]
    return ",".join(_colony_text(t, lod) for t in texts) if colony else ",".join(texts)


def _colony_text(text: str, lod) -> str:
    try:
        return parse_colony_count(text, lowest_dilution=lod or None).text
    except ValueError:
        return text  # stored before colony counts were checked: as typed


def _plan_text(n, c, m, big_m) -> str:
    """ "n=5,c=2,m=10000,M=100000" (GB 4789.1 plan), no unit."""
    text = f"n={n},c={c},m={m}"
    return f"{text},M={big_m}" if big_m else text


def _with_unit(value: str, unit: str) -> str:
    if not value or not unit or value.endswith(unit) or value in ("不得检出", "不得使用"):
        return value or ""
    if value.startswith("未检出"):
        return value
    return f"{value}{unit}"


# --- writers -------------------------------------------------------------------------------


# OWASP "CSV Injection": a cell starting with = + - @, a tab or a carriage return may be run
# as a formula by a spreadsheet.  A plain number (-0.5, +3, 1e-3, in ASCII digits: "-１" is
# made inert too, as COPY's SQL form below does) is data, kept as it is.
_FORMULA_START = re.compile(r"^[=+\-@\t\r]")
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$", re.ASCII)


def neutralise(value):
    """A spreadsheet cell made inert: text a spreadsheet would run as a formula (a producer
    named "=HYPERLINK(..)", "-2+3+cmd|...") gets a leading apostrophe; numbers, numeric text
    and other text are kept.  Every CSV this application writes passes its cells here."""
    if isinstance(value, str) and _FORMULA_START.match(value) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def csv_chunks(
    header: list[str], rows: Iterable[list], rows_per_chunk: int = 500, *, bom: bool = False
) -> Iterator[str]:
    """CSV text in chunks of a few hundred rows, for a streamed response or a file.

    ``bom``: start with a UTF-8 byte-order mark, which Excel needs to read the file as
    UTF-8 (without it, Chinese text opens as mojibake in the ANSI code page)."""
    buffer = io.StringIO()
    if bom:
        buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for count, row in enumerate(rows, start=1):
        writer.writerow([neutralise(value) for value in row])
        if count % rows_per_chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_csv(
    path: str | Path, header: list[str], rows: Iterable[list], *, bom: bool = False
) -> None:
    with open(path, "w", encoding="utf-8", newline="") as out:
        for chunk in csv_chunks(header, rows, bom=bom):
            out.write(chunk)


def write_xlsx(
    target,
    header: list[str],
    rows: Iterable[list],
    *,
    title: str,
    preamble: Iterable[list] = (),
    widths: Sequence[int] | None = None,
) -> None:
    """An XLSX workbook written row by row to a path or a binary file, in constant memory
    (``labsys.core.xlsx``); ``preamble`` rows (a title, a declaration) come before the
    header.  The header row is frozen (it stays in view while scrolling) and bold; ``widths``
    sets the column widths in characters; dates are date cells (yyyy-mm-dd), whole numbers
    integer cells, and text is always a string cell, never a formula (an XLSX string cell
    is never evaluated, so the value stays as typed)."""
    xlsx.write_sheet(target, header, rows, title=title, preamble=preamble, widths=widths)


def export_preamble(kind: str) -> list[list[str]]:
    """Lines printed above a spreadsheet's header: the announcement's title and declaration
    (the CSV stays a plain table, header first, for import into other systems)."""
    if kind == "announcement":
        return [[ANNOUNCEMENT_TITLE], [ANNOUNCEMENT_DECLARATION]]
    return []


def export_table(
    session: Session,
    kind: str,
    filters: StatsFilter | None = None,
    *,
    default_lab: str = "",
    labels: str | None = None,
    words: dict[str, dict] | None = None,
) -> tuple[list[str], Iterator[list]]:
    """(header, rows) of the export ``kind`` ("samples" or "announcement").

    ``labels`` None: the documented machine columns and codes (``sample_no``,
    ``conclusion`` = ``qualified``); "zh" / "en": headers and coded values for people.  The
    announcement has one layout (the national table, in Chinese) either way.  ``words``:
    :func:`value_labels` computed beforehand (a CSV streamed after the request)."""
    if kind == "samples":
        rows = sample_rows(session, filters)
        if labels in LABEL_LANGUAGES:
            words = words or value_labels(labels)
            names = SAMPLE_HEADERS[labels]
            return [names.get(c, c) for c in SAMPLE_COLUMNS], _labelled(rows, words)
        return SAMPLE_COLUMNS, rows
    if kind == "announcement":
        return ANNOUNCEMENT_COLUMNS, announcement_rows(session, filters, default_lab)
    raise ValueError(f"unknown export {kind!r}")


def _labelled(rows: Iterable[list], words: dict[str, dict]) -> Iterator[list]:
    """Sample rows with their coded values as words and the date as a date."""
    coded = [
        (SAMPLE_COLUMNS.index(column), mapping)
        for column, mapping in words.items()
        if column in SAMPLE_COLUMNS and column not in LISTED_CODES
    ]
    listed = [
        (SAMPLE_COLUMNS.index(column), words[column])
        for column in LISTED_CODES
        if column in words and column in SAMPLE_COLUMNS
    ]
    dates = [
        SAMPLE_COLUMNS.index(c)
        for c in ("sampling_date", "purchase_date", "parcel_arrival_date")
        if c in SAMPLE_COLUMNS
    ]
    for row in rows:
        row = list(row)
        for index, mapping in coded:
            row[index] = mapping.get(row[index], row[index])
        for index, mapping in listed:
            if row[index]:  # as _sql_listed_words: every part, empty ones too
                parts = str(row[index]).split(",")
                row[index] = LISTED_JOIN.join(mapping.get(p, p) for p in parts)
        for day in dates:
            if row[day]:
                row[day] = date.fromisoformat(row[day])
        yield row


# --- the samples CSV through COPY (PostgreSQL) ------------------------------------------------
#
# On PostgreSQL the samples CSV is written by the server (COPY ... TO STDOUT, FORMAT csv):
# the same query as sample_rows() with every cell computed in SQL — names joined, the
# report number a subquery, codes as words for people, dates as ISO text, and every text
# cell passed through the SQL form of neutralise() — so Python only adds the BOM and the
# header and turns the server's "\n" row ends into csv_chunks()'s "\r\n".  Empty cells
# are NULL (COPY writes an empty string as "", csv.writer as nothing).  SQLite keeps
# csv_chunks() over sample_rows().

# neutralise() in SQL (PostgreSQL regular expressions): a cell starting with = + - @, a tab
# or a carriage return gets an apostrophe, unless it is a plain number (Python's "$" also
# matches before a final newline, hence the "\n?").
_SQL_FORMULA_START = "^[=+@\t\r-]"
_SQL_PLAIN_NUMBER = "^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?\n?$"


def _sql_neutralised(text):
    return case(
        (
            and_(text.regexp_match(_SQL_FORMULA_START), ~text.regexp_match(_SQL_PLAIN_NUMBER)),
            literal("'") + text,
        ),
        else_=text,
    )


def _sql_words(text, mapping: dict | None):
    """``text`` (a code) as its word in ``mapping``, itself when it has none."""
    if not mapping:
        return text
    return case(*((text == code, literal(word)) for code, word in mapping.items()), else_=text)


def _sql_quoted(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _sql_listed_words(column, mapping: dict | None):
    """A cell of codes joined by "," as their words joined by "、", part by part in order
    (as _labelled() does in Python); NULL for an empty cell."""
    if not mapping:
        return column
    table, name = column.table.name, column.name
    cases = " ".join(
        f"WHEN {_sql_quoted(code)} THEN {_sql_quoted(word)}" for code, word in mapping.items()
    )
    return literal_column(
        f"(SELECT string_agg(CASE part {cases} ELSE part END, {_sql_quoted(LISTED_JOIN)} "
        f"ORDER BY n) FROM unnest(string_to_array({table}.{name}, ',')) "
        "WITH ORDINALITY AS listed(part, n))",
        String,
    )


def _sql_cell(expression, *, mapping: dict | None = None):
    """One CSV cell: ``expression`` as text (dates ISO), in words, made inert; NULL if empty."""
    column_type = getattr(expression, "type", None)
    text: Any = (
        func.to_char(expression, "YYYY-MM-DD")
        if isinstance(column_type, Date)
        else type_coerce(expression, String)
    )
    return func.nullif(_sql_neutralised(_sql_words(text, mapping)), "")


def sample_copy_query(
    session: Session, filters: StatsFilter | None = None, words: dict[str, dict] | None = None
):
    """The samples export as one SELECT of CSV cells (SAMPLE_COLUMNS, in sample id order);
    ``words``: value_labels() for people, None for the machine codes."""
    words = words or {}
    levels = [aliased(FoodCategory) for _ in range(4)]
    level_ids = [Sample.cat_l1_id, Sample.cat_l2_id, Sample.cat_l3_id, Sample.cat_l4_id]
    keys = sorted(c.id for c in key_food_categories(session))
    key_food = case(
        (or_(*(column.in_(keys) for column in level_ids)) if keys else literal(False), "1"),
        else_="0",
    )
    key_words = words.get("key_food")
    if key_words:  # its words are keyed by the numbers 1 and 0
        key_words = {str(code): word for code, word in key_words.items()}
    report, report_status = _report_model()
    report_no = (
        select(report.report_no)
        .where(report.sample_id == Sample.id, report.status == report_status.ISSUED)
        .order_by(report.id.desc())
        .limit(1)
        .scalar_subquery()
        if report is not None
        else literal(None, String)
    )
    conclusion = case(
        (
            type_coerce(Sample.conclusion, String).in_(
                [
                    Conclusion.QUALIFIED.value,
                    Conclusion.UNQUALIFIED.value,
                    Conclusion.INCONCLUSIVE.value,
                ]
            ),
            type_coerce(Sample.conclusion, String),
        ),
        else_=None,
    )
    cells = {
        "sample_no": Sample.sample_no,
        **{f"category_l{n + 1}": levels[n].name_zh for n in range(4)},
        "key_food": key_food,
        "district": Region.name_zh,
        "link": Sample.link,
        "sampling_date": Sample.sampling_date,
        "conclusion": conclusion,
        "report_no": report_no,
        "food_name": Sample.food_name,
        "status": Sample.status,
        "lab": Lab.name,
        "inspection_type": Sample.inspection_type,
        **{name: getattr(Sample, name) for name in NATIONAL_SAMPLE_COLUMNS},
        **{name: getattr(SamplingVisit, name) for name in NATIONAL_VISIT_COLUMNS},
    }
    assert list(cells) == SAMPLE_COLUMNS
    for name in LISTED_CODES:
        cells[name] = _sql_listed_words(cells[name], words.get(name))
    columns = [
        _sql_cell(
            expr,
            mapping=key_words
            if name == "key_food"
            else None
            if name in LISTED_CODES
            else words.get(name),
        ).label(name)
        for name, expr in cells.items()
    ]
    query = (
        select(*columns)
        .select_from(Sample)
        .join(SamplingVisit, SamplingVisit.id == Sample.visit_id)
    )
    for alias, column in zip(levels, level_ids, strict=True):
        query = query.outerjoin(alias, alias.id == column)
    query = query.outerjoin(Region, Region.code == Sample.region_code).outerjoin(
        Lab, Lab.id == Sample.lab_id
    )
    conditions = sample_conditions(session, filters or StatsFilter(), include_rejected=True)
    return query.where(*conditions).order_by(Sample.id)


def copy_csv_chunks(
    session: Session,
    header: list[str],
    query,
    *,
    bom: bool = False,
    rows_per_chunk: int = 500,
) -> Iterator[str]:
    """CSV text of ``query`` (cells already text) written by PostgreSQL's COPY, in chunks of
    a few hundred rows, laid out as csv_chunks() writes them: the BOM, the header, "\r\n"."""
    connection = session.connection()
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    head = io.StringIO()
    if bom:
        head.write("\ufeff")
    csv.writer(head, lineterminator="\r\n").writerow(header)
    yield head.getvalue()
    raw = connection.connection.driver_connection
    assert raw is not None  # a psycopg connection
    chunk: list[bytes] = []
    with raw.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
        for row in copy:  # one row per message, ending in "\n"
            chunk.append(bytes(row)[:-1] + b"\r\n")
            if len(chunk) == rows_per_chunk:
                yield b"".join(chunk).decode("utf-8")
                chunk = []
    if chunk:
        yield b"".join(chunk).decode("utf-8")


def export_csv_chunks(
    session: Session,
    kind: str,
    filters: StatsFilter | None = None,
    *,
    default_lab: str = "",
    labels: str | None = None,
    words: dict[str, dict] | None = None,
    bom: bool = False,
) -> Iterator[str]:
    """The CSV of the export ``kind`` (as export_table() and csv_chunks() write it): the
    samples through COPY on PostgreSQL, every other case row by row in Python."""
    if kind == "samples" and session.connection().dialect.name == "postgresql":
        if labels in LABEL_LANGUAGES:
            words = words or value_labels(labels)
            header = [SAMPLE_HEADERS[labels].get(c, c) for c in SAMPLE_COLUMNS]
        else:
            words, header = None, SAMPLE_COLUMNS
        yield from copy_csv_chunks(
            session, header, sample_copy_query(session, filters, words), bom=bom
        )
        return
    header, rows = export_table(
        session, kind, filters, default_lab=default_lab, labels=labels, words=words
    )
    yield from csv_chunks(header, rows, bom=bom)


def column_widths(kind: str) -> list[int]:
    """Character widths of the human XLSX's columns."""
    if kind == "samples":
        return [SAMPLE_WIDTHS.get(column, 14) for column in SAMPLE_COLUMNS]
    return [8 if column == "序号" else 22 for column in ANNOUNCEMENT_COLUMNS]


# --- the PDF compliance report -------------------------------------------------------------


def compliance_pdf(
    session: Session,
    filters: StatsFilter | None = None,
    *,
    lab_name: str = "",
    font_path: str | None = None,
):
    """The compliance report (summary, charts, tables, unqualified list) as a BytesIO."""
    from labsys.pdf.compliance import ComplianceData, ComplianceReport
    from labsys.services import stats

    filters = filters or StatsFilter()
    unqualified = [
        [
            serial,
            record["sample_no"],
            record["食品名称"],
            record["被抽样单位名称"],
            record[FAILED_ITEMS_COLUMN],
            record["分类"],
        ]
        for serial, record in enumerate(_all_unqualified(session, filters, lab_name), start=1)
    ]
    data = ComplianceData(
        lab_name=lab_name,
        period=_period_text(filters),
        total=stats.compute(session, by="category", level=1, filters=filters),
        key_foods=stats.key_food_indicator(session, filters),
        districts=stats.compute(session, by="district", filters=filters),
        unqualified=unqualified,
    )
    return ComplianceReport(data, font_path).build()


def _all_unqualified(session: Session, filters: StatsFilter, lab_name: str) -> Iterator[dict]:
    """Every unqualified sample of the slice, published or not (an internal report)."""
    return announcement_records(session, filters, lab_name, published_only=False)


def _period_text(filters: StatsFilter) -> str:
    start = filters.date_from.isoformat() if filters.date_from else "起始"
    end = filters.date_to.isoformat() if filters.date_to else "至今"
    return f"{start} 至 {end}"
