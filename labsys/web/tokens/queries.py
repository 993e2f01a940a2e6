"""Reads of the API token page."""

from __future__ import annotations

from sqlalchemy.orm import Session

from labsys.models import ApiToken


def token(session: Session, token_id: int) -> ApiToken | None:
    return session.get(ApiToken, token_id)
