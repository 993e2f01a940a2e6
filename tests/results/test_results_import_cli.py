"""Issue 20: the README's way of putting a microbiological item's unit values in one cell
works from the command line."""

from __future__ import annotations

from labsys.models import VerdictValue
from labsys.services.results import units_of

from results_support import by_name


def test_five_unit_values_in_one_cell_separated_by_semicolons(
    app, db, tech, flour_sample, tmp_path
):
    sample = flour_sample()
    file = tmp_path / "plate-counts.csv"
    file.write_text(
        f"样品编号,检验项目,结果,单位\n{sample.sample_no},菌落总数,20;30;<10;40;50,CFU/g\n",
        encoding="utf-8",
    )
    result = app.test_cli_runner().invoke(args=["import", "results", str(file), "--as", "tech"])
    assert result.exit_code == 0, result.output
    assert "imported 1 result for 1 sample (" in result.output
    db.session.expire_all()
    count = by_name(sample, "菌落")
    assert count.verdict == VerdictValue.PASS
    assert units_of(count) == ["20", "30", "<10", "40", "50"]
