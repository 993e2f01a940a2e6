"""The REST API's own tables: personal tokens, stored answers to creates (Idempotency-Key),
and the webhook outbox with its subscriptions and deliveries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from labsys.core import clock
from labsys.models.base import Base, UTCDateTime
from labsys.models.user import User

SCOPE_READ = "read"
SCOPE_WRITE = "write"
SCOPES = (SCOPE_READ, SCOPE_WRITE)


class ApiToken(Base):
    """A personal API token.  Only the SHA-256 of the secret is kept: the token itself is
    shown once, when it is made.  ``scope`` read allows GET only; write also allows
    changes (always within the user's roles)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    prefix: Mapped[str] = mapped_column(String(16))  # shown in lists to tell tokens apart
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")

    @property
    def writes(self) -> bool:
        return self.scope == SCOPE_WRITE

    def is_valid(self, moment: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > moment


class ApiRateWindow(Base):
    """Calls made with one token in one window of the rate limit, counted in the database
    so that every server process sees the same count (services/rate_limits.py).  About one
    row per token in use: a new window deletes the token's older ones."""

    __tablename__ = "api_rate_windows"

    token_id: Mapped[int] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="CASCADE"), primary_key=True
    )
    # The window's start, in seconds since 1970-01-01 UTC (a multiple of its length).
    window_start: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    calls: Mapped[int] = mapped_column(default=0)


class IdempotentRequest(Base):
    """The answer given to a create sent with an ``Idempotency-Key``: a retry with the same
    key and body gets it again instead of creating twice."""

    __tablename__ = "api_idempotency"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    key: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(300))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response_body: Mapped[str] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_api_idempotency_user_key"),)


class WebhookSubscription(Base):
    """A receiver of events: its address, the secret its deliveries are signed with
    (HMAC-SHA256), the events it wants (comma-separated, empty for all), and where it is in
    the outbox: every event after ``last_event_id`` is still to be delivered, in order; after
    a failure nothing is sent to it before ``next_attempt_at`` (exponential backoff)."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(100))
    events: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(default=True)
    last_event_id: Mapped[int] = mapped_column(default=0)
    failures: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    def wants(self, event: str) -> bool:
        wanted = [name.strip() for name in self.events.split(",") if name.strip()]
        return not wanted or event in wanted


class OutboxEvent(Base):
    """An event, written in the same transaction as the change it tells of."""

    __tablename__ = "webhook_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    __table_args__ = (Index("ix_webhook_outbox_event_entity", "event", "entity_id"),)


class WebhookDelivery(Base):
    """The delivery log: one row per attempt to deliver an event to a subscription."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id"))
    event_id: Mapped[int] = mapped_column(ForeignKey("webhook_outbox.id"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    delivered: Mapped[bool] = mapped_column(default=False)
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(String(500))

    subscription: Mapped[WebhookSubscription] = relationship(lazy="joined")
    event: Mapped[OutboxEvent] = relationship(lazy="joined")

    __table_args__ = (Index("ix_webhook_deliveries_subscription", "subscription_id", "id"),)
