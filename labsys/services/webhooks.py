"""Webhooks: events written to a durable outbox in the transaction of the change, and
delivered to each subscription in order, signed, with retries.

**Events** (``EVENTS``): ``sample.concluded`` (a sample's status became *concluded*),
``report.issued`` (a report was issued, a correction included), ``report.superseded`` (a
correction replaced it), ``report.withdrawn`` (an upheld objection withdrew it: no report is
in force until a new one is issued; with the reason and time), ``deadline.overdue`` (an item
of the deadline board passed its due date; found by :func:`scan_overdue`, run by ``labsys
webhooks deliver``, once per item and due date).  The first four are written by a session listener on every flush that changes
those states, whichever service did it, in the same transaction: rolled back with it, and
never lost once committed.  Nothing is written while no subscription is active.

**Delivery** (:func:`deliver`, ``labsys webhooks deliver [--loop]``): for each active
subscription whose back-off has passed, the events after its ``last_event_id`` in id order
(``wants`` filters by name; skipped ones just move the cursor).  Each is POSTed as JSON
``{"id", "event", "created_at", "data"}`` with the headers ``X-Labsys-Event``,
``X-Labsys-Delivery`` (the event id: receivers drop a repeat), ``X-Labsys-Timestamp`` and
``X-Labsys-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" under the
subscription's secret>``.  A 2xx answer moves the cursor on; anything else (or no answer)
stops that subscription's run, so later events wait: deliveries stay in order.  The wait
doubles after each failure (``WEBHOOK_BACKOFF_SECONDS``, capped at
``WEBHOOK_BACKOFF_MAX_SECONDS``).  Every attempt is logged (``webhook_deliveries``); each
is committed on its own, so a crash repeats at most the attempt under way (at least once).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import event, exists, insert, inspect, select
from sqlalchemy.orm import Session

from labsys.core import clock
from labsys.models import (
    OutboxEvent,
    Report,
    ReportStatus,
    Role,
    Sample,
    SampleStatus,
    User,
    WebhookDelivery,
    WebhookSubscription,
)
from labsys.services import audit
from labsys.services.access import writes
from labsys.services.errors import ServiceError

EVENTS = (
    "sample.concluded",
    "report.issued",
    "report.superseded",
    "report.withdrawn",
    "deadline.overdue",
)
MAX_BATCH = 100


# --- subscriptions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NewSubscription:
    subscription: WebhookSubscription
    secret: str  # shown once to the administrator, kept to sign


@writes(Role.ADMIN)
def create_subscription(
    session: Session, actor: User, url: str, events: list[str] | None = None
) -> NewSubscription:
    url = (url or "").strip()
    if not url.startswith(("http://", "https://")) or len(url) > 500:
        raise ServiceError(_("Enter the receiver's http:// or https:// address."), field="url")
    unknown = sorted(set(events or []) - set(EVENTS))
    if unknown:
        raise ServiceError(_("Unknown events: %(names)s", names=", ".join(unknown)), field="events")
    secret = secrets.token_urlsafe(32)
    last = session.scalar(select(OutboxEvent.id).order_by(OutboxEvent.id.desc()).limit(1)) or 0
    subscription = WebhookSubscription(
        url=url, secret=secret, events=",".join(events or []), last_event_id=last
    )
    session.add(subscription)
    session.flush()
    audit.record(
        session,
        actor,
        "webhook_subscription",
        subscription.id,
        "create",
        new={"url": url, "events": subscription.events},
    )
    return NewSubscription(subscription, secret)


@writes(Role.ADMIN)
def set_subscription_active(
    session: Session, actor: User, subscription: WebhookSubscription, active: bool
) -> None:
    subscription.active = bool(active)
    if active:
        subscription.next_attempt_at = None
    session.flush()
    audit.record(
        session,
        actor,
        "webhook_subscription",
        subscription.id,
        "activate" if active else "deactivate",
    )


# --- the outbox --------------------------------------------------------------------------------


def _has_subscribers(connection) -> bool:
    # A database at an older revision (a migration's own test, a restore before upgrade)
    # has no webhook tables: nothing to tell then, and the flush must go on.
    if not inspect(connection).has_table(WebhookSubscription.__tablename__):
        return False
    return bool(connection.scalar(select(exists().where(WebhookSubscription.active.is_(True)))))


def _payload(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)


def _changed_to(obj, attribute: str, value) -> bool:
    history = inspect(obj).attrs[attribute].history
    return bool(history.added) and history.added[0] == value and value not in history.deleted


def _sample_data(sample: Sample) -> dict:
    return {
        "sample_id": sample.id,
        "sample_no": sample.sample_no,
        "conclusion": sample.conclusion.value if sample.conclusion else None,
        "food_name": sample.food_name,
    }


def _report_data(report: Report) -> dict:
    return {
        "report_id": report.id,
        "report_no": report.report_no,
        "sample_id": report.sample_id,
        "conclusion": report.conclusion.value if report.conclusion else None,
        "sha256": report.sha256,
        "replaces_id": report.replaces_id,
        "superseded_by_id": report.superseded_by_id,
    }


def _events_of_flush(session: Session) -> list[tuple[str, int, dict]]:
    found: list[tuple[str, int, dict]] = []
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Sample) and _changed_to(obj, "status", SampleStatus.CONCLUDED):
            found.append(("sample.concluded", obj.id, _sample_data(obj)))
        elif isinstance(obj, Report):
            if obj in session.new and obj.status == ReportStatus.ISSUED:
                found.append(("report.issued", obj.id, _report_data(obj)))
            elif obj not in session.new and _changed_to(obj, "status", ReportStatus.SUPERSEDED):
                found.append(("report.superseded", obj.id, _report_data(obj)))
            elif obj not in session.new and _changed_to(obj, "status", ReportStatus.WITHDRAWN):
                data = _report_data(obj)
                data["withdrawn_at"] = obj.withdrawn_at.isoformat() if obj.withdrawn_at else None
                data["withdrawal_reason"] = obj.withdrawal_reason
                found.append(("report.withdrawn", obj.id, data))
    return found


@event.listens_for(Session, "after_flush")
def _write_outbox(session: Session, _context) -> None:
    """The flush's state changes, as events, in the same transaction."""
    found = _events_of_flush(session)
    if not found:
        return
    connection = session.connection()
    if not _has_subscribers(connection):
        return
    now = clock.now()
    connection.execute(
        insert(OutboxEvent),
        [
            {
                "event": name,
                "entity_id": str(entity_id),
                "payload": _payload(data),
                "created_at": now,
            }
            for name, entity_id, data in found
        ],
    )


def scan_overdue(session: Session, today: date | None = None) -> int:
    """Write a ``deadline.overdue`` event for each overdue item of the deadline board not
    told yet (once per kind, sample and due date); returns how many were written."""
    from labsys.services import followup

    if not _has_subscribers(session.connection()):
        return 0
    board = followup.deadline_board(session, today, size=1000)
    written = 0
    for item in board:
        if not item.overdue:
            continue
        key = f"{item.kind}:{item.sample_id}:{item.due.isoformat()}"
        told = session.scalar(
            select(
                exists().where(
                    OutboxEvent.event == "deadline.overdue", OutboxEvent.entity_id == key
                )
            )
        )
        if told:
            continue
        session.add(
            OutboxEvent(
                event="deadline.overdue",
                entity_id=key,
                payload=_payload(
                    {
                        "kind": item.kind,
                        "sample_id": item.sample_id,
                        "sample_no": item.sample_no,
                        "due": item.due.isoformat(),
                    }
                ),
            )
        )
        written += 1
    session.flush()
    return written


# --- delivery ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


Poster = Callable[[str, bytes, dict, float], Answer]


def http_post(url: str, body: bytes, headers: dict, timeout: float) -> Answer:
    request = urllib.request.Request(url, body, headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return Answer(response.status)
    except urllib.error.HTTPError as error:
        return Answer(error.code, f"HTTP {error.code}")
    except (OSError, ValueError) as error:  # refused, timed out, unreachable, bad address
        return Answer(None, str(error)[:500] or type(error).__name__)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def _message(outbox: OutboxEvent) -> bytes:
    return json.dumps(
        {
            "id": outbox.id,
            "event": outbox.event,
            "created_at": outbox.created_at.isoformat(),
            "data": json.loads(outbox.payload),
        },
        ensure_ascii=False,
        sort_keys=True,
    ).encode("utf-8")


def _setting(name: str, default: float) -> float:
    return float(current_app.config.get(name, default)) if has_app_context() else default


def backoff(failures: int) -> timedelta:
    base = _setting("WEBHOOK_BACKOFF_SECONDS", 30)
    cap = _setting("WEBHOOK_BACKOFF_MAX_SECONDS", 6 * 3600)
    return timedelta(seconds=min(base * 2 ** max(failures - 1, 0), cap))


@dataclass
class DeliveryRun:
    delivered: int = 0
    failed: int = 0
    skipped: int = 0


def deliver(
    session: Session, *, post: Poster = http_post, commit: bool = True, now: datetime | None = None
) -> DeliveryRun:
    """Deliver what is due to every active subscription (see the module notes); each
    attempt is committed on its own when ``commit``."""
    run = DeliveryRun()
    moment = now or clock.now()
    timeout = _setting("WEBHOOK_TIMEOUT_SECONDS", 10)
    subscriptions = list(
        session.scalars(
            select(WebhookSubscription)
            .where(WebhookSubscription.active.is_(True))
            .order_by(WebhookSubscription.id)
        )
    )
    for subscription in subscriptions:
        if subscription.next_attempt_at is not None and subscription.next_attempt_at > moment:
            continue
        _deliver_to(session, subscription, post, timeout, run, commit)
    return run


def _deliver_to(session, subscription, post, timeout, run, commit) -> None:
    events = list(
        session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.id > subscription.last_event_id)
            .order_by(OutboxEvent.id)
            .limit(MAX_BATCH)
        )
    )
    for outbox in events:
        if not subscription.wants(outbox.event):
            subscription.last_event_id = outbox.id
            run.skipped += 1
            continue
        body = _message(outbox)
        timestamp = str(int(clock.now().timestamp()))
        answer = post(
            subscription.url,
            body,
            {
                "Content-Type": "application/json",
                "User-Agent": "labsys-webhooks",
                "X-Labsys-Event": outbox.event,
                "X-Labsys-Delivery": str(outbox.id),
                "X-Labsys-Timestamp": timestamp,
                "X-Labsys-Signature": signature(subscription.secret, timestamp, body),
            },
            timeout,
        )
        session.add(
            WebhookDelivery(
                subscription_id=subscription.id,
                event_id=outbox.id,
                attempted_at=clock.now(),
                delivered=answer.ok,
                status_code=answer.status,
                error=None if answer.ok else (answer.error or f"HTTP {answer.status}")[:500],
            )
        )
        if answer.ok:
            subscription.last_event_id = outbox.id
            subscription.failures = 0
            subscription.next_attempt_at = None
            run.delivered += 1
        else:
            subscription.failures += 1
            subscription.next_attempt_at = clock.now() + backoff(subscription.failures)
            run.failed += 1
        session.flush()
        if commit:
            session.commit()
        if not answer.ok:
            return  # in order: later events wait for this one
    session.flush()
    if commit:
        session.commit()


def delivery_log(session: Session, limit: int = 200) -> list[WebhookDelivery]:
    return list(
        session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(limit))
    )


def subscriptions(session: Session) -> list[WebhookSubscription]:
    return list(session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)))
