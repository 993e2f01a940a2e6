"""Changing a sample through the API: an edit before receipt, a correction with a reason
after it, both with If-Match, by the same services as the pages."""

from __future__ import annotations

import pytest

from labsys.extensions import db
from labsys.models import Role

from api_support import lab_world


@pytest.fixture
def world(make_user, make_category, make_item, make_spec, make_enterprise):
    return lab_world(make_user, make_category, make_item, make_spec, make_enterprise)


def _patch(api, sample_id, body, etag=None):
    etag = etag or api.get(f"/api/v1/samples/{sample_id}").headers["ETag"]
    return api.open(f"/api/v1/samples/{sample_id}", "PATCH", json=body, headers={"If-Match": etag})


def test_the_team_edits_before_receipt_and_corrects_with_a_reason_after(
    world, make_sample, make_user, api_as
):
    sample = make_sample(world["flour"], received=False, sampler=world["sam"], batch_no="B1")
    sam = api_as(world["sam"])
    edited = _patch(sam, sample.id, {"brand": "金麦穗"})
    assert edited.status_code == 200, edited.get_json()
    assert edited.get_json()["brand"] == "金麦穗"
    stranger = api_as(make_user("stranger", Role.SAMPLER))
    assert stranger.open(f"/api/v1/samples/{sample.id}", "PATCH", json={}).status_code == 404
    stale = _patch(sam, sample.id, {"brand": "x"}, etag='"v1"')
    assert stale.status_code == 412

    sample.status = sample.status.__class__("received")
    db.session.commit()
    refused = _patch(sam, sample.id, {"brand": "新品牌"})
    assert refused.status_code == 422
    assert [e["name"] for e in refused.get_json()["errors"]] == ["reason"]
    bad = _patch(sam, sample.id, {"quantity": "-3", "reason": "r"})
    assert bad.status_code == 422
    assert "quantity" in {e["name"] for e in bad.get_json()["errors"]}
    # After receipt a correction waits for a second person's approval (issue 13 §3): the
    # sample is unchanged until then.
    corrected = _patch(sam, sample.id, {"brand": "新品牌", "reason": "品牌抄错"})
    assert corrected.status_code == 202, corrected.get_json()
    assert corrected.get_json()["status"] == "pending"
    assert corrected.get_json()["reason"] == "品牌抄错"
    db.session.expire_all()
    assert sam.get(f"/api/v1/samples/{sample.id}").get_json()["brand"] == "金麦穗"
    again = _patch(sam, sample.id, {"brand": "又一个", "reason": "再改"})
    assert again.status_code in (409, 422), again.get_json()
