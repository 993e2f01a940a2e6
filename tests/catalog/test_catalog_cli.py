"""``labsys catalog``: load, tree, show."""

from sqlalchemy import func, select

from labsys.models import Specification


def _run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_load_is_idempotent_and_init_loads_the_catalog(app, db):
    first = _run(app, "init")
    assert first.exit_code == 0, first.output
    assert "catalog: version" in first.output
    count = db.session.scalar(select(func.count()).select_from(Specification))
    again = _run(app, "catalog", "load")
    assert again.exit_code == 0 and "up to date" in again.output
    assert db.session.scalar(select(func.count()).select_from(Specification)) == count


def test_tree_and_show_print_a_subtree_and_its_items(app, db):
    _run(app, "catalog", "load")
    tree = _run(app, "catalog", "tree", "05")
    assert tree.exit_code == 0
    assert "05010101  巴氏杀菌乳" in tree.output and "粮食加工品" not in tree.output
    show = _run(app, "catalog", "show", "05010101", "--date", "2026-01-01")
    assert "乳制品 > 液体乳 > 液体乳 > 巴氏杀菌乳" in show.output
    assert "菌落总数  n=5,c=2,m=50000,M=100000 CFU/mL" in show.output
    assert "三聚氰胺  ≤2.5 mg/kg" in show.output and "(from 0501)" in show.output
    missing = _run(app, "catalog", "show", "nope")
    assert missing.exit_code == 1 and "no food category" in missing.output
