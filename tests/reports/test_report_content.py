"""What ISO/IEC 17025:2017 §7.8.2.1 and RB/T 214-2017 §4.5.20 *(verify the RB/T clause)* ask
a report to carry, read back from the issued PDF: the CMA mark and certificate number, the
lab's address and telephone, the sample's condition on receipt, the test dates, 判定依据,
抽样依据, the statement that the results relate only to the sample tested, 注意事项 worded by
inspection type, 任务来源, the grouped conclusion, a unit column that fits, bold headings."""

from __future__ import annotations

import io
import logging
import re
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth

from labsys.extensions import db
from labsys.models import BenchRecord, Plan, Task
from labsys.pdf.fonts import register_fonts
from labsys.pdf.report import ITEM_WIDTHS, ONLY_THE_SAMPLE, unit_fits
from labsys.services import reports

from reports_support import AFLATOXIN, CADMIUM, LEAD, pdf_pages
from support import signed

BASE = "http://labsys.test"
HOSTILE = '<b>甲&乙</b> "引号" <font size=40>大</font>'


@pytest.fixture
def cma_image(tmp_path):
    from PIL import Image

    path = tmp_path / "cma.png"
    Image.new("RGB", (300, 200), "red").save(path)
    return str(path)


@pytest.fixture
def lab_settings(app, monkeypatch, cma_image):
    for key, value in {
        "LAB_CMA_NO": "201901234567",
        "LAB_CMA_IMAGE": cma_image,
        "LAB_ADDRESS": "北京市东城区检验路10号",
        "LAB_PHONE": "010-12345678",
    }.items():
        monkeypatch.setitem(app.config, key, value)


def _plan(inspection_type="supervision", name="2026年北京市食品安全监督抽检计划"):
    plan = Plan(code=f"P{datetime.now().timestamp()}", name=name, year=2026)
    plan.inspection_type = inspection_type
    db.session.add(plan)
    db.session.flush()
    return plan


def _issue(sample, boss):
    report = reports.issue_report(
        db.session, boss, sample, base_url=BASE, signature=signed(boss, "approval")
    )
    db.session.commit()
    return report


def _entered(sample, *days):
    """Results entered on the given (UTC) days, in item order."""
    for result, day in zip(sorted(sample.results, key=lambda r: r.seq), days, strict=False):
        result.entered_at = datetime(2026, 11, day, 3, 0, tzinfo=UTC)
    db.session.commit()


def test_the_report_carries_the_cma_mark_number_and_the_lab_contact(
    lab_settings, concluded_sample, boss
):
    report = _issue(concluded_sample(), boss)
    pages = pdf_pages(report.pdf)
    first = pages[0]
    for text in ["证书编号：201901234567", "地址：北京市东城区检验路10号", "电话：010-12345678"]:
        assert text in first, text
    for page in pages:  # the certificate number heads every page
        assert "CMA201901234567" in page
    reader = PdfReader(io.BytesIO(report.pdf))
    assert len(reader.pages[0].images) == 1  # the mark itself


def test_without_the_cma_settings_the_supervisor_is_warned(
    app, concluded_sample, boss, login, client, caplog, monkeypatch
):
    monkeypatch.setattr(reports, "_logged_warnings", set())
    sample = concluded_sample()
    login(boss)
    queue = client.get("/reports/queue").get_data(as_text=True)
    assert "未设置 LAB_CMA_NO" in queue
    with caplog.at_level(logging.WARNING, logger="labsys.services.reports"):
        report = _issue(sample, boss)
    assert any("LAB_CMA_NO" in r.getMessage() for r in caplog.records)
    assert "证书编号" not in pdf_pages(report.pdf)[0]  # nothing invented


def test_an_unreadable_mark_image_is_reported_and_the_number_still_printed(
    app, concluded_sample, boss, monkeypatch, tmp_path
):
    monkeypatch.setitem(app.config, "LAB_CMA_NO", "201901234567")
    monkeypatch.setitem(app.config, "LAB_CMA_IMAGE", str(tmp_path / "missing.png"))
    assert any("LAB_CMA_IMAGE" in w for w in reports.setup_warnings(app.config))
    report = _issue(concluded_sample(), boss)
    assert "证书编号：201901234567" in pdf_pages(report.pdf)[0]
    assert not PdfReader(io.BytesIO(report.pdf)).pages[0].images


def test_receipt_condition_test_dates_bases_and_sampling_basis_are_fields(
    lab_settings, concluded_sample, boss
):
    sample = concluded_sample([LEAD, AFLATOXIN], condition="包装完好，无破损", temperature="4.5")
    _entered(sample, 4, 6)
    first = pdf_pages(_issue(sample, boss).pdf)[0]
    assert "样品状态包装完好，无破损，4.5°C" in first
    # No bench record: the first and last days the results were entered.
    assert "检验日期2026-11-04至2026-11-06" in first
    assert "判定依据GB2762-2022、GB2761-2017" in first
    assert "抽样依据《食品安全抽样检验管理办法》（国家市场监督管理总局令第15号）" in first
    assert ONLY_THE_SAMPLE in first


def test_the_test_dates_and_the_method_used_come_from_the_bench_records(
    concluded_sample, boss, tech
):
    """A bench record's test start and end are the 检验日期 (ISO/IEC 17025 §7.8.2.1 i));
    its method is the 检验方法 printed; a result without one falls back to its entry day."""
    sample = concluded_sample([LEAD, AFLATOXIN])
    _entered(sample, 20, 21)
    lead, aflatoxin = sorted(sample.results, key=lambda r: r.seq)
    db.session.add(
        BenchRecord(
            result_id=lead.id,
            started_on=date(2026, 11, 3),
            ended_on=date(2026, 11, 5),
            method_standard="GB 5009.268-2016",
            recorded_by_id=tech.id,
        )
    )
    db.session.commit()
    pages = pdf_pages(_issue(sample, boss).pdf)
    assert "检验日期2026-11-03至2026-11-21" in pages[0]
    text = "".join(pages)
    assert "GB5009.268-2016" in text  # the method the bench record says was used
    rows = reports.report_rows([lead, aflatoxin], None, reports.bench_records([lead, aflatoxin]))
    assert [r.method for r in rows] == ["GB 5009.268-2016", aflatoxin.method_standard]
    # Bench records alone: from the first start to the last end.
    db.session.add(
        BenchRecord(
            result_id=aflatoxin.id,
            started_on=date(2026, 11, 4),
            ended_on=date(2026, 11, 9),
            method_standard="",
            recorded_by_id=tech.id,
        )
    )
    db.session.commit()
    results = [lead, aflatoxin]
    bench = reports.bench_records(results)
    assert reports.test_dates(results, bench) == "2026-11-03 至 2026-11-09"
    assert reports.report_rows(results, None, bench)[1].method == aflatoxin.method_standard


def test_a_single_test_day_prints_once(concluded_sample, boss):
    sample = concluded_sample([LEAD])
    _entered(sample, 5)
    assert "检验日期2026-11-05签发日期" in pdf_pages(_issue(sample, boss).pdf)[0]


def test_supervision_notes_send_the_retest_to_the_regulator_never_the_lab(concluded_sample, boss):
    sample = concluded_sample()
    sample.plan_id = _plan("supervision").id
    db.session.commit()
    first = pdf_pages(_issue(sample, boss).pdf)[0]
    # SAMR Order No. 15 (2019) Art. 30 (verify the article number); Food Safety Law Art. 88.
    assert "自收到检验结论之日起7个工作日内" in first
    assert (
        "向组织实施监督抽检的市场监督管理部门或者其上一级市场监督管理部门提出书面复检申请" in first
    )
    assert "向本机构" not in first


@pytest.mark.parametrize(
    ("inspection_type", "expected"),
    [("risk_monitoring", "本次检验为风险监测"), ("evaluation", "本次检验为评价性抽检")],
)
def test_other_inspection_types_are_worded_for_their_type(
    concluded_sample, boss, inspection_type, expected
):
    sample = concluded_sample()
    sample.plan_id = _plan(inspection_type).id
    sample.inspection_type = inspection_type
    db.session.commit()
    first = pdf_pages(_issue(sample, boss).pdf)[0]
    assert expected in first
    assert "复检申请" not in first  # no retest right to announce
    assert "向本机构" not in first


def test_a_sample_without_a_plan_is_worded_as_supervision(concluded_sample, boss):
    sample = concluded_sample()
    assert sample.plan_id is None
    first = pdf_pages(_issue(sample, boss).pdf)[0]
    assert "其上一级市场监督管理部门" in first and "监督抽检" in first


def test_the_task_source_names_the_plan_not_the_internal_team(
    concluded_sample, boss, make_category
):
    sample = concluded_sample()
    plan = _plan(name="2026年北京市市场监督管理局食品安全监督抽检计划")
    task = Task(code="T-1", plan_id=plan.id, name="粮食抽检 · 张伟组", quota=5)
    task.due_date = datetime(2026, 12, 31).date()
    db.session.add(task)
    db.session.flush()
    sample.plan_id, sample.task_id = plan.id, task.id
    db.session.commit()
    first = pdf_pages(_issue(sample, boss).pdf)[0]
    assert "任务来源2026年北京市市场监督管理局食品安全监督抽检计划" in first
    assert "张伟组" not in first


def test_failed_items_are_grouped_by_the_standard_they_fail(concluded_sample, boss):
    lead_fail = ("铅(以Pb计)", "mg/kg", "≤0.2", "GB 2762-2022", "0.35", CADMIUM[-1])
    report = _issue(concluded_sample([lead_fail, CADMIUM, AFLATOXIN]), boss)
    assert (
        "经抽样检验，铅(以Pb计)、镉(以Cd计)项目不符合GB2762-2022要求，"
        "黄曲霉毒素B1项目不符合GB2761-2017要求，检验结论为不合格。"
    ) in pdf_pages(report.pdf)[0]


@pytest.mark.parametrize("unit", ["mg/100g", "CFU/mL", "g/100mL", "CFU/25g", "μg/kg"])
def test_the_unit_column_fits_the_longest_units_on_one_line(unit):
    font = register_fonts()
    assert unit_fits(unit, font)
    assert stringWidth(unit, font, 8.5) < ITEM_WIDTHS[2]


def test_units_print_unbroken_in_the_item_table(concluded_sample, boss):
    tvbn = ("挥发性盐基氮", "mg/100g", "≤15", "GB 2707-2016", "12", LEAD[-1])
    report = _issue(concluded_sample([tvbn]), boss)
    lines = PdfReader(io.BytesIO(report.pdf)).pages[1].extract_text().splitlines()
    assert any("mg/100g" in line for line in lines)


def test_title_headings_and_conclusion_are_bold(concluded_sample, boss):
    report = _issue(concluded_sample([LEAD, CADMIUM]), boss)
    reader = PdfReader(io.BytesIO(report.pdf))
    for page in reader.pages[:2]:
        assert b"2 Tr" in page.get_contents().get_data()  # fill+stroke: simulated bold


def test_hostile_text_prints_as_typed(concluded_sample, boss, make_enterprise):
    sample = concluded_sample(
        [LEAD], brand=HOSTILE, condition=HOSTILE, remarks=HOSTILE, specification="<br/>&amp;"
    )
    plan = _plan(name=HOSTILE)
    sample.plan_id = plan.id
    sample.visit.sampled_unit.name = HOSTILE
    db.session.commit()
    first = pdf_pages(_issue(sample, boss).pdf)[0]
    flat = re.sub(r"\s+", "", HOSTILE)
    assert first.count(flat) >= 4  # brand, condition, remarks, task source, sampled unit
    assert "<br/>&amp;" in first


def test_glyphs_the_font_cannot_draw_are_replaced():
    from labsys.pdf.report import _esc

    assert _esc("4℃") == "4°C"
    assert _esc("9.4×10⁴") == "9.4×10⁴"  # ⁴ has a glyph
    assert _esc("1.2×10⁵") == "1.2×10<super>5</super>"
    assert _esc("<1×10⁵&") == "&lt;1×10<super>5</super>&amp;"


# Markup reportlab would act on: a local file embedded, a link, a restyle, an unbalanced tag
# (which raised: HTTP 500).  Each must print as typed.
MARKUP = ('<img src="/etc/passwd"/>', '<a href="http://x">', "<font color=red>", "<b>")


@pytest.mark.parametrize("hostile", MARKUP)
def test_markup_in_every_sampler_field_prints_literally(
    concluded_sample, boss, make_enterprise, hostile
):
    text_fields = ("brand", "specification", "batch_no", "sampling_base", "remarks", "condition")
    sample = concluded_sample([LEAD], **{name: hostile for name in text_fields})
    sample.food_name = hostile
    sample.seal_state = hostile
    unit = sample.visit.sampled_unit
    unit.name = unit.address = unit.phone = hostile
    sample.visit.place = hostile
    db.session.commit()
    data = _issue(sample, boss).pdf
    first = pdf_pages(data)[0]
    assert first.count(re.sub(r"\s+", "", hostile)) >= 8
    assert b"/URI" not in data and b"passwd" not in data.replace(b"/etc/passwd", b"")


# (type, the item verdict column, the conclusion, what must never be printed)
WORDING = [
    (
        "supervision",
        "不合格",
        "镉(以Cd计)项目不符合GB 2762-2022要求，检验结论为不合格。",
        "问题样品",
    ),
    (
        "evaluation",
        "不合格",
        "镉(以Cd计)项目不符合GB 2762-2022要求，检验结论为不合格。",
        "问题样品",
    ),
    (
        "risk_monitoring",
        "问题项目",
        "镉(以Cd计)项目的检验结果超出参考值（GB 2762-2022），该样品为问题样品。",
        "不合格",
    ),
]


@pytest.mark.parametrize(("kind", "verdict", "conclusion", "never"), WORDING)
def test_the_report_is_worded_for_its_inspection_type(
    concluded_sample, boss, kind, verdict, conclusion, never
):
    sample = concluded_sample(items=(LEAD, CADMIUM))
    sample.plan_id = _plan(kind).id
    sample.inspection_type = kind
    db.session.commit()
    text = re.sub(r"\s", "", "".join(pdf_pages(_issue(sample, boss).pdf)))
    assert re.sub(r"\s", "", conclusion) in text
    assert verdict in text
    assert never not in text
    assert {"supervision": "监督抽检", "evaluation": "评价性抽检"}.get(kind, "风险监测") in text
