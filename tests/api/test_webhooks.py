"""Webhooks: events written with the change, delivered in order and signed, retried with
backoff while the receiver is down, nothing lost; the delivery log page."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from labsys.core import clock
from labsys.extensions import db
from labsys.models import OutboxEvent, Role, WebhookDelivery, WebhookSubscription
from labsys.services import users, webhooks
from labsys.services.access import SYSTEM

from api_support import lab_world, walk_to_report
from support import PASSWORD, csrf_token

DAY = date(2026, 11, 2)


class Receiver:
    """An HTTP receiver on 127.0.0.1 that can be 'down' (answers 503) and records what it
    accepted."""

    def __init__(self):
        self.up = False
        self.received: list[tuple[dict, dict]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.up:
                    receiver.received.append((dict(self.headers), json.loads(body), body))
                self.send_response(204 if receiver.up else 503)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture
def receiver():
    made = Receiver()
    yield made
    made.close()


@pytest.fixture
def world(make_user, make_category, make_item, make_spec, make_enterprise):
    return lab_world(make_user, make_category, make_item, make_spec, make_enterprise)


def _subscribe(url, events=None):
    admin = users.create_user(
        db.session, SYSTEM, username="admin-webhooks", password="pass-word-1", roles=["admin"]
    )
    made = webhooks.create_subscription(db.session, admin, url, events)
    db.session.commit()
    return made


def test_a_receiver_that_was_down_gets_every_event_once_back_in_order(
    world, api_as, receiver, freeze_clock
):
    freeze_clock(datetime(2026, 11, 2, 10, 0))
    made = _subscribe(receiver.url)
    first = walk_to_report(world, api_as, DAY)
    second = walk_to_report(world, api_as, DAY, value="0.5")  # unqualified
    events = [e.event for e in db.session.query(OutboxEvent).order_by(OutboxEvent.id)]
    assert events == ["sample.concluded", "report.issued"] * 2

    run = webhooks.deliver(db.session)  # the receiver is down
    assert (run.delivered, run.failed) == (0, 1)
    subscription = db.session.get(WebhookSubscription, made.subscription.id)
    assert subscription.failures == 1 and subscription.last_event_id == 0
    first_wait = subscription.next_attempt_at - clock.now()
    assert first_wait == timedelta(seconds=30)
    assert webhooks.deliver(db.session).failed == 0  # waiting: not tried again yet

    freeze_clock(datetime(2026, 11, 2, 10, 1))
    assert webhooks.deliver(db.session).failed == 1  # still down: the wait doubles
    subscription = db.session.get(WebhookSubscription, made.subscription.id)
    assert subscription.next_attempt_at - clock.now() == timedelta(seconds=60)

    receiver.up = True
    freeze_clock(datetime(2026, 11, 2, 10, 3))
    run = webhooks.deliver(db.session)
    assert (run.delivered, run.failed) == (4, 0)
    got = [(body["event"], body["data"].get("report_no") or body["data"]["sample_no"])
           for _headers, body, _raw in receiver.received]  # fmt: skip
    assert [name for name, _ in got] == ["sample.concluded", "report.issued"] * 2
    assert got[1][1] == first["report_no"] and got[3][1] == second["report_no"]
    assert [body["data"].get("conclusion") for _h, body, _r in receiver.received][
        2
    ] == "unqualified"
    for headers, body, raw in receiver.received:
        expected = hmac.new(
            made.secret.encode(),
            headers["X-Labsys-Timestamp"].encode() + b"." + raw,
            hashlib.sha256,
        ).hexdigest()
        assert headers["X-Labsys-Signature"] == f"sha256={expected}"
        assert headers["X-Labsys-Delivery"] == str(body["id"])
    # nothing twice
    assert webhooks.deliver(db.session).delivered == 0
    log = db.session.query(WebhookDelivery).order_by(WebhookDelivery.id).all()
    assert [row.delivered for row in log] == [False, False, True, True, True, True]


def _issued_and_signed(world, api_as, receiver, event: str):
    """A report issued through the API with only ``event`` subscribed, and the
    supervisor's signature for what is done to it next."""
    from labsys.models import Report
    from labsys.services import esign

    _subscribe(receiver.url, [event])
    issued = walk_to_report(world, api_as, DAY)
    report = db.session.get(Report, issued["id"])
    return issued, report, esign.sign(world["boss"], PASSWORD, esign.Meaning.APPROVAL)


def test_a_correction_tells_of_the_superseded_report(world, api_as, receiver, freeze_clock):
    from labsys.services import reports

    freeze_clock(DAY)
    issued, report, signature = _issued_and_signed(world, api_as, receiver, "report.superseded")
    reports.correct_report(
        db.session,
        world["boss"],
        report,
        reason="地址有误",
        base_url="http://labsys.test",
        signature=signature,
    )
    db.session.commit()
    receiver.up = True
    run = webhooks.deliver(db.session)
    assert run.delivered == 1 and run.skipped >= 1
    ((_headers, body, _raw),) = receiver.received
    assert body["event"] == "report.superseded" and body["data"]["report_id"] == issued["id"]


def test_a_withdrawn_report_is_told_with_its_reason(world, api_as, receiver, freeze_clock):
    from labsys.models import ReportStatus
    from labsys.services import reports

    freeze_clock(DAY)
    issued, report, signature = _issued_and_signed(world, api_as, receiver, "report.withdrawn")
    reports.withdraw_report(
        db.session, world["boss"], report, reason="异议成立，撤销原结论", signature=signature
    )
    db.session.commit()
    assert report.status == ReportStatus.WITHDRAWN
    receiver.up = True
    run = webhooks.deliver(db.session)
    assert run.delivered == 1 and run.skipped >= 1  # the issue itself is not wanted
    ((_headers, body, _raw),) = receiver.received
    assert body["event"] == "report.withdrawn"
    assert body["data"]["report_id"] == issued["id"]
    assert body["data"]["withdrawal_reason"] == "异议成立，撤销原结论"
    assert body["data"]["withdrawn_at"].startswith(DAY.isoformat()[:10])


def test_nothing_is_written_without_subscribers_or_for_a_rolled_back_change(
    world, api_as, freeze_clock, receiver
):
    freeze_clock(DAY)
    walk_to_report(world, api_as, DAY)
    assert db.session.query(OutboxEvent).count() == 0
    _subscribe(receiver.url)
    tech = api_as(world["tech"])
    # a refused change writes no event: a report for a sample that is not concluded
    boss = api_as(world["boss"])
    refused = boss.post(
        "/api/v1/reports", json={"sample_id": 1, "confirm_signature": True, "password": PASSWORD}
    )
    assert refused.status_code == 422
    assert tech.get("/api/v1/samples/1").status_code == 200
    assert db.session.query(OutboxEvent).count() == 0


def test_overdue_deadlines_are_told_once(world, api_as, freeze_clock, receiver):
    freeze_clock(DAY)
    _subscribe(receiver.url)
    sampler = api_as(world["sam"])
    from api_support import visit_body

    assert sampler.post("/api/v1/visits", json=visit_body(world, DAY)).status_code == 201
    freeze_clock(DAY + timedelta(days=30))  # not delivered to the lab in 5 working days
    assert webhooks.scan_overdue(db.session) == 1
    db.session.commit()
    assert webhooks.scan_overdue(db.session) == 0
    (event,) = db.session.query(OutboxEvent).filter_by(event="deadline.overdue").all()
    assert json.loads(event.payload)["kind"] == "delivery"


def test_backoff_doubles_and_is_capped(app):
    assert [webhooks.backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert webhooks.backoff(40).total_seconds() == 6 * 3600


def test_only_http_addresses_and_known_events_are_accepted(app, make_user):
    admin = make_user("adm", Role.ADMIN)
    from labsys.services import ServiceError

    for url, events in (("ftp://x", None), ("javascript:alert(1)", None), ("http://x", ["nope"])):
        with pytest.raises(ServiceError):
            webhooks.create_subscription(db.session, admin, url, events)


def test_the_admin_page_adds_a_receiver_and_shows_the_log(app, client, make_user, login):
    login(make_user("adm", Role.ADMIN))
    page = client.post(
        "/admin/webhooks",
        data={
            "url": "http://127.0.0.1:9/hook",
            "events": ["report.issued"],
            "csrf_token": csrf_token(client, "/admin/webhooks"),
        },
    )
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="webhook-secret"' in html and "report.issued" in html
    subscription = db.session.query(WebhookSubscription).one()
    assert subscription.secret in html  # shown once, at creation
    assert subscription.secret not in client.get("/admin/webhooks").get_data(as_text=True)
    assert 'data-testid="delivery-log"' in html


def test_the_cli_delivers(app, make_user, receiver):
    _subscribe(receiver.url)
    result = app.test_cli_runner().invoke(args=["webhooks", "deliver"])
    assert result.exit_code == 0, result.output
    assert "0 delivered" in result.output
