"""Browser journey: a supervisor drills from 大类 to 细类, downloads XLSX, opens the board."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from labsys.extensions import db

from stats_support import *  # noqa: F403 - the shared fixtures


@pytest.mark.browser
def test_supervisor_drills_down_exports_and_opens_the_board(dataset, supervisor, browser_login):
    dataset.samples[3].due_unqualified_report = date(2020, 1, 2)  # long overdue
    overdue_no = dataset.samples[3].sample_no
    db.session.commit()
    page = browser_login(supervisor)

    page.click("#nav-reports")  # the supervisor's menu is grouped
    page.click("#mainnav .dropdown-menu.show >> text=合格率统计")
    assert page.inner_text("#key-food-rate") == "71.43%"
    page.click("text=明细表与逐级查看")
    for level, name in enumerate(("粮食加工品", "小麦粉", "小麦粉"), start=2):
        page.click(f"#stats-table a:text-is('{name}')")  # 大类 → 亚类 → 次亚类 → 细类
        # Each level's page loaded, not only committed: its table parsed to the end, and
        # the menus' script run before the menu below is opened.
        page.wait_for_url(re.compile(rf"[?&]level={level}(&|$)"))
    table = page.inner_text("#stats-table")
    assert "通用小麦粉" in table and "75.00%" in table
    assert "粮食加工品" in page.inner_text("#drill-trail")

    with page.expect_download() as download_info:
        page.click("#download-xlsx")
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as saved:
        workbook = load_workbook(io.BytesIO(saved.read()), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    workbook.close()
    assert rows[0][0] == "样品编号" and len(rows) == 1 + 12  # headers for people

    page.click("#nav-followup")
    page.click("#mainnav .dropdown-menu.show >> text=时限看板")
    page.wait_for_url("**/followup/board")
    board = page.inner_text("#deadline-board")
    assert overdue_no in board and "已逾期" in board
