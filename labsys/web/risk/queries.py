"""What the risk pages read: the signals, filtered (computed by ``labsys.services.risk``)."""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from labsys.services import risk

KINDS = ("above_history", "above_peers", "trend", "repeat", "cross_district")


def signals(
    session: Session, *, scope: str = "", kind: str = "", show_all: bool = False
) -> list[risk.Signal]:
    found = risk.compute_signals(
        session,
        risk.Settings.from_config(current_app.config),
        scopes=[scope] if scope in risk.SCOPES else risk.SCOPES,
    )
    if not show_all:
        found = risk.signalled(found)
    if kind in KINDS:
        found = [s for s in found if kind in s.kinds]
    return found
