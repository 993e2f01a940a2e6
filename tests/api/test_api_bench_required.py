"""BENCH_RECORD_REQUIRED through the REST API: submitting a result without its bench record
(ISO/IEC 17025 §7.5.1) is refused as on the pages, nothing submitted."""

from __future__ import annotations

from datetime import date

import pytest

from labsys.extensions import db
from labsys.models import ResultStatus, SampleResult

from api_support import as_read, lab_world, visit_body

DAY = date(2026, 11, 2)


@pytest.fixture
def world(make_user, make_category, make_item, make_spec, make_enterprise):
    return lab_world(make_user, make_category, make_item, make_spec, make_enterprise)


def test_the_api_refuses_a_submission_without_its_bench_record(
    app, world, api_as, freeze_clock, monkeypatch
):
    monkeypatch.setitem(app.config, "BENCH_RECORD_REQUIRED", True)
    freeze_clock(DAY)
    sample = api_as(world["sam"]).post("/api/v1/visits", json=visit_body(world, DAY))
    sample_id = sample.get_json()["samples"][0]["id"]
    tech = api_as(world["tech"])
    etag = tech.get(f"/api/v1/samples/{sample_id}").headers["ETag"]
    (row,) = tech.post(
        f"/api/v1/samples/{sample_id}/receive",
        json={"seal_state": "完好"},
        headers={"If-Match": etag},
    ).get_json()["items"]
    tech.put(f"/api/v1/results/{row['id']}", json={"value": "0.05"}, headers={"If-Match": '"v1"'})
    refused = tech.post(
        f"/api/v1/samples/{sample_id}/results/submit", json=as_read(tech, sample_id)
    )
    assert refused.status_code == 422, refused.get_json()
    detail = refused.get_json()["detail"]
    assert "ISO/IEC 17025 §7.5.1" in detail and "检验开始日期" in detail
    db.session.expire_all()
    assert db.session.get(SampleResult, row["id"]).status == ResultStatus.ENTERED
