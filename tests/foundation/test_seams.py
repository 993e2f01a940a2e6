"""Structural rules that hold by test, not by convention: views read through their feature's
queries module, templates get values (not service modules) and compare enums by property,
and every "now" comes from the one clock."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "labsys"
# Where read queries may be built in the web layer: each feature's queries module, and
# the keyset paginator (which adds the page's WHERE/ORDER BY to a query it is given).
QUERY_HOMES = {"queries.py", "pagination.py"}
CLOCK = PACKAGE / "core" / "clock.py"
VALUE_COMPARISON = re.compile(r"\.value\s*(==|!=)|(==|!=)\s*[\w.]+\.value\b")


def _modules(folder: Path):
    for path in sorted(folder.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _called_name(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _templates():
    folders = [ROOT / "templates", PACKAGE / "templates"]
    for folder in folders:
        yield from sorted(folder.rglob("*.html")) if folder.is_dir() else ()


def test_views_build_no_select_statements():
    offenders = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path, tree in _modules(PACKAGE / "web")
        if path.name not in QUERY_HOMES
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _called_name(node) in {"select", "exists"}
    ]
    assert offenders == [], "move these reads into the feature's queries.py"


def test_templates_compare_enums_by_property_not_by_value_text():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _templates()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if VALUE_COMPARISON.search(line)
    ]
    assert offenders == []


def test_templates_receive_values_not_service_modules():
    offenders = [
        str(path.relative_to(ROOT))
        for path in _templates()
        if re.search(r"\bsvc\b", path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
    modules = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path, tree in _modules(PACKAGE / "web")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _called_name(node) == "render_template"
        for keyword in node.keywords
        if isinstance(keyword.value, ast.Name) and keyword.value.id in {"svc", "service"}
    ]
    assert modules == []


def test_every_now_and_today_comes_from_the_one_clock():
    offenders = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path, tree in _modules(PACKAGE)
        if path != CLOCK
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (
            _called_name(node) in {"utcnow", "ZoneInfo"}
            or (
                _called_name(node) in {"now", "today"}
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in {"datetime", "date"}
            )
        )
    ]
    assert offenders == [], "use labsys.core.clock (now, today, local_date, LOCAL_TZ)"


def test_the_guards_catch_what_they_guard():
    """The checks above find a planted offence (so an empty list means something)."""
    bad = ast.parse("from datetime import datetime\nq = select(User)\nt = datetime.now()\n")
    calls = [_called_name(n) for n in ast.walk(bad) if isinstance(n, ast.Call)]
    assert "select" in calls and "now" in calls
    assert VALUE_COMPARISON.search("{% if report.status.value == 'issued' %}")
    assert VALUE_COMPARISON.search("{% if 'issued' == report.status.value %}")
    assert not VALUE_COMPARISON.search("{% if report.status.is_issued %}")


def test_each_enum_property_names_exactly_its_member():
    from labsys.models import ComparisonMethod, Conclusion, ReportStatus, ResultStatus

    for enum in (ComparisonMethod, Conclusion, ResultStatus, ReportStatus):
        properties = [name for name in vars(enum) if name.startswith("is_")]
        assert properties, enum
        for name in properties:
            true_for = [m for m in enum if getattr(m, name)]
            assert [m.name for m in true_for] == [name.removeprefix("is_").upper()]
