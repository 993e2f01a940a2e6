"""不合格产品信息 in the published layout (issue 11 §5): who is listed, what each cell says, the
declaration line, the page in the app, and text that must stay text in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
import secrets
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from labsys.extensions import db
from labsys.models import (
    Applicant,
    Conclusion,
    InspectionType,
    Link,
    Objection,
    ObjectionKind,
    ObjectionStatus,
    Plan,
    Report,
    ReportStatus,
    Retest,
    RetestStatus,
    Role,
    SampleResult,
    VerdictValue,
)
from labsys.models.report import parties_of
from labsys.services import exports

from stats_support import *  # noqa: F403 - the shared fixtures

DECLARATION = "（声明：以下信息仅指本次抽检标称的生产企业相关产品的生产日期/批号和所检项目）"
FAILED = "不合格项目║检验结果║标准值"


def _report(sample, supervisor, status=ReportStatus.ISSUED):
    db.session.add(
        Report(
            report_no=f"R-{secrets.token_hex(4)}",
            sample_id=sample.id,
            status=status,
            food_name=sample.food_name,
            **parties_of(sample),  # as printed at issue: the announcement reads these
            conclusion=Conclusion.UNQUALIFIED,
            author_id=supervisor.id,
            approver_id=supervisor.id,
            issued_at=datetime(2026, 3, 1, tzinfo=UTC),
            pdf=b"%PDF",
            sha256="0" * 64,
            verify_token=secrets.token_urlsafe(32),
        )
    )
    db.session.commit()


def _fail(sample, make_item, **fields):
    values = {
        "item_name": "铅(以Pb计)",
        "unit": "mg/kg",
        "limit_text": "≤0.2",
        "measured_text": "0.35",
        "reported_text": "0.35",
    }
    values.update(fields)
    item = make_item(values["item_name"])
    db.session.add(
        SampleResult(
            sample_id=sample.id,
            test_item_id=item.id,
            seq=1,
            verdict=VerdictValue.FAIL,
            status="accepted",
            **values,
        )
    )
    db.session.commit()


def _rows(session=None, **filters):
    return list(exports.announcement_records(session or db.session, default_lab="检验中心"))


@pytest.fixture
def published(dataset, make_item, supervisor):
    """The flour sample: unqualified for lead, its report issued."""
    sample = dataset.samples[3]
    _fail(sample, make_item)
    _report(sample, supervisor)
    return sample


def test_a_published_row_fills_every_column_or_a_slash(published):
    (row,) = _rows()
    assert row["被抽样单位所在省份"] == "北京市"
    assert row["食品名称"] == published.food_name
    assert row[FAILED] == "铅(以Pb计)║0.35mg/kg║≤0.2mg/kg"
    assert row["商标"] == row["规格型号"] == "/"  # empty on the sampling form
    assert row["标称生产企业名称"] == "/"  # no labelled producer recorded
    assert row["公告号"] == row["公告日期"] == "/"
    assert row["任务来源"] == "/"  # no plan
    assert row["检验机构"] == "检验中心"


def test_the_task_source_is_the_plan(published):
    plan = Plan(code="P1", name="2026年北京市食品安全监督抽检计划", year=2026)
    db.session.add(plan)
    db.session.flush()
    published.plan_id = plan.id
    db.session.commit()
    assert _rows()[0]["任务来源"] == "2026年北京市食品安全监督抽检计划"


@pytest.mark.parametrize(
    ("workflow", "status", "listed"),
    [
        *[
            ("retest", status, status in (RetestStatus.REFUSED, RetestStatus.RETESTED))
            for status in RetestStatus
        ],
        *[
            ("objection", status, status not in (ObjectionStatus.FILED, ObjectionStatus.ACCEPTED))
            for status in ObjectionStatus
        ],
    ],
    ids=lambda value: str(value),
)
def test_a_pending_retest_or_objection_holds_the_row_back(published, workflow, status, listed):
    """A retest applied for and not yet refused or concluded, or an objection not yet refused
    or decided, keeps the conclusion out of the announcement (Order No. 15 Arts. 35, 39)."""
    day = date(2026, 3, 3)
    if workflow == "retest":
        row = Retest(
            sample_id=published.id, status=status, applicant=Applicant.SAMPLED_UNIT,
            applicant_name="某超市", conclusion_received_on=day, applied_on=day, window_end=day,
        )  # fmt: skip
    else:
        row = Objection(
            sample_id=published.id, status=status, kind=ObjectionKind.TEST_METHOD,
            applicant=Applicant.PRODUCER, applicant_name="某厂", grounds="方法", filed_on=day,
            window_end=day,
        )  # fmt: skip
    db.session.add(row)
    db.session.commit()
    assert bool(_rows()) is listed


def test_only_issued_current_reports_are_published(dataset, make_item, supervisor):
    leek = dataset.samples[7]
    _fail(leek, make_item)
    assert _rows() == []  # unqualified, but no report yet
    _report(leek, supervisor, status=ReportStatus.SUPERSEDED)
    assert _rows() == []  # the replaced report alone does not count


@pytest.mark.parametrize("kind", [InspectionType.RISK_MONITORING, InspectionType.EVALUATION])
def test_only_supervision_is_published(published, kind):
    plan = Plan(code="RM", name="风险监测计划", year=2026, inspection_type=kind)
    db.session.add(plan)
    db.session.flush()
    published.plan_id, published.inspection_type = plan.id, kind
    db.session.commit()
    assert _rows() == []


def test_a_microbiological_row_gives_the_unit_values_and_the_plan_with_units(
    dataset, make_item, supervisor
):
    sample = dataset.samples[3]
    _fail(
        sample,
        make_item,
        item_name="菌落总数",
        unit="CFU/g",
        limit_text="",
        measured_text="见各单元结果",
        reported_text="见各单元结果",
        micro_n=5,
        micro_c=2,
        micro_m="10000",
        micro_big_m="100000",
        unit_values=json.dumps(["1.5×10⁵", "2.0×10⁴", "9000", "8000", "7000"]),
    )
    _report(sample, supervisor)
    assert _rows()[0][FAILED] == (
        "菌落总数║1.5×10⁵,2.0×10⁴,9000,8000,7000CFU/g║n=5,c=2,m=10000,M=100000CFU/g"
    )


def test_an_online_sample_names_its_shop_and_platform(published):
    published.link = Link.ONLINE
    published.visit.link = Link.ONLINE
    published.visit.place = "某电商平台（www.example.com）"
    db.session.commit()
    remark = _rows()[0]["备注"]
    unit = published.visit.sampled_unit.name
    assert remark == f"网络抽样，网店：{unit}，平台：某电商平台（www.example.com）"


def test_the_csv_keeps_header_first_and_the_xlsx_carries_the_declaration(app, published, tmp_path):
    runner = app.test_cli_runner()
    out = tmp_path / "a.xlsx"
    result = runner.invoke(args=["export", "announcement", "--format", "xlsx", "-o", str(out)])
    assert result.exit_code == 0, result.output
    workbook = load_workbook(out, read_only=True)
    try:  # a read-only workbook keeps its file open until closed
        rows = list(workbook.active.iter_rows(values_only=True))
    finally:
        workbook.close()
    assert rows[0][0] == "不合格产品信息" and rows[1][0] == DECLARATION
    assert list(rows[2]) == exports.ANNOUNCEMENT_COLUMNS
    out = tmp_path / "a.csv"
    runner.invoke(args=["export", "announcement", "--format", "csv", "-o", str(out)])
    assert next(csv.reader(io.StringIO(out.read_text("utf-8")))) == exports.ANNOUNCEMENT_COLUMNS


def test_hostile_names_stay_text_in_both_spreadsheets(app, published, tmp_path):
    unit = published.visit.sampled_unit
    unit.name = '=HYPERLINK("http://evil.test","点我")'
    unit.address = "@SUM(1+1)"
    published.brand = "<b>&</b>"
    report = db.session.scalar(select(Report).where(Report.sample_id == published.id))
    report.sampled_unit_name, report.sampled_unit_address = unit.name, unit.address  # printed
    db.session.commit()
    runner = app.test_cli_runner()
    xlsx, text = tmp_path / "a.xlsx", tmp_path / "a.csv"
    runner.invoke(args=["export", "announcement", "--format", "xlsx", "-o", str(xlsx)])
    runner.invoke(args=["export", "announcement", "--format", "csv", "-o", str(text)])
    sheet = load_workbook(xlsx).active
    cells = {c.value: c.data_type for row in sheet.iter_rows(min_row=4) for c in row}
    assert cells[unit.name] == "s"  # a string, not a formula
    assert "<b>&</b>" in cells
    row = list(csv.reader(io.StringIO(text.read_text("utf-8"))))[1]
    assert "'" + unit.name in row and "'@SUM(1+1)" in row


# --- the page --------------------------------------------------------------------------------


def test_the_page_shows_the_table_with_its_declaration_and_downloads(
    published, supervisor, login, client
):
    login(supervisor)
    html = client.get("/stats/announcement").get_data(as_text=True)
    assert DECLARATION in html
    for column in exports.ANNOUNCEMENT_COLUMNS:
        assert column in html
    assert published.food_name in html and "铅(以Pb计)║0.35mg/kg║≤0.2mg/kg" in html
    assert "/stats/download/announcement.xlsx" in html
    assert "/stats/download/announcement.csv" in html


def test_the_page_filters_by_category_and_period(published, dataset, supervisor, login, client):
    login(supervisor)
    dairy = dataset.milk.ancestor_ids[0]
    grain = dataset.flour.ancestor_ids[0]
    assert published.food_name in client.get(f"/stats/announcement?parent={grain}").text
    html = client.get(f"/stats/announcement?parent={dairy}").get_data(as_text=True)
    assert "没有需要公布的不合格产品" in html
    assert f"parent={dairy}" in html  # the downloads keep the filter
    html = client.get("/stats/announcement?from=2026-02-01").get_data(as_text=True)
    assert "没有需要公布的不合格产品" in html


def test_the_page_is_paged_and_numbers_on(
    published, dataset, make_item, supervisor, login, client, monkeypatch
):
    from labsys.web.stats import views

    leek = dataset.samples[7]
    _fail(leek, make_item)
    _report(leek, supervisor)
    monkeypatch.setattr(views, "ANNOUNCEMENT_PAGE_SIZE", 1)
    login(supervisor)
    first = client.get("/stats/announcement").get_data(as_text=True)
    assert published.food_name in first and leek.food_name not in first
    assert f"after={published.id}" in first and "n=1" in first
    second = client.get(f"/stats/announcement?after={published.id}&n=1").get_data(as_text=True)
    assert leek.food_name in second and "<td>2</td>" in second


def test_the_page_is_for_supervisors(dataset, make_user, login, client):
    login(make_user("samp", Role.SAMPLER))
    assert client.get("/stats/announcement").status_code == 403
