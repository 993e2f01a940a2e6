"""The notification date is checked on the same day as the retest application's received
date: the local (Beijing) day, and never after an applicant already received the conclusion.

A conclusion reached at 00:30 in Beijing is 16:30 UTC the day before: the notification
used to be compared with the UTC day, so one a day early was accepted, while the retest
application (``clock.local_date``) then refused the applicant's matching received date.
And a notification recorded again could be moved past the day a retest applicant said they
received the conclusion (SAMR Order No. 15 (2019) Art. 30 *(verify)*: the 7 working days
count from that day; it cannot come before the conclusion was served)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from test_workflows import _file

from labsys.core import clock
from labsys.extensions import db
from labsys.models import Applicant, ObjectionKind, Role
from labsys.services import ServiceError, followup, retests

from stats_support import *  # noqa: F403 - the shared fixtures

MIDNIGHT = datetime(2026, 3, 2, 0, 30)  # Monday 00:30 in Beijing = Sunday 16:30 UTC
LOCAL_DAY = date(2026, 3, 2)
UTC_DAY = date(2026, 3, 1)


@pytest.fixture
def concluded_after_midnight(dataset):
    """The unqualified 通用小麦粉 sample, concluded at 00:30 Beijing time."""
    sample = dataset.samples[3]
    with clock.frozen(MIDNIGHT) as moment:
        sample.concluded_at = moment
    assert moment.date() == UTC_DAY and moment.tzinfo is UTC
    db.session.commit()
    return sample


def _notify(sample, actor, day):
    record = followup.open_followup(db.session, sample, actor)
    return followup.record_notification(db.session, actor, record, day)


def _apply(sample, actor, received_on, applied_on):
    return retests.apply_for_retest(
        db.session,
        actor,
        sample,
        applicant=Applicant.SAMPLED_UNIT,
        applicant_name="某超市",
        conclusion_received_on=received_on,
        applied_on=applied_on,
    )


def test_a_notification_on_the_utc_day_before_is_refused(concluded_after_midnight, supervisor):
    with clock.frozen(MIDNIGHT):
        with pytest.raises(ServiceError) as refused:
            _notify(concluded_after_midnight, supervisor, UTC_DAY)
        assert refused.value.field == "notified_on" and "2026-03-02" in refused.value.message
        db.session.rollback()
        # The local day of the conclusion itself is accepted, at 00:30 already.
        record = _notify(concluded_after_midnight, supervisor, LOCAL_DAY)
        db.session.commit()
        assert record.notified_on == LOCAL_DAY
        # And the applicant's received date agrees: the same day passes both checks.
        retest = _apply(concluded_after_midnight, supervisor, LOCAL_DAY, LOCAL_DAY)
        db.session.commit()
        assert retest.conclusion_received_on == LOCAL_DAY


@pytest.fixture
def applied(concluded_after_midnight, supervisor):
    """Notified and applied for on 2026-03-02; today is 2026-03-05."""
    with clock.frozen(date(2026, 3, 5)):
        _notify(concluded_after_midnight, supervisor, LOCAL_DAY)
        _apply(concluded_after_midnight, supervisor, LOCAL_DAY, date(2026, 3, 3))
        db.session.commit()
    return concluded_after_midnight


def test_the_notification_is_not_moved_past_an_applicants_received_date(applied, supervisor):
    with clock.frozen(date(2026, 3, 5)):
        with pytest.raises(ServiceError) as refused:
            _notify(applied, supervisor, date(2026, 3, 3))
        assert refused.value.field == "notified_on" and "2026-03-02" in refused.value.message
        db.session.rollback()
        assert followup.open_followup(db.session, applied, supervisor).notified_on == LOCAL_DAY
        # The boundary: the applicant's day itself, or earlier (down to the conclusion's).
        _notify(applied, supervisor, LOCAL_DAY)
        db.session.commit()


def test_the_page_refuses_it_and_crafted_posts(applied, supervisor, login, client, post, make_user):
    page = f"/followup/{applied.id}"
    form = {"notify-notified_on": "2026-03-04"}
    with clock.frozen(date(2026, 3, 5)):
        login(supervisor)
        html = post(f"{page}/notify", form, token_from=page).get_data(as_text=True)
        assert "送达日期不能晚于 2026-03-02" in html  # flashed, with its field
        # Without the CSRF token; another role.
        assert client.post(f"{page}/notify", data=form).status_code == 400
        login(make_user("tech", Role.TECHNICIAN))
        assert post(f"{page}/notify", form, token_from="/").status_code == 403
    db.session.rollback()
    assert followup.open_followup(db.session, applied, supervisor).notified_on == LOCAL_DAY


def test_an_objection_to_the_result_cannot_come_before_the_conclusion_was_received(
    concluded_after_midnight, supervisor
):
    """Art. 37 *(verify)*: an objection to the result answers the conclusion, whose 7
    working days count from its receipt; one filed before it is refused (one about the
    sampling process is not: it counts from the sampling)."""
    with clock.frozen(date(2026, 3, 6)):
        _notify(concluded_after_midnight, supervisor, date(2026, 3, 4))
        db.session.commit()
        with pytest.raises(ServiceError) as refused:
            _file(concluded_after_midnight, supervisor, filed_on=date(2026, 3, 3))
        assert refused.value.field == "filed_on" and "2026-03-04" in refused.value.message
        db.session.rollback()
        assert _file(concluded_after_midnight, supervisor, filed_on=date(2026, 3, 4)).filed_on
        db.session.rollback()
        early = _file(
            concluded_after_midnight,
            supervisor,
            ObjectionKind.SAMPLING_PROCESS,
            filed_on=date(2026, 3, 3),
        )
        assert early.filed_on == date(2026, 3, 3)


def test_the_notification_is_never_moved_after_an_objection_to_the_result(
    concluded_after_midnight, supervisor
):
    with clock.frozen(date(2026, 3, 6)):
        record = _notify(concluded_after_midnight, supervisor, LOCAL_DAY)
        _file(concluded_after_midnight, supervisor, filed_on=date(2026, 3, 3))
        db.session.commit()
        with pytest.raises(ServiceError) as refused:
            followup.record_notification(db.session, supervisor, record, date(2026, 3, 4))
        assert refused.value.field == "notified_on" and "2026-03-03" in refused.value.message
        db.session.rollback()
        db.session.refresh(record)
        assert record.notified_on == LOCAL_DAY
