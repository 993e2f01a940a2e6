"""The statistics pages: summary with charts, drill-down tables, downloads, roles."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from pypdf import PdfReader

from labsys.models import Link, Role

from stats_support import *  # noqa: F403 - the shared fixtures


def page(client, path, **query):
    response = client.get(path, query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def test_summary_shows_key_food_indicator_and_three_charts(dataset, supervisor, login, client):
    login(supervisor)
    html = page(client, "/stats/")
    assert 'id="key-food-rate">71.43%' in html
    assert 'id="total-rate">77.78%' in html
    assert html.count("<svg") == 3
    assert "小麦粉" in html and "东城区" in html
    assert "2026-01" in html  # the monthly trend


def test_summary_filters_by_date(dataset, supervisor, login, client):
    login(supervisor)
    html = page(client, "/stats/", **{"from": "2026-02-01", "to": "2026-02-28"})
    assert 'id="key-food-rate">66.67%' in html


def test_bad_filter_is_reported_and_ignored(dataset, supervisor, login, client):
    login(supervisor)
    html = page(client, "/stats/", **{"from": "soon"})
    assert "soon" in html and 'id="total-rate">77.78%' in html


def test_drill_down_from_level_1_to_level_4(dataset, supervisor, login, client):
    login(supervisor)
    html = page(client, "/stats/table", by="category", level=1)
    grain, wheat, wheat3, _leaf = dataset.flour.ancestor_ids
    link = f"/stats/table?by=category&amp;level=2&amp;parent={grain}"
    assert link in html and "75.00%" in html
    html = page(client, "/stats/table", by="category", level=2, parent=grain)
    assert f"level=3&amp;parent={wheat}" in html
    assert "乳制品" not in html.split('id="stats-table"')[1]
    html = page(client, "/stats/table", by="category", level=3, parent=wheat)
    html = page(client, "/stats/table", by="category", level=4, parent=wheat3)
    table = html.split('id="stats-table"')[1]
    assert "通用小麦粉" in table and "75.00%" in table
    assert "粮食加工品" in html.split('id="drill-trail"')[1]  # the breadcrumb


def test_every_grouping_has_a_table(dataset, supervisor, login, client):
    login(supervisor)
    for by, expected in [
        ("district", "朝阳区"),
        ("link", Link.CATERING.title),
        ("month", "2026-04"),
        ("quarter", "2026-Q2"),
        ("year", "2026"),
        ("lab", "第二检验所"),
        ("sampler", "王抽样"),
    ]:
        assert expected in page(client, "/stats/table", by=by), by
    assert "小麦粉" in page(client, "/stats/table", key_foods=1)


def test_downloads(dataset, supervisor, login, client):
    login(supervisor)
    response = client.get("/stats/download/samples.csv", query_string={"from": "2026-02-01"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 6  # February and April samples
    with client.get("/stats/download/samples.xlsx") as response:  # closes the spooled file
        assert response.status_code == 200
        data = response.data
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    assert len(list(workbook.active.iter_rows())) == 1 + 12
    workbook.close()
    with client.get("/stats/download/announcement.xlsx") as response:
        assert response.status_code == 200 and response.data[:2] == b"PK"
    response = client.get("/stats/download/compliance.pdf")
    assert response.mimetype == "application/pdf"
    assert "合格率统计报告" in PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert client.get("/stats/download/compliance.csv").status_code == 404


def test_pages_are_for_supervisors_only(dataset, make_user, login, client):
    """Issue 18 §1: an admin-only account administers; it does not reach the pass rates
    unless it also holds the supervisor role."""
    login(make_user("root", Role.ADMIN))
    assert client.get("/stats/").status_code == 403
    assert client.get("/stats/download/samples.csv").status_code == 403
    login(make_user("rootsup", Role.ADMIN, Role.SUPERVISOR))
    assert client.get("/stats/").status_code == 200
    login(make_user("tech", Role.TECHNICIAN))
    assert client.get("/stats/").status_code == 403
    assert client.get("/stats/download/samples.csv").status_code == 403
