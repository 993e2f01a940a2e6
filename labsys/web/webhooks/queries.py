"""Reads of the webhook pages."""

from __future__ import annotations

from sqlalchemy.orm import Session

from labsys.models import WebhookSubscription


def subscription(session: Session, subscription_id: int) -> WebhookSubscription | None:
    return session.get(WebhookSubscription, subscription_id)
