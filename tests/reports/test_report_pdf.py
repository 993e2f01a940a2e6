"""What the issued PDF says, read back from the file: fields, pages, conclusion, QR code."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from labsys.extensions import db
from labsys.models import Conclusion
from labsys.pdf.report import ReportData, ReportDocument, ReportRow
from labsys.services import reports

from reports_support import AFLATOXIN, BAP, CADMIUM, LEAD, decode_qr, pdf_pages
from support import require_tool, signed

BASE = "http://labsys.test"


@pytest.fixture
def issued(concluded_sample, boss):
    def issue(*args, **kwargs):
        report = reports.issue_report(
            db.session,
            boss,
            concluded_sample(*args, **kwargs),
            base_url=BASE,
            signature=signed(boss, "approval"),
        )
        db.session.commit()
        return report

    return issue


def test_the_first_page_lists_every_field_and_signature(issued):
    report = issued([LEAD, BAP])
    sample = report.sample
    first = pdf_pages(report.pdf)[0]
    for text in [
        report.report_no,
        "通用小麦粉",
        sample.visit.sampled_unit.name,
        "010-66668888",
        "河北某面粉有限公司",
        "0311-88886666",
        "监督抽检",
        "北京市食品安全检验中心",
        "金麦穗",
        "5kg/袋",
        "B20261001",
        "200袋",
        "2袋",
        sample.sample_no,
        "完好",
        "2026-11-02",
        "2026-11-03",
        sample.visit.samplers[0].display_name,
        "编制：王技术",
        "审核：赵审核",
        "批准：钱批准",
        "签发日期",
        "7个工作日",
        "检验检测专用章",
    ]:
        assert text.replace(" ", "") in first, text
    for label in [
        "食品名称",
        "商标",
        "规格型号",
        "生产日期/批号",
        "被抽样单位",
        "标称生产者",
        "任务来源",
        "抽样人员",
        "抽样日期",
        "样品到达日期",
        "样品数量",
        "抽样基数",
        "抽样单编号",
        "封样状态",
        "抽样地点",
        "检验项目",
        "检验结论",
        "签发日期",
        "备注",
    ]:
        assert label in first, label


def test_a_qualified_conclusion_names_the_bases(issued):
    report = issued([LEAD, BAP])
    assert "经抽样检验，所检项目符合GB2762-2022要求。" in pdf_pages(report.pdf)[0]
    assert report.conclusion == Conclusion.QUALIFIED


def test_an_unqualified_conclusion_names_the_failed_items_and_bases(issued):
    report = issued([LEAD, CADMIUM, AFLATOXIN])
    # Each failed item names the standard it fails, not every standard of every item.
    assert (
        "经抽样检验，镉(以Cd计)项目不符合GB2762-2022要求，黄曲霉毒素B1项目不符合GB2761-2017要求，"
        "检验结论为不合格。"
    ) in pdf_pages(report.pdf)[0]


def test_item_pages_hold_ten_rows_each_and_every_page_is_numbered(issued):
    report = issued([LEAD, CADMIUM] * 6)  # 12 items: two item pages
    pages = pdf_pages(report.pdf)
    assert len(pages) == 3
    for number, text in enumerate(pages, start=1):
        assert f"共3页第{number}页" in text
        assert report.report_no in text  # running header
    assert "序号检验项目单位标准要求检验结果单项判定检验依据" in pages[1]
    assert pages[1].count("GB5009.12-2023") == 10
    assert "以下空白" in pages[2] and "以下空白" not in pages[1]
    assert "12镉(以Cd计)mg/kg≤0.10.32不合格" in pages[2]


def test_microbiological_items_show_their_plan_and_unit_results(issued):
    report = issued([LEAD], micro=True)
    items = pdf_pages(report.pdf)[1]
    assert "n=5,c=2,m=50000,M=100000" in items
    assert "12000；30000；60；80；100" in items


def test_the_qr_code_leads_to_the_public_verification_page(issued, client):
    report = issued()
    url = decode_qr(report.pdf)
    assert url == f"{BASE}/verify/{report.verify_token}"
    page = client.get(urlsplit(url).path)  # nobody is logged in
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for text in [report.report_no, "通用小麦粉", report.sampled_unit_name, report.sha256]:
        assert text in html


def test_the_same_data_gives_the_same_bytes():
    data = ReportData(
        report_no="JC01-2026-000009",
        lab_name="检验中心",
        inspection_type="监督抽检",
        food_name="大米",
        brand="/",
        specification="/",
        production_date_or_batch="/",
        sampled_unit_name="某超市",
        sampled_unit_phone="/",
        producer_name="/",
        producer_phone="/",
        task_source="/",
        samplers="甲、乙",
        sampling_date="2026-11-02",
        arrival_date="2026-11-03",
        quantity="2 袋",
        sampling_base="/",
        sample_no="S1",
        seal_state="完好",
        place="/",
        items_summary="铅",
        conclusion_text="合格",
        issue_date="2026-11-20",
        remarks="",
        author="甲",
        reviewer="乙",
        approver="丙",
        rows=[ReportRow(1, "铅", "mg/kg", "≤0.2", "0.05", "合格", "GB 5009.12")],
        verify_url="http://x.test/verify/abc",
    )
    assert ReportDocument(data).build() == ReportDocument(data).build()
    draft = pdf_pages(ReportDocument(data, draft=True).build())[0]
    assert "草稿" in draft


def test_without_a_truetype_cjk_font_the_builtin_one_is_used_with_one_warning(monkeypatch, caplog):
    from labsys.pdf import fonts

    monkeypatch.setattr(fonts, "CANDIDATE_PATHS", ())
    monkeypatch.setattr(fonts, "_registered", {})
    with caplog.at_level("WARNING", logger="labsys.pdf.fonts"):
        assert fonts.register_fonts("/nonexistent/font.ttc") == "STSong-Light"
        assert fonts.register_fonts("/nonexistent/font.ttc") == "STSong-Light"
    fallbacks = [r for r in caplog.records if "not embedded" in r.getMessage()]
    assert len(fallbacks) == 1


def test_the_configured_font_path_is_embedded(monkeypatch):
    from labsys.pdf import fonts

    path = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
    require_tool(__import__("os").path.exists(path), "fonts-wqy-microhei")
    monkeypatch.setattr(fonts, "_registered", {})
    assert fonts.register_fonts(path) == fonts.EMBEDDED_FONT_NAME
