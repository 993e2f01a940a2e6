"""The whole workflow through the API alone: visit → receipt → results → review →
report → verify, each step by the person whose role it is, with their own token."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from sqlalchemy import func

from labsys.extensions import db
from labsys.models import AuditEntry, Report
from labsys.services import audit

from api_support import as_read, lab_world, submit_as_read
from support import PASSWORD

DAY = date(2026, 11, 2)


@pytest.fixture
def world(make_user, make_category, make_item, make_spec, make_enterprise):
    return lab_world(make_user, make_category, make_item, make_spec, make_enterprise)


def _visit(world, **batch):
    return {
        "sampled_unit_id": world["unit"].id,
        "sampling_date": DAY.isoformat(),
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
                **batch,
            }
        ],
    }


def test_visit_to_verified_report_through_the_api_alone(world, api_as, freeze_clock):
    freeze_clock(DAY)
    setup = db.session.query(func.max(AuditEntry.id)).scalar()
    sampler, tech = api_as(world["sam"]), api_as(world["tech"])
    reviewer, boss = api_as(world["rev"]), api_as(world["boss"])

    created = sampler.post("/api/v1/visits", json=_visit(world))
    assert created.status_code == 201, created.get_json()
    sample = created.get_json()["samples"][0]
    assert sample["status"] == "registered" and sample["sample_no"]

    read = tech.get(f"/api/v1/samples/{sample['id']}")
    assert read.status_code == 200
    received = tech.post(
        f"/api/v1/samples/{sample['id']}/receive",
        json={"seal_state": "完好"},
        headers={"If-Match": read.headers["ETag"]},
    )
    assert received.status_code == 200, received.get_json()
    (row,) = received.get_json()["items"]
    assert row["item_name"] == "铅(以Pb计)" and row["status"] == "pending"

    entered = tech.put(
        f"/api/v1/results/{row['id']}",
        json={"value": "0.05"},
        headers={"If-Match": f'"v{row["version"]}"'},
    )
    assert entered.status_code == 200, entered.get_json()
    assert entered.get_json()["verdict"] == "pass"
    submitted = submit_as_read(tech, sample["id"])
    assert submitted.get_json() == {"count": 1}

    current = reviewer.get(f"/api/v1/results/{row['id']}")
    reviewed = reviewer.post(
        f"/api/v1/results/{row['id']}/review",
        json={"accept": True, "password": PASSWORD},
        headers={"If-Match": current.headers["ETag"]},
    )
    assert reviewed.status_code == 200, reviewed.get_json()
    assert reviewed.get_json()["status"] == "accepted"
    assert boss.get(f"/api/v1/samples/{sample['id']}").get_json()["conclusion"] == "qualified"

    issued = boss.post(
        "/api/v1/reports",
        json={"sample_id": sample["id"], "confirm_signature": True, "password": PASSWORD},
    )
    assert issued.status_code == 201, issued.get_json()
    report = issued.get_json()
    pdf = boss.get(f"/api/v1/reports/{report['id']}/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert hashlib.sha256(pdf.data).hexdigest() == report["sha256"]
    stored = db.session.get(Report, report["id"])
    assert pdf.data == stored.pdf
    verified = boss.post(
        f"/api/v1/reports/{report['id']}/verify",
        data={"file": (__import__("io").BytesIO(pdf.data), "report.pdf")},
    )
    assert verified.get_json()["valid"] is True
    token = boss.get(f"/api/v1/reports/verify/{stored.verify_token}")
    assert token.get_json()["report_no"] == report["report_no"]

    # Every change is in the trail as the token's user, by the API.
    entries = (
        db.session.query(AuditEntry)
        .filter(AuditEntry.id > setup, AuditEntry.entity != "api_token")
        .all()
    )
    assert entries and {e.channel for e in entries} == {"api"}
    actors = {e.action: e.user_id for e in entries}
    assert actors["create"] == world["sam"].id
    assert actors["receive"] == world["tech"].id
    assert actors["accept"] == world["rev"].id
    checked, problem = audit.verify_chain(db.session)
    assert problem is None and checked == db.session.query(AuditEntry).count()


def test_signing_through_the_api_needs_the_signers_password(world, api_as, freeze_clock):
    """Accepting and issuing are electronic signatures: a token alone does not sign."""
    freeze_clock(DAY)
    from api_support import visit_body

    sample = api_as(world["sam"]).post("/api/v1/visits", json=visit_body(world, DAY))
    sample_id = sample.get_json()["samples"][0]["id"]
    tech, reviewer = api_as(world["tech"]), api_as(world["rev"])
    etag = tech.get(f"/api/v1/samples/{sample_id}").headers["ETag"]
    (row,) = tech.post(
        f"/api/v1/samples/{sample_id}/receive",
        json={"seal_state": "完好"},
        headers={"If-Match": etag},
    ).get_json()["items"]
    tech.put(f"/api/v1/results/{row['id']}", json={"value": "0.05"}, headers={"If-Match": '"v1"'})
    submit_as_read(tech, sample_id)
    etag = reviewer.get(f"/api/v1/results/{row['id']}").headers["ETag"]
    for body in ({"accept": True}, {"accept": True, "password": "wrong-password"}):
        refused = reviewer.post(
            f"/api/v1/results/{row['id']}/review", json=body, headers={"If-Match": etag}
        )
        assert refused.status_code == 403, body
        assert [e["name"] for e in refused.get_json()["errors"]] == ["password"]
    assert reviewer.get(f"/api/v1/results/{row['id']}").get_json()["status"] == "submitted"


def _entered(world, api_as, value="0.05"):
    from api_support import visit_body

    sample = api_as(world["sam"]).post("/api/v1/visits", json=visit_body(world, DAY))
    sample_id = sample.get_json()["samples"][0]["id"]
    tech = api_as(world["tech"])
    etag = tech.get(f"/api/v1/samples/{sample_id}").headers["ETag"]
    (row,) = tech.post(
        f"/api/v1/samples/{sample_id}/receive",
        json={"seal_state": "完好"},
        headers={"If-Match": etag},
    ).get_json()["items"]
    tech.put(f"/api/v1/results/{row['id']}", json={"value": value}, headers={"If-Match": '"v1"'})
    return sample_id, row["id"], tech


def test_submitting_through_the_api_names_the_results_as_read(world, api_as, freeze_clock):
    """Issue 18 §1: the API's submit, as the page's, acts only on the values the client
    read: a value changed since refuses the batch (409, naming it), nothing submitted."""
    freeze_clock(DAY)
    sample_id, result_id, tech = _entered(world, api_as)
    path = f"/api/v1/samples/{sample_id}/results/submit"
    seen = as_read(tech, sample_id)
    colleague = api_as(world["tech"])  # meanwhile the value is changed
    version = colleague.get(f"/api/v1/results/{result_id}").headers["ETag"]
    changed = colleague.put(
        f"/api/v1/results/{result_id}", json={"value": "0.07"}, headers={"If-Match": version}
    )
    assert changed.status_code == 200

    stale = tech.post(path, json=seen)
    assert stale.status_code == 409, stale.get_json()
    assert "0.07" in stale.get_json()["detail"]
    assert tech.get(f"/api/v1/results/{result_id}").get_json()["status"] == "entered"
    assert tech.post(path, json={}).status_code == 422  # the pairs are required
    other = tech.post(path, json={"results": [{"id": result_id + 999, "version": 1}]})
    assert other.status_code == 409 and other.get_json()["errors"][0]["name"] == "results"

    fresh = tech.post(path, json=as_read(tech, sample_id))
    assert fresh.status_code == 200 and fresh.get_json() == {"count": 1}
    assert tech.get(f"/api/v1/results/{result_id}").get_json()["status"] == "submitted"


def test_a_locked_account_cannot_sign_through_the_api(world, api_as, freeze_clock):
    """21 CFR Part 11 §11.300(d): an account locked by wrong passwords signs neither on
    the pages nor through the API, even with the right password."""
    from labsys.services import security

    freeze_clock(DAY)
    sample_id, result_id, tech = _entered(world, api_as)
    submit_as_read(tech, sample_id)
    reviewer = api_as(world["rev"])
    for _attempt in range(50):
        if security.signature_failed(db.session, world["rev"]):
            break
    db.session.commit()
    etag = reviewer.get(f"/api/v1/results/{result_id}").headers["ETag"]
    refused = reviewer.post(
        f"/api/v1/results/{result_id}/review",
        json={"accept": True, "password": PASSWORD},
        headers={"If-Match": etag},
    )
    assert refused.status_code == 403, refused.get_json()
    assert "签名已锁定" in refused.get_json()["detail"]
    assert reviewer.get(f"/api/v1/results/{result_id}").get_json()["status"] == "submitted"

    for _attempt in range(50):
        if security.signature_failed(db.session, world["boss"]):
            break
    db.session.commit()
    refused = api_as(world["boss"]).post(
        "/api/v1/reports",
        json={"sample_id": sample_id, "confirm_signature": True, "password": PASSWORD},
    )
    assert refused.status_code == 403
    assert "签名已锁定" in refused.get_json()["detail"]
    assert db.session.query(Report).count() == 0
