"""The correction pages: a sampler asks (sample, visit, voiding), an approver finds the request
in the queue, sees before and after, approves or rejects; nobody decides their own request;
the enterprise page shows other teams' samples only to the lab and supervisors."""

from __future__ import annotations

import pytest

from labsys.extensions import db
from labsys.models import Correction, CorrectionStatus, Role, Sample, SampleStatus, SamplingVisit
from labsys.services import receipt, sampling


@pytest.fixture
def rita(make_user):
    return make_user("rita", Role.REVIEWER, full_name="Rita Reviewer")


def _visit(world, n=1):
    visit = sampling.create_visit(
        db.session,
        world.ann,
        world.visit(),
        [world.batch(food_name=f"小麦粉{i}") for i in range(n)],
    )
    db.session.commit()
    return visit


def _received(world):
    visit = _visit(world)
    sample = visit.samples[0]
    receipt.receive_sample(db.session, world.tom, sample, arrived_at=None, seal_state="完好")
    db.session.commit()
    return sample


def _ask_brand(world, post, sample, brand="古船", reason="商标抄错"):
    path = f"/sampling/samples/{sample.id}/correct"
    data = {
        "food_name": sample.food_name,
        "category": f"x [{world.leaf.code}]",
        "brand": brand,
        "specification": sample.specification,
        "production_date": sample.production_date.isoformat(),
        "shelf_life": sample.shelf_life,
        "quantity": sample.quantity,
        "quantity_unit": sample.quantity_unit,
        "backup_quantity": sample.backup_quantity or "",
        "sampling_base": sample.sampling_base,
        "producer": f"x [#{world.producer.id}]",
        "version": str(sample.version_id),
        "reason": reason,
    }
    return post(path, data, token_from=path, follow_redirects=True)


def _request() -> Correction:
    db.session.expire_all()
    return db.session.query(Correction).one()


def test_a_request_goes_through_the_queue_to_approval(world, rita, client, login, post):
    sample = _received(world)
    login(world.ann)
    _ask_brand(world, post, sample, reason="<b>商标</b>抄错")
    request = _request()
    # The requester sees it among their own, and may not approve it (no such role either).
    queue = client.get("/corrections/").get_data(as_text=True)
    assert f"#{request.id}" in queue and "待批准" in queue
    page = client.get(f"/corrections/{request.id}").get_data(as_text=True)
    assert 'id="approve"' not in page and 'id="withdraw"' in page
    assert "&lt;b&gt;商标&lt;/b&gt;抄错" in page  # the reason is text, never markup
    refused = post(
        f"/corrections/{request.id}/approve",
        {"version": request.version_id},
        token_from=f"/corrections/{request.id}",
    )
    assert refused.status_code == 403

    login(rita)
    queue = client.get("/corrections/").get_data(as_text=True)
    assert f"/corrections/{request.id}" in queue and "Ann" in queue
    page = client.get(f"/corrections/{request.id}").get_data(as_text=True)
    assert 'data-field="brand"' in page and "五得利" in page and "古船" in page
    assert "商标" in page  # the form's own label of the field
    done = post(
        f"/corrections/{request.id}/approve",
        {"version": request.version_id, "note": "核对了标签照片"},
        token_from=f"/corrections/{request.id}",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "已批准并生效" in done
    request = _request()
    assert request.status == CorrectionStatus.APPROVED
    assert db.session.get(Sample, sample.id).brand == "古船"
    # Approving again (a second tab) is refused with the request's state.
    again = post(
        f"/corrections/{request.id}/approve",
        {"version": request.version_id},
        token_from=f"/corrections/{request.id}",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "已批准" in again and db.session.get(Sample, sample.id).brand == "古船"


def test_a_stale_decision_is_refused(world, rita, client, login, post):
    sample = _received(world)
    login(world.ann)
    _ask_brand(world, post, sample)
    request = _request()
    login(rita)
    html = post(
        f"/corrections/{request.id}/reject",
        {"version": request.version_id + 5, "note": "不同意"},
        token_from=f"/corrections/{request.id}",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "请刷新" in html
    assert _request().status == CorrectionStatus.PENDING


def test_rejecting_needs_a_reason(world, rita, client, login, post):
    sample = _received(world)
    login(world.ann)
    _ask_brand(world, post, sample)
    request = _request()
    login(rita)
    html = post(
        f"/corrections/{request.id}/reject",
        {"version": request.version_id, "note": ""},
        token_from=f"/corrections/{request.id}",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "请说明驳回理由" in html and _request().status == CorrectionStatus.PENDING


def test_other_samplers_see_no_request_of_another_team(world, client, login):
    sample = _received(world)
    from labsys.services import corrections

    request = corrections.correct_sample(
        db.session,
        world.ann,
        sample,
        changes={"brand": "古船"},
        reason="x",
        expected_version=None,
    )
    db.session.commit()
    login(world.eve)
    assert client.get(f"/corrections/{request.id}").status_code == 403
    assert f"#{request.id}" not in client.get("/corrections/").get_data(as_text=True)


def test_voiding_a_batch_from_its_page(world, client, login, post):
    sample = _visit(world).samples[0]
    path = f"/sampling/samples/{sample.id}"
    login(world.ann)
    assert "作废本样品" in client.get(path).get_data(as_text=True)
    html = post(
        f"{path}/void", {"version": sample.version_id, "reason": ""}, token_from=path,
        follow_redirects=True,
    ).get_data(as_text=True)  # fmt: skip
    assert "请填写作废原因" in html
    html = post(
        f"{path}/void", {"version": sample.version_id, "reason": "重复录入"}, token_from=path,
        follow_redirects=True,
    ).get_data(as_text=True)  # fmt: skip
    assert "已作废" in html and sample.sample_no in html
    db.session.expire_all()
    assert db.session.get(Sample, sample.id).status == SampleStatus.VOIDED
    # Out of the receipt queue, and shown as 作废 in the sampler's own list.
    login(world.tom)
    queue = client.get("/lab/receipt/")
    assert queue.status_code == 200 and sample.sample_no not in queue.get_data(as_text=True)
    login(world.ann)
    mine = client.get("/sampling/mine").get_data(as_text=True)
    assert sample.sample_no in mine and "作废" in mine


def test_another_team_cannot_void_or_correct_a_form(world, client, login, post):
    visit = _visit(world)
    sample = visit.samples[0]
    login(world.eve)
    response = post(
        f"/sampling/samples/{sample.id}/void",
        {"version": sample.version_id, "reason": "x"},
        token_from="/",
    )
    assert response.status_code == 403
    assert client.get(f"/sampling/visits/{visit.id}/correct").status_code == 403
    db.session.expire_all()
    assert db.session.get(Sample, sample.id).status == SampleStatus.REGISTERED


def test_correcting_a_visit_from_its_page(world, client, login, post):
    visit = _visit(world, n=2)
    path = f"/sampling/visits/{visit.id}/correct"
    login(world.ann)
    form = client.get(path).get_data(as_text=True)
    assert "朝阳测试超市" in form and "测试路1号" in form
    html = post(
        path,
        {
            "sampled_unit": f"x [#{world.shop.id}]",
            "sampling_date": "2026-11-02",
            "place": "北京市朝阳区测试路9号",
            "link": "retail",
            "region_code": "",
            "task_id": "",
            "sampler_ids": [str(world.bob.id)],
            "version": str(visit.version_id),
            "reason": "",
        },
        token_from=path,
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "抽样单已更正" in html and "测试路9号" in html
    db.session.expire_all()
    assert db.session.get(SamplingVisit, visit.id).place == "北京市朝阳区测试路9号"


def test_the_enterprise_page_shows_other_teams_samples_only_to_the_lab(
    world, client, login, make_user
):
    sample = _visit(world).samples[0]
    path = f"/enterprises/{world.shop.id}"
    for user, sees in [
        (world.ann, True),  # her team's
        (world.bob, True),
        (world.eve, False),  # another sampler
        (world.tom, True),  # the lab
        (world.sue, True),
        (make_user("adm", Role.ADMIN), False),
    ]:
        login(user)
        html = client.get(path).get_data(as_text=True)
        assert (sample.sample_no in html) is sees, user.username


def test_registering_an_enterprise_from_the_sampling_form(world, client, login, post):
    login(world.ann)
    page = client.get("/sampling/visits/new").get_data(as_text=True)
    assert 'id="new-enterprise"' in page and 'name="new-name"' in page
    answer = post(
        "/enterprises/quick",
        {"new-name": "新粮油店", "new-address": "北京市朝阳区新路1号"},
        token_from="/sampling/visits/new",
    )
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["label"] == f"新粮油店 [#{body['id']}]"
    refused = post("/enterprises/quick", {"new-name": ""}, token_from="/sampling/visits/new")
    assert refused.status_code == 400 and "name" in refused.get_json()["errors"]
    login(world.tom)
    assert post("/enterprises/quick", {"new-name": "x"}, token_from="/").status_code == 403
