"""The day the applicant received the conclusion, typed with a retest application, is checked
against the notification recorded (residual 4 of issue 12).  SAMR Order No. 15 (2019)
Art. 30 *(verify)*: the application comes within 7 working days of receiving the conclusion,
so that day is where the deadline counts from.  It cannot be before the conclusion was served
(the notification recorded on the follow-up), nor in the future; without a notification
recorded there is nothing to count from.  Through the service and the page, including
crafted requests and the wrong role."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from labsys.core import clock
from labsys.extensions import db
from labsys.models import Applicant, Retest, Role
from labsys.services import PermissionDenied, ServiceError, followup, retests

from stats_support import *  # noqa: F403 - the shared fixtures

CONCLUDED = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # Sunday 10:00 in Beijing
NOTIFIED = date(2026, 3, 2)  # Monday: the sampled unit received the conclusion
APPLIED = date(2026, 3, 4)


@pytest.fixture
def unqualified(dataset):
    """The unqualified 通用小麦粉 sample, concluded 2026-03-01, no follow-up recorded yet."""
    sample = dataset.samples[3]
    sample.concluded_at = CONCLUDED
    db.session.commit()
    return sample


@pytest.fixture
def notified(unqualified, supervisor):
    record = followup.open_followup(db.session, unqualified, supervisor)
    followup.record_notification(db.session, supervisor, record, NOTIFIED)
    db.session.commit()
    return unqualified


def _apply(sample, actor, received_on, applied_on=APPLIED) -> Retest:
    return retests.apply_for_retest(
        db.session,
        actor,
        sample,
        applicant=Applicant.PRODUCER,
        applicant_name="河北某面粉有限公司",
        conclusion_received_on=received_on,
        applied_on=applied_on,
    )


def _retests() -> int:
    return db.session.scalar(select(func.count()).select_from(Retest))


# --- the service ---------------------------------------------------------------------------------


def test_received_before_the_notification_is_refused(notified, supervisor):
    # After the conclusion (2026-03-01), but before it was served on 2026-03-02.
    with pytest.raises(ServiceError) as refused:
        _apply(notified, supervisor, date(2026, 3, 1))
    assert refused.value.field == "conclusion_received_on"
    assert "2026-03-02" in refused.value.message and "2026-03-01" in refused.value.message
    db.session.rollback()
    assert _retests() == 0


def test_received_in_the_future_is_refused_on_its_field(notified, supervisor):
    tomorrow = clock.today() + timedelta(days=1)
    with pytest.raises(ServiceError, match="不能晚于今天|不能是将来") as refused:
        _apply(notified, supervisor, tomorrow, applied_on=clock.today())
    assert refused.value.field == "conclusion_received_on"
    db.session.rollback()
    assert _retests() == 0


def test_without_a_notification_there_is_nothing_to_count_from(unqualified, supervisor):
    with pytest.raises(ServiceError, match="第三十条|Art. 30") as refused:
        _apply(unqualified, supervisor, NOTIFIED)
    assert refused.value.field == "conclusion_received_on"
    db.session.rollback()
    assert _retests() == 0


@pytest.mark.parametrize(
    ("received", "window_end"),
    [
        (NOTIFIED, date(2026, 3, 11)),  # the day it was served: 7 working days later
        (date(2026, 3, 3), date(2026, 3, 12)),  # the producer received it a day later
    ],
)
def test_the_deadline_counts_from_the_day_it_was_received(
    notified, supervisor, received, window_end
):
    retest = _apply(notified, supervisor, received)
    db.session.commit()
    assert (retest.conclusion_received_on, retest.window_end) == (received, window_end)


def test_only_a_supervisor_records_an_application(notified, make_user):
    reviewer = make_user("rev", Role.REVIEWER)
    with pytest.raises(PermissionDenied):
        _apply(notified, reviewer, NOTIFIED)
    db.session.rollback()
    assert _retests() == 0


# --- the page ------------------------------------------------------------------------------------


def _form(received: str, applied: str = APPLIED.isoformat()) -> dict:
    return {
        "retest-apply-applicant": "producer",
        "retest-apply-applicant_name": "河北某面粉有限公司",
        "retest-apply-conclusion_received_on": received,
        "retest-apply-applied_on": applied,
    }


def test_the_page_refuses_a_date_before_the_notification(notified, supervisor, login, client, post):
    login(supervisor)
    page = f"/followup/{notified.id}"
    html = client.get(page).get_data(as_text=True)
    assert 'name="retest-apply-conclusion_received_on"' in html
    assert 'min="2026-03-02"' in html  # the date picker starts at the notification
    response = post(f"{page}/retests", _form("2026-03-01"), token_from=page)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "is-invalid" in html
    assert "申请人不可能在 2026-03-01 收到检验结论：该结论于 2026-03-02 送达" in html
    db.session.rollback()
    assert _retests() == 0
    # The refused form keeps its limit.
    assert 'min="2026-03-02"' in html


def test_crafted_posts_are_refused(notified, supervisor, login, client, post, make_user):
    login(supervisor)
    page = f"/followup/{notified.id}"
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    # A future date past the picker's max, with an application "today".
    html = post(
        f"{page}/retests", _form(tomorrow, clock.today().isoformat()), token_from=page
    ).get_data(as_text=True)
    assert "将来" in html or "晚于今天" in html
    # Without the CSRF token.
    assert client.post(f"{page}/retests", data=_form("2026-03-02")).status_code == 400
    # Another role.
    login(make_user("tech", Role.TECHNICIAN))
    assert post(f"{page}/retests", _form("2026-03-02"), token_from="/").status_code == 403
    db.session.rollback()
    assert _retests() == 0


def test_before_the_notification_the_page_asks_for_it_first(
    unqualified, supervisor, login, client, post
):
    login(supervisor)
    page = f"/followup/{unqualified.id}"
    html = client.get(page).get_data(as_text=True)
    assert 'name="retest-apply-conclusion_received_on"' not in html
    assert 'id="retest-awaits-notification"' in html
    # A crafted POST all the same: refused with the reason, nothing recorded.
    html = post(f"{page}/retests", _form("2026-03-02"), token_from=page).get_data(as_text=True)
    assert "第三十条" in html
    db.session.rollback()
    assert _retests() == 0
