"""The report pages as a supervisor, a technician and an anonymous visitor use them."""

from __future__ import annotations

import hashlib
import io
import zipfile

from sqlalchemy import select

from labsys.extensions import db
from labsys.models import Report, ReportStatus, Role, Sample, SampleStatus

from reports_support import pdf_pages
from support import PASSWORD, csrf_token, signed


def _report(sample_id: int) -> Report:
    return db.session.scalar(select(Report).where(Report.sample_id == sample_id))


def test_a_supervisor_previews_and_issues_from_the_queue(
    concluded_sample, boss, login, client, post
):
    sample = concluded_sample()
    login(boss)
    queue = client.get("/reports/queue").get_data(as_text=True)
    assert sample.sample_no in queue and "预览" in queue

    preview = client.get(f"/reports/preview/{sample.id}.pdf")
    assert preview.status_code == 200 and preview.mimetype == "application/pdf"
    assert "草稿" in pdf_pages(preview.data)[0]
    assert _report(sample.id) is None  # a preview saves nothing

    response = post(
        f"/reports/issue/{sample.id}",
        {"password": PASSWORD},
        token_from="/reports/queue",
        follow_redirects=True,
    )
    report = _report(sample.id)
    assert report is not None
    assert f"报告 {report.report_no} 已签发" in response.get_data(as_text=True)
    assert db.session.get(Sample, sample.id).status == SampleStatus.REPORTED
    assert sample.sample_no not in client.get("/reports/queue").get_data(as_text=True)


def test_downloads_return_exactly_the_issued_bytes(
    concluded_sample, boss, make_user, login, client, post
):
    sample = concluded_sample()
    login(boss)
    post(f"/reports/issue/{sample.id}", {"password": PASSWORD}, token_from="/reports/queue")
    report = _report(sample.id)
    stored = report.pdf

    login(make_user("tech2", Role.TECHNICIAN))
    for _ in range(2):
        response = client.get(f"/reports/{report.id}.pdf")
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.data == stored
        assert hashlib.sha256(response.data).hexdigest() == report.sha256
    listing = client.get("/reports?q=通用").get_data(as_text=True)
    assert report.report_no in listing
    assert report.report_no not in client.get("/reports?q=大米").get_data(as_text=True)


def test_issuing_your_own_report_is_refused_with_a_message(
    concluded_sample, make_user, login, post
):
    author = make_user("techboss", Role.TECHNICIAN, Role.SUPERVISOR)
    sample = concluded_sample(author=author)
    login(author)
    response = post(
        f"/reports/issue/{sample.id}",
        {"password": PASSWORD},
        token_from="/reports/queue",
        follow_redirects=True,
    )
    assert "另一位主管" in response.get_data(as_text=True)
    assert _report(sample.id) is None


def test_the_verification_page_is_public_and_shows_only_the_listed_fields(
    concluded_sample, boss, client
):
    from labsys.services import reports

    report = reports.issue_report(
        db.session,
        boss,
        concluded_sample(),
        base_url="http://labsys.test",
        signature=signed(boss, "approval"),
    )
    db.session.commit()
    response = client.get(f"/verify/{report.verify_token}")
    assert response.headers["Cache-Control"] == "no-store"  # a withdrawal shows at once
    html = response.get_data(as_text=True)
    for text in [
        report.report_no,
        report.food_name,
        report.sampled_unit_name,
        "合格",
        report.sha256,
        "有效",
    ]:
        assert text in html
    assert report.sample.sample_no not in html  # nothing beyond the listed fields
    assert "王技术" not in html
    assert client.get("/verify/not-a-real-token").status_code == 404
    assert client.get(f"/verify/{report.verify_token[:-1]}").status_code == 404


def test_correction_through_the_web(concluded_sample, boss, login, client, post):
    sample = concluded_sample()
    login(boss)
    post(f"/reports/issue/{sample.id}", {"password": PASSWORD}, token_from="/reports/queue")
    old = _report(sample.id)

    refused = post(
        f"/reports/{old.id}/correct",
        {"reason": "", "password": PASSWORD},
        token_from=f"/reports/{old.id}",
    )
    assert refused.status_code == 422
    assert "请填写更正原因" in refused.get_data(as_text=True)

    response = post(
        f"/reports/{old.id}/correct",
        {"reason": "批号录入错误", "password": PASSWORD},
        token_from=f"/reports/{old.id}",
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    new = db.session.scalar(select(Report).where(Report.replaces_id == old.id))
    assert new is not None and new.report_no in html and "已作废" in html
    assert db.session.get(Report, old.id).status == ReportStatus.SUPERSEDED

    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    verify = client.get(f"/verify/{old.verify_token}").get_data(as_text=True)
    assert "已被报告" in verify and new.report_no in verify


def test_bulk_issue_reports_progress_as_json_and_zips_the_pdfs(
    concluded_sample, make_sample, flour, boss, login, client, post
):
    ready = [concluded_sample(), concluded_sample(), concluded_sample()]
    not_ready = make_sample(flour)
    login(boss)
    response = post(
        "/reports/bulk-issue",
        {"sample_ids": [ready[0].id, not_ready.id, ready[1].id], "password": PASSWORD},
        token_from="/reports/queue",
        headers={"Accept": "application/json"},
    )
    body = response.get_json()
    assert response.status_code == 200
    assert [i["sample_id"] for i in body["issued"]] == [ready[0].id, ready[1].id]
    assert [i["sample_no"] for i in body["failed"]] == [not_ready.sample_no]
    assert "尚未办结" in body["failed"][0]["message"]

    ids = [i["report_id"] for i in body["issued"]]
    archive = client.get("/reports/zip?" + "&".join(f"id={i}" for i in ids))
    assert archive.status_code == 200 and archive.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.data)) as z:
        names = sorted(z.namelist())
        stored = {
            r.report_no: r.pdf for r in db.session.scalars(select(Report).where(Report.id.in_(ids)))
        }
        assert names == sorted(f"{no}.pdf" for no in stored)
        for no, pdf in stored.items():
            assert z.read(f"{no}.pdf") == pdf

    # Without JavaScript the same form ends on the report list with a message.
    plain = post(
        "/reports/bulk-issue",
        {"sample_ids": [ready[2].id], "password": PASSWORD},
        token_from="/reports/queue",
        follow_redirects=True,
    )
    assert "已签发 1 份报告" in plain.get_data(as_text=True)


def test_bulk_issue_needs_a_choice(boss, login, post):
    login(boss)
    response = post(
        "/reports/bulk-issue",
        {},
        token_from="/reports/queue",
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"]


def test_the_queue_and_issuing_are_for_supervisors_only(concluded_sample, make_user, login, client):
    sample = concluded_sample()
    login(make_user("rev2", Role.REVIEWER))
    assert client.get("/reports/queue").status_code == 403
    assert client.get(f"/reports/preview/{sample.id}.pdf").status_code == 403
    assert client.get("/reports").status_code == 200
