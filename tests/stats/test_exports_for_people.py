"""Downloads from the pages open in Excel: the CSV starts with a UTF-8 BOM and has headers and
values in the interface language; the XLSX has a frozen bold header, column widths, date
and integer cells.  The CLI keeps its machine columns and codes unless asked (--labels)."""

from __future__ import annotations

import csv
import io
from datetime import date

from openpyxl import load_workbook

from labsys.extensions import db
from labsys.services import exports

from stats_support import *  # noqa: F403 - the shared fixtures


def _csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), data[:10]  # the BOM Excel needs
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_page_csv_has_a_bom_and_chinese_headers_and_words(dataset, supervisor, login, client):
    login(supervisor)
    rows = _csv(client.get("/stats/download/samples.csv").data)
    header = rows[0]
    assert header[:3] == ["样品编号", "食品大类", "食品亚类"]
    assert "检验结论" in header and "sample_no" not in header
    conclusions = {row[header.index("检验结论")] for row in rows[1:]}
    assert conclusions <= {"合格", "不合格", "不确定", "不判定", ""}
    assert "合格" in conclusions and "qualified" not in conclusions
    assert {row[header.index("重点食品")] for row in rows[1:]} <= {"是", "否"}
    assert {row[header.index("抽样环节")] for row in rows[1:]} <= {"生产", "流通", "餐饮", "网络"}


def test_the_english_interface_downloads_english(dataset, supervisor, login, client):
    login(supervisor)
    client.get("/language/en?next=/")
    rows = _csv(client.get("/stats/download/samples.csv").data)
    assert rows[0][0] == "Sample number" and "Conclusion" in rows[0]
    assert "Qualified" in {row[rows[0].index("Conclusion")] for row in rows[1:]}


def test_the_page_xlsx_opens_as_a_table(dataset, supervisor, login, client):
    login(supervisor)
    with client.get("/stats/download/samples.xlsx") as response:
        data = response.data
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.active
    assert sheet.freeze_panes == "A2"  # the header stays in view
    assert sheet["A1"].value == "样品编号" and sheet["A1"].font.b
    assert sheet.column_dimensions["A"].width == 20
    day_column = [c.value for c in sheet[1]].index("抽样日期") + 1
    cell = sheet.cell(row=2, column=day_column)
    assert cell.is_date and cell.number_format == "yyyy-mm-dd"
    assert isinstance(cell.value.date(), date)
    with client.get("/stats/download/announcement.xlsx") as response:
        announcement = load_workbook(io.BytesIO(response.data)).active
    assert announcement.freeze_panes == "A4"  # title, declaration, then the header


def test_a_formula_in_a_food_name_stays_inert_in_the_labelled_csv(
    dataset, supervisor, login, client
):
    dataset.samples[0].food_name = '=HYPERLINK("http://x")'
    db.session.commit()
    login(supervisor)
    rows = _csv(client.get("/stats/download/samples.csv").data)
    names = [row[rows[0].index("食品名称")] for row in rows[1:]]
    assert '\'=HYPERLINK("http://x")' in names


def test_the_cli_keeps_its_machine_columns_unless_asked(app, dataset, tmp_path):
    machine = tmp_path / "m.csv"
    result = app.test_cli_runner().invoke(
        args=["export", "samples", "--format", "csv", "-o", str(machine)]
    )
    assert result.exit_code == 0, result.output
    text = machine.read_bytes()
    assert not text.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(text.decode("utf-8"))))
    assert rows[0] == exports.SAMPLE_COLUMNS
    assert {r[rows[0].index("conclusion")] for r in rows[1:]} <= {
        "qualified", "unqualified", "inconclusive", ""
    }  # fmt: skip
    for language, first in (("zh", "样品编号"), ("en", "Sample number")):
        human = tmp_path / f"{language}.xlsx"
        result = app.test_cli_runner().invoke(
            args=["export", "samples", "--format", "xlsx", "--labels", language, "-o", str(human)]
        )
        assert result.exit_code == 0, result.output
        sheet = load_workbook(human).active
        assert sheet["A1"].value == first and sheet.freeze_panes == "A2"
