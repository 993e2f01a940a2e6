"""The public verification page of a superseded or withdrawn report names the report issued
in its place, with that report's own verification link; one without a replacement names
none.  Nothing else of the new report is shown on the old one's page: its number and link
are what its own QR code makes public."""

from __future__ import annotations

import re

import pytest
import test_report_followup_lock as lock
from test_report_followup_lock import BASE, _objection, _withdraw

from labsys.extensions import db
from labsys.models import Report, ReportStatus, Role
from labsys.services import reports

from support import signed

reported = lock.reported  # the fixture: an unqualified sample, its report issued


def _page(client, report: Report) -> str:
    response = client.get(f"/verify/{report.verify_token}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _successor_link(html: str) -> tuple[str, str] | None:
    """(href, text) of the replacement's link, or None."""
    found = re.search(r'id="verify-successor">[^<]*<a href="([^"]+)">([^<]+)</a>', html)
    return (found.group(1), found.group(2)) if found else None


def _correct(report: Report, boss) -> Report:
    new = reports.correct_report(
        db.session,
        boss,
        report,
        reason="批号录入错误",
        base_url=BASE,
        signature=signed(boss, "approval"),
    )
    db.session.commit()
    return new


def test_a_superseded_report_links_to_the_report_that_replaced_it(reported, boss, client):
    _sample, first = reported
    assert _successor_link(_page(client, first)) is None  # in force: no replacement
    second = _correct(first, boss)
    html = _page(client, first)
    assert _successor_link(html) == (f"/verify/{second.verify_token}", second.report_no)
    assert f"本报告已被报告 {second.report_no} 替代" in html and "替代本报告的报告：" in html
    # Only its number and link: not the new report's fingerprint nor its issue details.
    assert second.sha256 not in html and first.sha256 in html
    # The link leads to the new report's own page, valid, which names no replacement.
    page = _page(client, second)
    assert "有效" in page and _successor_link(page) is None
    # A chain: each page names the next report only.
    third = _correct(second, boss)
    assert _successor_link(_page(client, first))[1] == second.report_no
    assert _successor_link(_page(client, second))[1] == third.report_no


def test_a_withdrawn_report_without_a_new_one_names_none(reported, boss, client):
    sample, first = reported
    _withdraw(_objection(sample, boss), boss, signed(boss, "approval"))
    db.session.commit()
    assert first.status == ReportStatus.WITHDRAWN
    html = _page(client, first)
    assert "已撤销" in html and _successor_link(html) is None
    assert 'id="verify-successor"' not in html


def test_a_withdrawn_report_names_the_new_report_once_issued(
    reported, boss, reviewer, make_user, client
):
    sample, first = reported
    lock.concluded_again_after_withdrawal(sample, boss, reviewer, make_user)
    second = reports.issue_report(
        db.session, boss, sample, base_url=BASE, signature=signed(boss, "approval")
    )
    db.session.commit()
    assert second.replaces_id == first.id and first.status == ReportStatus.WITHDRAWN
    html = _page(client, first)
    assert "已撤销" in html  # still withdrawn, and says so first
    assert _successor_link(html) == (f"/verify/{second.verify_token}", second.report_no)


@pytest.mark.parametrize("role", [None, Role.SAMPLER, Role.TECHNICIAN])
def test_crafted_requests_show_nothing_more(reported, boss, client, login, make_user, role):
    """Anyone (anonymous, or a signed-in user of any role) sees the same public page; a
    crafted token is a 404, never another report's replacement."""
    _sample, first = reported
    second = _correct(first, boss)
    if role:
        login(make_user("visitor", role))
    html = _page(client, first)
    assert _successor_link(html)[1] == second.report_no
    assert first.sample.sample_no not in html and "王技术" not in html
    for token in (second.verify_token[:-1], f"{first.verify_token}x", "a" * 65):
        assert client.get(f"/verify/{token}").status_code == 404
    assert client.get("/verify/%00").status_code in (400, 404)
    crafted = client.get(f"/verify/{first.verify_token}?successor=1").get_data(as_text=True)
    assert _successor_link(crafted) == _successor_link(html)  # no parameter chooses it


def _api_verify(app, boss, report: Report) -> dict:
    from labsys.services import api_tokens
    from labsys.services.access import SYSTEM

    secret = api_tokens.create_token(db.session, SYSTEM, boss, scope="read").secret
    db.session.commit()
    response = app.test_client().get(
        f"/api/v1/reports/verify/{report.verify_token}",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_api_names_the_replacement_as_the_page_does(reported, boss, app):
    sample, first = reported
    assert _api_verify(app, boss, first)["replaced_by"] is None  # valid
    _withdraw(_objection(sample, boss), boss, signed(boss, "approval"))
    db.session.commit()
    withdrawn = _api_verify(app, boss, first)
    assert withdrawn["valid"] is False and withdrawn["replaced_by"] is None  # none yet


def test_the_api_names_a_correction_s_report(reported, boss, app):
    _sample, first = reported
    second = _correct(first, boss)
    verified = _api_verify(app, boss, first)
    assert verified["valid"] is False
    assert verified["replaced_by"] == verified["superseded_by"] == second.report_no
    assert _api_verify(app, boss, second)["replaced_by"] is None
