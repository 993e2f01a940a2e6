"""The model package imports each module when a name of it is first used (issue #19 §1:
``labsys stats`` starts without declaring the models it never reads).  Lazy imports must not
change what any command or page sees: every model is declared before the web app or any
other command runs, and ``labsys stats`` in a fresh interpreter, with only its own models,
prints exactly what it prints with all of them."""

from __future__ import annotations

import ast
import json
import os
import pkgutil
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import labsys.models
from labsys.extensions import db
from labsys.models import Base, FoodCategory, InspectionType, Plan, load_all

from stats_support import *  # noqa: F403 - the shared fixtures
from support import TEST_SECRET

# The read's questions: every grouping, each category level, key foods, a drill-down, a
# range cut inside months (the edge days), a type, and a plan (counted on samples).
QUESTIONS = [
    *(["--by", by] for by in ("category", "district", "link", "month", "quarter", "year")),
    *(["--by", by] for by in ("lab", "sampler")),
    ["--level", "4"],
    ["--key-foods"],
    ["--from", "2026-01-10", "--to", "2026-04-01"],
    ["--by", "district", "--type", InspectionType.SUPERVISION.value],
]

# Run in a fresh interpreter: the read's answers, the model and service modules it imported,
# then ``labsys stats rebuild`` (a subcommand: it writes, with every model) and its output.
PROBE = """
import contextlib, io, json, sys
from labsys.cli import main
answers = []
for args in json.loads(sys.argv[1]):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["stats", *args, "--format", "json"], standalone_mode=False)
    answers.append(json.loads(out.getvalue()))
print(json.dumps(answers))
print(json.dumps(sorted(m for m in sys.modules if m.startswith(("labsys.models.", "labsys.services.")))))
out = io.StringIO()
with contextlib.redirect_stdout(out):
    main(["stats", "rebuild"], standalone_mode=False)
print(json.dumps(out.getvalue()))
"""

# Modules the pass-rate read must not import (what the lazy package saves it).
NOT_READ = {
    f"labsys.models.{name}"
    for name in ("api", "backup", "bench", "correction", "followup", "grading", "report")
} | {"labsys.models.results", "labsys.models.signatory", "labsys.services.audit"}


def _type_checker_names() -> dict[str, tuple[str, ...]]:
    """The names the ``if TYPE_CHECKING:`` block imports, by module."""
    tree = ast.parse(Path(labsys.models.__file__).read_text(encoding="utf-8"))
    (block,) = [n for n in tree.body if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.dump(n)]
    return {
        node.module.rsplit(".", 1)[1]: tuple(alias.name for alias in node.names)
        for node in block.body
        if isinstance(node, ast.ImportFrom) and node.module
    }


def test_the_type_checker_sees_the_names_the_package_imports():
    assert _type_checker_names() == labsys.models._WHERE_BY_MODULE


def test_every_name_is_its_module_s_object():
    for module, names in labsys.models._WHERE_BY_MODULE.items():
        for name in names:
            assert getattr(labsys.models, name) is getattr(
                import_module(f"labsys.models.{module}"), name
            ), name


def test_load_all_declares_every_mapped_class_and_table(app):
    """A model module missing from the package's list would leave its tables out of the
    migrations' comparison and its classes out of the web app."""
    load_all()
    mapped = {mapper.class_ for mapper in Base.registry.mappers}
    tables = set(Base.metadata.tables)
    for info in pkgutil.iter_modules(labsys.models.__path__):
        import_module(f"labsys.models.{info.name}")
    assert {mapper.class_ for mapper in Base.registry.mappers} == mapped
    assert set(Base.metadata.tables) == tables
    declared = {cls.__module__.rsplit(".", 1)[1] for cls in mapped}
    assert declared <= set(labsys.models._WHERE_BY_MODULE)


def test_an_unknown_name_is_an_attribute_error():
    try:
        labsys.models.NoSuchModel  # noqa: B018
    except AttributeError as error:
        assert "NoSuchModel" in str(error)
    else:
        raise AssertionError("an unknown model name resolved")


def test_labsys_stats_answers_alike_with_only_its_own_models(app, database_url, dataset, tmp_path):
    plan = Plan(code="P2026", name="2026 年监督抽检", year=2026)
    db.session.add(plan)
    db.session.flush()
    dataset.samples[0].plan_id = plan.id
    db.session.commit()
    flour_grain = db.session.get(FoodCategory, dataset.flour.ancestor_ids[0])
    questions = [*QUESTIONS, ["--parent", flour_grain.code], ["--plan", str(plan.id)]]
    runner = app.test_cli_runner()
    expected = []
    for args in questions:  # in this process, with every model declared
        result = runner.invoke(args=["stats", *args, "--format", "json"])
        assert result.exit_code == 0, (args, result.output)
        expected.append(json.loads(result.output))
    assert expected[0]["samples"] == 11 and expected[0]["unqualified"] == 2

    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(questions)],
        env={
            **os.environ,
            "LABSYS_SECRET_KEY": TEST_SECRET,
            "LABSYS_DATABASE_URL": database_url,
            "LABSYS_INSTANCE_PATH": str(tmp_path),
            "LABSYS_CLI_LANGUAGE": "en",
        },
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answers, loaded, rebuilt = (json.loads(line) for line in done.stdout.strip().splitlines()[-3:])
    for args, answer, wanted in zip(questions, answers, expected, strict=True):
        assert answer == wanted, args
    assert "labsys.models.sampling" in loaded
    assert not NOT_READ & set(loaded), sorted(NOT_READ & set(loaded))
    assert "sample_rollups matched the samples" in rebuilt
