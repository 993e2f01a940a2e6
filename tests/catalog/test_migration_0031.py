"""Migration 0031 places the test items already stored in their hazard classes, by the
reference catalog's codes and then by their names; and goes down again."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from foundation.test_migrations import scratch_app  # noqa: F401 - the fixture
from sqlalchemy import inspect, text

from labsys.extensions import db


def test_existing_items_get_their_classes(scratch_app):  # noqa: F811
    directory = scratch_app.extensions["migrate"].directory
    upgrade(directory=directory, revision="0030")
    items = [
        ("MG", "孔雀石绿"),
        ("X1", "苏丹红I"),
        ("SALM", "沙门氏菌"),
        ("CHLP", "毒死蜱"),
        ("CD", "镉(以Cd计)"),
        ("AFB1", "黄曲霉毒素B1"),
        ("SACC", "糖精钠(以糖精计)"),
        ("AV", "酸价(KOH)"),
        ("X2", "菌落总数"),
    ]
    for code, name in items:
        db.session.execute(
            text(
                "INSERT INTO test_items (code, name_zh, name_en, unit, method_standard, "
                "is_microbiological, is_colony_count) VALUES (:c, :n, '', '', '', false, false)"
            ),
            {"c": code, "n": name},
        )
    db.session.commit()
    upgrade(directory=directory, revision="0031")
    got = dict(db.session.execute(text("SELECT code, hazard_class FROM test_items")).all())
    assert got == {
        "MG": "illegal_additive",
        "X1": "illegal_additive",
        "SALM": "pathogen",
        "CHLP": "pesticide_vet_residue",
        "CD": "heavy_metal_contaminant",
        "AFB1": "biotoxin",
        "SACC": "additive_overuse",
        "AV": "quality_indicator",
        "X2": "quality_indicator",
    }
    db.session.commit()
    downgrade(directory=directory, revision="0030")
    columns = {c["name"] for c in inspect(db.engine).get_columns("test_items")}
    assert "hazard_class" not in columns
