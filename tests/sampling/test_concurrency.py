"""Two samplers saving at the same moment never get the same sample number."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from labsys.database import write_intent
from labsys.extensions import db
from labsys.models import Sample, User
from labsys.services import sampling

THREADS = 4
VISITS_EACH = 3


def test_concurrent_visits_get_distinct_numbers(app, world):
    visit_data = world.visit()
    batches = [world.batch(), world.batch(food_name="高筋小麦粉")]
    actor_id = world.ann.id
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def save_visits():
        write_intent.set(True)
        try:
            with app.app_context():
                barrier.wait(timeout=30)
                for _ in range(VISITS_EACH):
                    with Session(db.engine) as session:
                        sampling.create_visit(
                            session,
                            session.get(User, actor_id),
                            dict(visit_data),
                            [dict(b) for b in batches],
                        )
                        session.commit()
        except BaseException as error:  # reported to the test below
            errors.append(error)

    db.session.commit()
    threads = [threading.Thread(target=save_visits) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    numbers = list(db.session.scalars(select(Sample.sample_no)))
    assert len(numbers) == THREADS * VISITS_EACH * 2
    assert len(set(numbers)) == len(numbers)
    serials = sorted(int(n[-5:]) for n in numbers)
    assert serials == list(range(1, len(numbers) + 1))  # no gaps when nothing rolls back


def test_the_database_refuses_a_duplicate_number(world):
    sample = sampling.create_visit(db.session, world.ann, world.visit(), [world.batch()]).samples[0]
    db.session.commit()
    twin = sampling.create_visit(db.session, world.ann, world.visit(), [world.batch()])
    twin.samples[0].sample_no = sample.sample_no
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
