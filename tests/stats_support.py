"""Fixtures of the compliance tests: a small, hand-counted set of concluded samples.

A plain module imported by the test files (not a conftest.py: nested conftest modules share
the name ``conftest`` and would shadow the root one for `from conftest import ...`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from labsys.extensions import db
from labsys.models import Conclusion, Lab, Link, Role, SampleStatus
from labsys.services import reference

Q, U, INC = Conclusion.QUALIFIED, Conclusion.UNQUALIFIED, Conclusion.INCONCLUSIVE


@dataclass
class Dataset:
    flour: object  # 通用小麦粉 (level 4), under the key food 小麦粉 (level 2)
    leek: object  # 韭菜, under the key food 蔬菜 (level 2)
    milk: object  # 巴氏杀菌乳, not a key food
    samples: list
    sampler: object
    other_sampler: object
    lab: object


@pytest.fixture
def supervisor(make_user):
    return make_user("boss", Role.SUPERVISOR, full_name="张主任")


@pytest.fixture
def regions(app):
    """Districts and the lab only: the full reference data (catalog) is not needed here."""
    reference.seed_regions(db.session)
    reference.seed_default_lab(db.session)
    db.session.commit()


@pytest.fixture
def dataset(regions, make_category, make_sample, make_user) -> Dataset:
    """11 counted samples: 7 qualified, 2 unqualified, 2 pending/inconclusive (+1 rejected).

    | food       | district    | link       | month   | Q | U | other        |
    | 通用小麦粉 | 110101 东城 | retail     | 2026-01 | 3 | 1 | 1 pending    |
    | 韭菜       | 110105 朝阳 | catering   | 2026-02 | 2 | 1 |              |
    | 巴氏杀菌乳 | 110101 东城 | production | 2026-04 | 2 | 0 | 1 inconclusive|
    plus one rejected 通用小麦粉 sample, never counted.
    """
    flour = make_category("粮食加工品", "小麦粉", "小麦粉", "通用小麦粉", key_food_level=2)
    leek = make_category("食用农产品", "蔬菜", "叶菜类蔬菜", "韭菜", key_food_level=2)
    milk = make_category("乳制品", "液体乳", "液体乳", "巴氏杀菌乳")
    sampler = make_user("sampler1", Role.SAMPLER, full_name="李抽样")
    other = make_user("sampler2", Role.SAMPLER, full_name="王抽样")
    lab = Lab(code="02", name="第二检验所")
    db.session.add(lab)
    db.session.commit()
    samples = []

    def add(category, conclusions, region, link, day, who=sampler, lab_id=None, **fields):
        for conclusion in conclusions:
            sample = make_sample(
                category,
                sampler=who,
                sampling_date=day,
                link=link,
                region_code=region,
                conclusion=conclusion,
                lab_id=lab_id,
                **fields,
            )
            if conclusion:  # make_sample leaves it received
                sample.status = SampleStatus.CONCLUDED
            samples.append(sample)
        db.session.commit()

    add(flour, [Q, Q, Q, U, None], "110101", Link.RETAIL, date(2026, 1, 15))
    add(leek, [Q, Q, U], "110105", Link.CATERING, date(2026, 2, 10), who=other, lab_id=lab.id)
    add(milk, [Q, Q, INC], "110101", Link.PRODUCTION, date(2026, 4, 1))
    rejected = make_sample(
        flour,
        sampler=sampler,
        sampling_date=date(2026, 1, 16),
        region_code="110101",
        received=False,
    )
    rejected.status = SampleStatus.REJECTED
    db.session.commit()
    return Dataset(flour, leek, milk, samples, sampler, other, lab)


__all__ = ["dataset", "regions", "supervisor"]
