"""Hazard classes of test items (issue 17 §1): kept in the catalog, shown and edited there."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from labsys.core import hazards
from labsys.models import HazardClass, Role, TestItem
from labsys.services import catalog


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("苏丹红I", hazards.ILLEGAL_ADDITIVE),
        ("孔雀石绿", hazards.ILLEGAL_ADDITIVE),
        ("沙门氏菌", hazards.PATHOGEN),
        ("金黄色葡萄球菌", hazards.PATHOGEN),
        ("毒死蜱", hazards.PESTICIDE_VET_RESIDUE),
        ("恩诺沙星", hazards.PESTICIDE_VET_RESIDUE),
        ("铅(以Pb计)", hazards.HEAVY_METAL_CONTAMINANT),
        ("总汞(以Hg计)", hazards.HEAVY_METAL_CONTAMINANT),
        ("黄曲霉毒素B1", hazards.BIOTOXIN),
        ("苯甲酸及其钠盐", hazards.ADDITIVE_OVERUSE),
        ("糖精钠", hazards.ADDITIVE_OVERUSE),
        ("酸价(KOH)", hazards.QUALITY_INDICATOR),
        ("过氧化值", hazards.QUALITY_INDICATOR),
        ("菌落总数", hazards.QUALITY_INDICATOR),
    ],
)
def test_names_suggest_a_hazard_class(name, expected):
    assert hazards.classify(name) == expected


def test_an_illegal_additive_weighs_more_than_an_acid_value():
    weights = hazards.weights()
    assert weights[hazards.ILLEGAL_ADDITIVE] > weights[hazards.QUALITY_INDICATOR]
    assert set(weights) == set(hazards.CLASSES) == {h.value for h in HazardClass}
    assert hazards.weights({"quality_indicator": 0.5})["quality_indicator"] == 0.5
    with pytest.raises(ValueError):
        hazards.weights({"nonsense": 1})
    with pytest.raises(ValueError):
        hazards.weights({"pathogen": 0})


def test_the_reference_catalog_gives_every_item_its_class(db):
    catalog.load_reference_catalog(db.session)
    by_code = dict(db.session.execute(select(TestItem.code, TestItem.hazard_class)).all())
    assert by_code["MG"] is HazardClass.ILLEGAL_ADDITIVE
    assert by_code["SALM"] is HazardClass.PATHOGEN
    assert by_code["CHLP"] is HazardClass.PESTICIDE_VET_RESIDUE
    assert by_code["CD"] is HazardClass.HEAVY_METAL_CONTAMINANT
    assert by_code["AFB1"] is HazardClass.BIOTOXIN
    assert by_code["SACC"] is HazardClass.ADDITIVE_OVERUSE
    assert by_code["AV"] is HazardClass.QUALITY_INDICATOR
    assert by_code["APC"] is HazardClass.QUALITY_INDICATOR


def test_an_admin_sees_and_edits_the_class(db, client, make_user, login, make_item, post):
    item = make_item("酸价(KOH)")
    db.session.commit()
    admin = make_user("hazadmin", Role.ADMIN)
    login(admin)
    html = client.get("/catalog/items").get_data(as_text=True)
    assert "质量指标" in html or "Quality indicator" in html
    url = f"/catalog/items/{item.id}/edit"
    response = post(
        url,
        {"code": item.code, "name_zh": item.name_zh, "hazard_class": "illegal_additive"},
        token_from=url,
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(TestItem, item.id).hazard_class is HazardClass.ILLEGAL_ADDITIVE
    bad = post(url, {"code": item.code, "name_zh": item.name_zh, "hazard_class": "x"})
    assert bad.status_code == 200  # the form shows the error; nothing saved
    created = catalog.create_test_item(db.session, admin, code="SUDAN1", name_zh="苏丹红I")
    assert created.hazard_class is HazardClass.ILLEGAL_ADDITIVE  # suggested by its name


def test_catalog_cli_prints_the_classes(app, db):
    runner = app.test_cli_runner()
    runner.invoke(args=["catalog", "load"])
    result = runner.invoke(args=["catalog", "items", "孔雀石绿"])
    assert result.exit_code == 0
    assert "孔雀石绿" in result.output
    assert "非法添加/禁用物质" in result.output or "Illegal additive" in result.output
    show = runner.invoke(args=["catalog", "show", "05010101", "--date", "2026-01-01"])
    line = next(x for x in show.output.splitlines() if "三聚氰胺" in x)
    assert line.endswith(("<非法添加/禁用物质>", "<Illegal additive or banned substance>"))
