"""The results import carries the bench record (ISO/IEC 17025 §7.5.1) in optional columns,
checked as on the record page, and keeps the imported file as every row's raw data (§7.11):
an import is as traceable as manual entry."""

from __future__ import annotations

import hashlib
import io
import json
import re
from datetime import date, datetime

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from labsys.models import Attachment, AuditEntry, BenchRecord, ResultStatus
from labsys.services import bench, instruments
from labsys.services.results_import import ImportErrors, import_results, read_table

from results_support import by_name

TODAY = date(2026, 11, 10)  # the factory's samples were received on 2026-11-03 (local)
HEADER = "样品编号,检验项目,结果,单位,检出限,开始日期,结束日期,检验方法,仪器编号\n"


@pytest.fixture
def today(freeze_clock):
    freeze_clock(TODAY)
    return TODAY


@pytest.fixture
def aas(db, make_user):
    boss = make_user("boss", "supervisor")
    instrument = instruments.create_instrument(
        db.session,
        boss,
        name="原子吸收分光光度计",
        asset_no="LAB-AAS-01",
        calibration_due=date(2027, 3, 31),
    )
    db.session.commit()
    return instrument


def _csv(*lines: str, bom: bool = True) -> bytes:
    return (("\ufeff" if bom else "") + HEADER + "\n".join(lines) + "\n").encode()


def test_the_bench_columns_save_the_record_and_the_file_is_every_rows_raw_data(
    db, tech, flour_sample, aas, today
):
    a, b = flour_sample(), flour_sample()
    data = _csv(
        f"{a.sample_no},铅(以Pb计),0.05,mg/kg,,2026-11-04,2026-11-05,GB 5009.12-2023,LAB-AAS-01",
        f"{b.sample_no},铅(以Pb计),0.07,mg/kg,,2026/11/4,2026年11月6日,GB 5009.12-2023,",
        f"{b.sample_no},过氧化苯甲酰,未检出,g/kg,,,,,",  # no bench record: still imported
    )
    assert import_results(db.session, tech, data, "aas-run.csv").rows == 3
    db.session.commit()
    lead_a, lead_b, banned = by_name(a, "铅"), by_name(b, "铅"), by_name(b, "过氧化")
    record = db.session.get(BenchRecord, lead_a.id)
    assert (record.started_on, record.ended_on, record.method_standard) == (
        date(2026, 11, 4), date(2026, 11, 5), "GB 5009.12-2023",
    )  # fmt: skip
    assert record.instrument_id == aas.id and record.recorded_by_id == tech.id
    other = db.session.get(BenchRecord, lead_b.id)
    assert (other.started_on, other.ended_on, other.instrument_id) == (
        date(2026, 11, 4), date(2026, 11, 6), None,
    )  # fmt: skip
    assert db.session.get(BenchRecord, banned.id) is None
    entry = db.session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "bench", AuditEntry.entity_id == str(lead_a.id)
        )
    ).one()
    new = json.loads(entry.new_values)
    assert new["instrument"] == "LAB-AAS-01" and new["import_row"] == 2
    # The file, stored once, is the raw data of each imported row, its hash in each trail.
    raws = bench.raw_files(db.session, [lead_a.id, lead_b.id, banned.id])
    assert sorted(r.entity_id for r in raws) == sorted([lead_a.id, lead_b.id, banned.id])
    digest = hashlib.sha256(data).hexdigest()
    assert {(r.kind, r.filename, r.sha256, r.size) for r in raws} == {
        ("raw_data", "aas-run.csv", digest, len(data))
    }
    attached = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "attach", AuditEntry.entity == "result")
    ).all()
    assert len(attached) == 3 and all(digest in e.new_values for e in attached)
    # The same file again: no second copy on any row.
    import_results(db.session, tech, data, "aas-run.csv")
    db.session.commit()
    assert len(db.session.scalars(select(Attachment)).all()) == 3


@pytest.mark.parametrize(
    ("cells", "column", "message"),
    [
        ("2026-11-04,2026-11-05,GB 5009.12-2023,LAB-XXX", "仪器编号", "LAB-XXX"),
        ("2026-11-04,2026-11-05,GB 5009.268-2016,", "检验方法", "不是 铅.以Pb计. 的检验方法"),
        ("2026-11-06,2026-11-05,GB 5009.12-2023,", "结束日期", "不能早于开始日期"),
        ("2026-11-02,2026-11-05,GB 5009.12-2023,", "开始日期", "不能早于收样日期"),
        ("2026-11-04,2026-11-11,GB 5009.12-2023,", "结束日期", "晚于今天"),
        ("04/11/2026,2026-11-05,GB 5009.12-2023,", "开始日期", "04/11/2026"),
        (",2026-11-05,GB 5009.12-2023,", "开始日期", "请填写检验开始日期"),
        ("2026-11-04,2026-11-05,,LAB-AAS-01", "检验方法", "GB 5009.12-2023"),
    ],
)
def test_a_bench_record_the_page_would_refuse_imports_nothing(
    db, tech, flour_sample, aas, today, cells, column, message
):
    sample = flour_sample()
    data = _csv(f"{sample.sample_no},铅(以Pb计),0.05,mg/kg,,{cells}")
    with pytest.raises(ImportErrors) as refused:
        import_results(db.session, tech, data, "run.csv")
    [problem] = refused.value.errors
    assert (problem.row, problem.column) == (2, column)
    assert re.search(message, problem.message), problem.message
    db.session.rollback()
    assert by_name(sample, "铅").status == ResultStatus.PENDING
    assert db.session.scalars(select(BenchRecord)).all() == []
    assert db.session.scalars(select(Attachment)).all() == []


def test_an_instrument_past_its_calibration_due_date_is_refused(db, tech, flour_sample, aas, today):
    aas.calibration_due = date(2026, 11, 4)
    db.session.commit()
    sample = flour_sample()
    data = _csv(
        f"{sample.sample_no},铅(以Pb计),0.05,mg/kg,,2026-11-04,2026-11-05,GB 5009.12-2023,LAB-AAS-01"
    )
    with pytest.raises(ImportErrors) as refused:
        import_results(db.session, tech, data, "run.csv")
    [problem] = refused.value.errors
    assert problem.column == "仪器编号" and "校准有效期至 2026-11-04" in problem.message


def test_an_xlsx_with_date_cells_imports_its_bench_record(db, tech, flour_sample, aas, today):
    sample = flour_sample()
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    sheet.append([sample.sample_no, "铅(以Pb计)", 0.05, "mg/kg", None,
                  datetime(2026, 11, 4), datetime(2026, 11, 5), "GB 5009.12-2023", "LAB-AAS-01"])  # fmt: skip
    out = io.BytesIO()
    book.save(out)
    assert read_table(out.getvalue(), "run.xlsx")[1][5] == "2026-11-04"
    import_results(db.session, tech, out.getvalue(), "run.xlsx")
    db.session.commit()
    lead = by_name(sample, "铅")
    assert db.session.get(BenchRecord, lead.id).ended_on == date(2026, 11, 5)
    [raw] = bench.raw_files(db.session, [lead.id])
    assert raw.filename == "run.xlsx" and raw.content_type.endswith("spreadsheetml.sheet")


def test_the_import_page_keeps_the_file_and_the_template_fills_a_bench_record(
    db, client, login, post, tech, flour_sample, aas, today
):
    sample = flour_sample()
    login(tech)
    template = client.get("/lab/import/template.csv").data
    table = read_table(template, "template.csv")
    assert table[0][5:] == ["开始日期", "结束日期", "检验方法", "仪器编号"]
    table[1] = [sample.sample_no, "铅(以Pb计)", "0.05", "mg/kg", "", "2026-11-04", "2026-11-05",
                "GB 5009.12-2023", "LAB-AAS-01"]  # fmt: skip
    data = ("\ufeff" + "\n".join(",".join(row) for row in table) + "\n").encode()
    response = post(
        "/lab/import",
        {"file": (io.BytesIO(data), "filled.csv")},
        token_from="/lab/import",
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    lead = by_name(sample, "铅")
    assert db.session.get(BenchRecord, lead.id).instrument_id == aas.id
    [raw] = bench.raw_files(db.session, [lead.id])
    assert raw.sha256 == hashlib.sha256(data).hexdigest()
    # The record page lists the file for the reviewer, as a manual entry's.
    html = client.get(f"/lab/results/{lead.id}/record").get_data(as_text=True)
    assert "filled.csv" in html


def test_a_csv_with_a_byte_order_mark_is_text_raw_data():
    """Excel's "CSV UTF-8" and the import template start with a BOM: still a text file."""
    from labsys.services import attachments

    assert attachments.sniff("\ufeff样品编号,结果\r\n".encode()) == attachments.TEXT
