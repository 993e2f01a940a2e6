"""What the risk pages read: the signals, filtered (computed by ``labsys.services.risk``)."""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from labsys.services import risk

KINDS = ("above_history", "above_peers", "trend", "repeat", "cross_district")


def signals(
    session: Session,
    *,
    scope: str = "",
    kind: str = "",
    show_all: bool = False,
) -> tuple[list[risk.Signal], int | None]:
    """The signals shown, and how many signal in every scope (None when a scope was chosen):
    the page compares that with the dashboard's stored count (it stores nothing: a GET)."""
    every = scope not in risk.SCOPES
    found = risk.compute_signals(
        session,
        risk.Settings.from_config(current_app.config),
        scopes=risk.SCOPES if every else [scope],
    )
    open_now = len(risk.signalled(found)) if every else None
    if not show_all:
        found = risk.signalled(found)
    if kind in KINDS:
        found = [s for s in found if kind in s.kinds]
    return found, open_now
