"""Unqualified follow-up: retest window and lab, objections, disposal, retention, the board."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from labsys.extensions import db
from labsys.models import (
    AuditEntry,
    Conclusion,
    Disposal,
    FollowUp,
    Report,
    ReportStatus,
    Role,
    SampleStatus,
)
from labsys.services import ServiceError, backups, followup

from stats_support import *  # noqa: F403 - the shared fixtures


@pytest.fixture
def unqualified(dataset):
    """The unqualified 通用小麦粉 sample (tested by the default lab), concluded 2026-03-01."""
    sample = dataset.samples[3]
    sample.concluded_at = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    db.session.commit()
    return sample


def test_open_followup_once_for_unqualified_samples_only(dataset, unqualified, supervisor):
    with pytest.raises(ServiceError, match="只有不合格样品"):
        followup.open_followup(db.session, dataset.samples[0], supervisor)
    backup = backups.register(db.session, supervisor, unqualified)
    record = followup.open_followup(db.session, unqualified, supervisor)
    assert followup.open_followup(db.session, unqualified, supervisor) is record
    # The retention is the register's (6 months after an unqualified conclusion).
    assert backup.retain_until == date(2026, 9, 1)
    assert not hasattr(record, "backup_retain_until")
    assert record.sample.conclusion == Conclusion.UNQUALIFIED
    db.session.commit()
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.entity == "followup")
    ).all()
    assert actions == ["open"]


def test_the_retest_window_is_7_working_days_after_notification(unqualified, supervisor):
    record = followup.open_followup(db.session, unqualified, supervisor)
    followup.record_notification(db.session, supervisor, record, date(2026, 3, 2))  # Monday
    assert record.retest_window_end == date(2026, 3, 11)
    with pytest.raises(ServiceError, match="不能晚于今天"):
        followup.record_notification(db.session, supervisor, record, date(2099, 1, 1))


def test_the_periods_are_settings_naming_their_source(app):
    """Each period the workflows read is one setting of services.periods (one registry) whose
    help names its article; the milestones say they are local practice."""
    from labsys.services import periods

    for name in followup.KIND_PERIODS.values():
        assert name in periods.PERIODS, name
        assert followup.setting(name) == periods.PERIODS[name].default
    for name in ("RETEST_REQUEST_WORKDAYS", "DISPOSAL_MILESTONE_DAYS", "BACKUP_RETENTION_MONTHS"):
        assert followup.setting(name) == periods.PERIODS[name].default
    for period in periods.PERIODS.values():
        assert "第" in period.article or not period.statutory, period.name
    milestones = periods.PERIODS["DISPOSAL_MILESTONE_DAYS"]
    assert not milestones.statutory and "非第15号令" in milestones.help
    assert not set(followup.DEFAULTS) & set(periods.PERIODS)


# --- the deadline board --------------------------------------------------------------------


def test_deadline_board(dataset, unqualified, supervisor):
    today = date(2026, 3, 2)  # Monday; 3 working days later is Thursday 2026-03-05
    samples = dataset.samples
    samples[0].status = SampleStatus.REGISTERED
    samples[0].due_delivery = date(2026, 2, 27)  # overdue
    samples[1].status = SampleStatus.RECEIVED
    samples[1].due_report = date(2026, 3, 5)  # due soon
    samples[2].status = SampleStatus.RECEIVED
    samples[2].due_report = date(2026, 3, 6)  # beyond the horizon
    samples[4].due_report = date(2026, 3, 3)  # reported already: not on the board
    samples[4].status = SampleStatus.REPORTED
    unqualified.due_unqualified_report = date(2026, 3, 2)  # due today
    leek_unqualified = samples[7]
    leek_unqualified.due_unqualified_report = date(2026, 2, 26)
    leek_report = Report(
        report_no="R-1",
        sample_id=leek_unqualified.id,
        status=ReportStatus.ISSUED,
        food_name="韭菜",
        sampled_unit_name="x",
        conclusion=Conclusion.UNQUALIFIED,
        author_id=supervisor.id,
        approver_id=supervisor.id,
        issued_at=datetime(2026, 2, 25, tzinfo=UTC),
        pdf=b"%PDF",
        sha256="0" * 64,
        verify_token=secrets.token_urlsafe(32),
    )
    db.session.add(leek_report)
    db.session.add(
        Disposal(
            sample=unqualified, report=leek_report, received_on=date(2025, 12, 1),
            due=date(2026, 3, 1),
        )
    )  # fmt: skip
    db.session.commit()
    board = followup.deadline_board(db.session, today)
    summary = [(d.kind, d.sample_no, d.due, d.overdue) for d in board]
    assert summary == [
        ("delivery", samples[0].sample_no, date(2026, 2, 27), True),
        ("disposal", unqualified.sample_no, date(2026, 3, 1), True),
        ("unqualified_report", unqualified.sample_no, date(2026, 3, 2), False),
        ("report", samples[1].sample_no, date(2026, 3, 5), False),
    ]


def test_deadline_board_counts_all_and_lists_the_most_urgent(dataset, supervisor):
    """Counts come from SQL over every item; each kind lists at most ``size`` items, the
    most urgent first across statuses, and the next items follow from the last one's key."""
    today = date(2026, 3, 2)  # Monday; the horizon is Thursday 2026-03-05
    samples = dataset.samples
    for sample in samples:
        sample.due_delivery = sample.due_report = sample.due_unqualified_report = None
    dues = [
        date(2026, 2, 20),
        date(2026, 2, 27),
        date(2026, 2, 27),
        date(2026, 3, 2),
        date(2026, 3, 5),
        date(2026, 3, 6),
    ]  # 3 overdue, 2 due soon, 1 beyond
    for index, (sample, due) in enumerate(zip(samples, dues, strict=False)):
        sample.status = SampleStatus.RECEIVED if index % 2 else SampleStatus.CONCLUDED
        sample.due_report = due
    db.session.commit()
    board = followup.deadline_board(db.session, today, size=2)
    report = {kind.kind: kind for kind in board.kinds}["report"]
    assert (report.overdue, report.due_soon, report.total) == (3, 2, 5)
    assert [(d.sample_id, d.due) for d in report.items] == [
        (samples[0].id, dues[0]),
        (samples[1].id, dues[1]),
    ]
    assert len(board) == 2 and report.next_after == f"2026-02-27_{samples[1].id}"
    more = followup.deadline_board(
        db.session, today, size=2, kind="report", after=followup.parse_board_key(report.next_after)
    )
    assert [kind.kind for kind in more.kinds] == ["report"]
    assert [d.sample_id for d in more.kinds[0].items] == [samples[2].id, samples[3].id]
    last = followup.deadline_board(
        db.session,
        today,
        size=2,
        kind="report",
        after=followup.parse_board_key(more.kinds[0].next_after),
    )
    assert [d.sample_id for d in last.kinds[0].items] == [samples[4].id]
    assert last.kinds[0].next_after is None
    assert followup.parse_board_key("nonsense") is None


def test_board_page_shows_counts_and_more_links(dataset, supervisor, login, client, monkeypatch):
    monkeypatch.setattr(followup, "BOARD_SIZE", 1)
    for sample in dataset.samples:
        sample.due_delivery = sample.due_report = sample.due_unqualified_report = None
    first, second = dataset.samples[0], dataset.samples[1]
    for sample in (first, second):
        sample.status = SampleStatus.RECEIVED
        sample.due_report = date(2020, 1, 2)
    db.session.commit()
    login(supervisor)
    html = client.get("/followup/board").get_data(as_text=True)
    summary = html.split('id="deadline-summary"')[1].split("</table>")[0]
    assert '<tr data-kind="report">' in summary
    board = html.split('id="deadline-report"')[1].split("</section>")[0]
    assert first.sample_no in board and second.sample_no not in board
    assert "显示最紧急的 1 项，共 2 项" in board
    more = f"/followup/board?kind=report&amp;after=2020-01-02_{first.id}"
    assert more in board
    html = client.get(more.replace("&amp;", "&")).get_data(as_text=True)
    board = html.split('id="deadline-board"')[1]
    assert second.sample_no in board and first.sample_no not in board
    assert 'id="deadline-delivery"' not in html


# --- pages ---------------------------------------------------------------------------------


def test_supervisor_records_steps_through_the_pages(unqualified, supervisor, login, post, client):
    login(supervisor)
    detail = f"/followup/{unqualified.id}"
    html = client.get(detail).get_data(as_text=True)
    assert unqualified.sample_no in html
    response = post(
        f"{detail}/notify",
        {"notify-notified_on": "2026-03-02"},
        token_from=detail,
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "2026-03-11" in html  # the retest window
    assert 'name="notify-notified_on"' not in html  # the step is done: its form is gone
    response = post(
        f"{detail}/notify", {"notify-notified_on": "not a date"}, token_from=detail,
        follow_redirects=True,
    )  # fmt: skip
    assert "请输入日期" in response.get_data(as_text=True)
    db.session.rollback()
    record = db.session.scalar(select(FollowUp).where(FollowUp.sample_id == unqualified.id))
    assert record.notified_on == date(2026, 3, 2)


def test_board_and_list_pages(unqualified, supervisor, make_user, login, client):
    unqualified.due_unqualified_report = date(2020, 1, 2)
    db.session.commit()
    login(supervisor)
    html = client.get("/followup/board").get_data(as_text=True)
    assert unqualified.sample_no in html.split('id="deadline-board"')[1]
    html = client.get("/followup/").get_data(as_text=True)
    assert unqualified.sample_no in html
    assert client.get(f"/followup/{unqualified.id - 1}").status_code == 404  # qualified
    login(make_user("tech", Role.TECHNICIAN))
    assert client.get("/followup/board").status_code == 403


def test_a_refused_first_step_opens_no_followup(unqualified, supervisor, login, client, post):
    """The page opens the follow-up (a row and an audit entry) before the notification date is
    refused: the whole step is undone though the request itself succeeds and commits."""
    login(supervisor)
    detail = f"/followup/{unqualified.id}"
    client.get(detail)
    response = post(
        f"{detail}/notify",
        {"notify-notified_on": "2026-02-01"},
        token_from=detail,
        follow_redirects=True,
    )
    assert "不能早于" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(FollowUp).where(FollowUp.sample_id == unqualified.id)) is None
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "followup")).all() == []


def test_the_api_lists_unqualified_samples_with_their_followup(unqualified, supervisor, client):
    """GET /api/v1/followups: one item per unqualified sample ("not_opened" until opened)."""
    from labsys.services import api_tokens
    from labsys.services.access import SYSTEM

    secret = api_tokens.create_token(db.session, SYSTEM, supervisor, scope="read", days=1).secret
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}

    def statuses() -> dict[str, str]:
        body = client.get("/api/v1/followups", headers=headers).get_json()
        assert body["next_after"] is None
        return {item["sample_no"]: item["status"] for item in body["items"]}

    assert statuses()[unqualified.sample_no] == "not_opened"
    followup.open_followup(db.session, unqualified, supervisor)
    db.session.commit()
    assert statuses()[unqualified.sample_no] == "open"


def test_no_step_date_can_be_in_the_future(app):
    """Every date a follow-up step records has happened: each form's date refuses tomorrow
    (NotInFuture) and its input stops at today (max)."""
    from wtforms import DateField

    from labsys.core import clock
    from labsys.web.followup import forms
    from labsys.web.forms import LabsysForm, NotInFuture

    step_forms = [
        value
        for value in vars(forms).values()
        if isinstance(value, type) and issubclass(value, LabsysForm) and value is not LabsysForm
    ]
    dates = 0
    with app.test_request_context():
        for form_class in step_forms:
            form = form_class(meta={"csrf": False})
            for field in form:
                if isinstance(field, DateField):
                    dates += 1
                    assert any(isinstance(v, NotInFuture) for v in field.validators), field.name
                    assert field.flags.max == clock.today().isoformat()
    assert dates >= 15
