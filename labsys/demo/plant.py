"""Planted problems for the demo (``labsys demo --plant N``, issue 17 §5): known answers the
risk signals must find.

Each problem adds visits of its own to the year (beyond ``--samples``), after the demo's
foods and failures are chosen and before the plans are made, so that every planted batch is
planned, written, judged by the real engine, audited and reported like the rest, and so that
the problem is as strong in a small demo as in a city's year.  Only supervision categories
are planted (the signals count supervision verdicts).  The key-food rate is then no longer
exactly the demo's figure.

Three kinds, taken in turn for N problems (each instance on a different target):

1. **producer** — a labelled producer (标称生产者) sampled through the year in shops of
   several districts: its batches pass until the last three months, then three in four fail;
2. **district** — a district whose vegetables (蔬菜) are sampled every month, failing a
   pesticide at the demo's usual rate until the last three months, then 20 %, 45 %, 70 %
   (exactly that share of each month's planted batches: known answers, not draws);
3. **category** — a food category (亚类) sampled through the year, with a spike in the last
   two months: three in four of its batches fail.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from labsys.core import hazards, workdays
from labsys.demo import world

KINDS = ("producer", "district", "category")
RECENT_MONTHS = 3
BASE_RATE = 0.02  # failures before the problem starts
DISTRICT_RATES = (0.20, 0.45, 0.70)  # the last three months, oldest first
SPIKE_RATE = 0.75
PRODUCER_RATE = 0.75
PER_MONTH = 6  # planted visits a month, one batch each (the district: two batches)


@dataclass
class Plant:
    """What a skeleton is made to be: sampled in ``district``, made by ``producer_id``,
    failing an item of ``hazard``."""

    district: str | None = None
    producer_id: int | None = None
    hazard: str | None = None


@dataclass
class Planted:
    kind: str
    scope: str  # the risk-signal scope that should find it
    key: str
    name: str
    samples: list = field(default_factory=list)

    def as_json(self) -> dict:
        return {"kind": self.kind, "scope": self.scope, "key": self.key, "name": self.name}


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def plant(demo, visits: list, count: int, rng: random.Random) -> list[Planted]:
    """Add ``count`` planted problems to ``visits`` (of the demo ``demo``, a generator._Demo),
    before its plans are made."""
    supervision = _supervision_l1s(demo, visits)
    planted: list[Planted] = []
    for n in range(count):
        kind = KINDS[n % len(KINDS)]
        made = {"producer": _producer, "district": _district, "category": _category}[kind](
            demo, visits, supervision, n // len(KINDS), rng
        )
        if made is not None:
            planted.append(made)
    visits.sort(key=lambda v: (v.day, v.team))
    return planted


def _supervision_l1s(demo, visits) -> set[int]:
    """The 大类 whose quota falls in the supervision plan (as ``_Demo._plan`` will place it)."""
    from labsys.demo.generator import _plan_index

    present = sorted({demo._levels(v.samples[0].category)[0] for v in visits})
    return {l1 for index, l1 in enumerate(present) if _plan_index(index) == 0}


def _days(demo) -> list[date]:
    """Working days of the year up to ten days before today (so their batches conclude)."""
    first, last = date(demo.year, 1, 2), demo.today - timedelta(days=10)
    span = [first + timedelta(d) for d in range((last - first).days + 1)]
    return [d for d in span if workdays.is_workday(d, demo.holidays)]


def _add_visit(demo, visits, day: date, leaf, batches: int, rng) -> list:
    """A new visit on ``day`` by a random team, every batch a ``leaf``; its concluded batches."""
    from labsys.demo.generator import Skeleton, Visit
    from labsys.models import Role

    visit = Visit(day, rng.randrange(len(demo.people[Role.SAMPLER]) // 2), False)
    visit.received = demo._workday_time(day, rng.randint(0, 2), 9, 16)
    for _ in range(batches):
        s = demo._progress(Skeleton(-1, day), visit, False)
        s.category = leaf
        visit.samples.append(s)
    visits.append(visit)
    return [s for s in visit.samples if s.concluded]


def _monthly_days(demo, rng) -> list[tuple[int, date]]:
    """PER_MONTH days in each month of the year so far: (month index, day)."""
    by_month: dict[int, list[date]] = {}
    for day in _days(demo):
        by_month.setdefault(_month_index(day), []).append(day)
    return [
        (month, day)
        for month, days in sorted(by_month.items())
        for day in sorted(rng.sample(days, min(PER_MONTH, len(days))))
    ]


def _fail_share(batches: list, rate: float) -> None:
    """Exactly round(rate × n) of one month's planted batches fail (the first ones): a known
    answer, not a draw."""
    failing = round(rate * len(batches))
    for n, s in enumerate(batches):
        s.unqualified = n < failing


def _by_month(days: list[tuple[int, date]]) -> list[tuple[int, list[date]]]:
    months: dict[int, list[date]] = {}
    for month, day in days:
        months.setdefault(month, []).append(day)
    return sorted(months.items())


def _leaves(demo, supervision, wanted) -> list:
    return [
        leaf
        for leaf in demo.leaves_key + demo.leaves_other
        if demo._levels(leaf)[0] in supervision and wanted(leaf)
    ]


def _producer(demo, visits, supervision, instance, rng) -> Planted | None:
    makers = sorted(
        {
            m
            for leaf in _leaves(demo, supervision, lambda leaf: True)
            if (m := world.maker_key(leaf.code)) and demo.producers.get(m)
        }
    )
    if len(makers) <= instance:
        return None
    maker = makers[instance]
    leaves = _leaves(demo, supervision, lambda leaf: world.maker_key(leaf.code) == maker)
    producer_id = demo.producers[maker][-1]
    recent_from = _month_index(demo.today) - RECENT_MONTHS + 1
    chosen = []
    for month, days in _by_month(_monthly_days(demo, rng)):
        batches = []
        for day in days:
            batches += _add_visit(demo, visits, day, rng.choice(leaves), 1, rng)
        for s in batches:
            s.plant = Plant(producer_id=producer_id)
        _fail_share(batches, PRODUCER_RATE if month >= recent_from else BASE_RATE)
        chosen += batches
    from labsys.models import Enterprise

    name = demo.session.get(Enterprise, producer_id).name
    return Planted("producer", "producer", str(producer_id), name, chosen)


def _district(demo, visits, supervision, instance, rng) -> Planted | None:
    leaves = _leaves(
        demo,
        supervision,
        lambda leaf: (
            "蔬菜" in _category_name(demo, demo._levels(leaf)[1]) and _has_pesticide(demo, leaf)
        ),
    )
    if not leaves:
        return None
    districts = sorted(demo.districts)
    district = districts[(3 + 5 * instance) % len(districts)]
    recent_from = _month_index(demo.today) - RECENT_MONTHS + 1
    chosen = []
    for month, days in _by_month(_monthly_days(demo, rng)):
        step = month - recent_from
        rate = DISTRICT_RATES[min(step, len(DISTRICT_RATES) - 1)] if step >= 0 else BASE_RATE
        batches = []
        for day in days:
            batches += _add_visit(demo, visits, day, rng.choice(leaves), 2, rng)
        for s in batches:
            s.plant = Plant(district=district[0], hazard=hazards.PESTICIDE_VET_RESIDUE)
        _fail_share(batches, rate)
        chosen += batches
    l1 = demo._levels(leaves[0])[0]
    return Planted("district", "district_category", f"{district[0]}:{l1}", district[1], chosen)


def _category(demo, visits, supervision, instance, rng) -> Planted | None:
    leaves = _leaves(
        demo, supervision, lambda leaf: "蔬菜" not in _category_name(demo, demo._levels(leaf)[1])
    )
    l2s = sorted({demo._levels(leaf)[1] for leaf in leaves})
    if len(l2s) <= instance:
        return None
    l2 = l2s[(7 * instance + 3) % len(l2s)]
    own = [leaf for leaf in leaves if demo._levels(leaf)[1] == l2]
    last = _month_index(demo.today)
    chosen = []
    for month, days in _by_month(_monthly_days(demo, rng)):
        batches = []
        for day in days:
            batches += _add_visit(demo, visits, day, rng.choice(own), 1, rng)
        _fail_share(batches, SPIKE_RATE if month >= last - 1 else BASE_RATE)
        chosen += batches
    return Planted("category", "category", str(l2), _category_name(demo, l2), chosen)


def _has_pesticide(demo, leaf) -> bool:
    return any(
        spec.test_item.hazard_class.value == hazards.PESTICIDE_VET_RESIDUE
        for spec in demo._specs(leaf, date(demo.year, 6, 30))
    )


def _category_name(demo, category_id: int | None) -> str:
    from labsys.models import FoodCategory

    category = demo.session.get(FoodCategory, category_id) if category_id else None
    return category.name_zh if category else ""
