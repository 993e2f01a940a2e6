"""Lists: keyset pages, filters, and only what the token's user may see."""

from __future__ import annotations

import json
from datetime import date

import pytest

from labsys.extensions import db
from labsys.models import Role, SampleStatus
from labsys.services import exports

from api_support import lab_world


@pytest.fixture
def world(make_user, make_category, make_item, make_spec, make_enterprise):
    return lab_world(make_user, make_category, make_item, make_spec, make_enterprise)


def test_samples_page_by_keyset_and_filter(world, make_sample, api_as):
    made = [
        make_sample(world["flour"], received=i % 2 == 0, sampling_date=date(2026, 10, 1 + i))
        for i in range(5)
    ]
    boss = api_as(world["boss"], "read")
    seen, after = [], None
    while True:
        path = "/api/v1/samples?limit=2" + (f"&after={after}" if after else "")
        page = boss.get(path).get_json()
        seen += [item["id"] for item in page["items"]]
        after = page["next_after"]
        if after is None:
            break
    assert seen == sorted((s.id for s in made), reverse=True)  # newest first, each once
    received = boss.get("/api/v1/samples?status=received").get_json()["items"]
    assert {i["id"] for i in received} == {s.id for s in made if s.status == SampleStatus.RECEIVED}
    dated = boss.get("/api/v1/samples?date_from=2026-10-04").get_json()["items"]
    assert {i["sampling_date"] for i in dated} == {"2026-10-04", "2026-10-05"}
    bad = boss.get("/api/v1/samples?after=abc&status=nope")
    assert bad.status_code == 422
    assert {e["name"] for e in bad.get_json()["errors"]} == {"after", "status"}


def test_q_matches_the_food_name_or_the_start_of_the_sample_number(world, make_sample, api_as):
    flour = make_sample(world["flour"], food_name="特一级小麦粉")
    juice = make_sample(world["flour"], food_name="100%橙汁 Apple")
    boss = api_as(world["boss"], "read")

    def found(q: str) -> set[int]:
        page = boss.get("/api/v1/samples", query_string={"q": q})
        assert page.status_code == 200, page.get_json()
        return {item["id"] for item in page.get_json()["items"]}

    assert found("小麦") == {flour.id}
    assert found("小麦粉") == {flour.id}
    assert found("apple") == {juice.id}  # ASCII case ignored
    assert found("%橙") == {juice.id}
    assert found("%") == {juice.id}  # a plain character, not "anything"
    assert found("_") == set()
    assert found(flour.sample_no) == {flour.id}
    assert found(flour.sample_no.lower()) == {flour.id}
    assert found(flour.sample_no[:6]) == {flour.id, juice.id}  # TEST00…: the number's start
    assert found(flour.sample_no[2:]) == set()  # the number is matched by its start only


def test_a_sampler_sees_only_the_samples_of_their_visits(world, make_sample, make_user, api_as):
    own = make_sample(world["flour"], sampler=world["sam"])
    other = make_sample(world["flour"], sampler=make_user("stranger", Role.SAMPLER))
    sampler = api_as(world["sam"], "read")
    items = sampler.get("/api/v1/samples").get_json()["items"]
    assert [i["id"] for i in items] == [own.id]
    assert sampler.get(f"/api/v1/samples/{other.id}").status_code == 404
    assert sampler.get(f"/api/v1/visits/{other.visit_id}").status_code == 404
    assert sampler.get(f"/api/v1/samples/{own.id}").status_code == 200


def test_stats_answer_the_json_of_the_cli_and_of_the_old_endpoint(
    app, world, make_sample, api_as, client, login
):
    make_sample(world["flour"])
    api = api_as(world["boss"], "read")
    new = api.get("/api/v1/stats?by=category&level=1")
    assert new.status_code == 200
    login(world["boss"])
    old = client.get("/api/stats?by=category&level=1")
    assert new.get_json() == old.get_json()
    result = app.test_cli_runner().invoke(
        args=["stats", "--by", "category", "--level", "1", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == new.get_json()


def test_exports_stream_the_documented_machine_columns(world, make_sample, api_as):
    sample = make_sample(world["flour"])
    api = api_as(world["boss"], "read")
    with api.get("/api/v1/exports/samples.csv") as response:
        assert response.status_code == 200 and response.mimetype == "text/csv"
        text = response.get_data(as_text=True)
    assert sample.sample_no in text
    # the documented machine columns and codes (as `labsys export` without --labels)
    header, _rows = exports.export_table(db.session, "samples")
    assert text.splitlines()[0] == ",".join(header)
    with api.get("/api/v1/exports/announcement.csv") as response:
        assert response.status_code == 200
