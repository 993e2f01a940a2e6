"""Factory fixtures: each returns a callable that builds committed rows directly.

They build the state later features start from (a received sample with frozen result rows,
say) without going through every earlier screen; each feature's own tests exercise its real
services and pages.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import pytest

from labsys.core.identifiers import uscc_check_char
from labsys.extensions import db
from labsys.features import INIT_STEPS
from labsys.models import (
    Enterprise,
    FoodCategory,
    Link,
    ResultStatus,
    Role,
    Sample,
    SampleResult,
    SampleStatus,
    SamplingVisit,
    Specification,
    TestItem,
    VisitSampler,
)

_serial = itertools.count(1)


@pytest.fixture
def reference_data(app):
    """Everything `labsys init` loads: districts, the lab, holidays, the catalog."""
    for _name, step in INIT_STEPS():
        step(db.session)
    db.session.commit()


@pytest.fixture
def make_category(app):
    """make_category("粮食加工品", "小麦粉", "小麦粉", "通用小麦粉") -> the leaf (level = depth)."""

    def make(*names: str, key_food_level: int | None = None) -> FoodCategory:
        parent = None
        for level, name in enumerate(names, start=1):
            existing = (
                db.session.query(FoodCategory)
                .filter_by(name_zh=name, level=level, parent_id=parent.id if parent else None)
                .first()
            )
            if existing is None:
                existing = FoodCategory(
                    code=f"T{next(_serial):05d}",
                    level=level,
                    parent_id=parent.id if parent else None,
                    name_zh=name,
                    name_en=name,
                    is_key_food=(level == key_food_level),
                )
                db.session.add(existing)
                db.session.flush()
                existing.path = (parent.path if parent else "/") + f"{existing.id}/"
            parent = existing
        db.session.commit()
        return parent

    return make


@pytest.fixture
def make_item(app):
    def make(
        name: str = "铅(以Pb计)",
        unit: str = "mg/kg",
        *,
        method: str = "GB 5009.12-2023",
        micro: bool = False,
    ) -> TestItem:
        item = TestItem(
            code=f"I{next(_serial):05d}",
            name_zh=name,
            name_en=name,
            unit=unit,
            method_standard=method,
            is_microbiological=micro,
        )
        db.session.add(item)
        db.session.commit()
        return item

    return make


@pytest.fixture
def make_spec(app):
    def make(category, item, limit_text: str = "≤0.2", **fields) -> Specification:
        fields.setdefault("unit", item.unit)
        fields.setdefault("method_standard", item.method_standard)
        fields.setdefault("judgement_basis", "GB 2762-2022")
        spec = Specification(
            category_id=category.id, test_item_id=item.id, limit_text=limit_text, **fields
        )
        db.session.add(spec)
        db.session.commit()
        return spec

    return make


def valid_uscc(n: int) -> str:
    first17 = f"91110105{n:09d}"
    return first17 + uscc_check_char(first17)


@pytest.fixture
def make_enterprise(app):
    def make(name: str | None = None, region_code: str | None = None, **fields) -> Enterprise:
        n = next(_serial)
        fields.setdefault("uscc", valid_uscc(n))
        enterprise = Enterprise(
            name=name or f"测试企业{n}",
            address=f"北京市测试路{n}号",
            region_code=region_code,
            **fields,
        )
        db.session.add(enterprise)
        db.session.commit()
        return enterprise

    return make


@pytest.fixture
def make_sample(app, make_user, make_enterprise):
    """make_sample(leaf_category, items=[(spec-like dict)...], received=True) -> Sample.

    ``results`` are dicts of SampleResult columns (item_name, unit, limit_text, ...) with a
    ``test_item`` key; a received sample gets one PENDING result row per entry.
    """

    def make(
        category: FoodCategory,
        results: list[dict] | None = None,
        *,
        received: bool = True,
        sampler=None,
        sampling_date: date | None = None,
        link: Link = Link.RETAIL,
        region_code: str | None = None,
        **fields,
    ) -> Sample:
        sampler = sampler or make_user(None, Role.SAMPLER)
        unit = make_enterprise(region_code=region_code)
        visit = SamplingVisit(
            sampled_unit_id=unit.id,
            sampling_date=sampling_date or date(2026, 11, 2),
            place=unit.address,
            link=link,
            region_code=region_code,
            created_by_id=sampler.id,
        )
        visit.sampler_links = [VisitSampler(user_id=sampler.id)]
        db.session.add(visit)
        db.session.flush()
        levels = [int(p) for p in category.path.strip("/").split("/")]
        levels += [None] * (4 - len(levels))
        sample = Sample(
            sample_no=f"TEST{next(_serial):08d}",
            visit_id=visit.id,
            category_id=category.id,
            food_name=fields.pop("food_name", category.name_zh),
            quantity="2",
            quantity_unit="袋",
            sampling_date=visit.sampling_date,
            region_code=region_code,
            link=link,
            sampler_id=sampler.id,
            cat_l1_id=levels[0],
            cat_l2_id=levels[1],
            cat_l3_id=levels[2],
            cat_l4_id=levels[3],
            **fields,
        )
        if received:
            sample.status = SampleStatus.RECEIVED
            sample.received_at = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
            sample.seal_state = "完好"
        db.session.add(sample)
        db.session.flush()
        for seq, spec in enumerate(results or [], start=1) if received else []:
            spec = dict(spec)
            item = spec.pop("test_item")
            spec.setdefault("item_name", item.name_zh)
            spec.setdefault("unit", item.unit)
            spec.setdefault("method_standard", item.method_standard)
            db.session.add(
                SampleResult(
                    sample_id=sample.id,
                    test_item_id=item.id,
                    seq=seq,
                    status=ResultStatus.PENDING,
                    **spec,
                )
            )
        db.session.commit()
        return sample

    return make
