"""The catalog pages: browsing for every user, editing for administrators."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from labsys.models import AuditEntry, FoodCategory, Role, Specification, TestItem
from labsys.services import catalog


@pytest.fixture
def tree(make_category, make_item, make_spec, db):
    leaf = make_category("粮食加工品", "小麦粉", "小麦粉", "通用小麦粉")
    l1, l2, l3, _ = catalog.ancestors(db.session, leaf)
    lead, bpo = make_item("铅(以Pb计)"), make_item("过氧化苯甲酰", "g/kg")
    make_spec(l1, lead, "≤0.2")
    make_spec(l2, bpo, "不得使用")
    db.session.commit()
    return {"leaf": leaf, "l1": l1, "l2": l2, "l3": l3, "lead": lead, "bpo": bpo}


@pytest.fixture
def admin(make_user, login):
    user = make_user("catadmin", Role.ADMIN)
    login(user)
    return user


def _audit_count(db, entity: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == entity)
    )


def test_every_user_can_browse_the_shipped_tree(db, client, make_user, login):
    catalog.load_reference_catalog(db.session)
    db.session.commit()
    login(make_user("sam", Role.SAMPLER))
    html = client.get("/catalog/").get_data(as_text=True)
    assert "粮食加工品" in html and "食用农产品" in html and "其他" in html
    assert html.count('href="/catalog/categories/') == 35
    flour = db.session.scalar(select(FoodCategory).where(FoodCategory.code == "01010101"))
    html = client.get(f"/catalog/categories/{flour.id}").get_data(as_text=True)
    assert "通用小麦粉" in html and "脱氧雪腐镰刀菌烯醇" in html and "≤1000" in html
    assert "GB 2761-2017" in html
    assert "编辑" not in html and "Edit category" not in html  # no editing for samplers
    found = client.get("/catalog/?q=韭菜").get_data(as_text=True)
    assert "食用农产品 &gt; 蔬菜 &gt; 叶菜类蔬菜 &gt; 韭菜" in found


def test_drill_down_marks_inherited_items_with_their_source(db, client, make_user, login, tree):
    login(make_user("tech", Role.TECHNICIAN))
    html = client.get(f"/catalog/categories/{tree['l1'].id}").get_data(as_text=True)
    assert f'href="/catalog/categories/{tree["l2"].id}"' in html  # the 亚类 below
    html = client.get(f"/catalog/categories/{tree['leaf'].id}").get_data(as_text=True)
    assert "≤0.2" in html and "不得使用" in html
    assert html.count("继承自") == 2 or html.count("inherited from") == 2
    for ancestor in ("l1", "l2", "l3"):
        assert f'href="/catalog/categories/{tree[ancestor].id}"' in html  # breadcrumb


def test_the_date_selects_the_rows_in_effect(db, client, admin, tree, make_spec):
    make_spec(tree["l1"], tree["lead"], "≤0.1", effective_from=date(2030, 1, 1))
    url = f"/catalog/categories/{tree['l1'].id}"
    assert "≤0.1" in client.get(url).get_data(as_text=True)  # listed as a future change
    html = client.get(f"{url}?on=2030-01-01").get_data(as_text=True)
    assert "≤0.1" in html and "≤0.2" not in html


def _spec_form(spec: Specification, **changes) -> dict:
    data = {
        "limit_text": spec.limit_text,
        "unit": spec.unit,
        "method_standard": spec.method_standard,
        "judgement_basis": spec.judgement_basis,
        "lod": "",
        "loq": "",
        "interval": "",
        "comparison_method": "full",
        "decision_rule": "simple",
        "uncertainty": "",
        "micro_n": "",
        "micro_c": "",
        "micro_m": "",
        "micro_big_m": "",
        "effective_from": "2000-01-01",
        "sort_order": "0",
        "note": "",
    }
    data.update(changes)
    return data


def test_a_bad_limit_is_refused_with_a_clear_message_and_nothing_saved(
    db, client, admin, tree, post
):
    spec = db.session.scalar(
        select(Specification).where(Specification.category_id == tree["l1"].id)
    )
    before = _audit_count(db, "specification")
    url = f"/catalog/specifications/{spec.id}/edit"
    response = post(url, _spec_form(spec, limit_text="max 0.2", lod="0.01"), token_from=url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "max 0.2" in html and "≤0.2" in html  # the message names the text and the forms
    db.session.expire_all()
    assert db.session.get(Specification, spec.id).limit_text == "≤0.2"
    assert db.session.get(Specification, spec.id).lod is None
    assert _audit_count(db, "specification") == before


def test_an_admin_edits_a_specification_and_the_change_is_audited(db, client, admin, tree, post):
    spec = db.session.scalar(
        select(Specification).where(Specification.category_id == tree["l1"].id)
    )
    url = f"/catalog/specifications/{spec.id}/edit"
    response = post(
        url,
        _spec_form(spec, limit_text="≤0.15", lod="0.02", interval="0.01"),
        token_from=url,
        follow_redirects=True,
    )
    assert "≤0.15" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Specification, spec.id).limit_text == "≤0.15"
    entry = db.session.scalar(
        select(AuditEntry)
        .where(AuditEntry.entity == "specification")
        .order_by(AuditEntry.id.desc())
    )
    assert entry.user_id == admin.id and entry.action == "update"
    assert json.loads(entry.old_values)["limit_text"] == "≤0.2"
    assert json.loads(entry.new_values) == {
        "limit_text": "≤0.15",
        "lod": "0.02",
        "interval": "0.01",
    }


def test_an_admin_excludes_an_inherited_item_below(db, client, admin, tree, post):
    url = f"/catalog/categories/{tree['leaf'].id}/specifications/new"
    html = client.get(f"{url}?item={tree['bpo'].id}&excluded=1").get_data(as_text=True)
    assert "checked" in html
    response = post(
        url,
        {
            "test_item_id": str(tree["bpo"].id),
            "excluded": "y",
            "effective_from": "2000-01-01",
            "comparison_method": "full",
            "decision_rule": "simple",
        },
        token_from=url,
        follow_redirects=True,
    )
    assert response.status_code == 200
    names = [
        s.test_item.name_zh
        for s in catalog.applicable_specifications(db.session, tree["leaf"].id, date(2026, 1, 1))
    ]
    assert names == ["铅(以Pb计)"]
    assert (
        db.session.scalar(select(AuditEntry.action).where(AuditEntry.entity == "specification"))
        == "exclude"
    )


def test_an_admin_adds_a_microbiological_plan(db, client, admin, tree, post, make_item):
    count = make_item("菌落总数", "CFU/g", method="GB 4789.2-2022", micro=True)
    url = f"/catalog/categories/{tree['leaf'].id}/specifications/new"
    form = {
        "test_item_id": str(count.id),
        "effective_from": "2000-01-01",
        "comparison_method": "full",
        "decision_rule": "simple",
        "judgement_basis": "GB 7099-2015",
        "micro_n": "5",
        "micro_c": "9",
        "micro_m": "10000",
    }
    response = post(url, form, token_from=url)
    assert response.status_code == 200 and "0 ≤ c ≤ n" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Specification)) == 2
    form.update(micro_c="2", micro_big_m="100000")
    response = post(url, form, token_from=url, follow_redirects=True)
    assert "n=5,c=2,m=10000,M=100000" in response.get_data(as_text=True)


def test_an_admin_toggles_the_key_food_flag(db, client, admin, tree, post):
    url = f"/catalog/categories/{tree['l2'].id}"
    response = post(f"{url}/key-food", {"is_key_food": "1"}, token_from=url, follow_redirects=True)
    assert 'id="key-food"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(FoodCategory, tree["l2"].id).is_key_food
    assert _audit_count(db, "food_category") == 1
    html = client.get(f"/catalog/categories/{tree['leaf'].id}").get_data(as_text=True)
    assert "重点食品(来自上级类别)" in html or "Key food (from a parent category)" in html


def test_an_admin_renames_a_category_and_edits_a_test_item(db, client, admin, tree, post):
    url = f"/catalog/categories/{tree['leaf'].id}/edit"
    post(
        url, {"name_zh": "通用小麦粉(一级)", "name_en": "Flour", "sort_order": "3"}, token_from=url
    )
    db.session.expire_all()
    assert db.session.get(FoodCategory, tree["leaf"].id).name_zh == "通用小麦粉(一级)"
    url = f"/catalog/items/{tree['lead'].id}/edit"
    response = post(
        url,
        {
            "code": tree["lead"].code,
            "name_zh": "铅",
            "name_en": "Lead",
            "unit": "mg/kg",
            "method_standard": "GB 5009.12-2023",
        },
        token_from=url,
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert db.session.get(TestItem, tree["lead"].id).name_zh == "铅"
    assert _audit_count(db, "test_item") == 1
    response = post(
        "/catalog/items/new",
        {"code": tree["bpo"].code, "name_zh": "重复"},
        token_from="/catalog/items/new",
    )
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(TestItem)) == 2


def test_items_list_is_searchable_by_everyone(db, client, make_user, login, tree):
    login(make_user("rev", Role.REVIEWER))
    html = client.get("/catalog/items?q=过氧化").get_data(as_text=True)
    assert "过氧化苯甲酰" in html and "铅(以Pb计)" not in html


@pytest.mark.parametrize("role", [Role.SAMPLER, Role.TECHNICIAN, Role.SUPERVISOR])
def test_non_admins_cannot_edit(db, client, make_user, login, tree, post, role):
    login(make_user(f"u-{role.value}", role))
    spec = db.session.scalar(select(Specification))
    assert client.get(f"/catalog/specifications/{spec.id}/edit").status_code == 403
    response = post(f"/catalog/specifications/{spec.id}/edit", _spec_form(spec, limit_text="≤9"))
    assert response.status_code == 403
    response = post(f"/catalog/categories/{tree['l2'].id}/key-food", {"is_key_food": "1"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Specification, spec.id).limit_text != "≤9"
    assert _audit_count(db, "specification") == 0


def test_the_oil_page_shows_both_solvent_residue_rows_and_future_limits_without_a_stray_unit(
    db, client, make_user, login, make_category, make_item, make_spec
):
    leaf = make_category("食用油、油脂及其制品", "食用植物油", "食用植物油", "花生油")
    solvent = make_item("溶剂残留量", "mg/kg")
    make_spec(leaf, solvent, "≤20", oil_process="solvent")
    make_spec(leaf, solvent, "不得检出", lod="10", oil_process="pressed")
    make_spec(leaf, make_item("脱氢乙酸", "g/kg"), "不得使用", effective_from=date(2030, 1, 1))
    login(make_user("tech", Role.TECHNICIAN))
    html = client.get(f"/catalog/categories/{leaf.id}?on=2026-01-01").get_data(as_text=True)
    assert html.count("溶剂残留量") == 2 and "压榨" in html and "浸出" in html
    assert "不得使用 g/kg" not in html and "不得使用" in html  # GB 2760: no unit after 不得使用
