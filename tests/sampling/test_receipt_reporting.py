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


def test_presence_absence_rows_of_a_colony_item_are_not_counts(make_category, make_item, make_spec):
    # 大肠菌群 is a plate count in cooked meat but presence/absence in drinking water.
    coliforms = make_item("大肠菌群", "CFU/g", micro=True)
    coliforms.is_colony_count = True
    water = make_category("饮料", "包装饮用水", "饮用纯净水", "饮用纯净水")
    meat = make_category("肉制品", "熟肉制品", "酱卤肉制品", "酱卤肉类")
    absent = make_spec(water, coliforms, "", micro_n=5, micro_c=0, micro_m="0/100mL")
    banned = make_spec(water, coliforms, "不得检出", effective_from=datetime(2001, 1, 1).date())
    counted = make_spec(meat, coliforms, "", micro_n=5, micro_c=2, micro_m="10", micro_big_m="100")
    assert (absent.is_colony_count, banned.is_colony_count, counted.is_colony_count) == (
        False,
        False,
        True,
    )
