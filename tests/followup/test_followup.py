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
    FollowUp,
    Lab,
    ObjectionKind,
    Report,
    ReportStatus,
    Role,
    SampleResult,
    SampleStatus,
    VerdictValue,
)
from labsys.services import ServiceError, followup
from labsys.services.followup import add_months, backup_retention_until

from stats_support import *  # noqa: F403 - the shared fixtures


@pytest.fixture
def unqualified(dataset):
    """The unqualified 通用小麦粉 sample (tested by the default lab), concluded 2026-03-01."""
    sample = dataset.samples[3]
    sample.concluded_at = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
    db.session.commit()
    return sample


@pytest.fixture
def other_lab(app):
    lab = Lab(code="09", name="复检实验室")
    db.session.add(lab)
    db.session.commit()
    return lab


def test_retention_rules():
    assert add_months(date(2026, 8, 31), 1) == date(2026, 9, 30)
    assert add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)
    assert backup_retention_until(Conclusion.QUALIFIED, date(2026, 3, 1)) == date(2026, 6, 1)
    assert backup_retention_until(Conclusion.UNQUALIFIED, date(2026, 3, 1)) == date(2026, 9, 1)
    # The shelf life ends sooner: 2026-02-01 + 90 days.
    assert backup_retention_until(
        Conclusion.UNQUALIFIED,
        date(2026, 3, 1),
        production_date=date(2026, 2, 1),
        shelf_life_days=90,
    ) == date(2026, 5, 2)
    assert backup_retention_until(None, date(2026, 3, 1)) is None


def test_open_followup_once_for_unqualified_samples_only(dataset, unqualified, supervisor):
    with pytest.raises(ServiceError, match="只有不合格样品"):
        followup.open_followup(db.session, dataset.samples[0], supervisor)
    record = followup.open_followup(db.session, unqualified, supervisor)
    assert followup.open_followup(db.session, unqualified, supervisor) is record
    assert record.backup_retain_until == date(2026, 9, 1)
    assert record.final_conclusion == Conclusion.UNQUALIFIED
    db.session.commit()
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.entity == "followup")
    ).all()
    assert actions == ["open"]


def test_retest_window_is_7_working_days_after_notification(unqualified, supervisor, other_lab):
    record = followup.open_followup(db.session, unqualified, supervisor)
    followup.record_notification(db.session, supervisor, record, date(2026, 3, 2))  # Monday
    assert record.retest_window_end == date(2026, 3, 11)
    with pytest.raises(ServiceError, match="2026-03-11 截止"):
        followup.request_retest(
            db.session, supervisor, record, requested_on=date(2026, 3, 12), lab_id=other_lab.id
        )
    followup.request_retest(
        db.session, supervisor, record, requested_on=date(2026, 3, 11), lab_id=other_lab.id
    )
    assert record.retest_lab == other_lab


def test_retest_lab_must_differ_from_the_first(unqualified, supervisor):
    record = followup.open_followup(db.session, unqualified, supervisor)
    followup.record_notification(db.session, supervisor, record, date(2026, 3, 2))
    first = followup.first_lab_id(db.session, unqualified)
    with pytest.raises(ServiceError, match="不得与初检机构") as error:
        followup.request_retest(
            db.session, supervisor, record, requested_on=date(2026, 3, 3), lab_id=first
        )
    assert error.value.field == "lab_id"
    assert record.retest_requested_on is None


def test_no_retest_for_failed_microbiological_items(unqualified, supervisor, other_lab, make_item):
    item = make_item("菌落总数", "CFU/g", micro=True)
    db.session.add(
        SampleResult(
            sample_id=unqualified.id,
            test_item_id=item.id,
            seq=1,
            item_name="菌落总数",
            micro_n=5,
            micro_c=2,
            verdict=VerdictValue.FAIL,
            status="accepted",
        )
    )
    db.session.commit()
    record = followup.open_followup(db.session, unqualified, supervisor)
    followup.record_notification(db.session, supervisor, record, date(2026, 3, 2))
    with pytest.raises(ServiceError, match="微生物项目不合格"):
        followup.request_retest(
            db.session, supervisor, record, requested_on=date(2026, 3, 3), lab_id=other_lab.id
        )


def test_retest_result_decides_the_conclusion(unqualified, supervisor, other_lab):
    record = followup.open_followup(db.session, unqualified, supervisor)
    followup.record_notification(db.session, supervisor, record, date(2026, 3, 2))
    followup.request_retest(
        db.session, supervisor, record, requested_on=date(2026, 3, 4), lab_id=other_lab.id
    )
    with pytest.raises(ServiceError, match="不能早于复检申请"):
        followup.record_backup_received(db.session, supervisor, record, date(2026, 3, 3))
    followup.record_backup_received(db.session, supervisor, record, date(2026, 3, 5))
    assert record.retest_due == date(2026, 3, 19)  # 10 working days
    followup.record_retest_result(
        db.session,
        supervisor,
        record,
        conclusion=Conclusion.QUALIFIED,
        result="铅 0.15 mg/kg，符合 GB 2762",
        reported_on=date(2026, 3, 18),
    )
    db.session.commit()
    db.session.refresh(unqualified)
    assert unqualified.conclusion == Conclusion.QUALIFIED
    assert record.final_conclusion == Conclusion.QUALIFIED
    assert record.backup_retain_until == date(2026, 6, 1)  # 3 months after qualified
    change = db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.entity == "sample", AuditEntry.action == "retest_conclusion"
        )
    )
    assert "unqualified" in change.old_values and "复检实验室" in change.reason


def test_objection_windows(dataset, unqualified, supervisor):
    record = followup.open_followup(db.session, unqualified, supervisor)
    # Sampled Thursday 2026-01-15: the 7th working day after is Monday 2026-01-26.
    with pytest.raises(ServiceError, match="截至 2026-01-26"):
        followup.record_objection(
            db.session, supervisor, record, kind=ObjectionKind.SAMPLING, filed_on=date(2026, 1, 27)
        )
    followup.record_objection(
        db.session, supervisor, record, kind=ObjectionKind.SAMPLING, filed_on=date(2026, 1, 26)
    )
    with pytest.raises(ServiceError, match="收到检验结果"):
        followup.record_objection(
            db.session, supervisor, record, kind=ObjectionKind.RESULT, filed_on=date(2026, 3, 3)
        )
    followup.record_notification(db.session, supervisor, record, date(2026, 3, 2))
    with pytest.raises(ServiceError, match="截至 2026-03-11"):
        followup.record_objection(
            db.session, supervisor, record, kind=ObjectionKind.RESULT, filed_on=date(2026, 3, 12)
        )
    followup.record_objection(
        db.session,
        supervisor,
        record,
        kind=ObjectionKind.RESULT,
        filed_on=date(2026, 3, 10),
        outcome="驳回",
    )
    assert record.objection_outcome == "驳回"


def test_disposal_milestones_and_configurable_deadline(app, unqualified, supervisor, monkeypatch):
    record = followup.open_followup(db.session, unqualified, supervisor)
    followup.start_disposal(db.session, supervisor, record, date(2026, 3, 2))
    assert (record.disposal_first_due, record.disposal_second_due, record.disposal_due) == (
        date(2026, 3, 7),
        date(2026, 4, 1),
        date(2026, 5, 31),
    )
    with pytest.raises(ServiceError, match="不能早于核查处置"):
        followup.record_disposal_step(
            db.session, supervisor, record, step="first", done_on=date(2026, 3, 1)
        )
    followup.record_disposal_step(
        db.session,
        supervisor,
        record,
        step="completed",
        done_on=date(2026, 4, 20),
        notes="已下架并立案",
    )
    assert record.disposal_completed_on == date(2026, 4, 20)
    monkeypatch.setitem(app.config, "DISPOSAL_DEADLINE_DAYS", 60)
    followup.start_disposal(db.session, supervisor, record, date(2026, 3, 2))
    assert record.disposal_due == date(2026, 5, 1)


# --- the deadline board --------------------------------------------------------------------


def test_deadline_board(dataset, unqualified, supervisor, other_lab):
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
    db.session.add(
        Report(
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
    )
    record = followup.open_followup(db.session, unqualified, supervisor)
    followup.start_disposal(db.session, supervisor, record, date(2025, 12, 1))  # due 2026-03-01
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


def test_supervisor_records_steps_through_the_pages(
    unqualified, supervisor, other_lab, login, client, post
):
    login(supervisor)
    detail = f"/followup/{unqualified.id}"
    html = client.get(detail).get_data(as_text=True)
    assert unqualified.sample_no in html
    response = post(
        f"{detail}/notify", {"notified_on": "2026-03-02"}, token_from=detail, follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert "2026-03-11" in html  # the retest window
    first = followup.first_lab_id(db.session, unqualified)
    response = post(
        f"{detail}/retest",
        {"requested_on": "2026-03-03", "lab_id": str(first)},
        token_from=detail,
        follow_redirects=True,
    )
    assert "复检机构不得与初检机构" in response.get_data(as_text=True)
    record = db.session.scalar(select(FollowUp).where(FollowUp.sample_id == unqualified.id))
    assert record.notified_on == date(2026, 3, 2) and record.retest_requested_on is None
    response = post(
        f"{detail}/notify", {"notified_on": "not a date"}, token_from=detail, follow_redirects=True
    )
    assert "请输入日期" in response.get_data(
        as_text=True
    ) or "Not a valid date" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.get(FollowUp, record.id).notified_on == date(2026, 3, 2)


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
        f"{detail}/notify", {"notified_on": "2026-02-01"}, token_from=detail, follow_redirects=True
    )
    assert "不能早于" in response.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalar(select(FollowUp).where(FollowUp.sample_id == unqualified.id)) is None
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "followup")).all() == []
