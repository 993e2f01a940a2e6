"""The bench pages: the instrument register, assigning work and "my work", the bench record
of a result with "save and next", and what a crafted request cannot do there."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from labsys.models import BenchRecord, Instrument, ResultAssignment, ResultStatus, Role
from labsys.services import assignments, instruments

from results_support import by_name

TODAY = date(2026, 11, 10)


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
    response = post(page, data, token_from=page)
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
