"""The bench pages: the instrument register, assigning work and "my work", the bench record
of a result with "save and next", and what a crafted request cannot do there."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import select

from labsys.models import (
    AuditEntry,
    BenchRecord,
    Instrument,
    ResultAssignment,
    ResultStatus,
    Role,
)
from labsys.services import assignments, bench, instruments

from results_support import by_name

TODAY = date(2026, 11, 10)
RAW = b"sample,absorbance\r\nA,0.1234\r\n"
MULTIPART = {"content_type": "multipart/form-data"}


def _raw():
    return (io.BytesIO(RAW), "aas-run.csv")


@pytest.fixture
def today(freeze_clock):
    freeze_clock(TODAY)
    return TODAY


@pytest.fixture
def boss(make_user):
    return make_user("boss", Role.SUPERVISOR, full_name="Lab Head")


@pytest.fixture
def aas(db, boss):
    instrument = instruments.create_instrument(
        db.session,
        boss,
        name="原子吸收分光光度计",
        model="AA-7000",
        asset_no="LAB-AAS-01",
        calibration_due=date(2027, 3, 31),
    )
    db.session.commit()
    return instrument


def _record_data(result, **changes):
    data = {
        "version": str(result.version_id),
        "measured": "0.05",
        "started_on": "2026-11-04",
        "ended_on": "2026-11-05",
        "method": result.method_standard,
        "instrument": "0",
        "save": "Save",
    }
    data.update(changes)
    return data


def test_an_admin_or_supervisor_keeps_the_instrument_register(
    db, client, login, post, boss, tech, today
):
    login(boss)
    response = post(
        "/lab/instruments",
        {
            "name": "电子天平",
            "model": "XS205",
            "asset_no": "LAB-BAL-07",
            "serial_no": "B123",
            "calibration_due": "2026-11-01",
            "status": "in_service",
        },
        token_from="/lab/instruments",
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    instrument = db.session.scalars(select(Instrument)).one()
    assert instrument.serial_no == "B123"
    row = html[html.index(f'<tr id="instrument-{instrument.id}">') :]
    row = row[: row.index("</tr>")]
    assert "LAB-BAL-07" in row and "XS205" in row
    assert "badge text-bg-danger" in row  # its calibration was due on 2026-11-01
    login(tech)
    assert client.get("/lab/instruments").status_code == 403


def test_the_supervisor_assigns_and_my_work_shows_it_with_counts_per_person(
    db, client, login, post, boss, tech, make_user, flour_sample, today
):
    other = make_user("tech2", Role.TECHNICIAN, full_name="Other Tech")
    a, b = flour_sample(), flour_sample()
    login(boss)
    html = post(
        "/lab/assign",
        {"technician": str(tech.id), "samples": f"{a.sample_no}\n{b.sample_no}", "item": "0"},
        token_from="/lab/assign",
        follow_redirects=True,
    ).get_data(as_text=True)
    row = html[html.index(f'id="technician-{tech.id}"') :]
    assert '<td class="count-pending">6</td>' in row[: row.index("</tr>")]
    other_row = html[html.index(f'id="technician-{other.id}"') :]
    assert '<td class="count-pending">0</td>' in other_row[: other_row.index("</tr>")]

    login(tech)
    html = client.get("/lab/work").get_data(as_text=True)
    assert f'id="mine-{a.id}"' in html and f'id="mine-{b.id}"' in html
    login(other)
    html = client.get("/lab/work").get_data(as_text=True)
    assert f'id="mine-{a.id}"' not in html


def test_the_sample_results_page_shows_how_each_result_was_obtained(
    db, client, login, post, tech, reviewer, aas, flour_sample, today
):
    lead = by_name(flour_sample(), "铅")
    login(tech)
    page = f"/lab/results/{lead.id}/record"
    post(
        page,
        _record_data(lead, instrument=str(aas.id), raw_file=_raw()),
        token_from=page,
        **MULTIPART,
    )
    login(reviewer)
    html = client.get(f"/lab/samples/{lead.sample_id}").get_data(as_text=True)
    row = html[html.index(f'<tr id="bench-{lead.id}">') :]
    row = row[: row.index("</tr>")]
    assert "2026-11-04 – 2026-11-05" in row and "GB 5009.12-2023" in row
    assert "LAB-AAS-01" in row and "Tech Ting" in row


def test_a_technician_cannot_assign_work(db, client, login, post, tech, flour_sample):
    sample = flour_sample()
    login(tech)
    response = post(
        "/lab/assign",
        {"technician": str(tech.id), "samples": sample.sample_no, "item": "0"},
        token_from="/lab/work",
    )
    assert response.status_code == 403
    assert db.session.scalars(select(ResultAssignment)).all() == []


def test_save_and_next_goes_through_the_worksheet_keeping_the_run_details(
    db, client, login, post, tech, aas, flour_sample, today
):
    a, b = flour_sample(), flour_sample()
    first, second = by_name(a, "铅"), by_name(b, "铅")
    login(tech)
    page = f"/lab/results/{first.id}/record"
    assert "LAB-AAS-01" in client.get(page).get_data(as_text=True)
    data = _record_data(first, instrument=str(aas.id), save_next="Save and next")
    data.pop("save")
    data["raw_file"] = _raw()
    response = post(page, data, token_from=page, **MULTIPART)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/lab/results/{second.id}/record?after={first.id}"
    )
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="2026-11-04"' in html and f'<option selected value="{aas.id}"' in html
    db.session.expire_all()
    record = db.session.get(BenchRecord, first.id)
    assert record.instrument_id == aas.id and by_name(a, "铅").status == ResultStatus.ENTERED


def test_the_record_page_refuses_an_expired_instrument_with_a_clear_message(
    db, client, login, post, boss, tech, aas, flour_sample, today
):
    aas.calibration_due = date(2026, 11, 1)
    db.session.commit()
    lead = by_name(flour_sample(), "铅")
    login(tech)
    page = f"/lab/results/{lead.id}/record"
    html = post(page, _record_data(lead, instrument=str(aas.id)), token_from=page).get_data(
        as_text=True
    )
    assert "2026-11-01" in html and "LAB-AAS-01" in html and "invalid-feedback" in html
    db.session.expire_all()
    assert by_name(lead.sample, "铅").measured_text is None


@pytest.mark.parametrize(
    "tamper",
    [
        {"method": "GB 5009.268-2016"},  # not a method of the item
        {"instrument": "999999"},  # not an instrument in the list
        {"version": "abc"},  # not a version
        {"ended_on": "2026-11-03"},  # before the start
    ],
)
def test_tampered_record_fields_save_nothing(
    db, client, login, post, tech, aas, flour_sample, today, tamper
):
    lead = by_name(flour_sample(), "铅")
    login(tech)
    page = f"/lab/results/{lead.id}/record"
    response = post(page, _record_data(lead, **tamper), token_from=page)
    assert response.status_code == 200
    db.session.expire_all()
    assert by_name(lead.sample, "铅").measured_text is None
    assert db.session.get(BenchRecord, lead.id) is None


def test_a_stale_version_is_a_conflict_not_an_overwrite(
    db, client, login, post, tech, make_user, flour_sample, today
):
    lead = by_name(flour_sample(), "铅")
    login(tech)
    page = f"/lab/results/{lead.id}/record"
    post(page, _record_data(lead, measured="0.07"), token_from=page)
    html = post(page, _record_data(lead, measured="0.09", version="1"), token_from=page).get_data(
        as_text=True
    )
    assert "0.07" in html
    db.session.expire_all()
    assert by_name(lead.sample, "铅").measured_text == "0.07"


def test_a_row_assigned_to_someone_else_is_refused_on_the_record_page(
    db, client, login, post, boss, tech, make_user, flour_sample, today
):
    other = make_user("tech2", Role.TECHNICIAN, full_name="Other Tech")
    sample = flour_sample()
    assignments.assign(db.session, boss, other, sample_nos=[sample.sample_no])
    db.session.commit()
    lead = by_name(sample, "铅")
    login(tech)
    page = f"/lab/results/{lead.id}/record"
    html = post(page, _record_data(lead), token_from=page).get_data(as_text=True)
    assert "Other Tech" in html
    db.session.expire_all()
    assert by_name(sample, "铅").measured_text is None


def test_a_supervisor_adds_a_further_method_from_the_catalog_list(
    db, client, login, post, boss, tech, items
):
    login(boss)
    assert f"/lab/items/{items['lead'].id}/methods" in client.get("/catalog/items").get_data(
        as_text=True
    )
    page = f"/lab/items/{items['lead'].id}/methods"
    html = post(
        page, {"method_standard": "GB 5009.12-2023 第二法"}, token_from=page, follow_redirects=True
    ).get_data(as_text=True)
    assert "GB 5009.12-2023 第二法" in html
    login(tech)
    assert client.get(page).status_code == 403


def _sheet_rows(*results, value="0.1"):
    data = {}
    for index, result in enumerate(results):
        data[f"rows-{index}-result_id"] = result.id
        data[f"rows-{index}-version"] = result.version_id
        data[f"rows-{index}-measured"] = value
    return data


def test_a_worksheet_run_records_its_details_on_every_saved_row(
    db, client, login, post, tech, aas, flour_sample, items, today
):
    a, b = flour_sample(), flour_sample()
    rows = [by_name(a, "铅"), by_name(b, "铅")]
    sheet = f"/lab/worksheet/{items['lead'].id}"
    login(tech)
    run = {
        "run-started_on": "2026-11-06",
        "run-ended_on": "2026-11-07",
        "run-method": "GB 5009.12-2023",
        "run-instrument": str(aas.id),
        "run-raw_file": _raw(),
    }
    response = post(sheet, {**_sheet_rows(*rows), **run}, token_from=sheet, **MULTIPART)
    assert response.status_code == 302
    db.session.expire_all()
    records = [db.session.get(BenchRecord, r.id) for r in rows]
    assert [(r.ended_on, r.instrument_id) for r in records] == [(date(2026, 11, 7), aas.id)] * 2
    # The next visit starts from the same run.
    assert 'value="2026-11-07"' in client.get(sheet).get_data(as_text=True)


def test_a_worksheet_run_on_an_expired_instrument_saves_no_row(
    db, client, login, post, tech, aas, flour_sample, items, today
):
    aas.calibration_due = date(2026, 11, 6)
    db.session.commit()
    rows = [by_name(flour_sample(), "铅"), by_name(flour_sample(), "铅")]
    sheet = f"/lab/worksheet/{items['lead'].id}"
    login(tech)
    run = {
        "run-started_on": "2026-11-06",
        "run-ended_on": "2026-11-07",
        "run-method": "GB 5009.12-2023",
        "run-instrument": str(aas.id),
    }
    html = post(sheet, {**_sheet_rows(*rows), **run}, token_from=sheet).get_data(as_text=True)
    assert "2026-11-06" in html and "LAB-AAS-01" in html
    db.session.expire_all()
    assert [db.session.get(type(r), r.id).measured_text for r in rows] == [None, None]
    assert db.session.scalars(select(BenchRecord)).all() == []


def test_a_calibration_is_recorded_on_the_edit_page_and_names_are_escaped(
    db, client, login, post, boss, aas
):
    login(boss)
    page = f"/lab/instruments/{aas.id}/edit"
    assert 'value="2027-03-31"' in client.get(page).get_data(as_text=True)
    html = post(
        page,
        {
            "name": "<script>alert(1)</script>",
            "model": "AA-7000",
            "asset_no": "LAB-AAS-01",
            "calibration_due": "2028-03-31",
            "status": "in_service",
            "reason": "校准证书 2026-0412",
        },
        token_from=page,
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    db.session.expire_all()
    assert db.session.get(Instrument, aas.id).calibration_due == date(2028, 3, 31)
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "instrument", AuditEntry.action == "update")
    ).one()
    assert entry.reason == "校准证书 2026-0412"


def test_the_raw_file_is_listed_and_a_reviewer_downloads_it_unchanged(
    db, client, login, post, tech, reviewer, aas, flour_sample, today
):
    lead = by_name(flour_sample(), "铅")
    login(tech)
    page = f"/lab/results/{lead.id}/record"
    data = _record_data(lead, instrument=str(aas.id), raw_file=_raw())
    html = post(page, data, token_from=page, follow_redirects=True, **MULTIPART).get_data(
        as_text=True
    )
    section = html[html.index('id="raw-files"') :]
    assert "aas-run.csv" in section
    [raw] = bench.raw_files(db.session, [lead.id])
    login(reviewer)
    with client.get(f"/attachments/{raw.id}") as response:
        assert response.status_code == 200 and response.data == RAW


def test_an_instrument_result_without_its_raw_file_is_refused_on_the_page(
    db, client, login, post, tech, aas, flour_sample, today
):
    lead = by_name(flour_sample(), "铅")
    login(tech)
    page = f"/lab/results/{lead.id}/record"
    html = post(page, _record_data(lead, instrument=str(aas.id)), token_from=page).get_data(
        as_text=True
    )
    assert "原始数据文件" in html and "invalid-feedback" in html
    db.session.expire_all()
    assert by_name(lead.sample, "铅").measured_text is None
