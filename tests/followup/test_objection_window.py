"""An objection's window follows the notification recorded again.

SAMR Order No. 15 (2019) Art. 37 *(verify)*: an objection to the result comes within 7
working days of receiving the conclusion.  Its last day is stored on the objection when it
is filed (``window_end``: shown, and the acceptance refuses a late one); the notification
(the day the conclusion was received) may be recorded again to correct it, and the stored
day used to stay as it was: an objection in time shown and refused as late, or a late one
accepted.  Now an undecided objection's window follows the notification in the same
transaction, audited; one already decided on its window (Art. 38: accepted or refused;
Art. 39) keeps it, and a notification that would move it is refused.  An objection about
the sampling process counts from the sampling and is unaffected.

The retest's own window (``Retest.window_end``, Art. 30 *(verify)*) counts from the day the
applicant says it received the conclusion, not from the notification, which is never later
(``retests._check_received_on``, ``followup.record_notification``): it does not go stale."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from sqlalchemy import update
from test_workflows import _file

from labsys.core import clock
from labsys.extensions import db
from labsys.models import (
    Applicant,
    Objection,
    ObjectionKind,
    ObjectionStatus,
    Role,
)
from labsys.services import ServiceError, followup, objections, retests

from stats_support import *  # noqa: F403 - the shared fixtures
from support import last_audit_entry

TODAY = date(2026, 3, 20)
MON, TUE, WED = date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)
# 7 working days (Art. 37 *(verify)*) from each: March 2026 has no holiday.
END = {MON: date(2026, 3, 11), TUE: date(2026, 3, 12), WED: date(2026, 3, 13)}


@pytest.fixture
def unqualified(dataset):
    """The unqualified 通用小麦粉 sample, concluded on Monday 2026-03-02."""
    sample = dataset.samples[3]
    sample.concluded_at = datetime(2026, 3, 2, 9, 0).astimezone()
    db.session.commit()
    return sample


def _notify(sample, actor, day):
    record = followup.open_followup(db.session, sample, actor)
    return followup.record_notification(db.session, actor, record, day)


def _filed(sample, actor, notified_on, filed_on, kind=ObjectionKind.TEST_METHOD):
    _notify(sample, actor, notified_on)
    objection = _file(sample, actor, kind, filed_on=filed_on)
    db.session.commit()
    if kind is not ObjectionKind.SAMPLING_PROCESS and notified_on in END:
        assert objection.window_end == END[notified_on]
    return objection


def test_moved_later_a_late_objection_is_in_time(unqualified, supervisor):
    """Notified Monday, filed on the 12th: late (by the 11th).  The conclusion was in fact
    received on Wednesday: by the 13th, in time, and it is accepted."""
    with clock.frozen(TODAY):
        objection = _filed(unqualified, supervisor, MON, date(2026, 3, 12))
        _notify(unqualified, supervisor, WED)
        db.session.commit()
        assert objection.window_end == END[WED]
        objections.accept_objection(db.session, supervisor, objection, decided_on=TODAY)
        db.session.commit()
    assert objection.status == ObjectionStatus.ACCEPTED


def test_moved_earlier_an_objection_on_its_last_day_becomes_late(unqualified, supervisor):
    """Notified Wednesday, filed on the 13th: its last day, in time.  Received in fact on
    Monday: the last day was the 11th; the acceptance refuses it, the refusal says why."""
    with clock.frozen(TODAY):
        objection = _filed(unqualified, supervisor, WED, END[WED])
        _notify(unqualified, supervisor, MON)
        db.session.commit()
        assert objection.window_end == END[MON]
        with pytest.raises(ServiceError) as late:
            objections.accept_objection(db.session, supervisor, objection, decided_on=TODAY)
        assert "2026-03-11" in late.value.message and "2026-03-13" in late.value.message
        db.session.rollback()
        objections.refuse_objection(db.session, supervisor, objection, decided_on=TODAY, note="")
        db.session.commit()
    assert "2026-03-11" in objection.refusal_note


def test_the_boundary_day_of_the_new_window(unqualified, supervisor):
    """Filed on the 12th: moved to Tuesday its last day is the 12th (in time); moved back to
    Monday, the 11th (late)."""
    with clock.frozen(TODAY):
        objection = _filed(unqualified, supervisor, WED, date(2026, 3, 12))
        _notify(unqualified, supervisor, TUE)
        assert objection.window_end == date(2026, 3, 12) == objection.filed_on
        assert objections._late(objection) is None
        _notify(unqualified, supervisor, MON)
        assert objections._late(objection) is not None


def test_the_move_is_audited_on_the_objection(unqualified, supervisor):
    with clock.frozen(TODAY):
        objection = _filed(unqualified, supervisor, MON, date(2026, 3, 5))
        _notify(unqualified, supervisor, TUE)
        db.session.commit()
    entry = last_audit_entry("objection", objection.id)
    assert entry.action == "window"
    assert json.loads(entry.old_values) == {"window_end": "2026-03-11"}
    assert json.loads(entry.new_values) == {"window_end": "2026-03-12", "notified_on": "2026-03-03"}
    assert "Art. 37" in entry.reason or "第三十七条" in entry.reason


@pytest.mark.parametrize("decide", ["accept", "refuse"])
def test_a_decided_objection_keeps_its_window(unqualified, supervisor, decide):
    """Art. 38 *(verify)*: decided on its window, the window stays: a notification moving
    it is refused (nothing changes); one that leaves it where it is goes through."""
    with clock.frozen(TODAY):
        objection = _filed(unqualified, supervisor, MON, date(2026, 3, 5))
        if decide == "accept":
            objections.accept_objection(db.session, supervisor, objection, decided_on=TODAY)
        else:
            objections.refuse_objection(
                db.session, supervisor, objection, decided_on=TODAY, note="材料不全"
            )
        db.session.commit()
        with pytest.raises(ServiceError) as refused:
            _notify(unqualified, supervisor, TUE)
        message = refused.value.message
        assert refused.value.field == "notified_on"
        assert "2026-03-05" in message and "2026-03-11" in message and "2026-03-12" in message
        assert objection.status.title in message
        db.session.rollback()
        record = followup.open_followup(db.session, unqualified, supervisor)
        assert (record.notified_on, objection.window_end) == (MON, END[MON])


def test_an_objection_decided_meanwhile_is_not_moved(unqualified, supervisor):
    """A stale read: another supervisor accepted the objection after this one read it as
    undecided; the notification reads the objections again and refuses the move, nothing
    changes (were it decided between that read and the write, its version would refuse it:
    a conflict)."""
    with clock.frozen(TODAY):
        objection = _filed(unqualified, supervisor, MON, date(2026, 3, 5))
        assert objection.status == ObjectionStatus.FILED  # read now
        table = Objection.__table__  # changed behind this session's back
        db.session.execute(
            update(table)
            .where(table.c.id == objection.id)
            .values(status=ObjectionStatus.ACCEPTED.value, version_id=table.c.version_id + 1)
        )
        # Read again under the sample's lock, the objection is decided: refused as such.
        with pytest.raises(ServiceError) as refused:
            _notify(unqualified, supervisor, TUE)
        assert refused.value.field == "notified_on"
        assert "2026-03-05" in refused.value.message and "2026-03-11" in refused.value.message
        db.session.rollback()
    assert db.session.get(Objection, objection.id).window_end == END[MON]


def test_a_day_that_leaves_a_decided_window_in_place_is_recorded(unqualified, supervisor):
    """Saturday and Sunday both count from the Monday after: the window does not move."""
    sat, sun = date(2026, 3, 7), date(2026, 3, 8)
    with clock.frozen(TODAY):
        objection = _filed(unqualified, supervisor, sat, date(2026, 3, 9))
        objections.accept_objection(db.session, supervisor, objection, decided_on=TODAY)
        db.session.commit()
        window = objection.window_end
        assert _notify(unqualified, supervisor, sun).notified_on == sun
        db.session.commit()
    assert objection.window_end == window == date(2026, 3, 17)


def test_a_sampling_process_objection_is_unaffected(unqualified, supervisor):
    with clock.frozen(TODAY):
        sampling = _filed(
            unqualified, supervisor, MON, date(2026, 3, 5), ObjectionKind.SAMPLING_PROCESS
        )
        window = sampling.window_end
        _notify(unqualified, supervisor, WED)
        db.session.commit()
    assert sampling.window_end == window


def test_the_page_shows_the_new_window_and_refuses_a_decided_one(
    unqualified, supervisor, login, client, post, make_user
):
    page = f"/followup/{unqualified.id}"
    with clock.frozen(TODAY):
        undecided = _filed(unqualified, supervisor, MON, date(2026, 3, 12))
        login(supervisor)
        html = post(
            f"{page}/notify", {"notify-notified_on": "2026-03-04"}, token_from=page
        ).get_data(as_text=True)
        html = client.get(page).get_data(as_text=True)
        assert "2026-03-13" in html and "2026-03-11" not in html
        objections.accept_objection(db.session, supervisor, undecided, decided_on=TODAY)
        db.session.commit()
        form = {"notify-notified_on": "2026-03-02"}
        html = post(f"{page}/notify", form, token_from=page).get_data(as_text=True)
        assert "已决定的异议" in html
        # Without the CSRF token; another role.
        assert client.post(f"{page}/notify", data=form).status_code == 400
        login(make_user("tech", Role.TECHNICIAN))
        assert post(f"{page}/notify", form, token_from="/").status_code == 403
    db.session.rollback()
    assert followup.open_followup(db.session, unqualified, supervisor).notified_on == WED
    assert db.session.get(Objection, undecided.id).window_end == END[WED]


def test_the_retest_window_counts_from_the_applicants_day(unqualified, supervisor):
    """Art. 30 *(verify)*: the retest's window is the applicant's, from the day it received
    the conclusion (not before the notification); moving the notification earlier leaves it
    true, and the follow-up's own window follows the notification."""
    with clock.frozen(TODAY):
        record = _notify(unqualified, supervisor, WED)
        retest = retests.apply_for_retest(
            db.session,
            supervisor,
            unqualified,
            applicant=Applicant.SAMPLED_UNIT,
            applicant_name="某超市",
            conclusion_received_on=WED,
            applied_on=date(2026, 3, 6),
        )
        db.session.commit()
        assert retest.window_end == END[WED]
        _notify(unqualified, supervisor, MON)
        db.session.commit()
    assert (retest.conclusion_received_on, retest.window_end) == (WED, END[WED])
    assert record.retest_window_end == END[MON]
