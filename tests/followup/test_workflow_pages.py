"""The follow-up page shows only the step that is due, with nothing pre-selected; crafted
requests are refused; the administrator keeps the list of retest labs (page and CLI)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from labsys.extensions import db
from labsys.models import Applicant, Conclusion, Retest, RetestLab, RetestStatus, Role
from labsys.services import followup, retests
from labsys.services.access import SYSTEM

from stats_support import *  # noqa: F403 - the shared fixtures


@pytest.fixture
def notified(dataset, supervisor):
    sample = dataset.samples[3]
    sample.concluded_at = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    for code, name in (("08", "复检所乙"), ("09", "复检所甲")):
        retests.set_retest_lab(db.session, SYSTEM, code=code, name=name)
    record = followup.open_followup(db.session, sample, supervisor)
    followup.record_notification(db.session, supervisor, record, date(2026, 3, 2))
    db.session.commit()
    return sample


def _apply(sample, supervisor) -> Retest:
    retest = retests.apply_for_retest(
        db.session,
        supervisor,
        sample,
        applicant=Applicant.SAMPLED_UNIT,
        applicant_name="某超市",
        conclusion_received_on=date(2026, 3, 2),
        applied_on=date(2026, 3, 4),
    )
    db.session.commit()
    return retest


def _forms(html: str) -> set[str]:
    return set(re.findall(r'<form method="post" action="[^"]*/followup/\d+/([^"]+)"', html))


def _first_option(html: str, name: str) -> str:
    select_html = html.split(f'name="{name}"')[1].split("</select>")[0]
    return re.search(r"<option[^>]*>", select_html).group(0)


def test_only_the_due_step_of_the_retest_is_offered(notified, supervisor, login, client):
    login(supervisor)
    page = f"/followup/{notified.id}"
    html = client.get(page).get_data(as_text=True)
    assert "retests" in _forms(html) and not any("/accept" in f for f in _forms(html))
    assert 'value=""' in _first_option(html, "retest-apply-applicant")
    retest = _apply(notified, supervisor)
    html = client.get(page).get_data(as_text=True)
    forms = _forms(html)
    assert {f"retests/{retest.id}/accept", f"retests/{retest.id}/refuse"} <= forms
    assert "retests" not in forms  # one retest at a time
    assert f"retests/{retest.id}/choose-lab" not in forms
    assert 'value=""' in _first_option(html, f"retest{retest.id}-refuse-ground")
    retests.accept_retest(db.session, supervisor, retest, decided_on=date(2026, 3, 5))
    retests.choose_retest_lab(db.session, supervisor, retest, chosen_on=date(2026, 3, 9))
    retests.record_backup_handover(
        db.session, supervisor, retest, received_on=date(2026, 3, 10), seal_intact=True
    )
    db.session.commit()
    html = client.get(page).get_data(as_text=True)
    assert f"retests/{retest.id}/result" in _forms(html)
    assert f"retests/{retest.id}/accept" not in _forms(html)
    # No outcome is pre-selected: the retest conclusion starts empty (it used to be 合格).
    first = _first_option(html, f"retest{retest.id}-result-conclusion")
    assert 'value=""' in first
    assert (
        "selected"
        not in html.split(f'name="retest{retest.id}-result-conclusion"')[1].split("</select>")[0]
    )


def test_an_empty_conclusion_posted_is_refused(notified, supervisor, login, post):
    retest = _apply(notified, supervisor)
    retests.accept_retest(db.session, supervisor, retest, decided_on=date(2026, 3, 5))
    retests.choose_retest_lab(db.session, supervisor, retest, chosen_on=date(2026, 3, 9))
    retests.record_backup_handover(
        db.session, supervisor, retest, received_on=date(2026, 3, 10), seal_intact=True
    )
    db.session.commit()
    login(supervisor)
    page = f"/followup/{notified.id}"
    prefix = f"retest{retest.id}-result-"
    response = post(
        f"{page}/retests/{retest.id}/result",
        {f"{prefix}conclusion": "", f"{prefix}result": "x", f"{prefix}reported_on": "2026-03-20"},
        token_from=page,
        follow_redirects=True,
    )
    assert "复检结论应为合格或不合格" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(Retest, retest.id).status == RetestStatus.BACKUP_RECEIVED
    assert notified.conclusion == Conclusion.UNQUALIFIED


def test_a_refusal_through_the_page_names_its_article(notified, supervisor, login, post, make_item):
    from labsys.models import SampleResult, VerdictValue

    item = make_item("霉菌", "CFU/g", micro=True)
    db.session.add(
        SampleResult(
            sample_id=notified.id, test_item_id=item.id, seq=1, item_name="霉菌",
            verdict=VerdictValue.FAIL, status="accepted",
        )
    )  # fmt: skip
    retest = _apply(notified, supervisor)
    login(supervisor)
    page = f"/followup/{notified.id}"
    html = post(
        f"{page}/retests/{retest.id}/accept",
        {f"retest{retest.id}-accept-decided_on": "2026-03-05"},
        token_from=page,
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "第三十一条第（一）项" in html and "霉菌" in html
    assert f"retests/{retest.id}/accept" not in _forms(html)  # the grounds replace the form
    db.session.rollback()
    assert db.session.get(Retest, retest.id).status == RetestStatus.APPLIED


def test_crafted_requests(notified, supervisor, dataset, login, post, client, make_user):
    retest = _apply(notified, supervisor)
    other = dataset.samples[7]  # the unqualified leek sample
    login(supervisor)
    page = f"/followup/{other.id}"
    # Another sample's retest through this sample's address: not found.
    response = post(
        f"{page}/retests/{retest.id}/accept",
        {f"retest{retest.id}-accept-decided_on": "2026-03-05"},
        token_from=page,
    )
    assert response.status_code == 404
    assert post(f"{page}/retests/{retest.id}/explode", {}, token_from=page).status_code == 404
    # A hostile applicant name is stored as text and shown escaped.
    response = post(
        f"/followup/{notified.id}/retests",
        {
            "retest-apply-applicant": "bogus",
            "retest-apply-applicant_name": "<script>x</script>",
            "retest-apply-conclusion_received_on": "2026-03-02",
            "retest-apply-applied_on": "2026-03-04",
        },
        token_from=page,
        follow_redirects=True,
    )
    assert "请选择申请人" in response.get_data(as_text=True)
    login(make_user("tech", Role.TECHNICIAN))
    response = post(
        f"/followup/{notified.id}/retests/{retest.id}/accept",
        {f"retest{retest.id}-accept-decided_on": "2026-03-05"},
        token_from="/",
    )
    assert response.status_code == 403
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Retest)) == 1
    assert db.session.get(Retest, retest.id).status == RetestStatus.APPLIED


def test_the_admin_keeps_the_list_of_retest_labs(app, login, post, client, make_user):
    admin = make_user("root", Role.ADMIN)
    login(admin)
    response = post(
        "/followup/retest-labs",
        {"code": "12", "name": "河北省食品检验研究院", "note": "CMA", "active": "y"},
        token_from="/followup/retest-labs",
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert 'data-code="12"' in html and "河北省食品检验研究院" in html
    post(
        "/followup/retest-labs",
        {"code": "12", "name": "", "note": "暂停"},
        token_from="/followup/retest-labs",
    )
    db.session.rollback()
    entry = db.session.scalar(select(RetestLab))
    assert (entry.lab.code, entry.active, entry.note) == ("12", False, "暂停")
    login(make_user("boss2", Role.SUPERVISOR))
    assert client.get("/followup/retest-labs").status_code == 403


def test_the_retest_lab_list_from_the_command_line(app, make_user):
    make_user("root", Role.ADMIN)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["retest-labs", "set", "13", "--name", "某复检所", "--as", "root"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["retest-labs", "list"])
    assert "13\t某复检所" in result.output
    result = runner.invoke(args=["retest-labs", "set", "14", "--as", "root"])
    assert result.exit_code == 1  # a new lab needs its name
    make_user("boss3", Role.SUPERVISOR)
    result = runner.invoke(args=["retest-labs", "set", "13", "--off", "--as", "boss3"])
    assert result.exit_code == 1
    db.session.rollback()
    assert db.session.scalar(select(RetestLab)).active is True


def test_the_page_shows_the_registers_retention(notified, supervisor, login, client):
    """How long the backup is kept comes from the register of retest backups (one place)."""
    from labsys.services import backups

    login(supervisor)
    page = f"/followup/{notified.id}"
    shown = client.get(page).get_data(as_text=True).split('id="backup-until">')[1]
    assert shown.startswith("—")  # not in the register (yet)
    backups.register(db.session, supervisor, notified)
    db.session.commit()
    shown = client.get(page).get_data(as_text=True).split('id="backup-until">')[1]
    assert shown.startswith("2026-09-01")  # 6 months after the unqualified conclusion
