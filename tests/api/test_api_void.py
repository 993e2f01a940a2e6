"""Voiding (作废) a sampling form or one batch through the API: the form's page's rules
(its team or a supervisor; at once before receipt, a request awaiting approval after it,
never once reported), with If-Match, audited as the token's user on the channel "api"."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from labsys.extensions import db
from labsys.models import (
    AuditEntry,
    Correction,
    CorrectionStatus,
    Role,
    SampleStatus,
    SamplingVisit,
)
from labsys.services import corrections

from api_support import lab_world

BASE = "http://labsys.test"


@pytest.fixture
def world(make_user, make_category, make_item, make_spec, make_enterprise):
    return lab_world(make_user, make_category, make_item, make_spec, make_enterprise)


def _void(api, path, body, etag=None):
    etag = etag or api.get(path).headers.get("ETag") or '"v1"'
    return api.post(f"{path}/void", json=body, headers={"If-Match": etag})


def _visit_path(sample) -> str:
    return f"/api/v1/visits/{sample.visit_id}"


def test_the_team_voids_its_form_before_receipt_audited_on_the_api_channel(
    world, make_sample, api_as
):
    sample = make_sample(world["flour"], received=False, sampler=world["sam"])
    sam = api_as(world["sam"])
    read = sam.get(_visit_path(sample))
    assert read.status_code == 200
    assert read.headers["ETag"] == f'"v{read.get_json()["version"]}"'
    assert read.get_json()["voided_at"] is None

    voided = _void(sam, _visit_path(sample), {"reason": "抽样单填错，重新开具"})
    assert voided.status_code == 200, voided.get_json()
    body = voided.get_json()
    assert body["voided_at"] is not None and body["void_reason"] == "抽样单填错，重新开具"
    assert [s["status"] for s in body["samples"]] == ["voided"]
    assert voided.headers["ETag"] == f'"v{body["version"]}"'
    db.session.expire_all()
    visit = db.session.get(SamplingVisit, sample.visit_id)
    assert visit.voided_at is not None and sample.status == SampleStatus.VOIDED
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.entity == "sampling_visit", AuditEntry.action == "void")
    )
    assert entry is not None
    assert entry.channel == "api" and entry.user_id == world["sam"].id
    again = _void(sam, _visit_path(sample), {"reason": "再作废"})
    assert again.status_code == 422  # already voided


def test_voiding_needs_if_match_a_current_version_and_a_reason(world, make_sample, api_as):
    sample = make_sample(world["flour"], received=False, sampler=world["sam"])
    sam = api_as(world["sam"])
    path = f"{_visit_path(sample)}/void"
    assert sam.post(path, json={"reason": "r"}).status_code == 428
    stale = sam.post(path, json={"reason": "r"}, headers={"If-Match": '"v99"'})
    assert stale.status_code == 412
    for body in ({}, {"reason": ""}, {"reason": "x" * 501}):
        refused = _void(sam, _visit_path(sample), body)
        assert refused.status_code == 422, body
        assert "reason" in {e["name"] for e in refused.get_json()["errors"]}
    db.session.expire_all()
    assert db.session.get(SamplingVisit, sample.visit_id).voided_at is None


def test_a_read_token_or_a_user_without_the_role_cannot_void(world, make_sample, make_user, api_as):
    sample = make_sample(world["flour"], received=False, sampler=world["sam"])
    etag = api_as(world["sam"]).get(_visit_path(sample)).headers["ETag"]
    body = {"reason": "作废"}
    read_only = api_as(world["sam"], scope="read")
    assert read_only.get(_visit_path(sample)).status_code == 200  # it may read
    for api in (
        read_only,  # the team's sampler, but a token that only reads
        api_as(world["tech"]),  # reads every sample, but no sampler or supervisor role
        api_as(world["rev"]),
    ):
        refused = _void(api, _visit_path(sample), body, etag=etag)
        assert refused.status_code == 403, refused.get_json()
        assert refused.mimetype == "application/problem+json"
        refused = _void(api, f"/api/v1/samples/{sample.id}", body, etag=f'"v{sample.version_id}"')
        assert refused.status_code == 403
    # a sampler of another team does not see the form at all
    stranger = api_as(make_user("stranger", Role.SAMPLER))
    assert _void(stranger, _visit_path(sample), body, etag=etag).status_code == 404
    db.session.expire_all()
    assert db.session.get(SamplingVisit, sample.visit_id).voided_at is None
    assert sample.status == SampleStatus.REGISTERED


def test_after_receipt_voiding_is_a_request_a_second_person_approves(world, make_sample, api_as):
    sample = make_sample(world["flour"], sampler=world["sam"])  # received
    sam = api_as(world["sam"])
    asked = _void(sam, _visit_path(sample), {"reason": "受检单位信息错误"})
    assert asked.status_code == 202, asked.get_json()
    body = asked.get_json()
    assert body["status"] == "pending" and body["action"] == "void"
    assert body["visit_id"] == sample.visit_id and body["sample_id"] is None
    db.session.expire_all()
    visit = db.session.get(SamplingVisit, sample.visit_id)
    assert visit.voided_at is None and sample.status == SampleStatus.RECEIVED
    # one pending request at a time
    assert _void(sam, _visit_path(sample), {"reason": "再来"}).status_code == 422
    request = db.session.get(Correction, body["id"])
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.entity == "correction", AuditEntry.action == "request")
    )
    assert entry is not None and entry.channel == "api"
    corrections.approve(
        db.session,
        world["rev"],
        request,
        expected_version=request.version_id,
        base_url=BASE,
    )
    db.session.commit()
    assert request.status == CorrectionStatus.APPROVED
    assert visit.voided_at is not None and sample.status == SampleStatus.VOIDED


def test_one_batch_is_voided_at_once_before_receipt_and_by_request_after(
    world, make_sample, api_as
):
    fresh = make_sample(world["flour"], received=False, sampler=world["sam"])
    received = make_sample(world["flour"], sampler=world["sam"])
    boss = api_as(world["boss"])  # a supervisor may void too
    done = _void(boss, f"/api/v1/samples/{fresh.id}", {"reason": "重复登记"})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "voided"
    asked = _void(boss, f"/api/v1/samples/{received.id}", {"reason": "样品信息错误"})
    assert asked.status_code == 202, asked.get_json()
    assert asked.get_json()["sample_id"] == received.id
    assert asked.get_json()["action"] == "void"
    db.session.expire_all()
    assert received.status == SampleStatus.RECEIVED


def test_a_reported_form_is_never_voided(world, api_as, freeze_clock):
    from datetime import date

    from api_support import walk_to_report

    freeze_clock(date(2026, 11, 2))
    report = walk_to_report(world, api_as, date(2026, 11, 2))
    sample_id = report["sample_id"]
    sam = api_as(world["sam"])
    visit_id = sam.get(f"/api/v1/samples/{sample_id}").get_json()["visit_id"]
    refused = _void(sam, f"/api/v1/visits/{visit_id}", {"reason": "作废"})
    assert refused.status_code == 422
    assert (
        "report" in refused.get_json()["detail"].lower() or "报告" in refused.get_json()["detail"]
    )
    assert db.session.scalar(select(Correction)) is None
