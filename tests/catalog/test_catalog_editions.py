"""The reference catalog follows the standards in force (issue 11 §1, issue 20 "catalog dates").

Figures marked (verify) in the catalog's notes come from memory, not the standard's text; the
tests below that use them say so.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from labsys.core.judgement import Spec, SpecKind
from labsys.core.limits import limit_with_unit
from labsys.extensions import db
from labsys.models import (
    AuditEntry,
    CatalogVersion,
    FoodCategory,
    OilProcess,
    Role,
    Specification,
)
from labsys.services import ServiceError, catalog, receipt
from labsys.services.catalog_check import CatalogError, check_catalog, read_standards

EDITION_RE = re.compile(r"^(GB(?:/T)? \d+(?:\.\d+)?)-(\d{4})$")
DAYS = [
    date(2015, 6, 1),
    date(2019, 1, 1),
    date(2023, 6, 29),
    date(2023, 6, 30),
    date(2025, 2, 7),
    date(2025, 2, 8),
    date(2026, 11, 2),
]


@pytest.fixture
def loaded(app):
    assert catalog.load_reference_catalog(db.session)
    db.session.commit()


def _category(code: str) -> FoodCategory:
    return db.session.scalar(select(FoodCategory).where(FoodCategory.code == code))


def _rows(code: str, on: date, oil_process: str | None = None) -> dict[str, Specification]:
    specs = catalog.applicable_specifications(db.session, _category(code).id, on, oil_process)
    return {s.test_item.code + (f"/{s.oil_process}" if s.oil_process else ""): s for s in specs}


def _editions(specs) -> dict[str, set[str]]:
    editions: dict[str, set[str]] = {}
    for spec in specs:
        if match := EDITION_RE.match(spec.judgement_basis):
            editions.setdefault(match[1], set()).add(match[2])
    return editions


# --- one edition per standard --------------------------------------------------------------


def test_for_any_category_and_date_the_specifications_cite_one_edition_per_standard(loaded):
    categories = list(db.session.scalars(select(FoodCategory)))
    checked = 0
    for category in categories:
        for day in DAYS:
            specs = catalog.applicable_specifications(db.session, category.id, day)
            mixed = {k: v for k, v in _editions(specs).items() if len(v) > 1}
            assert not mixed, f"{category.code} on {day}: {mixed}"
            checked += len(specs)
    assert checked > 1000


def test_a_sample_made_before_an_edition_never_mixes_editions(loaded, make_sample):
    # Any production date around the two switch-overs, sampled later, any shelf life.
    for code in ("0301", "05010101", "06020101", "24010101", "31010101", "30010101"):
        category = _category(code)
        for made in (date(2023, 6, 1), date(2025, 1, 20), date(2025, 3, 1)):
            for days in (None, 30, 365):
                sample = make_sample(
                    category,
                    received=False,
                    sampling_date=date(2025, 3, 10),
                    production_date=made,
                    shelf_life_days=days,
                )
                specs = catalog.specifications_for_sample(db.session, sample)
                assert all(len(v) == 1 for v in _editions(specs).values()), (code, made, days)


# --- GB 2760-2024 --------------------------------------------------------------------------


def test_additives_cite_gb_2760_2024_from_2025_02_08_and_the_2014_edition_before(loaded):
    # 酱油 苯甲酸 (the example) and 熟肉制品 亚硝酸盐.
    for code, item in (("03010101", "BENZ"), ("04010101", "NO2")):
        before, after = _rows(code, date(2025, 2, 7)), _rows(code, date(2025, 2, 8))
        assert before[item].judgement_basis == "GB 2760-2014"
        assert after[item].judgement_basis == "GB 2760-2024"
    assert _rows("03010101", date(2026, 11, 2))["BENZ"].limit_text == "≤1.0"


def test_every_2014_additive_row_has_a_2024_row_on_the_same_category(loaded):
    old = db.session.scalars(
        select(Specification).where(Specification.judgement_basis == "GB 2760-2014")
    ).all()
    assert len(old) > 40
    for spec in old:
        assert spec.effective_from == date(2015, 5, 24)
        newer = db.session.scalar(
            select(Specification).where(
                Specification.category_id == spec.category_id,
                Specification.test_item_id == spec.test_item_id,
                Specification.effective_from == date(2025, 2, 8),
            )
        )
        assert newer is not None and newer.judgement_basis == "GB 2760-2024", spec


def test_no_additive_row_in_force_today_cites_gb_2760_2014(loaded):
    for leaf in db.session.scalars(select(FoodCategory).where(FoodCategory.level == 4)):
        bases = {s.judgement_basis for s in catalog.applicable_specifications(db.session, leaf.id)}
        assert "GB 2760-2014" not in bases, leaf.code


# --- GB 2762: lead in milk, juice, infant formula -------------------------------------------


@pytest.mark.parametrize("code", ["05010101", "05010102", "05010103", "05010104"])
def test_lead_in_liquid_milk_is_0_02_from_2023_06_30_and_0_05_before(loaded, code):
    # GB 2762-2022 Table 1: 生乳、巴氏杀菌乳、灭菌乳、调制乳、发酵乳 0.02 mg/kg; GB 2762-2017: 0.05.
    before, after = _rows(code, date(2023, 6, 29))["PB"], _rows(code, date(2023, 6, 30))["PB"]
    assert (before.limit_text, before.judgement_basis) == ("≤0.05", "GB 2762-2017")
    assert (after.limit_text, after.judgement_basis) == ("≤0.02", "GB 2762-2022")
    # The method must be able to report below the limit (issue: LOD 0.02 / LOQ 0.04 could not).
    assert Spec.parse(after.limit_text).high > max(map(float_free, (after.lod, after.loq)))


def float_free(text: str):
    from decimal import Decimal

    return Decimal(text)


def test_juice_and_infant_formula_lead_follow_the_2022_edition(loaded):
    # (verify) GB 2762-2022: 果蔬汁类及其饮料 0.03, 婴幼儿配方食品 0.08 mg/kg (as powder).
    assert _rows("06020101", date(2026, 1, 1))["PB"].limit_text == "≤0.03"
    assert _rows("06020101", date(2023, 1, 1))["PB"].limit_text == "≤0.05"
    assert _rows("30010101", date(2026, 1, 1))["PB"].limit_text == "≤0.08"
    assert _rows("30010101", date(2023, 1, 1))["PB"].limit_text == "≤0.15"


# --- GB 2716-2018 solvent residue ----------------------------------------------------------


def test_solvent_residue_depends_on_pressed_or_solvent_extracted(loaded):
    both = _rows("02010101", date(2026, 1, 1))
    assert both["SOLV/solvent"].limit_text == "≤20"
    assert both["SOLV/pressed"].limit_text == "不得检出"
    assert both["SOLV/pressed"].lod == "10"  # below 10 mg/kg counts as not detected
    pressed = _rows("02010101", date(2026, 1, 1), "pressed")
    assert "SOLV/solvent" not in pressed and "SOLV/pressed" in pressed


def _technician(make_user):
    return make_user("tech1", Role.TECHNICIAN)


def _receive(sample, user):
    return receipt.receive_sample(
        db.session,
        user,
        sample,
        arrived_at=datetime(2026, 11, 3, 2, 0, tzinfo=UTC),
        seal_state="完好",
    )


@pytest.mark.parametrize(
    ("process", "limit", "lod"), [("pressed", "不得检出", "10"), ("solvent", "≤20", None)]
)
def test_receipt_freezes_the_solvent_residue_limit_of_the_oil_process(
    loaded, make_sample, make_user, process, limit, lod
):
    sample = make_sample(_category("02010101"), received=False, oil_process=OilProcess(process))
    results = {r.item_name: r for r in _receive(sample, _technician(make_user))}
    solvent = results["溶剂残留量"]
    assert (solvent.limit_text, solvent.judgement_basis) == (limit, "GB 2716-2018")
    assert solvent.lod == lod
    assert sum(r.test_item.code == "SOLV" for r in results.values()) == 1


def test_receipt_of_an_oil_without_its_process_is_refused_and_changes_nothing(
    loaded, make_sample, make_user
):
    sample = make_sample(_category("02010101"), received=False)
    with pytest.raises(ServiceError, match="压榨"):
        _receive(sample, _technician(make_user))
    db.session.rollback()
    assert sample.status.value == "registered"


# --- GB 29921-2021 and units ---------------------------------------------------------------


@pytest.mark.parametrize("code", ["04010101", "31010101"])
def test_cooked_meat_has_staphylococcus_aureus_n5_c1_m100_M1000(loaded, code):
    # GB 29921-2021 Table 1, 熟肉制品: 金黄色葡萄球菌 n=5, c=1, m=100, M=1000 CFU/g (verify).
    spec = _rows(code, date(2026, 1, 1))["STAU"]
    assert spec.plan.text == "n=5,c=1,m=100,M=1000"
    assert spec.unit == "CFU/g" and spec.judgement_basis == "GB 29921-2021"
    assert _rows(code, date(2021, 11, 21)).get("STAU") is None  # before GB 29921-2021


def test_plan_units_fit_the_plan(loaded):
    for spec in db.session.scalars(select(Specification).where(Specification.micro_n.isnot(None))):
        presence = "/" in spec.micro_m
        assert presence == spec.unit.startswith("/"), (spec.category.code, spec.test_item.code)


def test_every_not_detected_chemical_row_carries_an_lod(loaded):
    for spec in db.session.scalars(select(Specification)):
        kind = Spec.parse(spec.limit_text).kind
        if kind is SpecKind.NOT_DETECTED and not spec.unit.startswith("/"):
            assert spec.lod, (spec.category.code, spec.test_item.code)
    # The examples: DHA, BPO, carmine printed a bare 未检出.
    for code, item in (("25010101", "DHA"), ("01010101", "BPO"), ("04010101", "CARM")):
        assert _rows(code, date(2026, 1, 1))[item].lod


# --- effective dates -----------------------------------------------------------------------


def test_every_row_carries_its_standards_effective_date(loaded):
    standards = read_standards(catalog.read_reference_file())
    assert standards["GB 2762-2022"].effective_from == date(2023, 6, 30)
    assert standards["GB 2763-2021"].effective_from == date(2021, 9, 3)
    assert standards["GB 2761-2017"].effective_from == date(2017, 9, 17)
    assert standards["GB 29921-2021"].effective_from == date(2021, 11, 22)
    assert standards["GB 31650-2019"].effective_from == date(2020, 4, 1)
    assert standards["GB 2760-2024"].effective_from == date(2025, 2, 8)
    placeholder = db.session.scalar(
        select(func.count())
        .select_from(Specification)
        .where(Specification.effective_from == date(2000, 1, 1))
    )
    assert placeholder == 0
    for spec in db.session.scalars(select(Specification)):
        if spec.judgement_basis in standards:
            assert spec.effective_from >= standards[spec.judgement_basis].effective_from


def test_the_description_lists_each_standard_used():
    data = catalog.read_reference_file()
    used = {s["code"] for s in data["standards"]}
    for code in used:
        assert code in data["description"] or code.startswith(("农业农村部", "卫生部")), code


def test_catalog_show_for_2019_lists_no_2022_standard(app, loaded):
    shown = app.test_cli_runner().invoke(
        args=["catalog", "show", "05010101", "--date", "2019-01-01"]
    )
    assert shown.exit_code == 0, shown.output
    assert "GB 2762-2017" in shown.output
    # No judgement basis of a later edition (method editions are not dated by the catalog).
    bases = re.findall(r"; ([^;\]]+); \d{4}-\d{2}-\d{2}\]", shown.output)
    assert bases and not [b for b in bases if re.search(r"-202[1-9]$", b)], bases
    today = app.test_cli_runner().invoke(
        args=["catalog", "show", "02010101", "--date", "2026-01-01"]
    )
    assert "GB 2762-2022" in today.output and "GB 2760-2024" in today.output
    assert "GB 2760-2014" not in today.output
    # Either language: the process named, and no unit after 不得检出.
    assert re.search(r"溶剂残留量 \((压榨|Pressed \(压榨\))\)  不得检出  \[", today.output)
    assert re.search(
        r"溶剂残留量 \((浸出|Solvent-extracted \(浸出\))\)  ≤20 mg/kg  \[", today.output
    )


# --- the choice by production date, through receipt ----------------------------------------


def test_food_made_before_gb_2760_2024_is_judged_by_the_2014_edition_within_its_shelf_life(
    loaded, make_sample, make_user
):
    # 糕点 脱氢乙酸: ≤0.5 under GB 2760-2014, 不得使用 under GB 2760-2024.
    sample = make_sample(
        _category("24010101"),
        received=False,
        sampling_date=date(2025, 3, 1),
        production_date=date(2025, 1, 20),
        shelf_life_days=90,
    )
    results = {r.item_name: r for r in _receive(sample, _technician(make_user))}
    dha = results["脱氢乙酸及其钠盐(以脱氢乙酸计)"]
    assert (dha.limit_text, dha.judgement_basis) == ("≤0.5", "GB 2760-2014")


def test_after_the_shelf_life_the_new_edition_applies(loaded, make_sample, make_user):
    sample = make_sample(
        _category("24010101"),
        received=False,
        sampling_date=date(2025, 3, 1),
        production_date=date(2025, 1, 20),
        shelf_life_days=20,  # ended 2025-02-08
    )
    results = {r.item_name: r for r in _receive(sample, _technician(make_user))}
    dha = results["脱氢乙酸及其钠盐(以脱氢乙酸计)"]
    assert (dha.limit_text, dha.judgement_basis) == ("不得使用", "GB 2760-2024")


# --- load refuses what a method cannot support ----------------------------------------------


def _broken(tmp_path, change) -> str:
    data = catalog.read_reference_file()
    data["version"] = "2099.1"
    change(data)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def _milk_lead(data) -> dict:
    dairy = next(c for c in data["categories"] if c["code"] == "05")
    liquid = next(c for c in dairy["children"] if c["code"] == "0501")
    return next(s for s in liquid["specs"] if s["item"] == "PB" and s["limit"] == "≤0.02")


def test_load_refuses_an_loq_not_below_the_limit_naming_the_row(app, tmp_path):
    path = _broken(tmp_path, lambda data: _milk_lead(data).pop("loq"))  # back to LOQ 0.04
    result = app.test_cli_runner().invoke(args=["catalog", "load", "--file", path])
    assert result.exit_code == 1
    assert "0501 PB from 2023-06-30" in result.output and "LOQ 0.04" in result.output
    assert "nothing changed" in result.output or "未作任何更改" in result.output
    assert db.session.scalar(select(func.count()).select_from(Specification)) == 0
    assert db.session.scalar(select(func.count()).select_from(CatalogVersion)) == 0


def test_load_refuses_an_interval_not_finer_than_the_limit(app, tmp_path):
    path = _broken(tmp_path, lambda data: _milk_lead(data).update(interval="0.01"))
    result = app.test_cli_runner().invoke(args=["catalog", "load", "--file", path])
    assert result.exit_code == 1
    assert "reporting interval 0.01 is not finer" in result.output and "0501 PB" in result.output


def test_load_refuses_a_row_without_an_effective_date_and_an_orphan_old_edition(tmp_path):
    def change(data):
        _milk_lead(data)["basis"] = "GB 9999-2030"

    with pytest.raises(CatalogError) as refused:
        check_catalog(json.loads(Path(_broken(tmp_path, change)).read_text(encoding="utf-8")))
    problems = " | ".join(refused.value.problems)
    assert "GB 9999-2030 is not in the standards list" in problems
    assert "GB 2762-2017 was replaced by GB 2762-2022" in problems


def test_an_older_catalog_is_moved_to_the_real_dates_on_upgrade(app, tmp_path):
    # The 2025.1 file (everything from 2000-01-01) loaded first, then the shipped one.
    old = _broken(tmp_path, _as_2025_catalog)
    assert catalog.load_reference_catalog(db.session, old)
    db.session.commit()
    assert catalog.load_reference_catalog(db.session)
    db.session.commit()
    leftover = db.session.scalars(
        select(Specification).where(Specification.effective_from == date(2000, 1, 1))
    ).all()
    assert leftover == []
    assert _rows("05010101", date(2026, 1, 1))["PB"].limit_text == "≤0.02"
    moved = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "catalog_update")
    ).all()
    assert any("effective_from" in (e.new_values or "") for e in moved)


def _as_2025_catalog(data):
    """The shipped file as the 2025.1 release had it: no dates, no edition pairs."""
    data["version"] = "2025.1"
    data["standards"] = []

    def walk(nodes):
        for node in nodes:
            kept = {}
            for spec in node.get("specs", []):
                spec.pop("from", None)
                spec.pop("oil_process", None)
                key = spec["item"]
                if spec.get("basis") not in ("GB 2760-2014", "GB 2762-2017"):
                    kept[key] = spec
            if node.get("specs"):
                node["specs"] = list(kept.values())
            walk(node.get("children", []))

    walk(data["categories"])
    # Without a standards list every row takes the old placeholder date.
    for spec in _all_specs(data):
        spec["from"] = "2000-01-01"


def _all_specs(data):
    def walk(nodes):
        for node in nodes:
            yield from node.get("specs", [])
            yield from walk(node.get("children", []))

    return list(walk(data["categories"]))


# --- printed limits ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "unit", "printed"),
    [
        ("≤0.2", "mg/kg", "≤0.2 mg/kg"),
        ("不得使用", "g/kg", "不得使用"),
        ("不得检出", "μg/kg", "不得检出"),
        ("n=5,c=0,m=0/25g", "/25g", "n=5,c=0,m=0/25g"),
        ("n=5,c=1,m=100,M=1000", "CFU/g", "n=5,c=1,m=100,M=1000 CFU/g"),
        ("/", "mg/kg", "/"),
        ("12～18", "", "12～18"),
        ("≤20 mg/kg", "mg/kg", "≤20 mg/kg"),
    ],
)
def test_a_printed_limit_never_repeats_its_unit_nor_follows_not_used_with_one(limit, unit, printed):
    assert limit_with_unit(limit, unit) == printed


# --- the editor ----------------------------------------------------------------------------


def test_the_editor_adds_an_oil_process_row_and_a_transition_end(
    app, make_category, make_item, make_user
):
    admin = make_user("catadmin", Role.ADMIN)
    leaf = make_category("食用油、油脂及其制品", "食用植物油", "食用植物油", "芝麻油")
    item = make_item("溶剂残留量", "mg/kg", method="GB 5009.262-2016")
    day = date(2019, 12, 21)
    catalog.create_specification(
        db.session, admin, leaf, item, limit_text="≤20", effective_from=day
    )
    pressed = catalog.create_specification(
        db.session,
        admin,
        leaf,
        item,
        limit_text="不得检出",
        lod="10",
        effective_from=day,
        oil_process="pressed",
        transition_end=date(2026, 6, 30),
    )
    assert (pressed.oil_process, pressed.transition_end) == ("pressed", date(2026, 6, 30))
    with pytest.raises(ServiceError, match="2019-12-21"):  # already has a row from that day
        catalog.create_specification(
            db.session,
            admin,
            leaf,
            item,
            limit_text="≤10",
            effective_from=day,
            oil_process="pressed",
        )
    with pytest.raises(ServiceError) as bad:
        catalog.create_specification(
            db.session, admin, leaf, item, limit_text="≤10", effective_from=day, oil_process="cold"
        )
    assert bad.value.field == "oil_process"
