"""Schemathesis against /api/v1/openapi.json: every operation, generated requests, with a
token of every role (write scope) and a sampler's read-only token.  No 5xx, every answer
valid against the document, and nothing answered 2xx outside the token's roles and scope.
Bounded: a few examples per operation (it runs on both databases in CI)."""

from __future__ import annotations

from datetime import date

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from labsys.extensions import db
from labsys.models import Role, Sample, SampleResult, SamplingVisit
from labsys.services import api_tokens
from labsys.services.access import SYSTEM
from labsys.web.access import TokenAccess

from api_support import lab_world

READ_METHODS = {"GET", "HEAD", "OPTIONS"}
KNOWN: dict[str, int] = {}  # path parameters of records the fixture made


@pytest.fixture
def tokens(
    app, make_user, make_category, make_item, make_spec, make_enterprise, make_sample, freeze_clock
):
    freeze_clock(date(2026, 11, 2))
    world = lab_world(make_user, make_category, make_item, make_spec, make_enterprise)
    everyone = make_user("all", *Role)
    lead = {"test_item": world["lead"], "limit_text": "≤0.2", "judgement_basis": "GB 2762-2022"}
    sample = make_sample(world["flour"], [lead], sampler=world["sam"])
    KNOWN.update(
        sample_id=sample.id,
        visit_id=sample.visit_id,
        result_id=sample.results[0].id,
        category_id=world["flour"].id,
    )

    def secret(user, scope):
        made = api_tokens.create_token(db.session, SYSTEM, user, scope=scope)
        return made.secret

    made = {
        "all": (secret(everyone, "write"), set(Role), True),
        "sampler-read": (secret(world["sam"], "read"), {Role.SAMPLER}, False),
    }
    db.session.commit()
    return made


def _access_of(app, case) -> TokenAccess | None:
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _args = adapter.match(case.formatted_path, method=case.method.upper())
    except Exception:  # not routed as generated (e.g. an odd path parameter): 404/405
        return None
    return getattr(app.view_functions[endpoint], "_access", None)


def test_the_api_keeps_its_contract(app, tokens):
    api_schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 25
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=5,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def keeps_contract(case):
            _check(app, tokens, case)

        keeps_contract()


def _check(app, tokens, case) -> None:
    _call(app, tokens, case)
    known = {name: KNOWN[name] for name in case.path_parameters or {} if name in KNOWN}
    if known:  # the same request on records that exist (generated ids rarely do)
        case.path_parameters = {**case.path_parameters, **known}
        if case.headers and "If-Match" in case.headers:  # and the version it has now
            case.headers = {**case.headers, "If-Match": _etag(case.path_parameters)}
        _call(app, tokens, case)


def _etag(parameters) -> str:
    db.session.expire_all()
    if "result_id" in parameters:
        return f'"v{db.session.get(SampleResult, parameters["result_id"]).version_id}"'
    if "visit_id" in parameters:
        return f'"v{db.session.get(SamplingVisit, parameters["visit_id"]).version_id}"'
    return f'"v{db.session.get(Sample, parameters["sample_id"]).version_id}"'


def _call(app, tokens, case) -> None:
    for secret, roles, writes in tokens.values():
        response = case.call(headers={"Authorization": f"Bearer {secret}"})
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
        access = _access_of(app, case)
        if 200 <= response.status_code < 300 and isinstance(access, TokenAccess):
            if access.roles is not None:
                assert roles & access.roles, (case.method, case.path, "outside the roles")
            if access.write or case.method.upper() not in READ_METHODS:
                assert writes, (case.method, case.path, "a read token changed data")
