"""The national 抽样单 fields and 网络抽检 through the API (issue #13 §1): what the page takes,
the API takes, validated by the same service, and answers back."""

from __future__ import annotations

from datetime import date

import pytest

from labsys.extensions import db
from labsys.models import Link, Sample

from api_support import lab_world, visit_body

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
    "purchase_cost": "51",
    "purchase_date": "2026-10-20",
    "supplier": "某粮油批发部",
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
    "parcel_arrival_date": "2026-11-04",
    "unboxing_record": "外包装完好",
    "sampling_basis": "抽样细则",
    "organising_authority": "北京市市场监督管理局",
    "task_source": "2026年北京市食品安全监督抽检",
}


@pytest.fixture
def world(make_user, make_category, make_item, make_spec, make_enterprise):
    return lab_world(make_user, make_category, make_item, make_spec, make_enterprise)


def test_an_online_visit_with_every_national_field_is_created_and_read_back(
    world, api_as, freeze_clock
):
    freeze_clock(date(2026, 11, 5))
    sam = api_as(world["sam"])
    body = {**visit_body(world, date(2026, 11, 2)), **ONLINE}
    body["batches"][0].update(NATIONAL)
    created = sam.post("/api/v1/visits", json=body)
    assert created.status_code == 201, created.get_json()
    visit = created.get_json()
    for key, value in ONLINE.items():
        assert visit[key] == value, key
    sample = visit["samples"][0]
    assert sample["link"] == "online"
    assert {k: sample[k] for k in NATIONAL} == {
        **NATIONAL,
        "product_standard": "GB/T 1355-2021",  # normalised as on the page
        "licence_no": "SC10111010500017",
        "storage_conditions": ["ambient", "dark"],
    }
    # The delivery clock starts on the parcel's arrival (Wednesday 4 Nov + 5 working days).
    assert sample["due_delivery"] == "2026-11-11"
    stored = db.session.get(Sample, sample["id"])
    assert stored.visit.link == Link.ONLINE and stored.visit.online_order_no == "2026110212345678"
    again = sam.get(f"/api/v1/visits/{visit['id']}").get_json()
    assert again["online_shop_url"] == ONLINE["online_shop_url"]


def test_the_national_fields_are_refused_by_name_as_on_the_page(world, api_as, freeze_clock):
    freeze_clock(date(2026, 11, 5))
    sam = api_as(world["sam"])
    online = {**visit_body(world, date(2026, 11, 2)), "link": "online"}
    refused = sam.post("/api/v1/visits", json=online)
    assert refused.status_code == 422
    text = str(refused.get_json())
    assert "online_order_no" in text and "delivery_address" in text
    retail = visit_body(world, date(2026, 11, 2))
    retail["online_order_no"] = "123"
    retail["batches"][0]["licence_no"] = "QS110101010001"
    refused = sam.post("/api/v1/visits", json=retail)
    assert refused.status_code == 422
    text = str(refused.get_json())
    assert "online_order_no" in text and "licence_no" in text
    # A value outside a closed list is refused by the schema.
    bad = visit_body(world, date(2026, 11, 2))
    bad["batches"][0]["storage_conditions"] = ["warm"]
    assert sam.post("/api/v1/visits", json=bad).status_code == 422
    assert db.session.query(Sample).count() == 0


def test_the_national_fields_of_a_batch_are_edited_and_corrected(world, api_as, freeze_clock):
    freeze_clock(date(2026, 11, 5))
    sam = api_as(world["sam"])
    sample = sam.post("/api/v1/visits", json=visit_body(world, date(2026, 11, 2))).get_json()[
        "samples"
    ][0]
    etag = sam.get(f"/api/v1/samples/{sample['id']}").headers["ETag"]
    edited = sam.open(
        f"/api/v1/samples/{sample['id']}",
        "PATCH",
        json={
            "licence_no": "SC20111010500016",
            "storage_conditions": ["frozen"],
            "purchase_date": "2026-10-30",
            "sample_source": "processed",
        },  # fmt: skip
        headers={"If-Match": etag},
    )
    assert edited.status_code == 200, edited.get_json()
    body = edited.get_json()
    assert (body["licence_no"], body["storage_conditions"], body["purchase_date"]) == (
        "SC20111010500016",
        ["frozen"],
        "2026-10-30",
    )
    assert body["sample_source"] == "processed"
    refused = sam.open(
        f"/api/v1/samples/{sample['id']}",
        "PATCH",
        json={"purchase_date": "2026-11-03"},  # after the sampling date
        headers={"If-Match": edited.headers["ETag"]},
    )
    assert refused.status_code == 422 and "purchase_date" in str(refused.get_json())


def _patch_visit(api, visit_id, body, etag=None):
    etag = etag or api.get(f"/api/v1/visits/{visit_id}").headers["ETag"]
    return api.open(f"/api/v1/visits/{visit_id}", "PATCH", json=body, headers={"If-Match": etag})


def test_a_visit_is_corrected_at_once_before_receipt_and_by_request_after(
    world, api_as, freeze_clock
):
    freeze_clock(date(2026, 11, 5))
    sam = api_as(world["sam"])
    body = {**visit_body(world, date(2026, 11, 2)), **ONLINE, "parcel_arrival_date": None}
    visit = sam.post("/api/v1/visits", json=body).get_json()
    assert visit["samples"][0]["due_delivery"] is None  # the parcel is on its way
    # Before receipt: the team corrects at once; the delivery clock follows the parcel.
    corrected = _patch_visit(
        sam, visit["id"], {"parcel_arrival_date": "2026-11-04", "online_order_no": "X-2"}
    )
    assert corrected.status_code == 200, corrected.get_json()
    assert corrected.get_json()["online_order_no"] == "X-2"
    assert corrected.get_json()["samples"][0]["due_delivery"] == "2026-11-11"
    refused = _patch_visit(sam, visit["id"], {"online_shop_url": "javascript:alert(1)"})
    assert refused.status_code == 422 and "online_shop_url" in str(refused.get_json())
    stale = _patch_visit(sam, visit["id"], {"place": "x"}, etag='"v1"')
    assert stale.status_code == 412
    # After receipt: a request with a reason, nothing changed until it is approved.
    tech = api_as(world["tech"])
    sample_id = visit["samples"][0]["id"]
    etag = tech.get(f"/api/v1/samples/{sample_id}").headers["ETag"]
    received = tech.post(
        f"/api/v1/samples/{sample_id}/receive",
        json={"seal_state": "完好"},
        headers={"If-Match": etag},
    )
    assert received.status_code == 200, received.get_json()
    assert (
        _patch_visit(sam, visit["id"], {"online_order_no": "X-3"}).status_code == 422
    )  # no reason
    asked = _patch_visit(sam, visit["id"], {"online_order_no": "X-3", "reason": "订单号抄错"})
    assert asked.status_code == 202, asked.get_json()
    assert asked.get_json()["action"] == "correct" and asked.get_json()["sample_id"] is None
    assert sam.get(f"/api/v1/visits/{visit['id']}").get_json()["online_order_no"] == "X-2"
