"""A small world for the sampling tests: a wheat-flour leaf with two test items, a shop,
a producer, a team of samplers, a technician and a supervisor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from labsys.extensions import db
from labsys.models import Enterprise, FoodCategory, Role, TestItem, User, UserRole
from labsys.services import reference

SAMPLING_DAY = date(2026, 11, 2)  # a Monday, no holiday within 5 working days


@dataclass
class World:
    leaf: FoodCategory
    parent: FoodCategory
    lead: TestItem
    cadmium: TestItem
    shop: Enterprise
    producer: Enterprise
    ann: User
    bob: User
    eve: User
    tom: User
    sue: User

    def visit(self, **overrides) -> dict:
        data = {
            "sampled_unit_id": self.shop.id,
            "sampling_date": SAMPLING_DAY,
            "place": "北京市朝阳区测试路1号",
            "link": "retail",
            "sampler_ids": [self.bob.id],
        }
        data.update(overrides)
        return data

    def batch(self, **overrides) -> dict:
        data = {
            "food_name": "通用小麦粉",
            "category_id": self.leaf.id,
            "brand": "五得利",
            "specification": "5kg/袋",
            "production_date": date(2026, 10, 1),
            "batch_no": "",
            "shelf_life": "12个月",
            "quantity": "2",
            "quantity_unit": "袋",
            "backup_quantity": "1",
            "sampling_base": "200袋",
            "producer_id": self.producer.id,
            "remarks": "",
        }
        data.update(overrides)
        return data


@pytest.fixture
def world(app, make_user, make_category, make_item, make_spec, make_enterprise) -> World:
    reference.seed_regions(db.session)
    reference.seed_default_lab(db.session)
    db.session.commit()
    leaf = make_category("粮食加工品", "小麦粉", "小麦粉", "通用小麦粉")
    parent = db.session.get(FoodCategory, leaf.parent_id)
    lead = make_item("铅(以Pb计)", "mg/kg", method="GB 5009.12-2023")
    cadmium = make_item("镉(以Cd计)", "mg/kg", method="GB 5009.15-2023")
    make_spec(parent, lead, "≤0.2", lod="0.005", interval="0.01", sort_order=1)
    make_spec(leaf, cadmium, "≤0.1", lod="0.002", uncertainty="0.01", sort_order=2)
    ann = make_user("ann", Role.SAMPLER)

    def user(name: str, role: Role) -> User:
        """Same password as ann without paying for another password hash."""
        made = User(
            username=name,
            full_name=name.title(),
            password_hash=ann.password_hash,
            role_links=[UserRole(role=role)],
        )
        db.session.add(made)
        db.session.commit()
        return made

    return World(
        leaf=leaf,
        parent=parent,
        lead=lead,
        cadmium=cadmium,
        shop=make_enterprise("朝阳测试超市", region_code="110105"),
        producer=make_enterprise("五得利面粉集团", region_code="110108"),
        ann=ann,
        bob=user("bob", Role.SAMPLER),
        eve=user("eve", Role.SAMPLER),
        tom=user("tom", Role.TECHNICIAN),
        sue=user("sue", Role.SUPERVISOR),
    )
