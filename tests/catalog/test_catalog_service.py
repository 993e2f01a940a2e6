"""The reference catalog, specification resolution and the catalog's edit operations."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from labsys.core.judgement import MicroPlan, Spec, SpecKind, gbt8170_round
from labsys.models import AuditEntry, CatalogVersion, FoodCategory, Role, Specification, TestItem
from labsys.services import ServiceError, catalog

TOP_LEVEL = [
    "粮食加工品",
    "食用油、油脂及其制品",
    "调味品",
    "肉制品",
    "乳制品",
    "饮料",
    "方便食品",
    "饼干",
    "罐头",
    "冷冻饮品",
    "速冻食品",
    "薯类和膨化食品",
    "糖果制品",
    "茶叶及相关制品",
    "酒类",
    "蔬菜制品",
    "水果制品",
    "炒货食品及坚果制品",
    "蛋制品",
    "可可及焙烤咖啡产品",
    "食糖",
    "水产制品",
    "淀粉及淀粉制品",
    "糕点",
    "豆制品",
    "蜂产品",
    "保健食品",
    "特殊膳食食品",
    "特殊医学用途配方食品",
    "婴幼儿配方食品",
    "餐饮食品",
    "食品添加剂",
    "食用农产品",
    "食盐",
    "其他",
]
DAY = date(2026, 3, 1)


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _by_code(db, code: str) -> FoodCategory:
    return db.session.scalar(select(FoodCategory).where(FoodCategory.code == code))


def _items_of(db, code: str, on: date = DAY) -> dict[str, Specification]:
    category = _by_code(db, code)
    return {
        s.test_item.name_zh: s
        for s in catalog.applicable_specifications(db.session, category.id, on)
    }


@pytest.fixture
def loaded(db):
    assert catalog.load_reference_catalog(db.session)
    db.session.commit()


# --- the shipped data --------------------------------------------------------------------


def _walk(nodes, path=()):
    for node in nodes:
        yield (*path, node["name_zh"]), node
        yield from _walk(node.get("children", []), (*path, node["name_zh"]))


def test_every_shipped_limit_plan_and_number_is_valid():
    data = catalog.read_reference_file()
    items = {row["code"]: row for row in data["items"]}
    checked = 0
    for path, node in _walk(data["categories"]):
        for row in node.get("specs", []):
            values = catalog.spec_values(row, items[row["item"]])
            where = f"{' > '.join(path)}: {items[row['item']]['name_zh']}"
            spec = Spec.parse(values["limit_text"])
            if values["micro_n"] is not None:
                plan = MicroPlan(
                    values["micro_n"], values["micro_c"], values["micro_m"], values["micro_big_m"]
                )
                assert items[row["item"]].get("micro"), where
                assert plan.text.startswith("n=")
            else:
                assert spec.judged, where  # every row is judged by a limit or a plan
            for name in ("lod", "loq"):
                if values[name] is not None:
                    assert Decimal(values[name]) > 0, where
            if values["interval"]:
                gbt8170_round("1", values["interval"])
            assert values["unit"] and values["method_standard"], where
            assert values["judgement_basis"], where
            checked += 1
    assert checked > 200


def test_the_data_file_names_a_version_and_unique_codes():
    data = catalog.read_reference_file()
    assert data["version"]
    codes = [node["code"] for _, node in _walk(data["categories"])]
    assert len(codes) == len(set(codes))
    assert len({row["code"] for row in data["items"]}) == len(data["items"])


def test_the_catalog_has_all_34_categories_and_other_and_30_leaves(db, loaded):
    roots = catalog.children(db.session, None)
    assert [c.name_zh for c in roots] == TOP_LEVEL
    assert [c.code for c in roots] == [f"{n:02d}" for n in range(1, 36)]
    level4 = list(db.session.scalars(select(FoodCategory).where(FoodCategory.level == 4)))
    assert len(level4) >= 30
    assert len({c.ancestor_ids[0] for c in level4}) >= 25  # spread over many 大类
    for leaf in level4:
        assert catalog.is_leaf(db.session, leaf.id)
        assert catalog.applicable_specifications(db.session, leaf.id, DAY), leaf.name_zh
    paths = {leaf.path_name for leaf in catalog.leaf_categories(db.session)}
    for expected in [
        "粮食加工品 > 小麦粉 > 小麦粉 > 通用小麦粉",
        "食用农产品 > 蔬菜 > 叶菜类蔬菜 > 韭菜",
        "乳制品 > 液体乳 > 液体乳 > 巴氏杀菌乳",
        "食用农产品 > 畜禽肉及副产品 > 畜肉 > 猪肉",
        "食用农产品 > 蛋类 > 鲜蛋 > 鸡蛋",
        "饮料 > 包装饮用水 > 包装饮用水 > 饮用纯净水",
        "调味品 > 酱油 > 酱油 > 酱油",
        "食用油、油脂及其制品 > 食用植物油 > 食用植物油 > 花生油",
        "粮食加工品 > 大米 > 大米 > 大米",
    ]:
        assert expected in paths


def test_paths_hold_the_ids_from_the_root(db, loaded):
    leaf = _by_code(db, "01010101")
    chain = catalog.ancestors(db.session, leaf)
    assert [c.level for c in chain] == [1, 2, 3, 4]
    assert leaf.path == "/" + "/".join(str(c.id) for c in chain) + "/"


def test_key_foods_are_the_six_beijing_indicator_foods(db, loaded):
    flagged = {(c.name_zh, c.level) for c in catalog.key_food_categories(db.session)}
    assert flagged == {
        ("大米", 2),
        ("小麦粉", 2),
        ("食用植物油", 2),
        ("猪肉", 4),
        ("蔬菜", 2),
        ("豆制品", 1),
    }
    leaves = {leaf.name_zh: leaf for leaf in catalog.leaf_categories(db.session)}
    assert leaves["韭菜"].is_key_food and leaves["豆腐"].is_key_food
    assert not leaves["牛肉"].is_key_food


def test_domain_table_items_resolve_with_their_limits(db, loaded):
    flour = _items_of(db, "01010101")
    assert flour["铅(以Pb计)"].limit_text == "≤0.2"
    assert flour["铅(以Pb计)"].category.code == "01"  # inherited from the 大类
    assert flour["脱氧雪腐镰刀菌烯醇"].limit_text == "≤1000"
    assert flour["过氧化苯甲酰"].spec.kind is SpecKind.NOT_DETECTED
    milk = _items_of(db, "05010101")
    plan = milk["菌落总数"].plan
    assert (plan.n, plan.c, plan.m, plan.M) == (5, 2, "50000", "100000")
    assert milk["菌落总数"].unit == "CFU/mL"
    assert milk["酸度"].spec.kind is SpecKind.RANGE
    assert milk["蛋白质"].judgement_basis == "GB 19645-2010"
    water = _items_of(db, "06010101")
    assert water["铜绿假单胞菌"].plan.text == "n=5,c=0,m=0/250mL"
    assert water["铅(以Pb计)"].limit_text == "≤0.01"  # the 饮料 ≤0.3 overridden
    assert water["铅(以Pb计)"].unit == "mg/L"
    pork = _items_of(db, "33030101")
    assert pork["克伦特罗"].limit_text == "不得检出"
    assert pork["挥发性盐基氮"].limit_text == "≤15"
    assert _items_of(db, "33010101")["腐霉利"].limit_text == "≤0.2"
    assert _items_of(db, "33010101")["铅(以Pb计)"].limit_text == "≤0.3"  # 叶菜 over 蔬菜
    assert _items_of(db, "02010101")["黄曲霉毒素B1"].limit_text == "≤20"
    assert _items_of(db, "02010102")["黄曲霉毒素B1"].limit_text == "≤10"
    msg = _items_of(db, "03030101")["谷氨酸钠"]
    assert msg.comparison_method.value == "rounded"


def test_a_dated_standard_change_takes_effect_on_its_day(db, loaded):
    before = _items_of(db, "24010101", date(2025, 2, 7))
    after = _items_of(db, "24010101", date(2025, 2, 8))
    assert before["脱氢乙酸及其钠盐(以脱氢乙酸计)"].limit_text == "≤0.5"
    assert after["脱氢乙酸及其钠盐(以脱氢乙酸计)"].limit_text == "不得使用"
    assert after["脱氢乙酸及其钠盐(以脱氢乙酸计)"].judgement_basis == "GB 2760-2024"


# --- idempotent loading ------------------------------------------------------------------


def _counts(db):
    return (_count(db, FoodCategory), _count(db, TestItem), _count(db, Specification))


def test_loading_twice_changes_nothing(db, loaded):
    before = _counts(db)
    assert catalog.load_reference_catalog(db.session) is None
    assert _counts(db) == before
    assert (
        db.session.scalar(select(CatalogVersion.version))
        == catalog.read_reference_file()["version"]
    )


def test_a_newer_version_updates_in_place_and_keeps_key_food_choices(
    db, loaded, tmp_path, make_user
):
    admin = make_user("admin1", Role.ADMIN)
    beef = _by_code(db, "33030102")
    catalog.set_key_food(db.session, admin, beef, True)
    db.session.commit()
    data = catalog.read_reference_file()
    data["version"] = "2099.1"
    flour = data["categories"][0]["children"][0]
    flour["name_en"] = "Wheat flour (renamed)"
    flour["specs"][0]["limit"] = "≤0.08"  # 镉 on 小麦粉
    flour["specs"].append({"item": "HG", "limit": "≤0.02"})
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    categories, items, specs = _counts(db)

    summary = catalog.load_reference_catalog(db.session, path)
    db.session.commit()

    assert "2099.1" in summary
    assert _counts(db) == (categories, items, specs + 1)
    assert _by_code(db, "0101").name_en == "Wheat flour (renamed)"
    assert _items_of(db, "01010101")["镉(以Cd计)"].limit_text == "≤0.08"
    assert "总汞(以Hg计)" in _items_of(db, "01010101")
    assert _by_code(db, "33030102").is_key_food  # the lab's choice stays
    updates = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "catalog_update"))
    assert {e.entity for e in updates} == {"food_category", "specification"}
    assert catalog.load_reference_catalog(db.session, path) is None


# --- resolution --------------------------------------------------------------------------


@pytest.fixture
def tree(make_category, make_item, make_spec):
    leaf = make_category("粮食加工品", "小麦粉", "小麦粉", "通用小麦粉")
    other = make_category("粮食加工品", "小麦粉", "小麦粉", "专用小麦粉")
    l1, l2, l3 = catalog.ancestors(_db_session(), leaf)[:3]
    lead, cadmium, bpo = make_item("铅"), make_item("镉"), make_item("过氧化苯甲酰", "g/kg")
    make_spec(l1, lead, "≤0.5", sort_order=1)
    make_spec(l2, lead, "≤0.2", sort_order=1)
    make_spec(l1, cadmium, "≤0.1", sort_order=2)
    make_spec(l2, bpo, "不得使用", sort_order=3)
    return {
        "leaf": leaf,
        "other": other,
        "l1": l1,
        "l2": l2,
        "l3": l3,
        "lead": lead,
        "cadmium": cadmium,
        "bpo": bpo,
    }


def _db_session():
    from labsys.extensions import db

    return db.session


def _resolved(category, on=DAY):
    return [
        (s.test_item.name_zh, s.limit_text, s.category_id)
        for s in catalog.applicable_specifications(_db_session(), category.id, on)
    ]


def test_items_are_inherited_and_overridden_below(tree):
    assert _resolved(tree["leaf"]) == [
        ("铅", "≤0.2", tree["l2"].id),
        ("镉", "≤0.1", tree["l1"].id),
        ("过氧化苯甲酰", "不得使用", tree["l2"].id),
    ]
    assert _resolved(tree["l1"]) == [("铅", "≤0.5", tree["l1"].id), ("镉", "≤0.1", tree["l1"].id)]


def test_an_exclusion_removes_an_item_for_the_subtree_until_a_lower_row(tree, make_spec):
    make_spec(tree["l3"], tree["cadmium"], "", excluded=True)
    assert [name for name, *_ in _resolved(tree["leaf"])] == ["铅", "过氧化苯甲酰"]
    make_spec(tree["leaf"], tree["cadmium"], "≤0.05")
    assert ("镉", "≤0.05", tree["leaf"].id) in _resolved(tree["leaf"])
    assert "镉" not in [name for name, *_ in _resolved(tree["other"])]


def test_effective_dates_pick_the_newest_row_not_in_the_future(tree, make_spec):
    make_spec(tree["l2"], tree["lead"], "≤0.1", effective_from=date(2026, 6, 1), sort_order=1)
    assert ("铅", "≤0.2", tree["l2"].id) in _resolved(tree["leaf"], date(2026, 5, 31))
    assert ("铅", "≤0.1", tree["l2"].id) in _resolved(tree["leaf"], date(2026, 6, 1))
    # A newer row higher up does not beat the deeper category's row.
    make_spec(tree["l1"], tree["lead"], "≤0.3", effective_from=date(2026, 7, 1), sort_order=1)
    assert ("铅", "≤0.1", tree["l2"].id) in _resolved(tree["leaf"], date(2026, 8, 1))
    # A deeper row that is not yet in effect does not hide the inherited one.
    make_spec(tree["leaf"], tree["cadmium"], "≤0.05", effective_from=date(2027, 1, 1))
    assert ("镉", "≤0.1", tree["l1"].id) in _resolved(tree["leaf"], date(2026, 8, 1))
    assert _resolved(tree["leaf"], date(1999, 1, 1)) == []


def test_unknown_category_resolves_to_nothing(db):
    assert catalog.applicable_specifications(db.session, 999_999, DAY) == []
    assert not catalog.is_leaf(db.session, 999_999)


def test_leaves_tree_and_search(db, tree):
    assert not catalog.is_leaf(db.session, tree["l3"].id)
    assert catalog.is_leaf(db.session, tree["leaf"].id)
    names = [leaf.path_name for leaf in catalog.leaf_categories(db.session, "专用")]
    assert names == ["粮食加工品 > 小麦粉 > 小麦粉 > 专用小麦粉"]
    roots = catalog.category_tree(db.session)
    assert [n.category.name_zh for n in roots] == ["粮食加工品"]
    assert len(roots[0].children[0].children[0].children) == 2
    assert [c.name_zh for c in catalog.search_categories(db.session, "小麦")] == [
        "小麦粉",
        "小麦粉",
        "通用小麦粉",
        "专用小麦粉",
    ]


# --- edits -------------------------------------------------------------------------------


def _audit(db, entity: str):
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.entity == entity).order_by(AuditEntry.id)
        )
    )


def test_updating_a_specification_is_validated_and_audited(db, tree, make_user):
    admin = make_user("admin2", Role.ADMIN)
    spec = catalog.applicable_specifications(db.session, tree["leaf"].id, DAY)[0]
    catalog.update_specification(
        db.session, admin, spec, limit_text="≤0.15", lod="0.01", interval="0.01"
    )
    db.session.commit()
    entry = _audit(db, "specification")[-1]
    assert entry.user_id == admin.id
    assert json.loads(entry.old_values) == {"limit_text": "≤0.2", "lod": None, "interval": None}
    assert json.loads(entry.new_values) == {
        "limit_text": "≤0.15",
        "lod": "0.01",
        "interval": "0.01",
    }


@pytest.mark.parametrize(
    "fields, field, words",
    [
        ({"limit_text": "max 0.2"}, "limit_text", "max 0.2"),
        ({"limit_text": "18～12"}, "limit_text", "18～12"),
        ({"lod": "abc"}, "lod", "abc"),
        ({"loq": "-1"}, "loq", "-1"),
        ({"interval": "0.3"}, "interval", "0.3"),
        ({"micro_n": "5", "micro_c": "6", "micro_m": "100"}, "micro_n", "c"),
        ({"micro_n": "5", "micro_c": "2", "micro_m": "1000", "micro_big_m": "100"}, "micro_n", "M"),
        ({"decision_rule": "guarded"}, "uncertainty", "U"),
    ],
)
def test_bad_specification_values_are_refused_with_a_clear_message(
    db, tree, make_user, fields, field, words
):
    spec = catalog.applicable_specifications(db.session, tree["leaf"].id, DAY)[0]
    with pytest.raises(ServiceError) as error:
        catalog.update_specification(db.session, make_user("admin3", Role.ADMIN), spec, **fields)
    assert error.value.field == field
    assert words in error.value.message


def test_creating_a_specification_and_an_exclusion(db, tree, make_user, make_item):
    admin = make_user("admin4", Role.ADMIN)
    mercury = make_item("总汞", "mg/kg", method="GB 5009.17-2021")
    spec = catalog.create_specification(
        db.session, admin, tree["leaf"], mercury, limit_text="≤0.02", judgement_basis="GB 2762-2022"
    )
    assert (spec.unit, spec.method_standard) == ("mg/kg", "GB 5009.17-2021")
    catalog.create_specification(db.session, admin, tree["leaf"], tree["bpo"], excluded=True)
    db.session.commit()
    names = [name for name, *_ in _resolved(tree["leaf"])]
    assert "总汞" in names and "过氧化苯甲酰" not in names
    assert [e.action for e in _audit(db, "specification")] == ["create", "exclude"]
    with pytest.raises(ServiceError, match="已有 总汞"):
        catalog.create_specification(db.session, admin, tree["leaf"], mercury, limit_text="≤0.01")


def test_a_plan_specification_needs_no_limit(db, tree, make_user, make_item):
    count = make_item("菌落总数", "CFU/g", method="GB 4789.2-2022", micro=True)
    admin = make_user("admin5", Role.ADMIN)
    spec = catalog.create_specification(
        db.session,
        admin,
        tree["leaf"],
        count,
        micro_n="5",
        micro_c="2",
        micro_m="10000",
        micro_big_m="100000",
        judgement_basis="GB 7099-2015",
    )
    assert spec.plan.text == "n=5,c=2,m=10000,M=100000" and spec.limit_text == ""
    with pytest.raises(ServiceError) as error:
        catalog.update_specification(
            db.session, admin, spec, micro_n="", micro_c="", micro_m="", micro_big_m=""
        )
    assert error.value.field == "limit_text"


def test_category_and_item_edits_are_audited(db, tree, make_user):
    admin = make_user("admin6", Role.ADMIN)
    catalog.update_category(
        db.session, admin, tree["leaf"], name_zh="通用小麦粉(新)", is_key_food=True
    )
    catalog.update_test_item(
        db.session, admin, tree["lead"], name_zh="铅(以Pb计)", method_standard="GB 5009.12-2023"
    )
    db.session.commit()
    entry = _audit(db, "food_category")[-1]
    assert json.loads(entry.new_values) == {"name_zh": "通用小麦粉(新)", "is_key_food": True}
    assert json.loads(_audit(db, "test_item")[-1].old_values)["name_zh"] == "铅"
    with pytest.raises(ServiceError) as error:
        catalog.update_category(db.session, admin, tree["leaf"], name_zh=" ")
    assert error.value.field == "name_zh"
    with pytest.raises(ServiceError, match="已被使用"):
        catalog.update_test_item(db.session, admin, tree["lead"], code=tree["bpo"].code)


def test_new_categories_get_their_path_and_stop_at_level_four(db, tree, make_user):
    admin = make_user("admin7", Role.ADMIN)
    child = catalog.create_category(db.session, admin, tree["l3"], code="X1", name_zh="全麦粉")
    assert child.level == 4 and child.path == tree["l3"].path + f"{child.id}/"
    with pytest.raises(ServiceError):
        catalog.create_category(db.session, admin, child, code="X2", name_zh="太深")
    with pytest.raises(ServiceError, match="已被使用"):
        catalog.create_category(db.session, admin, tree["l3"], code="X1", name_zh="重复")


def test_a_refused_edit_leaves_the_row_as_it_was_even_when_the_caller_commits(db, tree, make_user):
    """update_specification sets the new values on the row before the consistency check
    refuses them: the writer's savepoint expires them, so a later commit keeps none."""
    admin = make_user("admin8", Role.ADMIN)
    spec = db.session.scalar(
        select(Specification).where(Specification.test_item_id == tree["lead"].id)
    )
    limit, entries = spec.limit_text, db.session.scalar(select(func.count(AuditEntry.id)))
    with pytest.raises(ServiceError) as error:
        catalog.update_specification(db.session, admin, spec, limit_text="", note="changed")
    assert error.value.field == "limit_text"
    db.session.commit()
    db.session.expire_all()
    assert (spec.limit_text, spec.note) == (limit, None)
    assert db.session.scalar(select(func.count(AuditEntry.id))) == entries
