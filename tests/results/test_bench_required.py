"""BENCH_RECORD_REQUIRED: a lab that wants every submitted result traceable (ISO/IEC 17025
§7.5.1, records sufficient to repeat the test) refuses a submission without its bench record,
on every path (the service, the entry page, the worksheet), naming what is missing."""

from __future__ import annotations

from datetime import date

import pytest

from labsys.config import DefaultConfig
from labsys.models import ResultStatus
from labsys.services import ServiceError, bench
from labsys.services import results as svc

from results_support import by_name
from support import shown_on

TODAY = date(2026, 11, 10)


@pytest.fixture
def today(freeze_clock):
    freeze_clock(TODAY)
    return TODAY


@pytest.fixture
def required(app, monkeypatch):
    monkeypatch.setitem(app.config, "BENCH_RECORD_REQUIRED", True)


def _details():
    return bench.BenchDetails(date(2026, 11, 4), date(2026, 11, 5), "GB 5009.12-2023")


def test_the_default_keeps_submission_as_it_was(db, tech, flour_sample, today):
    assert DefaultConfig.BENCH_RECORD_REQUIRED is False
    lead = by_name(flour_sample(), "铅")
    svc.enter_result(db.session, tech, lead, measured_text="0.05", expected_version=1)
    assert svc.submit_results(db.session, tech, [lead]) == 1


def test_a_result_without_its_bench_record_is_not_submitted(
    db, tech, flour_sample, today, required
):
    sample = flour_sample()
    lead, banned = by_name(sample, "铅"), by_name(sample, "过氧化")
    svc.enter_result(db.session, tech, lead, measured_text="0.05", expected_version=1)
    bench.record_result(
        db.session,
        tech,
        banned,
        measured_text="未检出",
        expected_version=banned.version_id,
        details=bench.BenchDetails(date(2026, 11, 4), date(2026, 11, 5), banned.method_standard),
    )
    db.session.commit()
    with pytest.raises(ServiceError) as refused:
        svc.submit_results(db.session, tech, [lead, banned])
    message = refused.value.message
    assert "ISO/IEC 17025 §7.5.1" in message and sample.sample_no in message
    assert "检验开始日期、检验结束日期、所用方法" in message and "铅" in message
    assert "过氧化" not in message  # it has its record
    db.session.rollback()
    assert {lead.status, banned.status} == {ResultStatus.ENTERED}
    # Once recorded, the row is submitted.
    bench.record_result(
        db.session,
        tech,
        lead,
        measured_text="0.05",
        expected_version=lead.version_id,
        details=_details(),
    )
    assert svc.submit_results(db.session, tech, [lead, banned]) == 2


def test_the_entry_page_shows_the_refusal_and_submits_nothing(
    client, login, post, db, tech, flour_sample, today, required
):
    sample = flour_sample()
    lead = by_name(sample, "铅")
    svc.enter_result(db.session, tech, lead, measured_text="0.05", expected_version=1)
    db.session.commit()
    login(tech)
    page = f"/lab/samples/{sample.id}/enter"
    # The page lists what to record first, each linked to its record page.
    before = client.get(page).get_data(as_text=True)
    assert 'id="bench-record-missing"' in before
    assert f'href="/lab/results/{lead.id}/record"' in before
    shown = shown_on(client, page, form=f"/lab/samples/{sample.id}/submit")
    html = post(
        f"/lab/samples/{sample.id}/submit", {"shown": shown}, follow_redirects=True
    ).get_data(as_text=True)
    assert "本实验室提交结果须附检验记录" in html and "检验开始日期" in html
    db.session.expire_all()
    assert by_name(sample, "铅").status == ResultStatus.ENTERED


def test_the_worksheet_submit_is_refused_too(
    client, login, post, db, tech, flour_sample, items, today, required
):
    sample = flour_sample()
    lead = by_name(sample, "铅")
    svc.enter_result(db.session, tech, lead, measured_text="0.05", expected_version=1)
    db.session.commit()
    login(tech)
    sheet = f"/lab/worksheet/{items['lead'].id}"
    html = post(
        f"{sheet}/submit", {"shown": shown_on(client, sheet)}, follow_redirects=True
    ).get_data(as_text=True)
    assert "本实验室提交结果须附检验记录" in html
    db.session.expire_all()
    assert by_name(sample, "铅").status == ResultStatus.ENTERED


def test_an_import_without_bench_columns_says_its_rows_cannot_be_submitted_yet(
    db, client, login, post, tech, flour_sample, today, required
):
    import io

    sample = flour_sample()
    data = f"样品编号,检验项目,结果,单位\n{sample.sample_no},铅(以Pb计),0.05,mg/kg\n".encode()
    login(tech)
    html = post(
        "/lab/import",
        {"file": (io.BytesIO(data), "run.csv")},
        token_from="/lab/import",
        content_type="multipart/form-data",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "1 项导入的结果没有检验记录" in html
    lead = by_name(sample, "铅")
    assert lead.status == ResultStatus.ENTERED  # entered, not yet submittable
    with pytest.raises(ServiceError, match="检验开始日期"):
        svc.submit_results(db.session, tech, [lead])
