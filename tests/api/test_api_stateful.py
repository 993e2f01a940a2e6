"""Schemathesis's stateful run over the document's OpenAPI links (create a visit → read it
→ its sample → receive it → its results → enter a value → review; issue a report → read it
and its PDF): chains of real calls on the records just made.  No 5xx, every answer valid
against the document (the role and scope checks are the stateless test's).  Bounded (a few
scenarios of a few steps; it runs on both databases in CI)."""

from __future__ import annotations

from datetime import date

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from labsys.extensions import db
from labsys.models import Role
from labsys.services import api_tokens
from labsys.services.access import SYSTEM

from api_support import lab_world, visit_body


@pytest.fixture
def world(
    app, make_user, make_category, make_item, make_spec, make_enterprise, freeze_clock, monkeypatch
):
    freeze_clock(date(2026, 11, 2))
    monkeypatch.setitem(app.config, "API_RATE_LIMIT_PER_MINUTE", 100_000)
    world = lab_world(make_user, make_category, make_item, make_spec, make_enterprise)
    everyone = make_user("all", *Role)
    world["secret"] = api_tokens.create_token(db.session, SYSTEM, everyone, scope="write").secret
    db.session.commit()
    return world


LINKED = [
    "getMe",
    "createVisit",
    "listSamples",
    "getVisit",
    "voidVisit",
    "getSample",
    "changeSample",
    "voidSample",
    "receiveSample",
    "getSampleResults",
    "submitResults",
    "getResult",
    "enterResult",
    "reviewResult",
    "issueReport",
    "getReport",
    "getReportPdf",
]


def _steer(case, world) -> None:
    """The chains start from real records: a visit is created with a valid body (the
    stateless test fuzzes this operation's input; here it is the first link of a chain),
    the rest follows the links with generated values where the links give none."""
    if case.method.upper() == "POST" and case.path == "/api/v1/visits":
        case.body = visit_body(world, date(2026, 11, 2))


def test_linked_calls_keep_the_contract(app, world):
    api_schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    links = sum(
        len(response.get("links", {}))
        for ops in api_schema.raw_schema["paths"].values()
        for op in ops.values()
        if isinstance(op, dict)
        for response in op.get("responses", {}).values()
    )
    assert links >= 10
    headers = {"Authorization": f"Bearer {world['secret']}"}

    # The linked operations only: a scenario starts where a chain starts, not on one of
    # the unlinked reads (which the stateless test covers).
    linked = api_schema.include(operation_id=LINKED)

    class Links(linked.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case):
            # The call runs in this test's app context: no transaction of the test's may
            # stay open across it (the request's rate count writes in one of its own, and
            # the request's session is this test's).
            _steer(case, world)
            db.session.rollback()

        def get_call_kwargs(self, case):
            return {"headers": headers}

        def validate_response(self, response, case, **kwargs):
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance]
            )

    Links.run(
        settings=settings(
            max_examples=15,
            stateful_step_count=8,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
    )
