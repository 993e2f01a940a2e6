"""Every statutory period on the deadline board (issue #12 §6): qualified results reported
within 7 working days, the regulator's service of the report within 5, a delivery
extension; each period a setting citing its article; a year without an official holiday
table is flagged on the board and the calendar page."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labsys.core.workdays import HolidayTable, last_known_year, unknown_years, year_is_known
from labsys.extensions import db
from labsys.models import (
    AuditEntry,
    Conclusion,
    FollowUp,
    InspectionType,
    Report,
    ReportStatus,
    Role,
    SampleStatus,
)
from labsys.services import ServiceError, calendar, followup, periods, sampling

from stats_support import *  # noqa: F403 - the shared fixtures

MONDAY = date(2026, 3, 2)


# --- core: which years have an official calendar ------------------------------------------------


@pytest.mark.parametrize(
    ("year", "table", "known"),
    [
        (2024, None, True),
        (last_known_year(), None, True),
        (last_known_year() + 1, None, False),
        (last_known_year() + 1, HolidayTable(holidays={date(last_known_year() + 1, 1, 1)}), True),
        (last_known_year() + 2, HolidayTable(holidays={date(last_known_year() + 1, 1, 1)}), False),
        (1990, None, False),
    ],
)
def test_which_years_have_an_official_calendar(year, table, known):
    assert year_is_known(year, table) is known


@given(st.lists(st.dates(min_value=date(2004, 1, 1), max_value=date(2099, 12, 31))))
def test_unknown_years_are_exactly_those_beyond_the_package(days):
    found = unknown_years([*days, None])
    assert found == sorted({d.year for d in days if d.year > last_known_year()})


# --- qualified results: reported within 7 working days ------------------------------------------


def _report(sample, who, issued):
    db.session.add(
        Report(
            report_no=f"R-{sample.id}",
            sample_id=sample.id,
            status=ReportStatus.ISSUED,
            food_name=sample.food_name,
            sampled_unit_name="x",
            conclusion=sample.conclusion,
            author_id=who.id,
            approver_id=who.id,
            issued_at=issued,
            pdf=b"%PDF",
            sha256="0" * 64,
            verify_token=secrets.token_urlsafe(32),
        )
    )


def test_a_qualified_result_not_yet_reported_is_on_the_board(dataset, supervisor):
    qualified, reported = dataset.samples[0], dataset.samples[1]
    qualified.due_qualified_report = date(2026, 3, 3)
    reported.due_qualified_report = date(2026, 3, 2)
    _report(reported, supervisor, datetime(2026, 2, 27, tzinfo=UTC))
    db.session.commit()
    board = followup.deadline_board(db.session, MONDAY, kind="qualified_report")
    assert [(d.sample_no, d.due) for d in board] == [(qualified.sample_no, date(2026, 3, 3))]


def test_the_conclusion_starts_the_right_clock(dataset):
    from labsys.services.lifecycle import _unqualified_clock

    sample = dataset.samples[0]  # qualified
    sample.due_qualified_report = sample.due_unqualified_report = None
    # Monday 2 March 2026 + 7 working days; unqualified + 2.
    assert _unqualified_clock(db.session, sample, MONDAY) == {
        "due_qualified_report": date(2026, 3, 11)
    }
    sample.conclusion = Conclusion.UNQUALIFIED
    assert _unqualified_clock(db.session, sample, MONDAY) == {
        "due_unqualified_report": date(2026, 3, 4)
    }
    sample.due_qualified_report = date(2026, 3, 11)  # a retest turned it: cleared
    assert _unqualified_clock(db.session, sample, MONDAY) == {
        "due_unqualified_report": date(2026, 3, 4),
        "due_qualified_report": None,
    }


# --- the regulator serves the report and notice within 5 working days ---------------------------


@pytest.mark.parametrize(
    ("kind", "due"),
    [
        (InspectionType.SUPERVISION, date(2026, 3, 9)),  # 2 March + 5 working days
        (InspectionType.RISK_MONITORING, None),  # no follow-up, nothing to serve
        (InspectionType.EVALUATION, None),
    ],
)
def test_the_service_clock_starts_with_the_first_report(dataset, kind, due):
    from labsys.services.reports import _start_service_clock

    sample = dataset.samples[3]  # unqualified
    sample.inspection_type = kind
    _start_service_clock(db.session, sample, MONDAY)
    assert sample.due_service == due
    if due:  # a corrected report later does not move it
        _start_service_clock(db.session, sample, date(2026, 4, 1))
        assert sample.due_service == due


def test_service_leaves_the_board_once_the_sampled_unit_is_notified(dataset, supervisor):
    sample = dataset.samples[3]
    sample.concluded_at = datetime(2026, 2, 20, tzinfo=UTC)
    sample.due_service = date(2026, 3, 3)
    db.session.commit()
    board = followup.deadline_board(db.session, MONDAY, kind="service")
    assert [d.sample_no for d in board] == [sample.sample_no]
    record = followup.open_followup(db.session, sample, supervisor)
    followup.record_notification(db.session, supervisor, record, date(2026, 3, 2))
    db.session.commit()
    assert list(followup.deadline_board(db.session, MONDAY, kind="service")) == []
    assert db.session.get(FollowUp, record.id).notified_on == date(2026, 3, 2)


# --- a delivery extension -----------------------------------------------------------------------


@pytest.fixture
def registered(dataset):
    sample = dataset.samples[0]
    sample.status = SampleStatus.REGISTERED
    sample.sampling_date = sample.visit.sampling_date = MONDAY  # the clock counts from the visit
    sample.due_delivery = date(2026, 3, 9)
    db.session.commit()
    return sample


# (working days, reason, the refusal's field or None when allowed, the new due date)
EXTENSIONS = [
    (3, "冷链车辆故障，经市局张科长批准", None, date(2026, 3, 12)),
    (5, "暴雪封路", None, date(2026, 3, 16)),
    (0, "x", "workdays", None),
    (6, "x", "workdays", None),  # beyond DELIVERY_EXTENSION_MAX_WORKDAYS (5)
    (2, "  ", "reason", None),
    (2, "长" * 301, "reason", None),
]


@pytest.mark.parametrize(("days", "reason", "field", "due"), EXTENSIONS)
def test_delivery_extension(registered, supervisor, days, reason, field, due):
    if field is None:
        sampling.extend_delivery(db.session, supervisor, registered, workdays=days, reason=reason)
        db.session.commit()
        assert (registered.due_delivery, registered.delivery_extension_workdays) == (due, days)
        entry = db.session.query(AuditEntry).filter_by(action="extend_delivery").one()
        assert entry.user_id == supervisor.id
        return
    with pytest.raises(ServiceError) as caught:
        sampling.extend_delivery(db.session, supervisor, registered, workdays=days, reason=reason)
    assert caught.value.field == field
    db.session.rollback()
    assert registered.due_delivery == date(2026, 3, 9)


def test_a_delivered_sample_cannot_be_extended_nor_by_a_sampler(registered, supervisor, make_user):
    from labsys.services import PermissionDenied

    with pytest.raises(PermissionDenied):
        sampling.extend_delivery(
            db.session, make_user("s9", Role.SAMPLER), registered, workdays=2, reason="x"
        )
    registered.status = SampleStatus.RECEIVED
    with pytest.raises(ServiceError):
        sampling.extend_delivery(db.session, supervisor, registered, workdays=2, reason="x")


def test_the_extension_page(registered, supervisor, login, client, post):
    login(supervisor)
    path = f"/followup/delivery/{registered.id}/extend"
    assert "第二十条" in client.get(path).get_data(as_text=True)
    response = post(path, {"workdays": "9", "reason": "x"}, token_from=path)
    assert response.status_code == 200 and "1至5个工作日" in response.get_data(as_text=True)
    response = post(path, {"workdays": "2", "reason": "道路中断"}, token_from=path)
    assert response.status_code == 302
    db.session.rollback()
    assert registered.due_delivery == date(2026, 3, 11)


# --- every period a setting citing its article --------------------------------------------------


@pytest.mark.parametrize(
    ("name", "default", "article", "checked"),
    [
        ("DELIVERY_WORKDAYS", 5, "第二十条第一款", True),
        ("REPORT_WORKDAYS", 20, "第二十四条第二款", True),
        ("QUALIFIED_REPORT_WORKDAYS", 7, "第二十六条第一款", False),
        ("UNQUALIFIED_REPORT_WORKDAYS", 2, "第二十六条第二款", False),
        ("SERVICE_WORKDAYS", 5, "第二十九条", False),
        ("RETEST_REQUEST_WORKDAYS", 7, "第三十条", False),
        ("RETEST_RESULT_WORKDAYS", 10, "第三十五条", False),
        ("RETEST_LAB_WORKDAYS", 5, "第三十二条第二款", True),
        ("RETEST_LAB_EXTENSION_WORKDAYS", 5, "第三十二条第二款", True),
        ("OBJECTION_WORKDAYS", 7, "第三十七条", False),
        ("DISPOSAL_DEADLINE_DAYS", 90, "第四十五条", False),
        (
            "BACKUP_RETENTION_MONTHS",
            {"qualified": 3, "unqualified": 6},
            "第二十五条第一、二款",
            True,
        ),
    ],
)
def test_every_period_is_a_setting_with_its_article(app, name, default, article, checked):
    period = periods.PERIODS[name]
    assert period.default == default and article in period.help
    # Checked: value and article read in the public table of Order No. 15's limits (see
    # services/periods.py); the others are marked in the default language.
    assert ("（待核实）" in period.help) is not checked
    assert "(verify)" not in period.help


def test_a_period_setting_moves_the_deadline(app, monkeypatch, dataset):
    from labsys.services.lifecycle import _unqualified_clock

    monkeypatch.setitem(app.config, "QUALIFIED_REPORT_WORKDAYS", 3)
    sample = dataset.samples[0]
    sample.due_qualified_report = None
    assert _unqualified_clock(db.session, sample, MONDAY) == {
        "due_qualified_report": date(2026, 3, 5)
    }


@pytest.mark.parametrize(
    ("language", "mark", "foreign"),
    [("zh_Hans_CN", "（待核实）", "(verify)"), ("en", "(verify)", "待核实")],
)
def test_the_unverified_mark_reads_in_the_interface_language(
    dataset, supervisor, login, client, language, mark, foreign
):
    """The periods page and the board mark unverified articles in the page's language: no
    English "(verify)" inside Chinese text, no Chinese mark on an English page."""
    login(supervisor)
    client.get(f"/language/{language}?next=/")
    page = client.get("/followup/periods").get_data(as_text=True)
    row = page.split('data-setting="QUALIFIED_REPORT_WORKDAYS"', 1)[1].split("</tr>", 1)[0]
    joined = "" if language != "en" else " "
    assert f'第二十六条第一款{joined}<span class="text-danger unverified">{mark}</span>' in row
    board = client.get("/followup/board").get_data(as_text=True)
    assert f"第二十六条第一款{joined}{mark}" in board
    for html in (page, board):
        body = html.split("<main", 1)[-1]
        assert foreign not in body


def test_the_unverified_helper(app):
    """One helper writes the mark: after the fact (Chinese: full-width brackets, no space),
    alone, and escaped in HTML."""
    from flask_babel import force_locale

    with app.test_request_context():
        assert periods.unverified("第二十条") == "第二十条（待核实）"
        assert periods.unverified() == "（待核实）"
        html = periods.unverified("<b>第二十条</b>", html=True)
        assert (
            html
            == '&lt;b&gt;第二十条&lt;/b&gt;<span class="text-danger unverified">（待核实）</span>'
        )
        with force_locale("en"):
            assert periods.unverified("Art. 20") == "Art. 20 (verify)"
            assert periods.unverified() == "(verify)"


def test_the_periods_page_and_the_board_cite_the_articles(dataset, supervisor, login, client):
    login(supervisor)
    page = client.get("/followup/periods").get_data(as_text=True)
    for name in periods.PERIODS:
        assert f'data-setting="{name}"' in page
    board = client.get("/followup/board").get_data(as_text=True)
    assert "第二十六条第一款" in board and "第二十九条" in board


# --- a year without an official holiday table --------------------------------------------------


def test_the_board_warns_of_a_year_without_a_holiday_table(dataset, supervisor, login, client):
    beyond = last_known_year() + 1
    dataset.samples[1].status = SampleStatus.RECEIVED
    dataset.samples[1].due_report = date(beyond, 1, 20)  # not shown yet, but counted wrong
    db.session.commit()
    login(supervisor)
    board = followup.deadline_board(db.session, MONDAY)
    assert board.unknown_years == [beyond]
    html = client.get("/followup/board").get_data(as_text=True)
    assert 'id="calendar-warning"' in html and str(beyond) in html
    # Once the administrator enters that year's holidays the warning goes.
    calendar.set_day(
        db.session, make_admin(), day=date(beyond, 1, 1), is_workday=False, name="元旦"
    )
    db.session.commit()
    assert followup.deadline_board(db.session, MONDAY).unknown_years == []


def make_admin():
    from labsys.models import User, UserRole

    admin = User(username="cal-admin", full_name="日历管理员", password_hash="x")
    admin.role_links = [UserRole(role=Role.ADMIN)]
    db.session.add(admin)
    db.session.flush()
    return admin


def test_the_calendar_page_flags_and_fills_a_year(app, make_user, login, client, post):
    beyond = last_known_year() + 1
    admin = make_user("root", Role.ADMIN)
    login(admin)
    path = f"/admin/calendar?year={beyond}"
    html = client.get(path).get_data(as_text=True)
    assert 'id="calendar-warning"' in html and str(beyond) in html
    response = post(
        path, {"day": f"{beyond}-01-01", "name": "元旦", "is_workday": ""}, token_from=path
    )
    assert response.status_code == 302
    html = client.get(path).get_data(as_text=True)
    assert "元旦" in html
    warning = (
        html.split('id="calendar-warning"')[1].split("</div>")[0]
        if "calendar-warning" in html
        else ""
    )
    assert str(beyond) not in warning  # entered: no longer flagged
    db.session.rollback()
    assert calendar.year_coverage(db.session, [beyond]) == [(beyond, "table", 1)]
    login(make_user("boss2", Role.SUPERVISOR))
    assert client.get("/admin/calendar").status_code == 403


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"name": " "}, "name"), ({"name": "长" * 41}, "name"), ({"day": None}, "day")],
)
def test_calendar_entries_are_checked(app, make_user, fields, field):
    admin = make_user("root", Role.ADMIN)
    values = {"day": date(2027, 2, 6), "is_workday": False, "name": "春节", **fields}
    with pytest.raises(ServiceError) as caught:
        calendar.set_day(db.session, admin, **values)
    assert caught.value.field == field
