"""One clock drives every date the application derives from "now": freeze it and the due
date of a received sample and the deadline board follow."""

from __future__ import annotations

from datetime import UTC, date, datetime

from labsys.extensions import db
from labsys.models import Role
from labsys.services import receipt, sampling


def _received_today(world):
    visit = sampling.create_visit(db.session, world.ann, world.visit(), [world.batch()])
    db.session.commit()
    sample = visit.samples[0]
    receipt.receive_sample(db.session, world.tom, sample, arrived_at=None, seal_state="完好")
    db.session.commit()
    return sample


def _board(client) -> str:
    html = client.get("/followup/board").get_data(as_text=True)
    return html.split('id="deadline-board"')[1] if 'id="deadline-board"' in html else html


def test_a_frozen_clock_sets_the_due_date_and_moves_the_deadline_board(
    world, make_user, login, client, freeze_clock
):
    freeze_clock(datetime(2026, 11, 4, 9, 30))  # Wednesday, Beijing time
    sample = _received_today(world)
    assert sample.received_at == datetime(2026, 11, 4, 1, 30, tzinfo=UTC)
    assert sample.due_report == date(2026, 12, 2)  # + 20 working days
    login(make_user("boss", Role.SUPERVISOR))
    assert sample.sample_no not in _board(client)  # four weeks to go

    freeze_clock(date(2026, 11, 30))  # Monday: due within 3 working days
    board = _board(client)
    assert sample.sample_no in board and "即将到期" in board and "已逾期" not in board

    freeze_clock(date(2026, 12, 3))  # the day after the deadline
    board = _board(client)
    assert sample.sample_no in board and "已逾期" in board
