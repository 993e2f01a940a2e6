"""Issue #13's "done when", as one journey in the browser: a sampler enters an online
(网络抽检) sample with a screenshot and the national fields and prints its 抽样单; the lab
receives it; after receipt a NEW national field (the SC licence) is corrected with a
supervisor's approval and a batch is voided; a technician records a result with its
method, instrument and raw data file; the sample page, the report (preview) and the
samples CSV show the new fields."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import pytest
from PIL import Image
from pypdf import PdfReader

from labsys.extensions import db
from labsys.models import BenchRecord, Role, Sample, SampleStatus, SamplingVisit
from labsys.services import bench, instruments, receipt
from labsys.services import results as results_svc

from support import signed

pytestmark = pytest.mark.browser
RAW = b"sample,absorbance\r\nA,0.0512\r\n"
SECOND_METHOD = "GB 5009.12-2023 第二法"


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (200, 300), (0, 160, 0)).save(out, "PNG")
    return out.getvalue()


def _pdf_text(page, href: str) -> str:
    response = page.request.get(href)
    assert response.ok and response.headers["content-type"] == "application/pdf", href
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)


def _switch(page, browser_login, user):
    # Leave the page first: its lazy thumbnail, requested after the load without the cleared
    # cookie, was sent to the login page, whose new session (and CSRF token) could land
    # after the login form's and fail its post (400).
    page.goto("about:blank")
    page.context.clear_cookies()
    return browser_login(user)


def test_an_online_sample_from_the_field_to_the_report_and_the_export(
    world, browser_page, browser_login, app, tmp_path, monkeypatch, make_user
):
    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", str(tmp_path / "attachments"))
    rita = make_user("rita", Role.REVIEWER, full_name="Rita Reviewer")
    aas = instruments.create_instrument(
        db.session, world.sue, name="原子吸收分光光度计", asset_no="LAB-AAS-01",
        calibration_due=date(2027, 3, 31),
    )  # fmt: skip
    instruments.add_method(db.session, world.sue, world.lead, SECOND_METHOD)
    db.session.commit()
    aas_id = aas.id
    db.session.rollback()  # the server writes; the test holds no transaction meanwhile

    # 1. The sampler's online form, two batches, a screenshot of the order.
    page = browser_login(world.ann)
    page.goto("/sampling/visits/new")
    page.fill("input[name=sampled_unit]", f"{world.shop.name} [#{world.shop.id}]")
    page.fill("input[name=sampling_date]", "2026-11-02")
    page.select_option("select[name=link]", "online")
    page.get_by_label("Bob").check()
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
    for index, food in enumerate(("通用小麦粉", "高筋小麦粉")):
        prefix = f"batches-{index}-"
        for name, value in {
            "food_name": food,
            "category": f"通用小麦粉 [{world.leaf.code}]",
            "production_date": "2026-10-01",
            "quantity": "2",
            "quantity_unit": "袋",
            "licence_no": "SC10111010500017",
        }.items():
            page.fill(f"input[name={prefix}{name}]", value)
        page.select_option(f"select[name={prefix}storage_conditions]", ["ambient", "dark"])
    page.click("#save-visit")
    page.wait_for_url(re.compile(r"/sampling/visits/\d+$"))  # not .../visits/new
    visit_url = page.url
    upload = page.locator("#visit-attachments form.attachment-upload")
    upload.locator("select[name=kind]").select_option("online_order")
    upload.locator("input[name=file]").set_input_files(
        {"name": "order.png", "mimeType": "image/png", "buffer": _png()}
    )
    with page.expect_navigation():
        upload.locator("button[type=submit]").click()
    assert page.locator("#visit-attachments figure.attachment").count() == 1
    page.fill("#parcel-form input[name=parcel_arrival_date]", "2026-11-05")
    page.fill("#parcel-form textarea[name=unboxing_record]", "外包装完好，样品无破损")
    with page.expect_navigation():
        page.locator("#parcel-form button[type=submit]").click()
    assert "2026-11-05" in page.locator("#parcel-arrival").inner_text()
    assert page.locator("#parcel-form").count() == 0  # recorded once; later a correction
    form = _pdf_text(page, page.locator("#visit-form-pdf").get_attribute("href"))
    assert "检验类别：监督抽检" in form and "SC10111010500017" in form
    assert "作废" not in form

    # 2. The lab receives both batches.
    db.session.rollback()  # a fresh snapshot: the server committed meanwhile
    visit = db.session.scalars(db.select(SamplingVisit)).one()
    first, second = visit.samples
    for sample in (first, second):
        receipt.receive_sample(
            db.session, world.tom, sample, arrived_at=datetime(2026, 11, 6, 2, tzinfo=UTC),
            seal_state="完好",
        )  # fmt: skip
    db.session.commit()
    first_id, second_id, first_no, second_no = (
        first.id,
        second.id,
        first.sample_no,
        second.sample_no,
    )
    db.session.rollback()

    # 3. After receipt: the SC licence corrected, the second batch voided; both approved.
    page.goto(f"/sampling/samples/{first_id}")
    page.get_by_role("link", name="更正", exact=True).click()
    page.fill("input[name=licence_no]", "SC20111010500016")
    page.fill("textarea[name=reason]", "许可证编号抄错，以标签照片为准")
    page.get_by_role("button", name="保存更正").click()
    page.wait_for_url(f"**/sampling/samples/{first_id}")
    assert page.locator(".pending-correction").count() == 1
    page.goto(f"/sampling/samples/{second_id}")
    page.locator("#void-panel summary").click()
    page.fill("#void-form textarea[name=reason]", "与第一批重复")
    with page.expect_navigation(url=f"**/sampling/samples/{second_id}"):
        page.click("#void-submit")  # back to the same address
    _switch(page, browser_login, world.sue)
    for _ in range(2):
        page.goto("/corrections/")
        page.locator("#correction-queue tbody tr a").first.click()
        page.wait_for_url(re.compile(r"/corrections/\d+$"))  # not the list, /corrections/
        with page.expect_navigation(url=re.compile(r"/corrections/\d+$")):
            page.click("#approve")  # back to the same address
        assert "已批准并生效" in page.content()
    forms = _pdf_text(page, visit_url + "/forms.pdf")
    assert forms.count("作废") >= 1 and "SC20111010500016" in forms

    # 4. The technician records lead with the second method, the instrument and its raw file.
    db.session.rollback()
    lead, cadmium = sorted(db.session.get(Sample, first_id).results, key=lambda r: r.seq)
    lead_id = lead.id
    db.session.rollback()
    _switch(page, browser_login, world.tom)
    page.goto(f"/lab/results/{lead_id}/record")
    page.fill("input[name=measured]", "0.05")
    page.fill("input[name=started_on]", "2026-11-09")
    page.fill("input[name=ended_on]", "2026-11-10")
    page.select_option("select[name=method]", SECOND_METHOD)
    page.select_option("select[name=instrument]", value=str(aas_id))
    page.set_input_files(
        "input[name=raw_file]",
        files=[{"name": "aas-run.csv", "mimeType": "text/csv", "buffer": RAW}],
    )
    page.click("#record-save")
    page.wait_for_selector("#bench-record")
    assert "LAB-AAS-01" in page.inner_text("#bench-record")
    assert "aas-run.csv" in page.inner_text("#raw-files")

    # The other item, its review and the conclusion through the services (tested elsewhere).
    db.session.rollback()
    lead, cadmium = sorted(db.session.get(Sample, first_id).results, key=lambda r: r.seq)
    bench.record_result(
        db.session, world.tom, cadmium, measured_text="0.02", expected_version=cadmium.version_id,
        details=bench.BenchDetails(date(2026, 11, 9), date(2026, 11, 11), cadmium.method_standard),
    )  # fmt: skip
    results_svc.submit_results(db.session, world.tom, [lead, cadmium])
    results_svc.accept_results(db.session, rita, [lead, cadmium], signature=signed(rita))
    db.session.commit()
    assert db.session.get(Sample, first_id).status == SampleStatus.CONCLUDED
    assert db.session.get(BenchRecord, lead_id).instrument_id == aas_id
    db.session.rollback()

    # 5. What the supervisor sees: the sample page, the report, the samples CSV.
    _switch(page, browser_login, world.sue)
    page.goto(f"/sampling/samples/{first_id}")
    assert page.locator("#licence-no").inner_text() == "SC20111010500016"
    assert page.locator("#sample-online-buyer").inner_text() == "bjsj_buyer01"
    assert "外包装完好" in page.locator("#sample-unboxing-record").inner_text()
    assert page.locator("#visit-attachments figure.attachment").count() == 1
    page.click("#sample-visit-link")
    page.wait_for_url(visit_url)
    report = _pdf_text(page, f"/reports/preview/{first_id}.pdf")
    flat = "".join(report.split())
    assert "2026-11-09至2026-11-11" in flat  # 检验日期 from the bench records
    assert "第二法" in flat  # the method actually used
    response = page.request.get("/stats/download/samples.csv")
    assert response.ok
    csv_text = response.body().decode("utf-8-sig")
    assert "拆封查验记录" in csv_text and "外包装完好，样品无破损" in csv_text
    assert "SC20111010500016" in csv_text and "常温、避光" in csv_text
    assert "bjsj_buyer01" in csv_text
    assert first_no in csv_text and second_no not in csv_text  # the voided batch left
