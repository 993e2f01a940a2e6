"""The one clock: frozen by tests, local days in Beijing time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from labsys.core import clock


def test_frozen_clock_reads_naive_moments_and_days_as_local_time():
    with clock.frozen(date(2026, 1, 1)) as moment:
        # 10:00 in Beijing is 02:00 UTC; the local day is the one asked for.
        assert moment == datetime(2026, 1, 1, 2, 0, tzinfo=UTC) == clock.now()
        assert clock.today() == date(2026, 1, 1)
    with clock.frozen(datetime(2026, 1, 1, 23, 30, tzinfo=UTC)):
        assert clock.today() == date(2026, 1, 2)  # already the 2nd in Beijing
        assert clock.local_date(clock.now()) == date(2026, 1, 2)


def test_the_clock_runs_again_after_the_block_even_when_it_fails():
    with pytest.raises(RuntimeError), clock.frozen(date(2000, 1, 1)):
        raise RuntimeError
    assert clock.today().year > 2000
    assert clock.now().tzinfo is not None


def test_frozen_blocks_nest_and_restore_in_order():
    with clock.frozen(date(2026, 5, 1)):
        with clock.frozen(date(2026, 6, 1)):
            assert clock.today() == date(2026, 6, 1)
        assert clock.today() == date(2026, 5, 1)


def test_a_frozen_clock_stays_frozen():
    with clock.frozen(date(2026, 5, 1)) as moment:
        assert clock.now() == clock.now() == moment
        assert clock.local_now().hour == 10
