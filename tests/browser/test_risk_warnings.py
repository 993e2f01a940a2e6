"""A supervisor's risk-warning journey in the browser: from the home page's tile to the
warnings page, the dashboards' count stored, an echo's link to the signal that explains it,
and from that signal to the unqualified samples behind it."""

from __future__ import annotations

import importlib.util
import re
import sys
from datetime import date
from pathlib import Path

import pytest

from labsys.models import Role

pytestmark = pytest.mark.browser

TODAY = date(2026, 12, 1)


def _risk_support():
    """tests/risk/risk_support.py (a plain module there, not on this folder's path)."""
    if "risk_support" in sys.modules:
        return sys.modules["risk_support"]
    path = Path(__file__).resolve().parents[1] / "risk" / "risk_support.py"
    spec = importlib.util.spec_from_file_location("risk_support", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["risk_support"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def world(app, make_category, make_user, freeze_clock):
    """海淀's spinach fails a pesticide from September at two supermarkets alike
    (risk_support.plant_district_vegetables, as in tests/risk/test_risk_overlaps)."""
    support = _risk_support()
    freeze_clock(TODAY)
    w = support.build(make_category, make_user)
    support.plant_district_vegetables(w)
    return w


def test_from_the_tile_to_the_samples_behind_a_signal(world, browser_login, make_user, tmp_path):
    page = browser_login(make_user("boss", Role.SUPERVISOR, full_name="主任"))
    page.set_viewport_size({"width": 1366, "height": 900})
    page.click("#overview-risk a")
    page.wait_for_url(lambda url: "/risk/signals" in url)
    page.screenshot(path=str(tmp_path / "warnings.png"), full_page=True)

    # The dashboards' count: not computed yet, then stored from the page.
    with page.expect_navigation():
        page.click("#store-count")
    assert "store-count" not in page.content()
    page.goto("/")
    count = page.locator("#overview-risk .todo-count").get_attribute("data-count")
    assert count and int(count) > 0

    # The district's vegetables are listed first; the supermarkets that sold them are
    # echoes, marked, linking to it.
    page.goto("/risk/signals")
    cards = page.locator(".card.signal")
    veg = int(world.categories["leafy"].path.strip("/").split("/")[0])
    district = f"signal-district_category-110108:{veg}"
    assert cards.first.get_attribute("id") == district
    echo = page.locator(f"#signal-unit-{world.units[2].id}")
    assert "explained" in (echo.get_attribute("class") or "")
    assert "列于解释它的预警之后" in echo.inner_text()
    echo.locator(".explained-by a").first.click()
    # A jump within the page: page.url follows it by an event, so wait for it, not read it.
    page.wait_for_url(re.compile(re.escape(f"#{district}") + "$"))

    # From the district's card to its unqualified samples: 3 a month at each of the two
    # supermarkets in the recent window (October to December; none sampled in December).
    assert "12 / 60" in page.locator(f'[id="{district}"] .evidence').inner_text()
    page.locator(f'[id="{district}"] a.btn').click()
    page.wait_for_url(lambda url: "/samples" in url)
    assert page.locator("#chart-filter").count() == 1
    assert page.locator("#sample-table tbody tr").count() == 12
