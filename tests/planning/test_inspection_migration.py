"""Migration 0020 maps the free-text 检验类别 of existing plans as the core does, on both
databases, and its downgrade writes the Chinese names back."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from sqlalchemy import text

from labsys.core.inspection import CHINESE, from_text
from labsys.extensions import db

MIGRATION = Path(__file__).parents[2] / "migrations" / "versions" / "0020_inspection_types.py"


def _migration():
    spec = importlib.util.spec_from_file_location("migration_0020", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LEGACY = [
    "监督抽检",
    "风险监测",
    "评价性抽检",
    " 风险监测 ",
    "2026年食品安全风险监测",
    "评价抽检",
    "supervision",
    "RISK_MONITORING",
    "Risk monitoring",
    "Evaluative sampling",
    "专项抽检",
    "",
]


@pytest.mark.parametrize("legacy", LEGACY)
def test_the_sql_mapping_agrees_with_the_core(app, legacy):
    sql = f"SELECT {_migration().FROM_TEXT} FROM (SELECT :value AS inspection_text) AS legacy"
    assert db.session.execute(text(sql), {"value": legacy}).scalar_one() == from_text(legacy)


def test_the_downgrade_names_are_the_printed_ones():
    assert _migration().CHINESE == CHINESE
