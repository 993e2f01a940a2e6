"""The lab's pages as technicians and reviewers use them."""

from __future__ import annotations

import io

from sqlalchemy import select

from labsys.models import AuditEntry, Conclusion, ResultStatus, Role, SampleResult, VerdictValue
from labsys.services import results as svc

from results_support import by_name
from support import PASSWORD, shown_on, signed


def _rows(sample, values: dict):
    """Form data for the entry page: {result: typed value or list of units}."""
    data = {}
    for index, result in enumerate(r for r in sample.results if r.status in svc.EDITABLE):
        data[f"rows-{index}-result_id"] = result.id
        data[f"rows-{index}-version"] = result.version_id
        value = values.get(result.id, "")
        if result.is_microbiological:
            units = value or [""] * result.micro_n
            for i, unit in enumerate(units):
                data[f"rows-{index}-units-{i}"] = unit
        else:
            data[f"rows-{index}-measured"] = value
    return data


def test_the_entry_page_shows_limit_unit_and_lod_beside_each_field(
    client, login, tech, flour_sample
):
    sample = flour_sample()
    login(tech)
    html = client.get(f"/lab/samples/{sample.id}/enter").get_data(as_text=True)
    assert "≤0.2" in html and "mg/kg" in html and "0.005" in html
    assert "n=5,c=2,m=100,M=1000" in html
    assert html.count('name="rows-2-units-') == 5


def test_saving_judges_and_shows_the_verdicts(client, login, post, db, tech, flour_sample):
    sample = flour_sample()
    lead, banned, count = (by_name(sample, n) for n in ("铅", "过氧化", "菌落"))
    login(tech)
    response = post(
        f"/lab/samples/{sample.id}/enter",
        _rows(
            sample, {lead.id: "0.35", banned.id: "未检出", count.id: ["10", "20", "30", "40", "50"]}
        ),
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "已保存并判定 3 项结果" in html or "3 results saved" in html
    assert 'data-verdict="fail"' in html and html.count('data-verdict="pass"') == 2
    assert "0.35" in html and "未检出(检出限: 0.005 mg/kg)" not in html  # banned has own LOD
    db.session.expire_all()
    assert by_name(sample, "铅").verdict == VerdictValue.FAIL


def test_bad_input_gets_a_message_and_nothing_typed_is_lost(
    client, login, post, db, tech, flour_sample
):
    sample = flour_sample()
    lead, banned = by_name(sample, "铅"), by_name(sample, "过氧化")
    login(tech)
    response = post(
        f"/lab/samples/{sample.id}/enter", _rows(sample, {lead.id: "0.123", banned.id: "abc"})
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "无法识别的检验结果 &#39;abc&#39;" in html or "无法识别的检验结果 'abc'" in html
    assert 'value="0.123"' in html and 'value="abc"' in html
    db.session.expire_all()
    assert by_name(sample, "铅").status == ResultStatus.PENDING


def test_a_stale_page_shows_the_conflict_and_the_current_value(
    client, login, post, db, tech, make_user, flour_sample
):
    sample = flour_sample()
    lead = by_name(sample, "铅")
    stale_form = _rows(sample, {lead.id: "0.222"})
    other = make_user("tech2", Role.TECHNICIAN, full_name="Other Tech")
    svc.enter_result(
        db.session, other, lead, measured_text="0.111", expected_version=lead.version_id
    )
    db.session.commit()
    login(tech)
    html = post(f"/lab/samples/{sample.id}/enter", stale_form).get_data(as_text=True)
    assert "0.111" in html and "Other Tech" in html and 'value="0.222"' in html
    db.session.expire_all()
    assert by_name(sample, "铅").measured_text == "0.111"


def test_worksheet_takes_one_item_across_samples_and_submits(
    client, login, post, db, tech, flour_sample, items
):
    a, b = flour_sample(), flour_sample()
    login(tech)
    html = client.get("/lab/work").get_data(as_text=True)
    assert a.sample_no in html and f"/lab/worksheet/{items['lead'].id}" in html
    sheet = f"/lab/worksheet/{items['lead'].id}"
    html = client.get(sheet).get_data(as_text=True)
    assert a.sample_no in html and b.sample_no in html
    lead_a, lead_b = by_name(a, "铅"), by_name(b, "铅")
    data = {
        "rows-0-result_id": lead_a.id,
        "rows-0-version": 1,
        "rows-0-measured": "0.1",
        "rows-1-result_id": lead_b.id,
        "rows-1-version": 1,
        "rows-1-measured": "0.5",
    }
    html = post(sheet, data, follow_redirects=True).get_data(as_text=True)
    assert 'data-verdict="fail"' in html and 'data-verdict="pass"' in html
    post(f"{sheet}/submit", {"shown": shown_on(client, sheet)}, follow_redirects=True)
    db.session.expire_all()
    assert {by_name(a, "铅").status, by_name(b, "铅").status} == {ResultStatus.SUBMITTED}


def _submitted_sample(db, tech, flour_sample, lead="0.1"):
    sample = flour_sample()
    entries = [
        svc.Entry(by_name(sample, "铅"), lead, 1),
        svc.Entry(by_name(sample, "过氧化"), "未检出", 1),
        svc.Entry(by_name(sample, "菌落"), None, 1, ["1", "2", "3", "4", "5"]),
    ]
    svc.enter_results(db.session, tech, entries)
    svc.submit_results(db.session, tech, sample.results)
    db.session.commit()
    return sample


def _accept(client, post, sample, password=PASSWORD, **kwargs):
    """Accept all of a sample's results shown on the review page, signed."""
    action = f"/lab/review/{sample.id}/accept"
    shown = shown_on(client, "/lab/review", form=action)
    return post(action, {"shown": shown, "password": password}, **kwargs)


def _entered_shown(client, sample):
    return shown_on(
        client, f"/lab/samples/{sample.id}/enter", form=f"/lab/samples/{sample.id}/submit"
    )


def test_reviewer_returns_one_with_a_reason_and_accepts_the_rest(
    client, login, post, db, tech, reviewer, flour_sample
):
    sample = _submitted_sample(db, tech, flour_sample)
    lead = by_name(sample, "铅")
    login(reviewer)
    html = client.get("/lab/review").get_data(as_text=True)
    assert sample.sample_no in html and "Tech Ting" in html
    html = post(f"/lab/results/{lead.id}/return", {"reason": ""}, follow_redirects=True).get_data(
        as_text=True
    )
    assert "请填写退回原因" in html or "Give the reason for returning" in html
    db.session.expire_all()
    assert by_name(sample, "铅").status == ResultStatus.SUBMITTED
    post(f"/lab/results/{lead.id}/return", {"reason": "Blank too high"})
    _accept(client, post, sample)
    db.session.expire_all()
    assert by_name(sample, "铅").status == ResultStatus.RETURNED
    assert by_name(sample, "过氧化").status == ResultStatus.ACCEPTED
    assert sample.conclusion is None
    # The technician sees the reason, enters again and submits; the reviewer accepts.
    login(tech)
    assert "Blank too high" in client.get(f"/lab/samples/{sample.id}/enter").get_data(as_text=True)
    data = {
        "rows-0-result_id": lead.id,
        "rows-0-version": by_name(sample, "铅").version_id,
        "rows-0-measured": "0.3",
    }
    post(f"/lab/samples/{sample.id}/enter", data)
    post(f"/lab/samples/{sample.id}/submit", {"shown": _entered_shown(client, sample)})
    login(reviewer)
    html = _accept(client, post, sample, follow_redirects=True).get_data(as_text=True)
    assert "不合格" in html
    db.session.expire_all()
    assert sample.conclusion == Conclusion.UNQUALIFIED and sample.due_unqualified_report
    html = client.get(f"/lab/samples/{sample.id}").get_data(as_text=True)
    assert "2 个工作日" in html or "2 working days" in html


def test_reviewers_never_see_their_own_results_to_review(
    client, login, db, make_user, flour_sample
):
    both = make_user("both", Role.TECHNICIAN, Role.REVIEWER)
    sample = _submitted_sample(db, both, flour_sample)
    login(both)
    assert sample.sample_no not in client.get("/lab/review").get_data(as_text=True)


def test_correction_and_retest_pages_and_the_history(
    client, login, post, db, tech, reviewer, make_user, flour_sample
):
    sample = _submitted_sample(db, tech, flour_sample)
    svc.accept_results(db.session, reviewer, sample.results, signature=signed(reviewer))
    db.session.commit()
    lead = by_name(sample, "铅")
    supervisor = make_user("boss", Role.SUPERVISOR)
    login(supervisor)
    page = f"/lab/results/{lead.id}/correct"
    html = post(
        page, {"version": lead.version_id, "measured": "0.25", "reason": ""}, token_from=page
    ).get_data(as_text=True)
    assert "请填写更正原因" in html or "Give the reason for the correction" in html
    response = post(
        page,
        {"version": lead.version_id, "measured": "0.25", "reason": "Wrong dilution"},
        token_from=page,
    )
    assert response.status_code == 302
    db.session.expire_all()
    # The corrected value is the supervisor's, and goes back for review by someone else.
    assert (lead.status, lead.entered_by_id) == (ResultStatus.SUBMITTED, supervisor.id)
    assert sample.conclusion is None
    login(reviewer)
    _accept(client, post, sample)
    db.session.expire_all()
    assert lead.status == ResultStatus.ACCEPTED and lead.reviewed_by_id == reviewer.id
    assert sample.conclusion == Conclusion.UNQUALIFIED
    login(supervisor)
    post(f"/lab/results/{lead.id}/retest", {"reason": "Confirm the finding"})
    db.session.expire_all()
    assert db.session.get(SampleResult, lead.id).status == ResultStatus.SUPERSEDED  # the original
    html = client.get(f"/lab/samples/{sample.id}/history").get_data(as_text=True)
    assert "Wrong dilution" in html and "0.25" in html and "0.1" in html
    assert "Confirm the finding" in html
    retest_row = db.session.scalar(
        select(SampleResult).where(SampleResult.supersedes_id == lead.id)
    )
    assert retest_row.status == ResultStatus.PENDING


def test_import_page_reports_errors_row_by_row(client, login, post, db, tech, flour_sample):
    sample = flour_sample()
    login(tech)
    content = f"样品编号,检验项目,结果,单位\n{sample.sample_no},铅(以Pb计),0.1,mg/kg\nX9,铅(以Pb计),1,mg/kg\n"
    response = post(
        "/lab/import",
        {"file": (io.BytesIO(content.encode()), "run.csv")},
        token_from="/lab/import",
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert 'id="import-errors"' in html and "X9" in html
    db.session.expire_all()
    assert by_name(sample, "铅").status == ResultStatus.PENDING
    good = f"sample_no,test_item,value,unit\n{sample.sample_no},铅(以Pb计),0.1,mg/kg\n"
    response = post(
        "/lab/import",
        {"file": (io.BytesIO(good.encode()), "run.csv")},
        token_from="/lab/import",
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert by_name(sample, "铅").status == ResultStatus.ENTERED
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "enter"))


def test_the_right_roles_open_the_pages(client, login, tech, reviewer, make_user, flour_sample):
    sample = flour_sample()
    login(tech)
    for path in (
        "/lab/work",
        f"/lab/samples/{sample.id}/enter",
        "/lab/import",
        f"/lab/samples/{sample.id}",
        f"/lab/samples/{sample.id}/history",
    ):
        assert client.get(path).status_code == 200, path
    login(reviewer)
    for path in ("/lab/review", f"/lab/samples/{sample.id}", f"/lab/samples/{sample.id}/history"):
        assert client.get(path).status_code == 200, path
    assert client.get("/lab/work").status_code == 403
