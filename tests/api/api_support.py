"""Helpers of the API tests (imported by name: ``from api_support import ...``)."""

from __future__ import annotations

from labsys.extensions import db
from labsys.models import Role
from labsys.services import signatories
from labsys.services.access import SYSTEM

from support import PASSWORD


def lab_world(make_user, make_category, make_item, make_spec, make_enterprise):
    """Two samplers, a technician, a reviewer, a supervisor who may sign for the category,
    one leaf category with one test item (lead ≤0.2 mg/kg), a sampled unit."""
    flour = make_category("粮食加工品", "小麦粉", "小麦粉", "通用小麦粉")
    lead = make_item("铅(以Pb计)", "mg/kg")
    make_spec(flour, lead, "≤0.2")
    people = {
        "sam": make_user("sam", Role.SAMPLER, full_name="孙抽样"),
        "pat": make_user("pat", Role.SAMPLER, full_name="潘抽样"),
        "tech": make_user("tech", Role.TECHNICIAN, full_name="王技术"),
        "rev": make_user("rev", Role.REVIEWER, full_name="赵审核"),
        "boss": make_user("boss", Role.SUPERVISOR, full_name="钱批准"),
    }
    signatories.authorise(db.session, SYSTEM, people["boss"], category_ids=[flour.ancestor_ids[0]])
    db.session.commit()
    unit = make_enterprise("北京某超市有限公司")
    return {"flour": flour, "lead": lead, "unit": unit, **people}


def visit_body(world, day) -> dict:
    return {
        "sampled_unit_id": world["unit"].id,
        "sampling_date": day.isoformat(),
        "place": "北京市朝阳区某路1号",
        "link": "retail",
        "sampler_ids": [world["pat"].id],
        "batches": [
            {
                "food_name": "通用小麦粉",
                "category_id": world["flour"].id,
                "production_date": "2026-10-01",
                "shelf_life": "12个月",
                "quantity": "2",
                "quantity_unit": "袋",
            }
        ],
    }


def as_read(client, sample_id: int) -> dict:
    """The submit body: each of the sample's results as just read (id, version)."""
    items = client.get(f"/api/v1/samples/{sample_id}/results").get_json()["items"]
    return {"results": [{"id": r["id"], "version": r["version"]} for r in items]}


def submit_as_read(client, sample_id: int):
    return client.post(
        f"/api/v1/samples/{sample_id}/results/submit", json=as_read(client, sample_id)
    )


def walk_to_report(world, api_as, day, value: str = "0.05") -> dict:
    """Visit → receipt → result → review → report through the API; the report's JSON."""
    sampler, tech = api_as(world["sam"]), api_as(world["tech"])
    reviewer, boss = api_as(world["rev"]), api_as(world["boss"])
    sample = sampler.post("/api/v1/visits", json=visit_body(world, day)).get_json()["samples"][0]
    etag = tech.get(f"/api/v1/samples/{sample['id']}").headers["ETag"]
    received = tech.post(
        f"/api/v1/samples/{sample['id']}/receive",
        json={"seal_state": "完好"},
        headers={"If-Match": etag},
    )
    (row,) = received.get_json()["items"]
    tech.put(
        f"/api/v1/results/{row['id']}",
        json={"value": value},
        headers={"If-Match": f'"v{row["version"]}"'},
    )
    submit_as_read(tech, sample["id"])
    etag = reviewer.get(f"/api/v1/results/{row['id']}").headers["ETag"]
    reviewer.post(
        f"/api/v1/results/{row['id']}/review",
        json={"accept": True, "password": PASSWORD},
        headers={"If-Match": etag},
    )
    issued = boss.post(
        "/api/v1/reports",
        json={"sample_id": sample["id"], "confirm_signature": True, "password": PASSWORD},
    )
    assert issued.status_code == 201, issued.get_json()
    return issued.get_json()
