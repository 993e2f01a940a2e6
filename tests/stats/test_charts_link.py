"""Charts link to data: a category bar, a district column and a month of the key-food line
open the sample list filtered to the samples behind them; the monthly line leaves a gap for
a month without judged key-food samples; the title keeps clear of the value labels."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from labsys.models import Conclusion, Link, SampleStatus
from labsys.pdf import charts

from stats_support import *  # noqa: F403 - the shared fixtures


def test_a_month_without_data_is_a_gap_in_the_line():
    class Row:
        def __init__(self, name, rate):
            self.name, self.rate = name, rate

    class Result:
        rows = [
            Row("2026-01", Decimal("80")),
            Row("2026-02", Decimal("90")),
            Row("2026-04", Decimal("85")),
        ]  # noqa: E501

    chart = charts.trend_line(Result(), "重点食品合格率（按月）", link=lambda row: f"/x/{row.name}")
    labels = [
        s[3] for s in chart.shapes if s[0] == "text" and s[5] == "middle" and "-" in str(s[3])
    ]
    assert labels == ["2026-01", "2026-02", "2026-03", "2026-04"]  # March kept on the axis
    lines = [s for s in chart.shapes if s[0] == "polyline"]
    assert len(lines) == 1 and len(lines[0][1]) == 2  # Jan-Feb joined; April stands alone
    assert len([s for s in chart.shapes if s[0] == "circle"]) == 3
    svg = str(charts.to_svg(chart))
    assert svg.count('class="chart-link"') == 3 and 'href="/x/2026-04"' in svg
    # The title (12 px at y=16) never meets a value label, even at 100 %.
    full = charts.line_chart([("2026-01", Decimal("100"))], "标题")
    values = [s for s in full.shapes if s[0] == "text" and s[3] == "100"]
    assert values and all(s[2] - (charts.FONT_SIZE - 2) > 16 + 2 for s in values)
    columns = charts.column_chart([("东城区", Decimal("100"))], "标题")
    tops = [s[2] for s in columns.shapes if s[0] == "text" and s[3] == "100"]
    assert all(y - (charts.FONT_SIZE - 2) > 18 for y in tops)


@pytest.mark.browser
def test_clicking_a_bar_opens_the_samples_behind_it(
    browser_page, browser_login, dataset, supervisor, make_sample
):
    sample = make_sample(
        dataset.flour, sampling_date=date(2026, 4, 20), region_code="110101",
        link=Link.RETAIL, conclusion=Conclusion.QUALIFIED,
    )  # fmt: skip
    sample.status = SampleStatus.CONCLUDED
    from labsys.extensions import db

    db.session.commit()
    flour_l1 = dataset.flour.path.strip("/").split("/")[0]
    page = browser_login(supervisor)
    page.goto("/stats/?from=2026-01-01&to=2026-12-31")
    # The key-food line: Jan, Feb, a gap for March, April.
    assert page.locator("svg a.chart-link circle").count() >= 3
    page.locator(f"svg a.chart-link[href*='category=1:{flour_l1}']").first.click()
    page.wait_for_url(re.compile(r"/sampling/samples\?"))
    names = page.eval_on_selector_all(
        "#sample-table tbody tr td:nth-child(3)", "e => e.map(x => x.firstChild.textContent.trim())"
    )
    assert names and set(names) == {"通用小麦粉"}
    assert page.locator("#chart-filter").count() == 1

    page.goto("/stats/?from=2026-01-01&to=2026-12-31")
    page.locator("svg a.chart-link[href*='region_code=110105']").first.click()
    page.wait_for_url(re.compile(r"region_code=110105"))
    names = page.eval_on_selector_all(
        "#sample-table tbody tr td:nth-child(3)", "e => e.map(x => x.firstChild.textContent.trim())"
    )
    assert names and set(names) == {"韭菜"}

    page.goto("/stats/?from=2026-01-01&to=2026-12-31")
    page.locator("svg a.chart-link[href*='date_from=2026-02-01']").first.click()
    page.wait_for_url(re.compile(r"key_foods=1"))
    names = page.eval_on_selector_all(
        "#sample-table tbody tr td:nth-child(3)", "e => e.map(x => x.firstChild.textContent.trim())"
    )
    assert sorted(names) == ["韭菜"] * 3  # February's key-food samples
