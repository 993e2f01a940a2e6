"""In the browser (issue #13): a sampler enters an online (网络抽检) sample with the national
form's fields, attaches the screenshots of the shop, the order and the payment and the
unboxing record, records the parcel's arrival, sees the thumbnails on the sample's page and
prints its 抽样单."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from labsys.extensions import db
from labsys.models import Attachment, Sample

from support import page_until

pytestmark = pytest.mark.browser


def _screenshot(colour) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (390, 844), colour).save(out, "PNG")
    return out.getvalue()


def test_sampler_enters_an_online_sample_with_screenshots_and_prints_its_form(
    world, browser_page, browser_login, app, tmp_path, monkeypatch
):
    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", str(tmp_path / "attachments"))
    page = browser_login(world.ann)
    page.goto("/sampling/visits/new")
    page.fill("input[name=sampled_unit]", f"{world.shop.name} [#{world.shop.id}]")
    page.fill("input[name=sampling_date]", "2026-11-02")
    assert page.locator("#online-fields").is_hidden()  # a retail visit has no order
    page.select_option("select[name=link]", "online")
    assert page.locator("#online-fields").is_visible()
    page.get_by_label("Bob").check()
    page.fill("input[name=organising_authority]", "北京市市场监督管理局")
    page.fill("input[name=task_source]", "2026年北京市网络食品监督抽检")
    for name, value in {
        "online_platform": "京选商城",
        "online_shop": "五得利官方旗舰店",
        "online_shop_url": "https://shop.example.com/wdl",
        "online_order_no": "2026110212345678",
        "online_buyer_account": "bjsj_buyer01",
        "online_payment_account": "单位公务卡 6222****1234",
        "online_payment_amount": "51.00",
        "delivery_address": "北京市西城区检验中心收样室",
    }.items():
        page.fill(f"input[name={name}]", value)
    prefix = "batches-0-"
    for name, value in {
        "food_name": "通用小麦粉",
        "category": f"通用小麦粉 [{world.leaf.code}]",
        "production_date": "2026-10-01",
        "shelf_life": "12个月",
        "quantity": "2",
        "quantity_unit": "袋",
        "backup_quantity": "1",
        "product_standard": "gb/t 1355-2021",
        "licence_no": "SC10111010500017",
        "unit_price": "17.00",
        "purchase_cost": "51.00",
    }.items():
        page.fill(f"input[name={prefix}{name}]", value)
    page.select_option(f"select[name={prefix}sample_source]", "purchased")
    page.select_option(f"select[name={prefix}packaging]", "prepackaged")
    page.select_option(f"select[name={prefix}storage_conditions]", ["ambient", "dark"])
    page.select_option(f"select[name={prefix}sampling_method]", "non_aseptic")
    page.click("#save-visit")
    page.wait_for_url(re.compile(r"/sampling/visits/\d+$"))  # not .../visits/new
    assert "2026110212345678" in page.locator("#online-order-no").inner_text()
    assert "尚未到达" in page.locator("#parcel-arrival").inner_text()  # no clock yet
    assert "网店页面截图" in page.locator("#missing-evidence").inner_text()

    # The screenshots and the unboxing photo, attached to the visit.
    upload = page.locator("#visit-attachments form.attachment-upload")
    for kind, colour in (
        ("online_shop", (200, 0, 0)),
        ("online_order", (0, 200, 0)),
        ("online_payment", (0, 0, 200)),
        ("unboxing", (90, 90, 90)),
    ):
        upload.locator("select[name=kind]").select_option(kind)
        upload.locator("input[name=file]").set_input_files(
            {"name": f"{kind}.png", "mimeType": "image/png", "buffer": _screenshot(colour)}
        )
        with page.expect_navigation():
            upload.locator("button[type=submit]").click()
        assert "已附加" in page.content()
        upload = page.locator("#visit-attachments form.attachment-upload")
    assert page.locator("#missing-evidence").count() == 0
    assert page.locator("#visit-attachments figure.attachment").count() == 4

    page.fill("#parcel-form input[name=parcel_arrival_date]", "2026-11-05")
    page.fill("#parcel-form textarea[name=unboxing_record]", "外包装完好，样品无破损")
    with page.expect_navigation():
        page.locator("#parcel-form button[type=submit]").click()
    assert "2026-11-05" in page.locator("#parcel-arrival").inner_text()

    # The sample's page: the fields, the visit's thumbnails, the printed form.
    page.locator("#visit-samples .sample-no a").first.click()
    page.wait_for_url("**/sampling/samples/*")
    assert page.locator("#product-standard").inner_text() == "GB/T 1355-2021"
    assert page.locator("#licence-no").inner_text() == "SC10111010500017"
    thumbs = page.locator("#visit-attachments img")
    assert thumbs.count() == 4
    # The thumbnails load lazily: bring them into view, then wait until every one has decoded
    # (a broken or refused image never gets a natural width, so this still fails on one).
    page.locator("#visit-attachments").scroll_into_view_if_needed()
    page_until(
        page,
        """() => [...document.querySelectorAll('#visit-attachments img')]
                 .every((img) => img.complete && img.naturalWidth > 0)""",
    )
    href = page.locator("#sample-form-pdf").get_attribute("href")
    response = page.request.get(href)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    for expected in ("食品安全抽样检验抽样单", "GB/T 1355-2021", "SC10111010500017",
                     "2026110212345678", "五得利官方旗舰店", "2026-11-05", "常温、避光"):  # fmt: skip
        assert expected in text, expected

    db.session.rollback()  # the server committed meanwhile
    sample = db.session.scalars(select(Sample)).one()
    assert sample.due_delivery == date(2026, 11, 12)  # 5 working days from the arrival
    kinds = set(db.session.scalars(select(Attachment.kind)))
    assert kinds == {"online_shop", "online_order", "online_payment", "unboxing"}
