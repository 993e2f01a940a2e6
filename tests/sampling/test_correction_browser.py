"""In the browser (issue 13 §3): after receipt a sampler corrects a field and voids a batch;
both wait as requests until a supervisor approves them in the queue."""

from __future__ import annotations

import re

import pytest

from labsys.extensions import db
from labsys.models import Sample, SampleStatus
from labsys.services import receipt, sampling

pytestmark = pytest.mark.browser


def _logout(page):
    page.click("#usermenu")
    page.click("#logout")
    page.wait_for_url("**/login")


def test_correct_a_field_after_receipt_with_approval_and_void_a_batch(
    world, browser_page, browser_login
):
    visit = sampling.create_visit(
        db.session, world.ann, world.visit(), [world.batch(), world.batch(food_name="高筋小麦粉")]
    )
    for sample in visit.samples:
        receipt.receive_sample(db.session, world.tom, sample, arrived_at=None, seal_state="完好")
    db.session.commit()
    first, second = visit.samples
    first_id, second_id = first.id, second.id

    page = browser_login(world.ann)
    page.goto(f"/sampling/samples/{first_id}")
    page.get_by_role("link", name="更正", exact=True).click()
    page.fill("input[name=brand]", "古船")
    page.fill("textarea[name=reason]", "商标抄错，以标签照片为准")
    page.get_by_role("button", name="保存更正").click()
    page.wait_for_url(f"**/sampling/samples/{first_id}")
    assert "经审核人员或主管批准后生效" in page.content()
    assert page.locator(".pending-correction").count() == 1
    assert "五得利" in page.content()  # unchanged until approved

    page.goto(f"/sampling/samples/{second_id}")
    page.locator("#void-panel summary").click()
    page.fill("#void-form textarea[name=reason]", "与第一批重复")
    with page.expect_navigation(url=f"**/sampling/samples/{second_id}"):
        page.click("#void-submit")  # back to the same address
    assert page.locator(".pending-correction").count() == 1
    assert page.locator("#sample-status").inner_text() == SampleStatus.RECEIVED.title

    _logout(page)
    browser_login(world.sue)
    page.goto("/corrections/")
    rows = page.locator("#correction-queue tbody tr")
    assert rows.count() == 2
    for _ in range(2):
        page.goto("/corrections/")
        page.locator("#correction-queue tbody tr a").first.click()
        page.wait_for_url(re.compile(r"/corrections/\d+$"))  # not the list, /corrections/
        with page.expect_navigation(url=re.compile(r"/corrections/\d+$")):
            page.click("#approve")  # back to the same address
        assert "已批准并生效" in page.content()
    page.goto("/corrections/")
    assert "没有待决定的更正申请" in page.content()

    page.goto(f"/sampling/samples/{first_id}")
    assert "古船" in page.content() and "商标抄错" in page.content()  # in the history
    page.goto(f"/sampling/samples/{second_id}")
    assert page.locator("#sample-status").inner_text() == SampleStatus.VOIDED.title
    assert page.locator("#voided-note").is_visible()

    db.session.rollback()  # a fresh snapshot: the server committed meanwhile
    assert db.session.get(Sample, first_id).brand == "古船"
    assert db.session.get(Sample, second_id).status == SampleStatus.VOIDED


def test_a_new_unit_and_producer_are_registered_without_losing_the_typed_batches(
    world, browser_page, browser_login
):
    from sqlalchemy import select

    from labsys.models import Enterprise, SamplingVisit

    page = browser_login(world.ann)
    page.goto("/sampling/visits/new")
    page.fill("input[name=sampling_date]", "2026-11-02")
    page.get_by_label("Bob").check()
    prefix = "input[name=batches-0-"
    page.fill(prefix + "food_name]", "通用小麦粉")
    page.fill(prefix + "category]", f"通用小麦粉 [{world.leaf.code}]")
    page.fill(prefix + "production_date]", "2026-10-01")
    page.fill(prefix + "shelf_life]", "12个月")
    page.fill(prefix + "quantity]", "2")
    page.fill(prefix + "quantity_unit]", "袋")
    page.fill("input[name=sampled_unit]", "新开张的<b>粮油店</b>")

    page.click("#new-unit")
    assert page.locator("#new-enterprise").is_visible()
    assert page.input_value("input[name=new-name]") == "新开张的<b>粮油店</b>"  # as typed
    page.fill("input[name=new-uscc]", "123")  # refused: shown in the dialog, nothing lost
    page.click("#new-enterprise-save")
    page.locator("#new-enterprise-errors").wait_for(state="visible")
    page.fill("input[name=new-uscc]", "")
    page.fill("input[name=new-address]", "北京市朝阳区新路1号")
    page.click("#new-enterprise-save")
    page.locator("#new-enterprise").wait_for(state="hidden")
    unit_label = page.input_value("input[name=sampled_unit]")
    assert unit_label.startswith("新开张的<b>粮油店</b> [#")

    page.focus(prefix + "producer]")
    page.click("#new-producer")
    page.fill("input[name=new-name]", "某新面粉厂")
    page.click("#new-enterprise-save")
    page.locator("#new-enterprise").wait_for(state="hidden")
    assert page.input_value(prefix + "producer]").startswith("某新面粉厂 [#")
    assert page.input_value(prefix + "food_name]") == "通用小麦粉"  # still typed

    page.click("#save-visit")
    page.wait_for_url(re.compile(r"/sampling/visits/\d+$"))  # not .../visits/new
    assert "抽样单已保存" in page.content()
    db.session.rollback()
    unit = db.session.scalars(select(Enterprise).where(Enterprise.name.like("新开张%"))).one()
    visit = db.session.scalars(select(SamplingVisit)).one()
    assert visit.sampled_unit_id == unit.id and visit.samples[0].producer.name == "某新面粉厂"
