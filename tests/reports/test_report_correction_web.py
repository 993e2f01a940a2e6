"""The lab's correction page on a reported sample asks for a report correction instead of
changing the value; the supervisor's approval in the queue issues the superseding report."""

from __future__ import annotations

from sqlalchemy import select

from labsys.extensions import db
from labsys.models import Correction, CorrectionStatus, Report, ReportStatus, Role, SampleResult
from labsys.services import reports

from reports_support import CADMIUM, LEAD
from support import PASSWORD, signed

BASE = "http://labsys.test"


def test_a_reported_result_is_corrected_through_the_queue(
    concluded_sample, boss, reviewer, client, login, post, app, make_user
):
    app.config["BASE_URL"] = BASE
    sample = concluded_sample(items=(LEAD, CADMIUM))
    first = reports.issue_report(
        db.session, boss, sample, base_url=BASE, signature=signed(boss, "approval")
    )
    db.session.commit()
    cadmium = next(r for r in sample.results if r.item_name == CADMIUM[0])
    cadmium_id, first_id = cadmium.id, first.id

    login(reviewer)
    page = client.get(f"/lab/samples/{sample.id}").get_data(as_text=True)
    assert "申请报告更正" in page and 'name="reason" required' not in page  # no retest form
    path = f"/lab/results/{cadmium_id}/correct"
    html = post(
        path,
        {"version": cadmium.version_id, "measured": "0.05", "reason": "抄录错误"},
        token_from=path,
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "报告更正申请 #" in html and "签发替代报告" in html
    db.session.expire_all()
    assert db.session.get(SampleResult, cadmium_id).measured_text == "0.32"
    request = db.session.scalars(select(Correction)).one()
    assert 'data-field="measured_text"' in html and "0.32" in html and "0.05" in html

    # Reviewed (审核) first, signed, by a reviewer who neither asked nor entered the value.
    login(boss)
    page = client.get(f"/corrections/{request.id}").get_data(as_text=True)
    assert 'id="awaiting-review"' in page and 'id="approve-form"' not in page
    login(make_user("rev2", Role.REVIEWER, full_name="孙复核"))
    page = client.get(f"/corrections/{request.id}").get_data(as_text=True)
    assert 'id="review-form"' in page
    for password, message in (("wrong", "密码错误"), (PASSWORD, "已审核")):
        html = post(
            f"/corrections/{request.id}/review",
            {"version": request.version_id, "password": password},
            token_from=f"/corrections/{request.id}",
            follow_redirects=True,
        ).get_data(as_text=True)
        assert message in html
    db.session.expire_all()
    request = db.session.get(Correction, request.id)
    assert request.reviewed_by.username == "rev2"

    login(boss)
    page = client.get(f"/corrections/{request.id}").get_data(as_text=True)
    assert 'name="password"' in page  # approving signs the superseding report
    refused = post(
        f"/corrections/{request.id}/approve",
        {"version": request.version_id, "password": "wrong"},
        token_from=f"/corrections/{request.id}",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "密码错误" in refused
    db.session.expire_all()
    assert db.session.get(Report, first_id).status == ReportStatus.ISSUED
    html = post(
        f"/corrections/{request.id}/approve",
        {"version": request.version_id, "password": PASSWORD},
        token_from=f"/corrections/{request.id}",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "已批准并生效" in html and 'id="superseding-report"' in html
    db.session.expire_all()
    assert db.session.get(Report, first_id).status == ReportStatus.SUPERSEDED
    assert db.session.get(Correction, request.id).status == CorrectionStatus.APPROVED
    assert db.session.get(SampleResult, cadmium_id).measured_text == "0.05"
    assert reports.current_report(db.session, sample).reviewer.username == "rev2"
