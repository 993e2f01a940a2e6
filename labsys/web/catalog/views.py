"""The food catalog: browse the category tree and its specifications; admins edit them."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from labsys.core import clock
from labsys.extensions import db
from labsys.models import FoodCategory, Role, Specification, TestItem
from labsys.services import catalog
from labsys.web.access import login_required, roles_required
from labsys.web.catalog import queries
from labsys.web.catalog.forms import CategoryForm, ConfirmForm, SpecificationForm, TestItemForm
from labsys.web.forms import service_errors
from labsys.web.pagination import keyset_page

bp = Blueprint("catalog", __name__, url_prefix="/catalog")


def _category_or_404(category_id: int) -> FoodCategory:
    return db.session.get(FoodCategory, category_id) or abort(404)


def _on_date() -> date:
    try:
        return date.fromisoformat(request.args.get("on", ""))
    except ValueError:
        return clock.today()


@bp.route("/")
@login_required
def index():
    search = request.args.get("q", "").strip()
    if search:
        found = catalog.search_categories(db.session, search)
        return render_template(
            "catalog/index.html",
            search=search,
            found=found,
            paths=catalog.path_names(db.session, found),
        )
    roots = catalog.children(db.session, None)
    return render_template(
        "catalog/index.html",
        search="",
        roots=roots,
        counts=catalog.child_counts(db.session, [c.id for c in roots]),
    )


@bp.route("/categories/<int:category_id>")
@login_required
def category_view(category_id: int):
    category = _category_or_404(category_id)
    on_date = _on_date()
    kids = catalog.children(db.session, category.id)
    effective, exclusions, future = catalog.category_specifications(db.session, category, on_date)
    chain = catalog.ancestors(db.session, category)
    return render_template(
        "catalog/category.html",
        category=category,
        on_date=on_date,
        chain=chain,
        kids=kids,
        counts=catalog.child_counts(db.session, [c.id for c in kids]),
        effective=effective,
        exclusions=exclusions,
        future=future,
        confirm=ConfirmForm(),
        key_food_inherited=any(c.is_key_food for c in chain if c.id != category.id),
    )


@bp.route("/categories/<int:category_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def category_edit(category_id: int):
    category = _category_or_404(category_id)
    form = CategoryForm(obj=category)
    if form.validate_on_submit():
        with service_errors(form):
            catalog.update_category(
                db.session,
                current_user,
                category,
                name_zh=form.name_zh.data,
                name_en=form.name_en.data,
                is_key_food=form.is_key_food.data,
                sort_order=form.sort_order.data,
            )
            flash(_("Category %(name)s saved.", name=category.name_zh), "success")
            return redirect(url_for("catalog.category_view", category_id=category.id))
    return render_template("catalog/category_form.html", category=category, form=form)


@bp.route("/categories/<int:category_id>/key-food", methods=["POST"])
@roles_required(Role.ADMIN)
def category_key_food(category_id: int):
    category = _category_or_404(category_id)
    if ConfirmForm().validate_on_submit():
        flag = request.form.get("is_key_food") == "1"
        with service_errors():
            catalog.set_key_food(db.session, current_user, category, flag)
            flash(
                _("%(name)s now counts as a key food.", name=category.name_zh)
                if flag
                else _("%(name)s no longer counts as a key food.", name=category.name_zh),
                "success",
            )
    return redirect(url_for("catalog.category_view", category_id=category.id))


def _item_choices() -> list[tuple[int, str]]:
    return queries.item_choices(db.session)


@bp.route("/categories/<int:category_id>/specifications/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def specification_create(category_id: int):
    category = _category_or_404(category_id)
    form = SpecificationForm(
        data={
            "effective_from": clock.today(),
            "test_item_id": request.args.get("item", type=int),
            "excluded": request.args.get("excluded") == "1",
        }
        if request.method == "GET"
        else None
    )
    form.test_item_id.choices = _item_choices()
    if form.validate_on_submit():
        item = db.session.get(TestItem, form.test_item_id.data) or abort(404)
        with service_errors(form):
            catalog.create_specification(db.session, current_user, category, item, **form.values())
            flash(
                _("%(item)s saved on %(category)s.", item=item.name_zh, category=category.name_zh),
                "success",
            )
            return redirect(url_for("catalog.category_view", category_id=category.id))
    return render_template(
        "catalog/specification_form.html", category=category, form=form, spec=None
    )


@bp.route("/specifications/<int:spec_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def specification_edit(spec_id: int):
    spec = db.session.get(Specification, spec_id) or abort(404)
    form = SpecificationForm(obj=spec)
    del form.test_item_id
    if form.validate_on_submit():
        with service_errors(form):
            catalog.update_specification(db.session, current_user, spec, **form.values())
            flash(
                _(
                    "%(item)s saved on %(category)s.",
                    item=spec.test_item.name_zh,
                    category=spec.category.name_zh,
                ),
                "success",
            )
            return redirect(url_for("catalog.category_view", category_id=spec.category_id))
    return render_template(
        "catalog/specification_form.html", category=spec.category, form=form, spec=spec
    )


@bp.route("/items")
@login_required
def item_list():
    search = request.args.get("q", "").strip()
    page = keyset_page(
        queries.item_list_query(search), TestItem.code, after=request.args.get("after") or None
    )
    return render_template("catalog/items.html", page=page, search=search)


@bp.route("/items/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def item_create():
    form = TestItemForm()
    if form.validate_on_submit():
        with service_errors(form):
            item = catalog.create_test_item(db.session, current_user, **_item_values(form))
            flash(_("Test item %(name)s saved.", name=item.name_zh), "success")
            return redirect(url_for("catalog.item_list"))
    return render_template("catalog/item_form.html", form=form, item=None)


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def item_edit(item_id: int):
    item = db.session.get(TestItem, item_id) or abort(404)
    form = TestItemForm(obj=item)
    if form.validate_on_submit():
        with service_errors(form):
            catalog.update_test_item(db.session, current_user, item, **_item_values(form))
            flash(_("Test item %(name)s saved.", name=item.name_zh), "success")
            return redirect(url_for("catalog.item_list", q=item.code))
    return render_template("catalog/item_form.html", form=form, item=item)


def _item_values(form: TestItemForm) -> dict:
    return {name: getattr(form, name).data for name in catalog.ITEM_FIELDS}
