"""``labsys catalog``: load the reference catalog, print the tree or a category's items."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _
from sqlalchemy import select

from labsys.cli import fail, reads_only
from labsys.core import clock
from labsys.core.limits import limit_with_unit
from labsys.extensions import db
from labsys.models import FoodCategory, OilProcess
from labsys.services import catalog
from labsys.services.catalog_check import CatalogError


@click.group("catalog")
def catalog_group():
    """The food catalog: categories, test items and specifications."""


@catalog_group.command("load")
@click.option(
    "--file",
    "path",
    type=click.Path(exists=True, dir_okay=False),
    help="A catalog data file (default: the shipped reference catalog).",
)
@with_appcontext
def load_command(path: str | None):
    """Load the reference catalog; a newer version updates in place (idempotent)."""
    try:
        summary = catalog.load_reference_catalog(db.session, path)
    except CatalogError as error:
        fail(refusal(error))
    except (KeyError, ValueError) as error:
        fail(_("error: the catalog file is not valid: %(error)s", error=repr(error)))
    db.session.commit()
    click.echo(summary or _("catalog: up to date"))


def refusal(error: CatalogError) -> str:
    """The message of a refused catalog file: one line per row at fault."""
    lines = [
        _(
            "error: the catalog was not loaded (nothing changed); %(n)s problem(s):",
            n=len(error.problems),
        )
    ]
    return "\n".join([*lines, *(f"  - {problem}" for problem in error.problems)])


def _category(code: str) -> FoodCategory:
    category = db.session.scalar(select(FoodCategory).where(FoodCategory.code == code))
    if category is None:
        fail(_("error: no food category with code %(code)s", code=code))
    return category


@catalog_group.command("tree")
@click.argument("code", required=False)
@with_appcontext
@reads_only
def tree_command(code: str | None):
    """Print the category tree, or the subtree under CODE."""
    nodes = catalog.category_tree(db.session)
    if code:
        wanted = _category(code)
        nodes = [_find(nodes, wanted.id)]
    for node in nodes:
        _print_node(node, 0)


def _find(nodes, category_id):
    for node in nodes:
        if node.category.id == category_id:
            return node
        if (found := _find(node.children, category_id)) is not None:
            return found
    return None


def _print_node(node, depth: int) -> None:
    category = node.category
    flag = "  [" + _("key food") + "]" if category.is_key_food else ""
    click.echo(f"{'  ' * depth}{category.code}  {category.name_zh}{flag}")
    for child in node.children:
        _print_node(child, depth + 1)


@catalog_group.command("items")
@click.argument("search", required=False)
@with_appcontext
def items_command(search: str | None):
    """Print the test items (or those matching SEARCH) with their hazard classes."""
    for item in catalog.test_items(db.session, search):
        click.echo(f"{item.code}  {item.name_zh}  <{item.hazard_class.title}>")


@catalog_group.command("show")
@click.argument("code")
@click.option(
    "--date",
    "on",
    type=click.DateTime(["%Y-%m-%d"]),
    help="The date the specifications are read for (default: today).",
)
@with_appcontext
@reads_only
def show_command(code: str, on):
    """Print the test items and limits that apply to category CODE."""
    category = _category(code)
    on_date: date = on.date() if on else clock.today()
    click.echo(f"{category.code}  {catalog.path_name(db.session, category)}  ({on_date})")
    specs = catalog.applicable_specifications(db.session, category.id, on_date)
    if not specs:
        click.echo("  " + _("no test items"))
    for spec in specs:
        limit = limit_with_unit(spec.plan.text if spec.plan else spec.limit_text, spec.unit)
        process = f" ({OilProcess(spec.oil_process).title})" if spec.oil_process else ""
        source = (
            ""
            if spec.category_id == category.id
            else "  " + _("(from %(code)s)", code=spec.category.code)
        )
        click.echo(
            f"  {spec.test_item.name_zh}{process}  {limit}  "
            f"[{spec.method_standard}; {spec.judgement_basis}; {spec.effective_from}]{source}"
            f"  <{spec.test_item.hazard_class.title}>"
        )
