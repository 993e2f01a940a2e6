"""Fixtures of the results feature: a technician, two reviewers, received samples."""

from __future__ import annotations

import pytest

from labsys.models import Role


@pytest.fixture
def tech(make_user):
    return make_user("tech", Role.TECHNICIAN, full_name="Tech Ting")


@pytest.fixture
def reviewer(make_user):
    return make_user("rev", Role.REVIEWER, full_name="Rita Reviewer")


@pytest.fixture
def flour(make_category):
    return make_category("粮食加工品", "小麦粉", "小麦粉", "通用小麦粉")


@pytest.fixture
def items(make_item):
    """Lead (≤0.2 mg/kg, LOD 0.005), clenbuterol-like banned item, and a plate count."""
    return {
        "lead": make_item("铅(以Pb计)", "mg/kg"),
        "banned": make_item("过氧化苯甲酰", "g/kg"),
        "count": make_item("菌落总数", "CFU/g", micro=True),
    }


@pytest.fixture
def flour_sample(make_sample, flour, items):
    """make_flour_sample(**fields) -> a received sample with lead, a banned item and a
    microbiological plate count (n=5, c=2, m=100, M=1000)."""

    def make(**fields):
        return make_sample(
            flour,
            [
                {
                    "test_item": items["lead"],
                    "limit_text": "≤0.2",
                    "lod": "0.005",
                    "interval": "0.01",
                    "judgement_basis": "GB 2762-2022",
                },
                {
                    "test_item": items["banned"],
                    "limit_text": "不得使用",
                    "lod": "0.01",
                    "judgement_basis": "GB 2760-2024",
                },
                {
                    "test_item": items["count"],
                    "limit_text": "",
                    "micro_n": 5,
                    "micro_c": 2,
                    "micro_m": "100",
                    "micro_big_m": "1000",
                    "judgement_basis": "GB 4789.2",
                },
            ],
            **fields,
        )

    return make
