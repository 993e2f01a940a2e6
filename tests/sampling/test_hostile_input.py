"""Input the database cannot store is refused with a message, never an HTTP 500 (issue 18
§5): NUL characters, integers beyond INTEGER, dates in year 9999 or before 1900, unknown
district codes, absurd shelf lives, over-long text.  PostgreSQL raised on each (500);
run these with LABSYS_TEST_DATABASE_URL too."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from sqlalchemy import func, select
from test_pages import _form
from wtforms import Form, StringField
from wtforms.fields.core import UnboundField
from wtforms.validators import Length

import labsys.web
from labsys.extensions import db
from labsys.models import Sample
from labsys.models.sampling import REMARKS_MAX

from support import csrf_token


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Sample))


def _post_visit(world, client, login, post, row=None, **visit):
    login(world.ann)
    response = post(
        "/sampling/visits/new",
        _form(world, [row or {}], **visit),
        token_from="/sampling/visits/new",
    )
    assert response.status_code == 200  # the form again, with its message
    return response.get_data(as_text=True)


def test_a_nul_in_a_batch_field_is_a_message(world, client, login, post):
    html = _post_visit(world, client, login, post, {"remarks": "备注\x00x"})
    assert "此项含有空字符（NUL），请删除。" in html and _count() == 0


def test_a_nul_in_the_sampled_unit_is_a_message(world, client, login, post):
    html = _post_visit(world, client, login, post, sampled_unit="x\x00 [#1]")
    assert "此项含有空字符（NUL），请删除。" in html and _count() == 0


@pytest.mark.parametrize("day", ["9999-01-01", "1899-12-31"])
def test_a_production_date_out_of_range_is_a_message(world, client, login, post, day):
    html = _post_visit(world, client, login, post, {"production_date": day})
    assert "请填写 1900 年至 2099 年之间的日期。" in html and _count() == 0


def test_a_shelf_life_of_a_billion_years_is_a_message(world, client, login, post):
    html = _post_visit(world, client, login, post, {"shelf_life": "999999999年"})
    assert "保质期超过 100 年" in html and _count() == 0


def test_an_unknown_district_is_a_message(world, client, login, post):
    html = _post_visit(world, client, login, post, region_code="999999")
    assert "请从列表中选择行政区。" in html and _count() == 0


def test_a_huge_team_member_id_is_a_message(world, client, login, post):
    html = _post_visit(world, client, login, post, sampler_ids=["99999999999"])
    assert "数值过大" in html and _count() == 0


def test_remarks_are_limited_and_the_page_says_so(world, client, login, post):
    html = _post_visit(world, client, login, post, {"remarks": "长" * (REMARKS_MAX + 1)})
    assert _count() == 0 and f'maxlength="{REMARKS_MAX}"' in html
    data = _form(world, [{"remarks": "长" * REMARKS_MAX}])
    assert post("/sampling/visits/new", data, token_from="/sampling/visits/new").status_code == 302
    assert _count() == 1


def test_anonymous_login_with_a_nul_is_a_message(client):
    data = {"username": "ann\x00", "password": "x\x00", "csrf_token": csrf_token(client)}
    response = client.post("/login", data=data)
    assert response.status_code == 200
    assert "此项含有空字符（NUL），请删除。" in response.get_data(as_text=True)


def test_a_nul_in_the_query_string_is_a_400(world, client, login):
    login(world.ann)
    assert client.get("/sampling/samples?q=%00").status_code == 400
    assert client.get("/login?next=/%00").status_code == 400


def test_ids_beyond_integer_are_not_found_and_cursors_ignored(world, client, login):
    login(world.sue)
    assert client.get("/sampling/samples/99999999999").status_code == 404
    assert client.get("/sampling/samples/2147483648").status_code == 404
    assert client.get("/sampling/samples?after=99999999999").status_code == 200
    assert client.get("/followup/99999999999").status_code == 404


def _forms():
    for module in pkgutil.walk_packages(labsys.web.__path__, "labsys.web."):
        if module.name.endswith(".forms"):
            importlib.import_module(module.name)
    pending = list(Form.__subclasses__())
    while pending:
        form = pending.pop()
        pending += form.__subclasses__()
        if form.__module__.startswith("labsys."):
            yield form


def test_every_text_field_of_every_form_has_a_length_limit():
    missing = []
    for form in _forms():
        for name in dir(form):
            field = getattr(form, name, None)
            if isinstance(field, UnboundField) and issubclass(field.field_class, StringField):
                given = field.kwargs.get("validators")
                validators = given or (field.args[1] if len(field.args) > 1 else [])
                if not any(isinstance(v, Length) and v.max > 0 for v in validators):
                    missing.append(f"{form.__module__}.{form.__name__}.{name}")
    assert not missing
