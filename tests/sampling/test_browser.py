"""In the browser: a sampler enters a visit with three batches, a technician receives them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from labsys.extensions import db
from labsys.models import Sample, SampleResult, SampleStatus

pytestmark = pytest.mark.browser


def test_sampler_enters_three_batches_and_technician_receives_them(
    world, browser_page, browser_login
):
    page = browser_login(world.ann)
    page.goto("/sampling/visits/new")
    page.fill("input[name=sampled_unit]", f"{world.shop.name} [#{world.shop.id}]")
    page.fill("input[name=sampling_date]", "2026-11-02")
    page.fill("input[name=place]", "朝阳区测试路1号")
    page.get_by_label("Bob").check()
    foods = ["通用小麦粉", "高筋小麦粉", "低筋小麦粉"]
    for row, food in enumerate(foods):
        prefix = f"input[name=batches-{row}-"
        page.fill(prefix + "food_name]", food)
        page.fill(prefix + "category]", f"通用小麦粉 [{world.leaf.code}]")
        page.fill(prefix + "production_date]", "2026-10-01")
        page.fill(prefix + "shelf_life]", "12个月")
        page.fill(prefix + "quantity]", "2")
        page.fill(prefix + "quantity_unit]", "袋")
        page.fill(prefix + "backup_quantity]", "1")
    # Keyboard: Enter in the last row adds a row (and does not submit the form).
    page.press("input[name=batches-4-remarks]", "Enter")
    assert page.locator("tr.batch-row").count() == 6
    assert page.evaluate("document.activeElement.name") == "batches-5-food_name"
    page.click("#save-visit")
    page.wait_for_url(re.compile(r"/sampling/visits/\d+$"))  # not .../visits/new
    assert "抽样单已保存：共 3 个样品" in page.content()
    numbers = page.locator("#visit-samples .sample-no").all_inner_texts()
    assert len(numbers) == 3 and all(n.startswith("SC2026110105") for n in numbers)

    page.click("#usermenu")
    page.click("#logout")
    page.wait_for_url("**/login")
    browser_login(world.tom)
    for number in numbers:
        page.goto("/lab/receipt/")
        page.fill("#no", number)
        page.press("#no", "Enter")  # what a barcode scanner does
        page.wait_for_url("**/lab/receipt/samples/*")
        page.click("#accept-sample")
        page.wait_for_url("**/lab/receipt/")
        assert f"样品 {number} 已接收：待检 2 个检验项目。" in page.content()
    assert page.locator("#received-today tbody tr").count() == 3

    page.locator("#received-today a", has_text=numbers[0]).click()
    # The sample's page loaded, not only committed: its result rows come after the status.
    page.wait_for_url("**/sampling/samples/*")
    assert page.locator("#sample-status").inner_text() == SampleStatus.RECEIVED.title
    assert page.locator("#result-rows tbody tr").count() == 2

    db.session.rollback()  # a fresh snapshot: the server committed meanwhile
    samples = list(db.session.scalars(select(Sample).where(Sample.sample_no.in_(numbers))))
    assert {s.status for s in samples} == {SampleStatus.RECEIVED}
    assert db.session.query(SampleResult).count() == 6
