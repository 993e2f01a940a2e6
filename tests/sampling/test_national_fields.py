"""The national form's fields (issue #13 §1): per batch and per visit, validated and
normalised by the service, kept in the audit trail, correctable like the others; online
sampling (网络抽检) with its order and a delivery clock that starts on the parcel's arrival."""

from __future__ import annotations

import io
import json
import re
from datetime import date

import pytest

from labsys.extensions import db
from labsys.models import AuditEntry, Link, SampleStatus
from labsys.models import Sample as SampleModel
from labsys.services import PermissionDenied, ServiceError, sampling
from labsys.services.sampling import ValidationErrors

SAMPLING_DAY = date(2026, 11, 2)  # a Monday

NATIONAL = {
    "product_standard": "gb／t1355—2021",
    "quality_grade": "一级",
    "licence_no": "sc 1011 1010 5000 17",
    "sample_source": "purchased",
    "sample_attribute": "ordinary",
    "physical_state": "solid",
    "packaging": "prepackaged",
    "storage_conditions": ["dark", "ambient"],
    "sampling_method": "non_aseptic",
    "unit_price": "25.50",
    "purchase_cost": "￥51",
    "purchase_date": None,
    "supplier": "",
    "seal_checker": "王店长",
}
ONLINE = {
    "link": "online",
    "online_platform": "某电商平台",
    "online_shop": "五得利官方旗舰店",
    "online_shop_url": "https://shop.example.com/store/123",
    "online_order_no": "2026110212345678",
    "online_buyer_account": "labsys_buyer01",
    "online_payment_account": "对公账户 6222****1234",
    "online_payment_amount": "51.00",
    "delivery_address": "北京市西城区检验中心收样室",
}


def _errors(world, batch=None, **visit) -> dict:
    with pytest.raises(ValidationErrors) as caught:
        sampling.create_visit(db.session, world.ann, world.visit(**visit), [batch or world.batch()])
    db.session.rollback()
    return dict(caught.value.errors)


def test_the_national_fields_are_saved_normalised(world):
    visit = sampling.create_visit(
        db.session,
        world.ann,
        world.visit(sampling_basis="《食品安全抽样检验管理办法》", organising_authority="北京市市场监督管理局",
                    task_source=""),
        [world.batch(**NATIONAL)],
    )  # fmt: skip
    db.session.commit()
    sample = visit.samples[0]
    assert sample.product_standard == "GB/T 1355-2021"
    assert sample.licence_no == "SC10111010500017"
    assert (sample.sample_source.value, sample.packaging.value) == ("purchased", "prepackaged")
    assert sample.storage_conditions == "ambient,dark"  # the list's order, not the click order
    assert sampling.storage_titles(sample.storage_conditions) == "常温、避光"
    assert (sample.unit_price, sample.purchase_cost) == ("25.50", "51")
    assert sample.seal_checker == "王店长"
    assert visit.organising_authority == "北京市市场监督管理局"
    # The audit trail keeps every field the sampler entered.
    entry = db.session.scalars(
        db.select(AuditEntry).where(
            AuditEntry.entity == "sample", AuditEntry.entity_id == str(sample.id)
        )
    ).one()
    recorded = json.loads(entry.new_values)
    assert recorded["licence_no"] == "SC10111010500017"
    assert recorded["storage_conditions"] == "ambient,dark"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("product_standard", "GB 2760", "不是标准编号"),
        ("product_standard", "GB 2760-2024、国标1355", "国标1355"),
        ("product_standard", "GB 2760-2030", "年份不可能"),
        ("licence_no", "QS110101010001", "2018-10-01"),
        ("licence_no", "SC1011101050001", "SC 加 14 位数字"),
        ("sample_source", "stolen", "从列表中选择"),
        ("storage_conditions", ["ambient", "<script>"], "储存条件"),
        ("unit_price", "-3", "金额"),
        ("purchase_cost", "1.005", "两位小数"),
        ("purchase_date", date(2026, 11, 3), "晚于抽样日期"),
    ],
)
def test_each_field_is_validated(world, field, value, message):
    errors = _errors(world, world.batch(**{field: value}))
    key = f"batches-0-{field}"
    assert key in errors, errors
    assert message in errors[key] or message in key


def test_the_visit_names_its_basis_and_source_and_defaults_the_source_to_the_plan(world):
    too_long = _errors(world, organising_authority="局" * 201)
    assert "organising_authority" in too_long


def test_an_online_visit_records_its_order(world):
    errors = _errors(world, link="online")
    assert {"online_platform", "online_shop", "online_order_no", "online_buyer_account",
            "online_payment_account", "delivery_address"} <= set(errors)  # fmt: skip
    bad = _errors(world, **{**ONLINE, "online_shop_url": "javascript:alert(1)"})
    assert set(bad) == {"online_shop_url"}
    # An order on a retail visit is a mistake, said so.
    retail = _errors(world, online_order_no="123", link="retail")
    assert "online_order_no" in retail


def test_the_delivery_clock_of_an_online_sample_starts_when_the_parcel_arrives(world):
    visit = sampling.create_visit(db.session, world.ann, world.visit(**ONLINE), [world.batch()])
    db.session.commit()
    sample = visit.samples[0]
    assert visit.link == Link.ONLINE and sample.due_delivery is None  # on its way: no clock
    with pytest.raises(ServiceError, match="早于下单"):
        sampling.record_parcel_arrival(db.session, world.ann, visit, arrived_on=date(2026, 11, 1))
    with pytest.raises(PermissionDenied):
        sampling.record_parcel_arrival(db.session, world.eve, visit, arrived_on=SAMPLING_DAY)
    sampling.record_parcel_arrival(
        db.session,
        world.bob,
        visit,
        arrived_on=date(2026, 11, 5),  # Thursday
        unboxing_record="外包装完好，样品包装无破损，常温运输",
    )
    db.session.commit()
    assert visit.parcel_arrival_date == date(2026, 11, 5)
    # 5 working days from Thursday 5 Nov, not from the order on Monday 2 Nov.
    assert sample.due_delivery == date(2026, 11, 12)
    assert sample.status == SampleStatus.REGISTERED
    entry = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.action == "parcel_arrived")
    ).one()
    assert json.loads(entry.new_values)["due_delivery"] == "2026-11-12"


def test_a_parcel_date_given_on_the_form_starts_the_clock_at_once(world):
    visit = sampling.create_visit(
        db.session,
        world.ann,
        world.visit(**ONLINE, parcel_arrival_date=date(2026, 11, 4)),
        [world.batch()],
    )
    assert visit.samples[0].due_delivery == date(2026, 11, 11)
    assert _errors(world, parcel_arrival_date=date(2026, 11, 4)) == {
        "parcel_arrival_date": "只有网络抽样的样品以包裹送达。"
    }


def test_the_parcel_is_recorded_once_on_a_live_form_before_receipt(world):
    """Afterwards only a correction of the form (reason, approval after receipt) moves it."""
    from labsys.services import corrections, receipt

    recorded = sampling.create_visit(
        db.session, world.ann, world.visit(**ONLINE, parcel_arrival_date=date(2026, 11, 4)),
        [world.batch()],
    )  # fmt: skip
    received = sampling.create_visit(
        db.session, world.ann, world.visit(**ONLINE), [world.batch(), world.batch(food_name="b")]
    )
    voided = sampling.create_visit(db.session, world.ann, world.visit(**ONLINE), [world.batch()])
    db.session.commit()
    receipt.receive_sample(
        db.session, world.tom, received.samples[0], arrived_at=None, seal_state="完好"
    )
    corrections.void_visit(
        db.session, world.ann, voided, reason="重复录入", expected_version=voided.version_id
    )
    db.session.commit()
    cases = {recorded: "已记录", received: "已有批次送达实验室", voided: "已作废"}
    for visit, message in cases.items():
        before = (visit.parcel_arrival_date, visit.unboxing_record)
        dues = [s.due_delivery for s in visit.samples]
        with pytest.raises(ServiceError, match=message):
            sampling.record_parcel_arrival(
                db.session, world.sue, visit, arrived_on=date(2026, 11, 6), unboxing_record="改"
            )
        db.session.rollback()
        assert (visit.parcel_arrival_date, visit.unboxing_record) == before
        assert [s.due_delivery for s in visit.samples] == dues
        assert sampling.parcel_refusal(visit)


def test_the_visit_page_offers_the_parcel_form_only_while_it_may_be_used(world, client, login,
                                                                          post):  # fmt: skip
    waiting = sampling.create_visit(db.session, world.ann, world.visit(**ONLINE), [world.batch()])
    recorded = sampling.create_visit(
        db.session, world.ann, world.visit(**ONLINE, parcel_arrival_date=date(2026, 11, 4)),
        [world.batch()],
    )  # fmt: skip
    db.session.commit()
    login(world.ann)
    page = client.get(f"/sampling/visits/{waiting.id}").get_data(as_text=True)
    assert 'id="parcel-form"' in page
    page = client.get(f"/sampling/visits/{recorded.id}").get_data(as_text=True)
    assert 'id="parcel-form"' not in page
    url = f"/sampling/visits/{recorded.id}"
    response = post(
        f"{url}/parcel",
        {"parcel_arrival_date": "2026-11-06", "unboxing_record": "改"},
        token_from=f"/sampling/visits/{waiting.id}",
        follow_redirects=True,
    )
    assert "已记录" in response.get_data(as_text=True)
    db.session.expire_all()
    visit = db.session.get(type(recorded), recorded.id)
    assert visit.parcel_arrival_date == date(2026, 11, 4) and visit.unboxing_record is None


def test_a_retail_visit_has_no_parcel(world):
    visit = sampling.create_visit(db.session, world.ann, world.visit(), [world.batch()])
    with pytest.raises(ServiceError):
        sampling.record_parcel_arrival(db.session, world.ann, visit, arrived_on=SAMPLING_DAY)
    assert visit.samples[0].due_delivery == date(2026, 11, 9)


def _correct(world, visit, **changes):
    from labsys.services import corrections

    corrections.correct_visit(
        db.session, world.ann, visit, changes=changes, reason="", expected_version=visit.version_id
    )
    db.session.commit()


def test_a_corrected_parcel_date_moves_the_delivery_clock(world):
    visit = sampling.create_visit(
        db.session,
        world.ann,
        world.visit(**ONLINE, parcel_arrival_date=date(2026, 11, 4)),
        [world.batch()],
    )
    db.session.commit()
    sample = visit.samples[0]
    assert sample.due_delivery == date(2026, 11, 11)
    _correct(world, visit, parcel_arrival_date=date(2026, 11, 5))
    assert sample.due_delivery == date(2026, 11, 12)  # 5 working days from Thursday 5 Nov


def test_a_corrected_sampling_date_of_an_online_visit_starts_no_clock(world):
    visit = sampling.create_visit(db.session, world.ann, world.visit(**ONLINE), [world.batch()])
    db.session.commit()
    sample = visit.samples[0]
    _correct(world, visit, sampling_date=date(2026, 10, 30))
    assert sample.due_delivery is None  # the parcel is still on its way


def test_a_retail_visit_corrected_to_online_waits_for_its_parcel(world):
    visit = sampling.create_visit(db.session, world.ann, world.visit(), [world.batch()])
    db.session.commit()
    sample = visit.samples[0]
    assert sample.due_delivery == date(2026, 11, 9)
    _correct(world, visit, **ONLINE)
    assert sample.due_delivery is None
    _correct(world, visit, link="retail", **{k: "" for k in ONLINE if k != "link"})
    assert sample.due_delivery == date(2026, 11, 9)  # and back: the retail clock again


def test_a_corrected_sampling_date_keeps_the_setting_and_the_extension(world, app, monkeypatch):
    monkeypatch.setitem(app.config, "DELIVERY_WORKDAYS", 7)
    visit = sampling.create_visit(
        db.session, world.ann, world.visit(), [world.batch(), world.batch(food_name="b2")]
    )
    db.session.commit()
    extended, plain = visit.samples
    assert plain.due_delivery == date(2026, 11, 11)  # 7 working days from Monday 2 Nov
    sampling.extend_delivery(db.session, world.sue, extended, workdays=2, reason="监管部门同意")
    db.session.commit()
    assert extended.due_delivery == date(2026, 11, 13)
    _correct(world, visit, sampling_date=date(2026, 11, 3))
    assert plain.due_delivery == date(2026, 11, 12)
    assert extended.due_delivery == date(2026, 11, 16)  # 7 + the approved 2


def test_the_new_fields_are_edited_and_corrected_like_the_others(world):
    visit = sampling.create_visit(db.session, world.ann, world.visit(), [world.batch()])
    db.session.commit()
    sample = visit.samples[0]
    sampling.update_sample(
        db.session, world.ann, sample, sample.version_id, licence_no="SC20111010500016",
        storage_conditions=["frozen"],
    )  # fmt: skip
    db.session.commit()
    assert (sample.licence_no, sample.storage_conditions) == ("SC20111010500016", "frozen")
    with pytest.raises(ValidationErrors) as caught:
        sampling.update_sample(
            db.session, world.ann, sample, sample.version_id, licence_no="QS110101010001"
        )
    assert "licence_no" in dict(caught.value.errors)
    db.session.rollback()
    assert db.session.get(type(sample), sample.id).licence_no == "SC20111010500016"


# --- export, report, printed forms ---------------------------------------------------------


def _online_sample(world, **batch):
    visit = sampling.create_visit(
        db.session,
        world.ann,
        world.visit(**ONLINE, task_source="2026年北京市食品安全监督抽检", sampling_basis="抽样细则",
                    parcel_arrival_date=date(2026, 11, 4)),
        [world.batch(**{**NATIONAL, **batch})],
    )  # fmt: skip
    db.session.commit()
    return visit.samples[0]


def test_the_samples_export_has_a_machine_column_for_each_field(world):
    from labsys.services import exports

    sample = _online_sample(
        world, supplier='=HYPERLINK("http://x")', purchase_date=date(2026, 10, 30),
        sample_attribute="seasonal", physical_state="semi_solid",
    )  # fmt: skip
    sample.visit.unboxing_record = "外包装完好，样品无破损"
    sample.visit.organising_authority = "北京市市场监督管理局"
    db.session.commit()
    header, rows = exports.export_table(db.session, "samples")
    row = dict(zip(header, next(rows), strict=True))
    assert row["sample_no"] == sample.sample_no
    national = {k: row[k] for k in exports.NATIONAL_SAMPLE_COLUMNS + exports.NATIONAL_VISIT_COLUMNS}
    assert national == {
        "product_standard": "GB/T 1355-2021",
        "quality_grade": "一级",
        "licence_no": "SC10111010500017",
        "sample_source": "purchased",
        "sample_attribute": "seasonal",
        "physical_state": "semi_solid",
        "packaging": "prepackaged",
        "storage_conditions": "ambient,dark",
        "sampling_method": "non_aseptic",
        "oil_process": "",
        "unit_price": "25.50",
        "purchase_cost": "51",
        "purchase_date": "2026-10-30",
        "supplier": '=HYPERLINK("http://x")',
        "seal_checker": "王店长",
        "sampling_basis": "抽样细则",
        "organising_authority": "北京市市场监督管理局",
        "task_source": "2026年北京市食品安全监督抽检",
        "online_platform": "某电商平台",
        "online_shop": "五得利官方旗舰店",
        "online_shop_url": "https://shop.example.com/store/123",
        "online_order_no": "2026110212345678",
        "online_buyer_account": "labsys_buyer01",
        "online_payment_account": "对公账户 6222****1234",
        "online_payment_amount": "51.00",
        "delivery_address": "北京市西城区检验中心收样室",
        "parcel_arrival_date": "2026-11-04",
        "unboxing_record": "外包装完好，样品无破损",
    }
    assert all(re.fullmatch(r"[a-z0-9_]+", name) for name in header)  # snake_case
    # A hostile value is made inert in the CSV.
    text = "".join(exports.csv_chunks(*exports.export_table(db.session, "samples")))
    assert "'=HYPERLINK" in text
    # For people: words, not codes, the storage conditions too.
    for language, storage in (
        ("zh", "常温、避光"),
        ("en", "Ambient (常温)、Away from light (避光)"),
    ):
        header, rows = exports.export_table(db.session, "samples", labels=language)
        row = list(next(rows))
        index = exports.SAMPLE_COLUMNS.index
        assert row[index("storage_conditions")] == storage
        assert row[index("unboxing_record")] == "外包装完好，样品无破损"
    assert "拆封查验记录" in exports.export_table(db.session, "samples", labels="zh")[0]


def test_the_unqualified_table_names_the_visits_task_source(world):
    from labsys.models import Conclusion
    from labsys.services import exports

    sample = _online_sample(world)
    sample.conclusion = Conclusion.UNQUALIFIED
    db.session.commit()
    records = list(exports.announcement_records(db.session, None, "lab", published_only=False))
    assert [r["任务来源"] for r in records] == ["2026年北京市食品安全监督抽检"]


def test_the_report_prints_the_visits_task_source_and_basis(world):
    from labsys.services import reports

    sample = _online_sample(world)
    data = reports.report_data(
        sample, [], report_no="R1", issued_at=None, author=world.tom, reviewer=None,
        approver=None, verify_link=None,
    )  # fmt: skip
    assert (data.task_source, data.sampling_basis) == ("2026年北京市食品安全监督抽检", "抽样细则")


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


HOSTILE = '<img src="/etc/passwd"/><a href="http://evil">x</a> & <b>'


def test_the_printed_sampling_form_carries_every_field(world):
    from labsys.services import sampling_forms

    sample = _online_sample(
        world, remarks=HOSTILE, seal_checker="<font size=40>王</font>", quality_grade="特级",
        sample_attribute="seasonal", physical_state="semi_solid", oil_process="pressed",
        supplier="某粮油批发部", purchase_date=date(2026, 10, 30),
    )  # fmt: skip
    text = _pdf_text(sampling_forms.forms_pdf([sample]))
    for expected in ("食品安全抽样检验抽样单", sample.sample_no, "GB/T 1355-2021",
                     "SC10111010500017", "外购", "预包装", "常温、避光", "非无菌抽样",
                     "25.50", "2026110212345678", "五得利官方旗舰店", "包裹到达日期",
                     "2026-11-04", "2026年北京市食品安全监督抽检", "检查封样人员",
                     "检验类别：监督抽检"):  # fmt: skip
        assert expected in text, expected
    # The rest of the national form's batch fields, each by its label and value.
    for label, value in (("质量等级", "特级"), ("样品属性", "节令"), ("样品形态", "半固态"),
                         ("压榨/浸出", "压榨"), ("供货者", "某粮油批发部"),
                         ("购进日期", "2026-10-30")):  # fmt: skip
        assert label in text and value in text, (label, value)
    assert "supervision" not in text and "作废" not in text
    # Typed markup prints as typed, never as reportlab markup.
    assert "<img" in text and "<font size=40>" in text


def test_the_printed_form_names_the_inspection_type_in_the_users_language(world):
    from flask_babel import force_locale

    from labsys.models import InspectionType
    from labsys.services import sampling_forms

    sample = _online_sample(world)
    sample.inspection_type = InspectionType.RISK_MONITORING
    assert sampling_forms.form_data(sample).inspection_type == "风险监测"
    assert "检验类别：风险监测" in _pdf_text(sampling_forms.forms_pdf([sample]))
    with force_locale("en"):
        assert sampling_forms.form_data(sample).inspection_type == "Risk monitoring"


def test_a_voided_batch_prints_marked_void_and_leaves_the_notice(world):
    from labsys.services import corrections, sampling_forms

    visit = sampling.create_visit(
        db.session, world.ann, world.visit(), [world.batch(), world.batch(food_name="全麦粉")]
    )
    db.session.commit()
    live, voided = visit.samples
    corrections.void_sample(
        db.session, world.ann, voided, reason="重复录入", expected_version=voided.version_id
    )
    db.session.commit()
    assert "作废" in _pdf_text(sampling_forms.forms_pdf([voided]))
    assert "作废" not in _pdf_text(sampling_forms.forms_pdf([live]))
    notice = _pdf_text(sampling_forms.visit_notice_pdf(visit))
    assert live.sample_no in notice and voided.sample_no not in notice
    assert "共1批次" in notice and "作废" not in notice
    # A whole form voided: its notice and forms say so, with the reason.
    corrections.void_visit(
        db.session, world.ann, visit, reason="被抽样单位拒绝", expected_version=visit.version_id
    )
    db.session.commit()
    notice = _pdf_text(sampling_forms.visit_notice_pdf(visit))
    assert "作废" in notice and "被抽样单位拒绝" in notice
    forms = _pdf_text(sampling_forms.forms_pdf([live]))
    assert "作废" in forms and "被抽样单位拒绝" in forms


def test_the_printed_notice_lists_the_batches(world):
    from labsys.services import sampling_forms

    sample = _online_sample(world)
    visit = sample.visit
    visit.organising_authority = HOSTILE
    text = _pdf_text(sampling_forms.visit_notice_pdf(visit))
    assert "食品安全抽样检验告知书" in text and sample.sample_no in text
    assert "通过网络购买样品" in text and "<img" in text and "共1批次" in text


# --- the pages ----------------------------------------------------------------------------


def _visit_form(world, **extra) -> dict:
    data = {
        "sampled_unit": f"{world.shop.name} [#{world.shop.id}]",
        "sampling_date": "2026-11-02",
        "place": "朝阳区测试路1号",
        "link": "retail",
        "sampler_ids": [str(world.bob.id)],
        "sampling_basis": "抽样细则",
        "organising_authority": "北京市市场监督管理局",
        "batches-0-food_name": "通用小麦粉",
        "batches-0-category": f"通用小麦粉 [{world.leaf.code}]",
        "batches-0-production_date": "2026-10-01",
        "batches-0-quantity": "2",
        "batches-0-quantity_unit": "袋",
        "batches-0-product_standard": "GB/T 1355-2021",
        "batches-0-licence_no": "SC10111010500017",
        "batches-0-sample_source": "purchased",
        "batches-0-storage_conditions": ["refrigerated", "dark"],
        "batches-0-seal_checker": HOSTILE,
    }
    data.update(extra)
    return data


def test_the_form_page_saves_the_fields_and_the_sample_page_shows_them(world, client, login,
                                                                     post):  # fmt: skip
    login(world.ann)
    page = client.get("/sampling/visits/new").get_data(as_text=True)
    assert 'name="batches-0-licence_no"' in page and 'name="online_order_no"' in page
    assert "国家市场监督管理总局令第15号" in page  # the basis is prefilled from the settings
    response = post("/sampling/visits/new", _visit_form(world), token_from="/sampling/visits/new")
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    sample = db.session.scalars(db.select(SampleModel)).one()
    assert sample.storage_conditions == "refrigerated,dark"
    html = client.get(f"/sampling/samples/{sample.id}").get_data(as_text=True)
    for text in (
        "GB/T 1355-2021",
        "SC10111010500017",
        "外购",
        "冷藏、避光",
        "北京市市场监督管理局",
    ):
        assert text in html
    assert '<img src="/etc/passwd"/>' not in html  # escaped
    assert "&lt;img" in html


def test_the_sample_page_shows_every_online_field_and_links_to_its_visit(world, client, login):
    sample = _online_sample(world)
    sample.visit.unboxing_record = "外包装完好<script>x</script>"
    db.session.commit()
    login(world.ann)
    html = client.get(f"/sampling/samples/{sample.id}").get_data(as_text=True)
    for name, value in ONLINE.items():
        if name != "link":
            assert value in html, name
    assert "外包装完好&lt;script&gt;" in html and "2026-11-04" in html
    assert f'href="/sampling/visits/{sample.visit_id}"' in html
    login(world.tom)  # the lab sees the visit too
    html = client.get(f"/sampling/samples/{sample.id}").get_data(as_text=True)
    assert f'href="/sampling/visits/{sample.visit_id}"' in html


def test_the_form_page_names_each_bad_field(world, client, login, post):
    login(world.ann)
    response = post(
        "/sampling/visits/new",
        _visit_form(world, **{"batches-0-licence_no": "QS110101010001", "link": "online"}),
        token_from="/sampling/visits/new",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "QS 编号已于 2018-10-01 停用" in html
    assert "网络抽检：请按订单填写此项。" in html
    assert db.session.query(SampleModel).count() == 0


def test_printed_forms_follow_who_may_see_the_visit(world, client, login):
    visit = sampling.create_visit(db.session, world.ann, world.visit(), [world.batch()])
    db.session.commit()
    sample = visit.samples[0]
    login(world.eve)  # a sampler of another team
    for url in (f"/sampling/samples/{sample.id}/form.pdf", f"/sampling/visits/{visit.id}/forms.pdf",
                f"/sampling/visits/{visit.id}/notice.pdf"):  # fmt: skip
        assert client.get(url).status_code == 403
    login(world.bob)
    for url in (
        f"/sampling/samples/{sample.id}/form.pdf",
        f"/sampling/visits/{visit.id}/notice.pdf",
    ):
        response = client.get(url)
        assert response.status_code == 200 and response.data.startswith(b"%PDF")
