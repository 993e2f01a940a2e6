"""What the risk pages read: the signals, filtered (computed by ``labsys.services.risk``)."""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from labsys.core import clock
from labsys.services import risk

KINDS = ("above_history", "above_peers", "trend", "repeat", "cross_district")


def signals(
    session: Session,
    *,
    scope: str = "",
    kind: str = "",
    show_all: bool = False,
    actor=None,
) -> list[risk.Signal]:
    """The signals shown; when every scope was computed, the open count is stored for the
    dashboard (by ``actor``)."""
    every = scope not in risk.SCOPES
    found = risk.compute_signals(
        session,
        risk.Settings.from_config(current_app.config),
        scopes=risk.SCOPES if every else [scope],
    )
    if every and actor is not None:
        risk.store_signal_count(session, actor, found, clock.today())
    if not show_all:
        found = risk.signalled(found)
    if kind in KINDS:
        found = [s for s in found if kind in s.kinds]
    return found
