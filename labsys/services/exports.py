"""Exports of samples and of the unqualified-product announcement, in constant memory.

Rows are read in keyset batches of plain column tuples (never ORM objects for the whole
slice) and written as they come: CSV as a generator of text chunks, XLSX through openpyxl's
write-only workbook into a file.  Lookups (category and district names, key foods, report
numbers, failed items, enterprises) are one query per batch, never one per row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from labsys.models import (
    Conclusion,
    Enterprise,
    FoodCategory,
    Lab,
    Region,
    Sample,
    SampleResult,
    SamplingVisit,
    VerdictValue,
)
from labsys.models.enums import ResultStatus
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
]

# DOMAIN.md "Publication": the column order of the published table of unqualified products.
ANNOUNCEMENT_COLUMNS = [
    "序号",
    "产品名称",
    "抽样单编号",
    "检验报告编号",
    "标称生产企业名称",
    "标称生产企业地址",
    "被抽样单位名称",
    "被抽样单位地址",
    "规格型号",
    "商标",
    "生产日期/批号",
    "不合格项目‖检验结果‖标准值",
    "分类",
    "检验机构",
    "备注",
]

EXPORT_KINDS = ("samples", "announcement")


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


def _batches(session: Session, columns: list, conditions: list) -> Iterator[list]:
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
    ]
    conditions = sample_conditions(session, filters or StatsFilter(), include_rejected=True)
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
        ) in batch:
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
            ]


def _conclusion_text(conclusion: Conclusion | None) -> str:
    """qualified / unqualified / inconclusive, or empty while pending (not judged is empty
    too: it has no conclusion to publish)."""
    if conclusion in (Conclusion.QUALIFIED, Conclusion.UNQUALIFIED, Conclusion.INCONCLUSIVE):
        return conclusion.value
    return ""


# --- the announcement of unqualified products ----------------------------------------------


def announcement_rows(
    session: Session, filters: StatsFilter | None = None, default_lab: str = ""
) -> Iterator[list]:
    """The published table (ANNOUNCEMENT_COLUMNS) of the unqualified samples in the slice."""
    names = _Names(session)
    unit = aliased(Enterprise)
    producer = aliased(Enterprise)
    columns = [
        Sample.id,
        Sample.food_name,
        Sample.sample_no,
        producer.name,
        producer.address,
        unit.name,
        unit.address,
        Sample.specification,
        Sample.brand,
        Sample.production_date,
        Sample.batch_no,
        Sample.cat_l1_id,
        Sample.lab_id,
        Sample.remarks,
    ]
    conditions = [
        *sample_conditions(session, filters or StatsFilter()),
        Sample.conclusion == Conclusion.UNQUALIFIED,
    ]
    serial = 0
    for batch in _joined_batches(session, columns, conditions, unit, producer):
        ids = [row[0] for row in batch]
        reports = report_numbers(session, ids)
        failures = failed_items(session, ids)
        for (
            sid,
            food,
            number,
            producer_name,
            producer_address,
            unit_name,
            unit_address,
            spec,
            brand,
            produced,
            batch_no,
            l1,
            lab_id,
            remarks,
        ) in batch:
            serial += 1
            yield [
                serial,
                food,
                number,
                reports.get(sid, ""),
                producer_name or "",
                producer_address or "",
                unit_name or "",
                unit_address or "",
                spec,
                brand,
                _production(produced, batch_no),
                "\n".join(failures.get(sid, [])),
                names.category(l1),
                names.labs.get(lab_id, default_lab) if lab_id else default_lab,
                remarks or "",
            ]


def _joined_batches(session, columns, conditions, unit, producer) -> Iterator[list]:
    last_id = 0
    while True:
        query = (
            select(*columns)
            .join(SamplingVisit, SamplingVisit.id == Sample.visit_id)
            .join(unit, unit.id == SamplingVisit.sampled_unit_id)
            .outerjoin(producer, producer.id == Sample.producer_id)
            .where(*conditions, Sample.id > last_id)
            .order_by(Sample.id)
            .limit(BATCH_SIZE)
        )
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
    """``item‖result‖limit`` of each failed (current) result of the samples."""
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
        )
        .where(
            SampleResult.sample_id.in_(sample_ids),
            SampleResult.verdict == VerdictValue.FAIL,
            SampleResult.status != ResultStatus.SUPERSEDED,
        )
        .order_by(SampleResult.sample_id, SampleResult.seq)
    )
    for sid, item, reported, measured, limit, unit in rows:
        result = reported or measured or ""
        failures.setdefault(sid, []).append(
            f"{item}‖{_with_unit(result, unit)}‖{_with_unit(limit, unit)}"
        )
    return failures


def _with_unit(value: str, unit: str) -> str:
    if not value or not unit or value.endswith(unit) or value in ("不得检出", "不得使用"):
        return value or ""
    if value.startswith("未检出"):
        return value
    return f"{value}{unit}"


# --- writers -------------------------------------------------------------------------------


def csv_chunks(header: list[str], rows: Iterable[list], rows_per_chunk: int = 500) -> Iterator[str]:
    """CSV text in chunks of a few hundred rows, for a streamed response or a file."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for count, row in enumerate(rows, start=1):
        writer.writerow(row)
        if count % rows_per_chunk == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_csv(path: str | Path, header: list[str], rows: Iterable[list]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as out:
        for chunk in csv_chunks(header, rows):
            out.write(chunk)


def write_xlsx(target, header: list[str], rows: Iterable[list], title: str) -> None:
    """An XLSX workbook written row by row (openpyxl write-only mode) to a path or file."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(target)


def export_table(
    session: Session, kind: str, filters: StatsFilter | None = None, default_lab: str = ""
) -> tuple[list[str], Iterator[list]]:
    """(header, rows) of the export ``kind`` ("samples" or "announcement")."""
    if kind == "samples":
        return SAMPLE_COLUMNS, sample_rows(session, filters)
    if kind == "announcement":
        return ANNOUNCEMENT_COLUMNS, announcement_rows(session, filters, default_lab)
    raise ValueError(f"unknown export {kind!r}")


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
        [row[0], row[2], row[1], row[6], row[11], row[12]]
        for row in announcement_rows(session, filters, lab_name)
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


def _period_text(filters: StatsFilter) -> str:
    start = filters.date_from.isoformat() if filters.date_from else "起始"
    end = filters.date_to.isoformat() if filters.date_to else "至今"
    return f"{start} 至 {end}"
