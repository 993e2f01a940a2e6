"""购进日期 / 供货者 belong to 食用农产品 (edible farm produce) on the national form.

(verify) DOMAIN.md does not say whether they are mandatory, so for farm produce bought from
someone (any link but 生产) a missing one is a warning on saving and on the sample page, never
a refusal; other foods may record them (a bought sample has a purchase date) and get no
warning.  The form shows the two inputs for a farm-produce batch and hides them for others."""

from __future__ import annotations

from datetime import date

import pytest

from labsys.extensions import db
from labsys.models import FoodCategory
from labsys.models import Sample as SampleModel
from labsys.services import catalog, sampling


@pytest.fixture
def chives(world, make_category, make_spec):
    leaf = make_category("食用农产品", "蔬菜", "叶菜类蔬菜", "韭菜")
    make_spec(leaf, world.lead, "≤0.3")
    return leaf


def _sample(world, chives, link="retail", **batch):
    visit = sampling.create_visit(
        db.session,
        world.ann,
        world.visit(link=link),
        [world.batch(food_name="韭菜", category_id=chives.id, **batch)],
    )
    db.session.commit()
    return visit.samples[0]


def test_farm_produce_is_recognised_by_its_top_category(world, chives):
    assert catalog.is_farm_produce(db.session, chives)
    assert catalog.is_farm_produce(db.session, db.session.get(FoodCategory, chives.parent_id))
    assert not catalog.is_farm_produce(db.session, world.leaf)
    leaves = {leaf.id: leaf for leaf in catalog.leaf_categories(db.session)}
    assert leaves[chives.id].is_farm_produce and not leaves[world.leaf.id].is_farm_produce


def test_bought_farm_produce_without_supplier_is_saved_with_a_warning(world, chives):
    sample = _sample(world, chives)  # not refused (verify: DOMAIN.md is silent)
    warning = sampling.farm_produce_warning(db.session, sample)
    assert warning and "食用农产品" in warning
    assert "购进日期" in warning and "供货者" in warning and sample.sample_no in warning
    sample.purchase_date = date(2026, 10, 31)
    warning = sampling.farm_produce_warning(db.session, sample)
    assert "供货者" in warning and "购进日期" not in warning
    sample.supplier = "新发地蔬菜批发市场某摊位"
    assert sampling.farm_produce_warning(db.session, sample) is None


def test_no_warning_at_a_farm_or_for_other_foods(world, chives):
    assert sampling.farm_produce_warning(db.session, _sample(world, chives, "production")) is None
    flour = sampling.create_visit(
        db.session,
        world.ann,
        world.visit(),
        [world.batch(purchase_date=date(2026, 10, 30), supplier="某粮油批发部")],
    ).samples[0]
    # Other foods keep them when given (a bought sample has a purchase date), no warning.
    assert (flour.purchase_date, flour.supplier) == (date(2026, 10, 30), "某粮油批发部")
    assert sampling.farm_produce_warning(db.session, flour) is None


def test_the_form_marks_farm_produce_and_warns_on_saving(world, chives, client, login, post):
    login(world.ann)
    page = client.get("/sampling/visits/new").get_data(as_text=True)
    assert f'value="韭菜 [{chives.code}]"' in page
    option = page[page.index(f'value="韭菜 [{chives.code}]"') :].split(">", 1)[0]
    assert 'data-farm-produce="1"' in option
    flour = page[page.index(f'[{world.leaf.code}]"') :].split(">", 1)[0]
    assert "data-farm-produce" not in flour
    form = {
        "sampled_unit": f"{world.shop.name} [#{world.shop.id}]",
        "sampling_date": "2026-11-02",
        "place": "朝阳区测试路1号",
        "link": "retail",
        "sampler_ids": [str(world.bob.id)],
        "batches-0-food_name": "韭菜",
        "batches-0-category": f"韭菜 [{chives.code}]",
        "batches-0-production_date": "2026-11-01",
        "batches-0-quantity": "1",
        "batches-0-quantity_unit": "kg",
        "batches-0-purchase_date": "2026-11-01",
    }
    html = post(
        "/sampling/visits/new", form, token_from="/sampling/visits/new", follow_redirects=True
    ).get_data(as_text=True)
    assert "食用农产品" in html and "供货者" in html
    sample = db.session.scalars(db.select(SampleModel)).one()
    assert sample.purchase_date == date(2026, 11, 1)
    detail = client.get(f"/sampling/samples/{sample.id}").get_data(as_text=True)
    assert 'id="farm-produce-warning"' in detail
    # The 食用农产品 rows show even with the supplier still empty.
    assert "供货者（食用农产品）" in detail or "Supplier (farm produce)" in detail


@pytest.mark.browser
def test_the_form_shows_purchase_date_and_supplier_for_farm_produce_only(
    world, chives, browser_page, browser_login
):
    page = browser_login(world.ann)
    page.goto("/sampling/visits/new")
    supplier = page.locator("input[name=batches-0-supplier]")
    purchase = page.locator("input[name=batches-0-purchase_date]")
    assert not supplier.is_visible() and not purchase.is_visible()  # no category yet
    page.fill("input[name=batches-0-category]", f"韭菜 [{chives.code}]")
    assert supplier.is_visible() and purchase.is_visible()
    page.fill("input[name=batches-0-category]", f"通用小麦粉 [{world.leaf.code}]")
    assert not supplier.is_visible()
    # A value already typed is never hidden (other foods may record it too).
    page.fill("input[name=batches-0-category]", f"韭菜 [{chives.code}]")
    supplier.fill("某批发市场")
    page.fill("input[name=batches-0-category]", f"通用小麦粉 [{world.leaf.code}]")
    assert supplier.is_visible() and not purchase.is_visible()
    # The next row, without a category yet, hides them.
    assert not page.locator("input[name=batches-1-supplier]").is_visible()
