"""In a real browser: a supervisor assigns work; the technician finds it under "my work" and
records a result with its dates, method, instrument and the instrument's raw data file, then
goes on with "save and next"."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from labsys.models import BenchRecord, ResultStatus, Role
from labsys.services import bench, instruments

from results_support import by_name

pytestmark = pytest.mark.browser
RAW = b"sample,absorbance\r\nA,0.0512\r\nB,0.3010\r\n"  # the instrument's export


def test_a_technician_records_a_result_with_its_instrument(
    browser_page, browser_login, db, make_user, tech, flour_sample, freeze_clock
):
    freeze_clock(date(2026, 11, 10))
    boss = make_user("boss", Role.SUPERVISOR, full_name="Lab Head")
    aas = instruments.create_instrument(
        db.session,
        boss,
        name="原子吸收分光光度计",
        model="AA-7000",
        asset_no="LAB-AAS-01",
        calibration_due=date(2027, 3, 31),
    )
    old = instruments.create_instrument(
        db.session,
        boss,
        name="旧原子吸收",
        asset_no="LAB-AAS-00",
        calibration_due=date(2026, 10, 31),
    )
    a, b = flour_sample(), flour_sample()
    first, second = by_name(a, "铅").id, by_name(b, "铅").id
    aas_id, old_id = aas.id, old.id
    db.session.commit()
    db.session.rollback()  # the server writes; the test holds no transaction meanwhile

    page = browser_login(boss)
    page.goto("/lab/assign")
    page.select_option("select[name=technician]", label="Tech Ting")
    page.fill("textarea[name=samples]", f"{a.sample_no}\n{b.sample_no}")
    page.click("#assign-submit")
    page.wait_for_selector(".alert-success")
    assert page.inner_text(f"#technician-{tech.id} .count-pending") == "6"

    page.goto("about:blank")  # nothing of the last page is still loading, with either cookie
    page.context.clear_cookies()
    browser_login(tech)
    page.goto("/lab/work")
    assert a.sample_no in page.inner_text("#my-assigned")
    page.click("#my-assigned a:has-text('铅(以Pb计)')")
    page.click(f"#result-{first} a.record-link")
    page.fill("input[name=measured]", "0.05")
    page.fill("input[name=started_on]", "2026-11-04")
    page.fill("input[name=ended_on]", "2026-11-05")
    # The instrument whose calibration ran out is refused with the reason.
    page.select_option("select[name=instrument]", value=str(old_id))
    # The refusal is the same address's answer: wait for it to load (the form read before it
    # is parsed to the end can miss the message).
    with page.expect_navigation():
        page.click("#record-save-next")
    page.wait_for_selector(".invalid-feedback")
    assert "2026-10-31" in page.inner_text("#record-form")
    page.select_option("select[name=instrument]", value=str(aas_id))
    page.set_input_files(
        "input[name=raw_file]",
        files=[{"name": "aas-run.csv", "mimeType": "text/csv", "buffer": RAW}],
    )
    page.click("#record-save-next")
    page.wait_for_url(f"**/lab/results/{second}/record?after={first}")
    assert page.input_value("input[name=ended_on]") == "2026-11-05"  # the run goes on
    assert page.input_value("select[name=instrument]") == str(aas_id)
    page.fill("input[name=measured]", "0.3")
    page.set_input_files(
        "input[name=raw_file]",
        files=[{"name": "aas-run.csv", "mimeType": "text/csv", "buffer": RAW}],
    )
    page.click("#record-save")
    page.wait_for_selector("#bench-record")
    assert "LAB-AAS-01" in page.inner_text("#bench-record")
    assert "aas-run.csv" in page.inner_text("#raw-files")

    db.session.rollback()
    record = db.session.get(BenchRecord, first)
    assert (record.instrument_id, record.ended_on) == (aas_id, date(2026, 11, 5))
    assert by_name(a, "铅").status == ResultStatus.ENTERED
    assert by_name(b, "铅").reported_text == "0.30"
    [raw_first, raw_second] = bench.raw_files(db.session, [first, second])
    assert (raw_first.entity_id, raw_second.entity_id) == (first, second)
    assert raw_first.sha256 == hashlib.sha256(RAW).hexdigest()
