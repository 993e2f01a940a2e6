"""Receipt freezes the reporting rule (interval or significant figures) and the colony-count
flag onto each result row: later catalog edits never change how a received sample prints."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from labsys.extensions import db
from labsys.models import Specification
from labsys.services import receipt, sampling


def test_receipt_freezes_significant_figures_and_the_colony_flag(world):
    cadmium_spec = db.session.scalar(
        select(Specification).where(Specification.test_item_id == world.cadmium.id)
    )
    cadmium_spec.significant_digits = 2
    world.cadmium.is_colony_count = True  # (only to see the flag travel)
    visit = sampling.create_visit(db.session, world.ann, world.visit(), [world.batch()])
    db.session.commit()
    results = receipt.receive_sample(
        db.session,
        world.tom,
        visit.samples[0],
        arrived_at=datetime(2026, 11, 4, 1, 30, tzinfo=UTC),
        seal_state="完好",
    )
    db.session.commit()
    cadmium_spec.significant_digits = 3  # a later catalog edit
    world.cadmium.is_colony_count = False
    db.session.commit()
    frozen = {r.item_name: (r.interval, r.significant_digits, r.is_colony_count) for r in results}
    assert frozen == {"铅(以Pb计)": ("0.01", None, False), "镉(以Cd计)": (None, 2, True)}
