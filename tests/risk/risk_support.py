"""A small world of judged supervision samples for the risk-signal tests, written in bulk.

A plain module (not a conftest): ``world(...)`` returns the ids the tests look up.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import insert

from labsys.extensions import db
from labsys.models import (
    Conclusion,
    Enterprise,
    HazardClass,
    Link,
    ResultStatus,
    Sample,
    SampleResult,
    SampleStatus,
    SamplingVisit,
    TestItem,
    VerdictValue,
)
from labsys.services import reference

_numbers = itertools.count(1)


@dataclass
class World:
    categories: dict
    items: dict
    units: list
    producers: list
    sampler: object
    visits: dict = field(default_factory=dict)


def build(make_category, make_user) -> World:
    reference.seed_regions(db.session)
    leafy = make_category("食用农产品", "蔬菜", "叶菜类蔬菜", "菠菜")
    flour = make_category("粮食加工品", "小麦粉", "小麦粉", "通用小麦粉")
    oil = make_category("食用油、油脂及其制品", "食用植物油", "食用植物油", "花生油")
    items = {
        "pesticide": TestItem(
            code="RK-CHLP", name_zh="毒死蜱", hazard_class=HazardClass.PESTICIDE_VET_RESIDUE
        ),
        "illegal": TestItem(
            code="RK-SUDAN", name_zh="苏丹红I", hazard_class=HazardClass.ILLEGAL_ADDITIVE
        ),
        "acid": TestItem(code="RK-AV", name_zh="酸价", hazard_class=HazardClass.QUALITY_INDICATOR),
    }
    db.session.add_all(items.values())
    units = [Enterprise(name=f"测试超市{i}", region_code="110105") for i in range(6)]
    producers = [Enterprise(name=f"测试食品厂{i}", region_code="110108") for i in range(6)]
    db.session.add_all(units + producers)
    db.session.flush()
    sampler = make_user("risk-sampler")
    db.session.commit()
    return World(
        categories={"leafy": leafy, "flour": flour, "oil": oil},
        items=items,
        units=units,
        producers=producers,
        sampler=sampler,
    )


def add_samples(
    world: World,
    *,
    category: str,
    day: date,
    count: int,
    failing: int = 0,
    item: str = "acid",
    region: str = "110105",
    link: Link = Link.RETAIL,
    unit: int = 0,
    producer: int | None = None,
    inspection_type: str = "supervision",
    plan_id: int | None = None,
) -> None:
    """``count`` judged samples on ``day``, the first ``failing`` unqualified on ``item``."""
    leaf = world.categories[category]
    levels = [int(p) for p in leaf.path.strip("/").split("/")]
    unit_row = world.units[unit]
    key = (unit_row.id, region, day, link)
    if key not in world.visits:
        world.visits[key] = db.session.execute(
            insert(SamplingVisit).values(
                sampled_unit_id=unit_row.id,
                sampling_date=day,
                link=link,
                region_code=region,
                created_by_id=world.sampler.id,
            )
        ).inserted_primary_key[0]
    rows = []
    for n in range(count):
        rows.append(
            {
                "sample_no": f"RK{next(_numbers):08d}",
                "visit_id": world.visits[key],
                "status": SampleStatus.CONCLUDED,
                "category_id": leaf.id,
                "food_name": leaf.name_zh,
                "quantity": "1",
                "sampling_date": day,
                "region_code": region,
                "link": link,
                "sampler_id": world.sampler.id,
                "cat_l1_id": levels[0],
                "cat_l2_id": levels[1],
                "cat_l3_id": levels[2],
                "cat_l4_id": levels[3],
                "producer_id": world.producers[producer].id if producer is not None else None,
                "inspection_type": inspection_type,
                "plan_id": plan_id,
                "conclusion": Conclusion.UNQUALIFIED if n < failing else Conclusion.QUALIFIED,
            }
        )
    ids = [r[0] for r in db.session.execute(insert(Sample).returning(Sample.id), rows).all()]
    results = [
        {
            "sample_id": sample_id,
            "test_item_id": world.items[item].id,
            "item_name": world.items[item].name_zh,
            "verdict": VerdictValue.FAIL if n < failing else VerdictValue.PASS,
            "status": ResultStatus.ACCEPTED,
        }
        for n, sample_id in enumerate(ids)
    ]
    db.session.execute(insert(SampleResult), results)
    db.session.commit()


# The year to 2026-11 on the 10th of each month, the months from September "recent".
YEAR_TO_NOVEMBER = [date(2025 + (m > 12), (m - 1) % 12 + 1, 10) for m in range(12, 24)]


def plant_district_vegetables(world: World, *, flour: bool = False) -> None:
    """海淀's spinach fails a pesticide from September, sold at two supermarkets (units 2
    and 3) alike: 3 of 15 a month at each, none before; elsewhere one in thirty fails, as
    always (and, with ``flour``, one in thirty of unit 1's flour on its acid value)."""
    for day in YEAR_TO_NOVEMBER:
        recent = day >= date(2026, 9, 1)
        add_samples(world, category="leafy", day=day, count=30, failing=1, item="pesticide")
        for unit in (2, 3):
            add_samples(
                world,
                category="leafy",
                day=day,
                count=15,
                failing=3 if recent else 0,
                item="pesticide",
                region="110108",
                unit=unit,
            )
        if flour:
            add_samples(world, category="flour", day=day, count=30, failing=1, item="acid", unit=1)
