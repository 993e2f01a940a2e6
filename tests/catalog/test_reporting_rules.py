"""Reporting rules in the catalog: significant figures beside the interval, and colony counts
(GB 4789.2 plate counts) flagged on the test item — loaded, edited, and frozen at receipt."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from labsys.models import Role, Specification, TestItem
from labsys.services import ServiceError, catalog


@pytest.fixture
def lead_spec(make_category, make_item, make_spec):
    leaf = make_category("粮食加工品", "小麦粉", "小麦粉", "通用小麦粉")
    return make_spec(leaf, make_item("铅(以Pb计)"), "≤0.2")


def test_the_shipped_plate_counts_are_colony_counts(db):
    catalog.load_reference_catalog(db.session)
    flagged = set(db.session.scalars(select(TestItem.code).where(TestItem.is_colony_count)))
    assert {"APC", "COLI", "MOLD"} <= flagged
    assert not {"SALM", "LIST", "PB"} & flagged  # presence/absence and chemistry are not


@pytest.mark.parametrize(
    ("row", "item_row", "expected"),
    [
        ({}, {"interval": "0.01"}, ("0.01", None)),
        ({}, {"sig_figs": 2}, (None, 2)),
        ({"sig_figs": 3}, {"interval": "0.01"}, (None, 3)),  # the row's rule replaces both
        ({"interval": "0.1"}, {"sig_figs": 2}, ("0.1", None)),
    ],
)
def test_a_data_file_row_gives_an_interval_or_significant_figures(row, item_row, expected):
    values = catalog.spec_values({"item": "X", "limit": "≤1", **row}, item_row)
    assert (values["interval"], values["significant_digits"]) == expected


def test_significant_figures_are_saved_and_audited(db, lead_spec, make_user):
    catalog.update_specification(
        db.session, make_user("adm", Role.ADMIN), lead_spec, significant_digits="2"
    )
    assert lead_spec.significant_digits == 2


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"significant_digits": "0"}, "0"),
        ({"significant_digits": "abc"}, "abc"),
        ({"significant_digits": "11"}, "11"),
        ({"significant_digits": "2", "interval": "0.01"}, "只能填写其一"),
    ],
)
def test_bad_significant_figures_are_refused(db, lead_spec, make_user, fields, words):
    with pytest.raises(ServiceError) as error:
        catalog.update_specification(db.session, make_user("adm", Role.ADMIN), lead_spec, **fields)
    assert error.value.field == "significant_digits"
    assert words in error.value.message


def test_the_admin_form_sets_significant_figures_and_the_colony_flag(
    db, client, make_user, login, post, lead_spec
):
    login(make_user("catadmin", Role.ADMIN))
    url = f"/catalog/specifications/{lead_spec.id}/edit"
    form = {
        "limit_text": "≤0.2",
        "unit": "mg/kg",
        "significant_digits": "2",
        "comparison_method": "full",
        "decision_rule": "simple",
        "effective_from": "2000-01-01",
        "sort_order": "0",
    }
    html = client.get(url).get_data(as_text=True)
    assert 'name="significant_digits"' in html
    assert post(url, form, token_from=url).status_code == 302
    item = lead_spec.test_item
    url = f"/catalog/items/{item.id}/edit"
    form = {"code": item.code, "name_zh": "霉菌", "unit": "CFU/g", "is_colony_count": "y"}
    assert post(url, form, token_from=url).status_code == 302
    db.session.expire_all()
    assert db.session.get(Specification, lead_spec.id).significant_digits == 2
    assert db.session.get(TestItem, item.id).is_colony_count
