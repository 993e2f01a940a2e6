"""Instrument import: all rows or none, with a row-by-row error report; the CLI command."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from labsys.models import AuditEntry, ResultStatus, Role, SampleResult, SampleStatus, VerdictValue
from labsys.services import PermissionDenied
from labsys.services.results_import import ImportErrors, import_results

from results_support import by_name

HEADER = "样品编号,检验项目,结果,单位,检出限\n"


def _csv(*lines: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return (header + "\n".join(lines) + "\n").encode(encoding)


def test_a_valid_file_is_saved_and_judged_in_one_go(db, tech, flour_sample):
    a, b = flour_sample(), flour_sample()
    data = _csv(
        f"{a.sample_no},铅(以Pb计),0.153,mg/kg,",
        f"{b.sample_no},铅(以Pb计),0.35,mg/kg,",
        f'{b.sample_no},菌落总数,"150, 900, 80, 60, 100",CFU/g,',
        f"{a.sample_no},过氧化苯甲酰,未检出,g/kg,0.02",
    )
    summary = import_results(db.session, tech, data, "run.csv")
    db.session.commit()
    assert (summary.rows, summary.samples) == (4, 2)
    lead_a, lead_b = by_name(a, "铅"), by_name(b, "铅")
    assert (lead_a.reported_text, lead_a.verdict, lead_a.status) == (
        "0.15",
        VerdictValue.PASS,
        ResultStatus.ENTERED,
    )
    assert lead_a.version_id == 2 and lead_a.entered_by_id == tech.id
    assert lead_b.verdict == VerdictValue.FAIL
    assert by_name(b, "菌落").verdict == VerdictValue.PASS
    banned = by_name(a, "过氧化")
    assert (banned.lod, banned.reported_text) == ("0.02", "未检出(检出限: 0.02 g/kg)")
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "enter")
        )
        == 4
    )


def test_gb18030_and_english_headers_are_read(db, tech, flour_sample):
    sample = flour_sample()
    data = _csv(
        f"{sample.sample_no},铅(以Pb计),0.1,mg/kg",
        header="sample_no,test_item,value,unit\n",
        encoding="gb18030",
    )
    assert import_results(db.session, tech, data, "run.csv").rows == 1


def test_xlsx_files_are_read(db, tech, flour_sample):
    sample = flour_sample()
    book = Workbook()
    sheet = book.active
    sheet.append(["样品编号", "检验项目", "结果", "单位"])
    sheet.append([sample.sample_no, "铅(以Pb计)", "0.05", "mg/kg"])
    buffer = io.BytesIO()
    book.save(buffer)
    import_results(db.session, tech, buffer.getvalue(), "run.xlsx")
    db.session.commit()
    assert by_name(sample, "铅").measured_text == "0.05"


def test_any_bad_row_saves_nothing_and_every_problem_is_reported(
    db, tech, flour_sample, make_sample, flour, items
):
    good, other = flour_sample(), flour_sample()
    unreceived = make_sample(flour, [{"test_item": items["lead"], "limit_text": "≤0.2"}])
    unreceived.status = SampleStatus.REGISTERED
    db.session.commit()
    data = _csv(
        f"{good.sample_no},铅(以Pb计),0.1,mg/kg,",  # row 2: fine
        f"{good.sample_no},铅(以Pb计),0.2,mg/kg,",  # row 3: duplicate of row 2
        "NOPE0001,铅(以Pb计),0.1,mg/kg,",  # row 4: unknown sample
        f"{good.sample_no},砷,0.1,mg/kg,",  # row 5: unknown item
        f"{other.sample_no},铅(以Pb计),0.1,g/kg,",  # row 6: unit mismatch
        f"{unreceived.sample_no},铅(以Pb计),0.1,mg/kg,",  # row 7: not received
        f"{other.sample_no},过氧化苯甲酰,lots,g/kg,",  # row 8: not a result
        "",
        f'{other.sample_no},菌落总数,"1,2",CFU/g,',  # row 10: 2 of 5 units
    )
    with pytest.raises(ImportErrors) as error:
        import_results(db.session, tech, data, "run.csv")
    found = [(e.row, e.column) for e in error.value.errors]
    assert found == [
        (3, "检验项目"),
        (4, "样品编号"),
        (5, "检验项目"),
        (6, "单位"),
        (7, "样品编号"),
        (8, "结果"),
        (10, "结果"),
    ]
    messages = [e.message for e in error.value.errors]
    assert "row 2" in messages[0] or "2" in messages[0]
    db.session.rollback()
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(SampleResult)
            .where(SampleResult.status != ResultStatus.PENDING)
        )
        == 0
    )
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.entity == "result")
        )
        == 0
    )


def test_missing_columns_are_reported_on_row_one(db, tech):
    with pytest.raises(ImportErrors) as error:
        import_results(db.session, tech, b"sample_no,value\nX,1\n", "run.csv")
    assert [(e.row, e.column) for e in error.value.errors] == [(1, "检验项目"), (1, "单位")]


def test_results_already_submitted_cannot_be_imported_over(db, tech, flour_sample):
    from labsys.services import results as svc

    sample = flour_sample()
    lead = by_name(sample, "铅")
    svc.enter_result(db.session, tech, lead, measured_text="0.1", expected_version=lead.version_id)
    svc.submit_results(db.session, tech, [lead])
    db.session.commit()
    with pytest.raises(ImportErrors) as error:
        import_results(
            db.session, tech, _csv(f"{sample.sample_no},铅(以Pb计),0.2,mg/kg,"), "run.csv"
        )
    assert error.value.errors[0].row == 2


def test_only_technicians_import(db, reviewer, flour_sample):
    sample = flour_sample()
    with pytest.raises(PermissionDenied):
        import_results(
            db.session, reviewer, _csv(f"{sample.sample_no},铅(以Pb计),0.1,mg/kg,"), "run.csv"
        )


def test_cli_import_saves_all_or_reports_and_exits_1(app, db, tech, flour_sample, tmp_path):
    sample = flour_sample()
    runner = app.test_cli_runner()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        _csv(f"{sample.sample_no},铅(以Pb计),0.1,mg/kg,", f"{sample.sample_no},砷,0.1,mg/kg,")
    )
    result = runner.invoke(args=["import", "results", str(bad), "--as", "tech"])
    assert result.exit_code == 1
    assert "row 3, 检验项目" in result.output
    db.session.rollback()
    assert by_name(sample, "铅").status == ResultStatus.PENDING
    good = tmp_path / "good.csv"
    good.write_bytes(_csv(f"{sample.sample_no},铅(以Pb计),0.1,mg/kg,"))
    result = runner.invoke(args=["import", "results", str(good), "--as", "tech"])
    assert result.exit_code == 0, result.output
    assert "imported 1 result for 1 sample (" in result.output  # issue 20: not "1 results"
    db.session.expire_all()
    assert by_name(sample, "铅").measured_text == "0.1"


def test_cli_import_refuses_unknown_users(app, make_user, tmp_path):
    make_user("rev2", Role.REVIEWER)
    file = tmp_path / "x.csv"
    file.write_bytes(_csv())
    result = app.test_cli_runner().invoke(args=["import", "results", str(file), "--as", "ghost"])
    assert result.exit_code == 1 and "ghost" in result.output
