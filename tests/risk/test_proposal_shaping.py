"""Signals and grades shape the proposed quotas (issue 17 §3): a district under an open
risk signal, or whose enterprises are graded C/D, gets more of the same total, every
category keeping its minimum; the backtest sees neither a later signal nor a later grade."""

from __future__ import annotations

from datetime import date

import pytest
from risk_support import add_samples, build

from labsys.extensions import db
from labsys.models import Enterprise, GradeChange, RiskGrade
from labsys.services import proposals

TODAY = date(2026, 12, 1)
MONTHS = [date(2025 + (m > 12), (m - 1) % 12 + 1, 10) for m in range(12, 24)]  # 2025-12..2026-11


@pytest.fixture
def world(app, make_category, make_user, freeze_clock):
    """Vegetables alike in 海淀 (110108) and 朝阳 (110105) over the year (1 of 30 a month), 30
    flour batches a month in 朝阳; then 海淀's vegetables fail 6 of 30 in each of the last
    three months: the year's rates stay close, the signal is plain."""
    freeze_clock(TODAY)
    w = build(make_category, make_user)
    for day in MONTHS:
        recent = day >= date(2026, 9, 1)
        add_samples(w, category="leafy", day=day, count=30, failing=1, item="pesticide")
        add_samples(
            w, category="leafy", day=day, count=30, failing=6 if recent else 1,
            item="pesticide", region="110108", unit=2,
        )  # fmt: skip
        add_samples(w, category="flour", day=day, count=30, failing=1, item="acid", unit=1)
    return w


def _cells(proposed, category_id):
    return {k[1]: n for k, n in proposed.quotas.items() if k[0] == category_id}


def test_an_open_signal_shifts_quota_toward_its_district(world):
    veg = int(world.categories["leafy"].path.strip("/").split("/")[0])
    flour = int(world.categories["flour"].path.strip("/").split("/")[0])
    options = dict(total=120, minimum=10, history_end=TODAY)
    plain = proposals.propose_quotas(db.session, shape=False, **options)
    shaped = proposals.propose_quotas(db.session, **options)
    assert shaped.signals[(veg, "110108")] > 0  # 海淀's vegetables signal
    assert shaped.signals.get((veg, "110105"), 0) < shaped.signals[(veg, "110108")]
    assert _cells(shaped, veg)["110108"] > _cells(plain, veg)["110108"]
    for proposed in (plain, shaped):
        assert sum(proposed.quotas.values()) == 120
        assert sum(_cells(proposed, flour).values()) >= 10
    # Saved with the proposal and shown beside the quota.
    proposal = proposals.create_proposal(
        db.session,
        _supervisor(world),
        name="十二月",
        period_start=TODAY,
        period_end=date(2026, 12, 31),
        total=120,
        min_per_category=10,
    )
    row = next(q for q in proposal.quotas if (q.category_id, q.region_code) == (veg, "110108"))
    assert row.quota == _cells(shaped, veg)["110108"] and float(row.signal) > 0


def _supervisor(world):
    from labsys.models import Role
    from labsys.services import users
    from labsys.services.access import SYSTEM

    return users.create_user(
        db.session, SYSTEM, username="planner", password="pass-word-1", roles=[Role.SUPERVISOR]
    )


def test_high_grades_shift_quota_toward_their_district_from_their_day_on(world):
    veg = int(world.categories["leafy"].path.strip("/").split("/")[0])
    for n in range(3):
        shop = Enterprise(name=f"朝阳高风险店{n}", region_code="110105")
        db.session.add(shop)
        db.session.flush()
        db.session.add(
            GradeChange(
                enterprise_id=shop.id,
                graded_on=date(2026, 11, 15),
                grade=RiskGrade.D,
                score="9",
                reasons="[]",
            )
        )
    db.session.commit()
    options = dict(total=120, minimum=10)
    before = proposals.propose_quotas(db.session, history_end=date(2026, 11, 15), **options)
    after = proposals.propose_quotas(db.session, history_end=TODAY, **options)
    assert before.grades.get((veg, "110105"), 0) == 0  # graded after that day: unseen
    assert after.grades[(veg, "110105")] == 1
    plain = proposals.propose_quotas(db.session, history_end=TODAY, shape=False, **options)
    assert _cells(after, veg)["110105"] > _cells(plain, veg)["110105"]
    assert sum(after.quotas.values()) == 120


def test_the_backtest_sees_no_later_signal(world):
    """A proposal for September from the history before it: 海淀's rise had not begun."""
    veg = int(world.categories["leafy"].path.strip("/").split("/")[0])
    proposed = proposals.propose_quotas(
        db.session, total=60, minimum=5, history_end=date(2026, 9, 1)
    )
    assert proposed.signals.get((veg, "110108"), 0) == 0
