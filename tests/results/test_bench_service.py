"""Traceable bench work through the services: the instrument register, assignment, and the
bench record of a result (dates, method, instrument), each rule with the attempt to break it."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date

import pytest
from sqlalchemy import select

from labsys.models import (
    Attachment,
    AuditEntry,
    BenchRecord,
    InstrumentStatus,
    ResultAssignment,
    ResultStatus,
    Role,
)
from labsys.services import PermissionDenied, ServiceError, assignments, bench, instruments
from labsys.services import results as svc

from results_support import by_name

TODAY = date(2026, 11, 10)  # the factory's samples were received on 2026-11-03 (local)


@pytest.fixture
def today(freeze_clock):
    freeze_clock(TODAY)
    return TODAY


@pytest.fixture
def boss(make_user):
    return make_user("boss", Role.SUPERVISOR, full_name="Lab Head")


@pytest.fixture
def balance(db, boss):
    instrument = instruments.create_instrument(
        db.session,
        boss,
        name="原子吸收分光光度计",
        model="AA-7000",
        asset_no="LAB-AAS-01",
        serial_no="A30965",
        calibration_due=date(2027, 3, 31),
    )
    db.session.commit()
    return instrument


def _details(**changes):
    values = {
        "started_on": date(2026, 11, 4),
        "ended_on": date(2026, 11, 5),
        "method_standard": "GB 5009.12-2023",
        "instrument_id": None,
    }
    values.update(changes)
    return bench.BenchDetails(**values)


RAW = b"sample,absorbance\r\nA,0.1234\r\n"  # an instrument's CSV export


def _raw(data: bytes = RAW, name: str = "aas-run.csv"):
    return bench.RawFile(name, io.BytesIO(data))


def _record(db, tech, result, details, value="0.05", raw="default"):
    bench.record_result(
        db.session,
        tech,
        result,
        measured_text=value,
        expected_version=result.version_id,
        details=details,
        raw_file=_raw() if raw == "default" else raw,
    )
    db.session.commit()


# --- the instrument register -----------------------------------------------------------------


def test_an_instrument_is_registered_and_changed_with_an_audit_trail(db, boss, balance):
    instruments.update_instrument(
        db.session,
        boss,
        balance,
        reason="calibrated 2026-11-09",
        name=balance.name,
        model=balance.model,
        asset_no=balance.asset_no,
        serial_no=balance.serial_no,
        calibration_due=date(2027, 11, 8),
        status="in_service",
    )
    db.session.commit()
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "instrument").order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == ["create", "update"]
    assert json.loads(entries[1].old_values)["calibration_due"] == "2027-03-31"
    assert json.loads(entries[1].new_values)["calibration_due"] == "2027-11-08"
    assert entries[1].reason == "calibrated 2026-11-09"


def test_asset_numbers_are_unique_and_technicians_cannot_register(db, boss, tech, balance):
    with pytest.raises(ServiceError, match="LAB-AAS-01"):
        instruments.create_instrument(
            db.session, boss, name="x", asset_no="LAB-AAS-01", calibration_due=TODAY
        )
    with pytest.raises(PermissionDenied):
        instruments.create_instrument(
            db.session, tech, name="x", asset_no="LAB-X", calibration_due=TODAY
        )


# --- assignment ------------------------------------------------------------------------------


def test_a_supervisor_assigns_a_sample_and_only_that_technician_enters_it(
    db, boss, tech, make_user, flour_sample, today
):
    other = make_user("tech2", Role.TECHNICIAN, full_name="Other Tech")
    sample = flour_sample()
    assert assignments.assign(db.session, boss, tech, sample_nos=[sample.sample_no]) == 3
    db.session.commit()
    lead = by_name(sample, "铅")
    with pytest.raises(ServiceError, match="Tech Ting"):
        svc.enter_result(db.session, other, lead, measured_text="0.1", expected_version=1)
    with pytest.raises(svc.EntryErrors) as refused:
        svc.enter_results(db.session, other, [svc.Entry(lead, "0.1", 1)])
    assert "Tech Ting" in refused.value.errors[lead.id]
    db.session.rollback()
    assert lead.measured_text is None
    svc.enter_result(db.session, tech, lead, measured_text="0.1", expected_version=1)
    db.session.commit()
    assert lead.status == ResultStatus.ENTERED
    audit = db.session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "assign", AuditEntry.entity_id == str(lead.id)
        )
    ).one()
    assert json.loads(audit.new_values)["technician"] == "tech"


def test_assigning_a_test_item_takes_its_open_rows_on_every_sample(
    db, boss, tech, flour_sample, items
):
    a, b = flour_sample(), flour_sample()
    assert assignments.assign(db.session, boss, tech, item=items["lead"]) == 2
    db.session.commit()
    owners = assignments.assignees(db.session, [r.id for r in (*a.results, *b.results)])
    assert set(owners) == {by_name(a, "铅").id, by_name(b, "铅").id}


def test_only_a_supervisor_assigns_and_only_to_a_technician(
    db, boss, tech, reviewer, flour_sample, items
):
    sample = flour_sample()
    for wrong in (tech, reviewer):
        with pytest.raises(PermissionDenied):
            assignments.assign(db.session, wrong, tech, sample_nos=[sample.sample_no])
    with pytest.raises(ServiceError, match="不是在岗的检验员"):
        assignments.assign(db.session, boss, reviewer, sample_nos=[sample.sample_no])
    with pytest.raises(ServiceError, match="NOPE"):
        assignments.assign(db.session, boss, tech, sample_nos=["NOPE"])
    with pytest.raises(ServiceError):
        assignments.assign(db.session, boss, tech)
    db.session.rollback()
    assert db.session.scalars(select(ResultAssignment)).all() == []


# --- the bench record ------------------------------------------------------------------------


def test_a_result_is_saved_with_its_dates_method_and_instrument(
    db, tech, balance, flour_sample, today
):
    lead = by_name(flour_sample(), "铅")
    _record(db, tech, lead, _details(instrument_id=balance.id))
    record = db.session.get(BenchRecord, lead.id)
    assert (record.started_on, record.ended_on, record.method_standard) == (
        date(2026, 11, 4),
        date(2026, 11, 5),
        "GB 5009.12-2023",
    )
    assert record.instrument.asset_no == "LAB-AAS-01" and record.recorded_by_id == tech.id
    assert lead.status == ResultStatus.ENTERED and lead.reported_text == "0.05"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "bench")).one()
    assert json.loads(entry.new_values)["instrument"] == "LAB-AAS-01"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"ended_on": date(2026, 11, 3)}, "ended_on", "不能早于开始日期"),
        ({"started_on": None}, "started_on", "请填写检验开始日期"),
        ({"ended_on": date(2026, 11, 11)}, "ended_on", "晚于今天"),
        ({"started_on": date(2026, 11, 2)}, "started_on", "不能早于收样日期"),
        ({"method_standard": "GB 5009.268-2016"}, "method", "不是 铅.以Pb计. 的检验方法"),
        ({"instrument_id": 999_999}, "instrument", "没有该仪器"),
    ],
)
def test_a_bench_record_that_cannot_stand_saves_nothing(
    db, tech, flour_sample, today, changes, field, message
):
    lead = by_name(flour_sample(), "铅")
    with pytest.raises(ServiceError, match=message) as refused:
        _record(db, tech, lead, _details(**changes))
    assert refused.value.field == field
    db.session.rollback()
    assert lead.status == ResultStatus.PENDING and lead.measured_text is None
    assert db.session.get(BenchRecord, lead.id) is None


def test_an_instrument_past_its_calibration_due_date_is_refused(
    db, boss, tech, balance, flour_sample, today
):
    balance.calibration_due = date(2026, 11, 4)
    db.session.commit()
    lead = by_name(flour_sample(), "铅")
    with pytest.raises(ServiceError, match="校准有效期至 2026-11-04") as refused:
        _record(db, tech, lead, _details(instrument_id=balance.id))
    assert refused.value.field == "instrument"
    db.session.rollback()
    assert lead.measured_text is None
    # Used on the due date itself it is still in calibration.
    _record(db, tech, lead, _details(ended_on=date(2026, 11, 4), instrument_id=balance.id))
    assert db.session.get(BenchRecord, lead.id).instrument_id == balance.id


def test_an_instrument_out_of_service_is_refused(db, boss, tech, balance, flour_sample, today):
    balance.status = InstrumentStatus.OUT_OF_SERVICE
    db.session.commit()
    lead = by_name(flour_sample(), "铅")
    with pytest.raises(ServiceError, match="不能使用"):
        _record(db, tech, lead, _details(instrument_id=balance.id))


def test_a_further_method_of_the_item_is_allowed_once_added(
    db, boss, tech, flour_sample, items, today
):
    lead = by_name(flour_sample(), "铅")
    with pytest.raises(ServiceError):
        _record(db, tech, lead, _details(method_standard="GB 5009.12-2023 第二法"))
    db.session.rollback()
    instruments.add_method(db.session, boss, items["lead"], "GB 5009.12-2023 第二法")
    db.session.commit()
    assert instruments.allowed_methods(db.session, lead) == [
        "GB 5009.12-2023",
        "GB 5009.12-2023 第二法",
    ]
    _record(db, tech, lead, _details(method_standard="GB 5009.12-2023 第二法"))
    assert db.session.get(BenchRecord, lead.id).method_standard == "GB 5009.12-2023 第二法"
    with pytest.raises(PermissionDenied):
        instruments.add_method(db.session, tech, items["lead"], "GB/T 5009.999")


def test_a_worksheet_run_records_the_same_details_on_every_saved_row(
    db, tech, balance, flour_sample, today
):
    a, b = flour_sample(), flour_sample()
    rows = [by_name(a, "铅"), by_name(b, "铅")]
    entries = [svc.Entry(rows[0], "0.1", 1), svc.Entry(rows[1], "0.3", 1)]
    with pytest.raises(svc.EntryErrors):  # an instrument run needs its raw data
        bench.enter_run(db.session, tech, entries, details=_details(instrument_id=balance.id))
    db.session.rollback()
    bench.enter_run(
        db.session, tech, entries, details=_details(instrument_id=balance.id), raw_file=_raw()
    )
    db.session.commit()
    assert {db.session.get(BenchRecord, r.id).instrument_id for r in rows} == {balance.id}
    assert {a.entity_id for a in bench.raw_files(db.session, [r.id for r in rows])} == {
        r.id for r in rows
    }
    with pytest.raises(svc.EntryErrors):
        bench.enter_run(
            db.session,
            tech,
            [svc.Entry(rows[0], "0.2", rows[0].version_id)],
            details=_details(ended_on=date(2026, 12, 1)),
        )


def test_a_result_on_an_instrument_needs_its_raw_data_file(db, tech, balance, flour_sample, today):
    lead = by_name(flour_sample(), "铅")
    with pytest.raises(ServiceError, match="原始数据文件") as refused:
        _record(db, tech, lead, _details(instrument_id=balance.id), raw=None)
    assert refused.value.field == "raw_file"
    db.session.rollback()
    assert lead.measured_text is None
    # Without an instrument (a sensory test) none is needed.
    _record(db, tech, lead, _details(), raw=None)
    assert lead.status == ResultStatus.ENTERED


def test_the_raw_data_file_is_kept_with_its_sha256_in_the_audit_trail(
    db, tech, balance, flour_sample, today
):
    lead = by_name(flour_sample(), "铅")
    _record(db, tech, lead, _details(instrument_id=balance.id))
    [raw] = bench.raw_files(db.session, [lead.id])
    assert (raw.kind, raw.filename, raw.size) == ("raw_data", "aas-run.csv", len(RAW))
    assert raw.sha256 == hashlib.sha256(RAW).hexdigest()
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "attach", AuditEntry.entity == "result")
    ).one()
    assert entry.entity_id == str(lead.id) and raw.sha256 in entry.new_values
    # Saved again later, the file on file counts: no second upload needed.
    _record(db, tech, lead, _details(instrument_id=balance.id), value="0.06", raw=None)
    assert lead.measured_text == "0.06"


def test_a_raw_file_of_another_type_saves_nothing(db, tech, balance, flour_sample, today):
    lead = by_name(flour_sample(), "铅")
    program = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"
    with pytest.raises(ServiceError) as refused:
        _record(db, tech, lead, _details(instrument_id=balance.id), raw=_raw(program, "x.csv"))
    assert refused.value.field == "raw_file"
    db.session.rollback()
    assert lead.measured_text is None and db.session.get(BenchRecord, lead.id) is None
    assert db.session.scalars(select(Attachment)).all() == []
