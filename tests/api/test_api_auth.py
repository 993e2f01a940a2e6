"""Tokens: made on the profile page or by the CLI, shown once, kept hashed; expiry, revoking,
scopes, rate limits; the login cookie is no way in; changes audited with channel "api"."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from labsys.extensions import db
from labsys.models import ApiToken, AuditEntry, Enterprise, Role
from labsys.services import audit

from api_support import lab_world
from support import csrf_token


def _bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


def test_the_profile_page_shows_a_new_token_once_and_keeps_only_its_hash(
    app, client, make_user, login
):
    user = make_user("ann", Role.TECHNICIAN)
    login(user)
    page = client.post(
        "/profile/tokens",
        data={
            "name": "仪器",
            "scope": "read",
            "days": "30",
            "csrf_token": csrf_token(client, "/profile/tokens"),
        },
    )
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    secret = html.split('data-testid="new-token">')[1].split("<")[0]
    assert secret.startswith("lsk_") and len(secret) > 40
    stored = db.session.query(ApiToken).one()
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr([getattr(stored, c.key) for c in ApiToken.__table__.columns])
    assert secret not in client.get("/profile/tokens").get_data(as_text=True)  # once

    api = app.test_client()
    me = api.get("/api/v1/me", headers=_bearer(secret))
    assert me.status_code == 200 and me.get_json()["username"] == "ann"
    assert me.get_json()["scope"] == "read"
    # read scope: no changes, even within the user's roles
    refused = api.post("/api/v1/results/import", headers=_bearer(secret))
    assert refused.status_code == 403

    revoked = client.post(
        f"/profile/tokens/{stored.id}/revoke",
        data={"csrf_token": csrf_token(client, "/profile/tokens")},
    )
    assert revoked.status_code == 302
    assert api.get("/api/v1/me", headers=_bearer(secret)).status_code == 401


def test_a_user_cannot_revoke_someone_elses_token(app, client, make_user, login, token_for):
    owner = make_user("own", Role.SAMPLER)
    token_for(owner)
    token = db.session.query(ApiToken).one()
    login(make_user("mal", Role.SAMPLER))
    response = client.post(
        f"/profile/tokens/{token.id}/revoke",
        data={"csrf_token": csrf_token(client, "/profile/tokens")},
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is None


def test_the_cli_prints_a_token_once(app, make_user):
    make_user("sam", Role.SAMPLER)
    result = app.test_cli_runner().invoke(
        args=["api-token", "create", "sam", "--scope", "write", "--days", "5"]
    )
    assert result.exit_code == 0, result.output
    secret = result.output.splitlines()[0]
    token = db.session.query(ApiToken).one()
    assert (
        token.scope == "write" and token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    )
    assert (token.expires_at - token.created_at) == timedelta(days=5)
    unknown = app.test_cli_runner().invoke(args=["api-token", "create", "nobody"])
    assert unknown.exit_code == 1


def test_expired_unknown_and_malformed_tokens_are_refused(app, make_user, token_for, freeze_clock):
    freeze_clock(date(2026, 11, 2))
    secret = token_for(make_user("ann", Role.SAMPLER), days=1)
    client = app.test_client()
    assert client.get("/api/v1/me", headers=_bearer(secret)).status_code == 200
    freeze_clock(date(2026, 11, 4))
    for headers in (
        _bearer(secret),
        _bearer(secret[:-1] + ("A" if secret[-1] != "A" else "B")),
        {"Authorization": f"Basic {secret}"},
        {"Authorization": "Bearer"},
        {},
    ):
        response = client.get("/api/v1/me", headers=headers)
        assert response.status_code == 401, headers
        assert response.mimetype == "application/problem+json"


def test_an_inactive_users_token_stops_working(app, make_user, token_for):
    user = make_user("ann", Role.SAMPLER)
    secret = token_for(user)
    user.active = False
    db.session.commit()
    assert app.test_client().get("/api/v1/me", headers=_bearer(secret)).status_code == 401


def test_the_login_cookie_does_not_open_the_api(app, client, make_user, login):
    login(make_user("boss", *Role))
    assert client.get("/").status_code == 200
    response = client.get("/api/v1/samples")
    assert response.status_code == 401
    assert "Set-Cookie" not in response.headers


def test_an_api_change_is_audited_with_its_channel_and_the_hash_covers_it(app, make_user, api_as):
    user = make_user("sam", Role.SAMPLER)
    api = api_as(user)
    created = api.post("/api/v1/enterprises", json={"name": "某食品有限公司"})
    assert created.status_code == 201, created.get_json()
    entry = db.session.query(AuditEntry).filter_by(entity="enterprise").one()
    assert entry.channel == "api" and entry.user_id == user.id
    # the same change by a page has no channel: a row edited to say otherwise breaks
    row = SimpleNamespace(**{c.key: getattr(entry, c.key) for c in AuditEntry.__table__.columns})
    assert audit.entry_hash(row) == entry.row_hash
    row.channel = None
    assert audit.entry_hash(row) != entry.row_hash
    # the next request on this thread has no channel left over
    assert audit.channel.get() is None


def test_idempotency_key_replays_the_first_answer(app, make_user, api_as):
    api = api_as(make_user("sam", Role.SAMPLER))
    headers = {"Idempotency-Key": "create-1"}
    first = api.post("/api/v1/enterprises", json={"name": "甲公司"}, headers=headers)
    again = api.post("/api/v1/enterprises", json={"name": "甲公司"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert db.session.query(Enterprise).count() == 1
    other = api.post("/api/v1/enterprises", json={"name": "乙公司"}, headers=headers)
    assert other.status_code == 422
    assert other.get_json()["errors"][0]["name"] == "Idempotency-Key"
    assert db.session.query(Enterprise).count() == 1


@pytest.fixture
def world(make_user, make_category, make_item, make_spec, make_enterprise):
    return lab_world(make_user, make_category, make_item, make_spec, make_enterprise)


def test_a_refused_visit_names_every_field_as_the_page_does(world, api_as, freeze_clock):
    freeze_clock(date(2026, 11, 2))
    api = api_as(world["sam"])
    response = api.post(
        "/api/v1/visits",
        json={
            "sampled_unit_id": world["unit"].id,
            "sampling_date": "2026-11-03",
            "link": "retail",
            "batches": [{"food_name": "", "quantity": "-1"}],
        },
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    names = {error["name"] for error in response.get_json()["errors"]}
    assert {"sampling_date", "sampler_ids", "batches-0-food_name", "batches-0-quantity"} <= names
    malformed = api.post("/api/v1/visits", json={"sampled_unit_id": "x", "batches": []})
    assert malformed.status_code == 422
    assert {e["name"] for e in malformed.get_json()["errors"]} >= {"sampled_unit_id", "link"}


def test_updates_need_a_current_if_match(world, api_as, app, freeze_clock, make_sample):
    freeze_clock(date(2026, 11, 2))
    sample = make_sample(world["flour"], received=False)
    tech = api_as(world["tech"])
    path = f"/api/v1/samples/{sample.id}/receive"
    assert tech.post(path, json={"seal_state": "完好"}).status_code == 428
    stale = tech.post(path, json={"seal_state": "完好"}, headers={"If-Match": '"v99"'})
    assert stale.status_code == 412
    junk = tech.post(path, json={"seal_state": "完好"}, headers={"If-Match": "*"})
    assert junk.status_code == 412
    etag = tech.get(f"/api/v1/samples/{sample.id}").headers["ETag"]
    assert (
        tech.post(path, json={"seal_state": "完好"}, headers={"If-Match": etag}).status_code == 200
    )
