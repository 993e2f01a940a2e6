"""Exports: samples CSV/XLSX, the announcement table, the PDF compliance report."""

from __future__ import annotations

import csv
import io
import secrets
import tracemalloc
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import event, insert

from labsys.extensions import db
from labsys.models import Conclusion, Link, Sample, SampleResult, SampleStatus, VerdictValue
from labsys.models.report import Report, ReportStatus, parties_of
from labsys.services import exports

from stats_support import *  # noqa: F403 - the shared fixtures

REQUIRED = [
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
]
# The national layout of 不合格产品信息 (issue 11 §5; SAMR's announcements *(verify)*).
DOMAIN_ORDER = [
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
    "不合格项目║检验结果║标准值",
    "分类",
    "公告号",
    "公告日期",
    "任务来源",
    "检验机构",
    "备注",
]


def read_xlsx(path) -> list[tuple]:
    workbook = load_workbook(path, read_only=True)
    try:
        return list(workbook.active.iter_rows(values_only=True))
    finally:
        workbook.close()


def run_export(app, tmp_path, *args):
    target = tmp_path / f"out.{args[-1]}"  # the format is the last option
    result = app.test_cli_runner().invoke(args=["export", *args, "-o", str(target)])
    assert result.exit_code == 0, result.output
    return target


def issue_report(sample, supervisor, number="BJ2026-R0001"):
    report = Report(
        report_no=number,
        sample_id=sample.id,
        status=ReportStatus.ISSUED,
        food_name=sample.food_name,
        **parties_of(sample),  # as printed at issue: the announcement reads these
        conclusion=sample.conclusion,
        author_id=supervisor.id,
        approver_id=supervisor.id,
        issued_at=datetime(2026, 3, 1, tzinfo=UTC),
        pdf=b"%PDF",
        sha256="0" * 64,
        verify_token=secrets.token_urlsafe(32),
    )
    db.session.add(report)
    db.session.commit()
    return report


def fail_result(sample, make_item, name="铅(以Pb计)", value="0.35", limit="≤0.2"):
    item = make_item(name)
    db.session.add(
        SampleResult(
            sample_id=sample.id,
            test_item_id=item.id,
            seq=1,
            item_name=name,
            unit="mg/kg",
            limit_text=limit,
            measured_text=value,
            reported_text=value,
            verdict=VerdictValue.FAIL,
            status="accepted",
        )
    )
    db.session.commit()


def test_samples_csv_has_one_row_per_sample(app, tmp_path, dataset, supervisor):
    flour_unqualified = dataset.samples[3]
    issue_report(flour_unqualified, supervisor)
    path = run_export(app, tmp_path, "samples", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert len(rows) == 12  # the rejected sample is listed too
    assert set(REQUIRED) <= set(rows[0])
    by_no = {row["sample_no"]: row for row in rows}
    row = by_no[flour_unqualified.sample_no]
    assert (row["category_l1"], row["category_l2"], row["category_l4"]) == (
        "粮食加工品",
        "小麦粉",
        "通用小麦粉",
    )
    assert (row["key_food"], row["district"], row["link"]) == ("1", "东城区", "retail")
    assert (row["sampling_date"], row["conclusion"], row["report_no"]) == (
        "2026-01-15",
        "unqualified",
        "BJ2026-R0001",
    )
    assert by_no[dataset.samples[4].sample_no]["conclusion"] == ""  # pending
    milk = by_no[dataset.samples[-1].sample_no]
    assert (milk["key_food"], milk["conclusion"]) == ("0", "inconclusive")


def test_samples_xlsx_reads_back_and_filters_by_date(app, tmp_path, dataset):
    path = run_export(
        app, tmp_path, "samples", "--from", "2026-02-01", "--to", "2026-02-28", "--format", "xlsx"
    )
    rows = read_xlsx(path)
    assert list(rows[0][:11]) == REQUIRED
    assert len(rows) == 1 + 3
    assert {r[3] for r in rows[1:]} == {"叶菜类蔬菜"}


def test_announcement_columns_follow_the_publication_order(
    app, tmp_path, dataset, make_item, supervisor
):
    unqualified = dataset.samples[3]
    fail_result(unqualified, make_item)
    issue_report(unqualified, supervisor, "BJ2026-R0009")
    path = run_export(app, tmp_path, "announcement", "--format", "csv")
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert rows[0] == DOMAIN_ORDER
    # Two samples are unqualified, but only the one with an issued report is published.
    assert len(rows) == 1 + 1
    first = dict(zip(DOMAIN_ORDER, rows[1], strict=True))
    assert first["序号"] == "1"
    assert first["食品名称"] == unqualified.food_name
    assert first["不合格项目║检验结果║标准值"] == "铅(以Pb计)║0.35mg/kg║≤0.2mg/kg"
    assert first["分类"] == "粮食加工品"
    assert first["检验机构"] == app.config["LAB_NAME"]
    assert first["被抽样单位名称"].startswith("测试企业")
    assert first["被抽样单位所在省份"] == "北京市"  # from the district code 110101
    assert first["公告号"] == first["公告日期"] == "/"  # given when the regulator publishes


def test_announcement_xlsx(app, tmp_path, dataset, make_item, supervisor):
    fail_result(dataset.samples[3], make_item)
    issue_report(dataset.samples[3], supervisor)
    path = run_export(app, tmp_path, "announcement", "--format", "xlsx")
    rows = read_xlsx(path)
    assert rows[0][0] == "不合格产品信息"
    assert (
        rows[1][0]
        == "（声明：以下信息仅指本次抽检标称的生产企业相关产品的生产日期/批号和所检项目）"
    )
    assert list(rows[2]) == DOMAIN_ORDER and len(rows) == 4


def test_compliance_pdf_has_summary_charts_tables_and_unqualified_list(
    app, tmp_path, dataset, make_item
):
    fail_result(dataset.samples[3], make_item)
    path = run_export(app, tmp_path, "compliance", "--format", "pdf")
    text = "".join(page.extract_text() for page in PdfReader(path).pages)
    for expected in (
        "合格率统计报告",
        "重点食品合格率",
        "71.43",
        "77.78",
        "按食品大类",
        "粮食加工品",
        "按行政区",
        "东城区",
        "不合格样品",
        dataset.samples[3].sample_no,
        "铅(以Pb计)",
    ):
        assert expected in text, expected


def test_export_refuses_a_format_that_does_not_fit(app, tmp_path, dataset):
    result = app.test_cli_runner().invoke(
        args=["export", "compliance", "--format", "csv", "-o", str(tmp_path / "x")]
    )
    assert result.exit_code == 1
    assert "PDF" in result.output


@pytest.fixture
def many_samples(dataset):
    """3,000 more samples, inserted in one statement."""
    template = dataset.samples[0]
    rows = [
        {
            "sample_no": f"BULK{i:06d}",
            "visit_id": template.visit_id,
            "category_id": template.category_id,
            "food_name": "通用小麦粉",
            "quantity": "1",
            "sampling_date": date(2026, 5, 1 + i % 28),
            "region_code": "110108",
            "link": Link.RETAIL,
            "sampler_id": template.sampler_id,
            "cat_l1_id": template.cat_l1_id,
            "cat_l2_id": template.cat_l2_id,
            "cat_l3_id": template.cat_l3_id,
            "cat_l4_id": template.cat_l4_id,
            "status": SampleStatus.CONCLUDED,
            "conclusion": Conclusion.UNQUALIFIED if i % 50 == 0 else Conclusion.QUALIFIED,
        }
        for i in range(3000)
    ]
    db.session.execute(insert(Sample), rows)
    db.session.commit()
    return 3000


def test_exports_read_in_batches_with_small_memory(app, many_samples, monkeypatch):
    monkeypatch.setattr(exports, "BATCH_SIZE", 1000)
    selects = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT") and "FROM samples" in statement:
            selects.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    tracemalloc.start()
    try:
        header, rows = exports.export_table(db.session, "samples")
        total = sum(len(chunk) for chunk in exports.csv_chunks(header, rows))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        event.remove(db.engine, "before_cursor_execute", count)
    assert total > 3000 * 50
    assert len(selects) == 4  # 3,012 rows in keyset batches of 1,000
    assert peak < 8 * 1024 * 1024


def test_xlsx_export_of_thousands_of_rows(app, tmp_path, many_samples):
    path = tmp_path / "big.xlsx"
    header, rows = exports.export_table(db.session, "samples")
    exports.write_xlsx(path, header, rows, title="samples")
    assert len(read_xlsx(path)) == 1 + 3012
