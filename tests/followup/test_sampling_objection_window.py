"""An objection to the sampling follows the sampling date corrected.

SAMR Order No. 15 (2019) Art. 37 *(verify)*: an objection to the sampling process comes
within 7 working days of the sampling.  Its last day is stored on the objection when it is
filed (``window_end``); the sampling date may be corrected afterwards (a visit correction,
a request once the samples are received), and the stored day used to stay as it was.  Now
an undecided objection's window follows the corrected date when the correction is applied,
audited on the objection; a date that would move a decided one's window, or fall after an
objection's filing day (none is filed before the sampling), is refused when asked and again
when approved.  An objection to the result counts from the notification and is unaffected."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select
from test_workflows import _file

from labsys.core import clock
from labsys.extensions import db
from labsys.models import (
    Correction,
    CorrectionStatus,
    Objection,
    ObjectionKind,
    Role,
    SamplingVisit,
    VisitSampler,
)
from labsys.services import ServiceError, corrections, followup, objections

from stats_support import *  # noqa: F403 - the shared fixtures
from support import last_audit_entry

TODAY = date(2026, 3, 20)
SAMPLED = date(2026, 1, 15)  # the dataset's unqualified 通用小麦粉 sample, a Thursday
EARLIER = date(2026, 1, 14)
# 7 working days (Art. 37 *(verify)*) from each (January 2026: no holiday after the 3rd).
END = {SAMPLED: date(2026, 1, 26), EARLIER: date(2026, 1, 23)}
BASE = "http://labsys.test"


@pytest.fixture
def sample(dataset):
    sample = dataset.samples[3]
    assert sample.sampling_date == SAMPLED
    # A team of two, as a visit is validated (the factory makes one of one).
    sample.visit.sampler_links.append(VisitSampler(user_id=dataset.other_sampler.id))
    db.session.commit()
    return sample


@pytest.fixture
def approver(make_user):
    return make_user("rita", Role.REVIEWER, Role.SUPERVISOR, full_name="Rita")


def _sampling_objection(sample, actor, filed_on=date(2026, 1, 20)):
    objection = _file(sample, actor, ObjectionKind.SAMPLING_PROCESS, filed_on=filed_on)
    db.session.commit()
    assert objection.window_end == END[SAMPLED]
    return objection


def _ask(sample, actor, day):
    visit = sample.visit
    request = corrections.correct_visit(
        db.session,
        actor,
        visit,
        changes={"sampling_date": day},
        reason="抽样日期抄错",
        expected_version=visit.version_id,
    )
    db.session.commit()
    return request


def _approve(request, actor):
    corrections.approve(
        db.session, actor, request, expected_version=request.version_id, base_url=BASE
    )
    db.session.commit()


def test_the_window_follows_the_corrected_sampling_date(sample, supervisor, approver):
    with clock.frozen(TODAY):
        objection = _sampling_objection(sample, supervisor)
        _approve(_ask(sample, supervisor, EARLIER), approver)
    db.session.expire_all()
    assert db.session.get(SamplingVisit, sample.visit_id).sampling_date == EARLIER
    assert db.session.get(Objection, objection.id).window_end == END[EARLIER]
    entry = last_audit_entry("objection", objection.id)
    assert entry.action == "window"
    assert json.loads(entry.old_values) == {"window_end": "2026-01-26"}
    assert json.loads(entry.new_values) == {
        "window_end": "2026-01-23",
        "sampling_date": "2026-01-14",
    }
    assert "Art. 37" in entry.reason or "第三十七条" in entry.reason


def test_a_decided_objection_refuses_the_request(sample, supervisor):
    with clock.frozen(TODAY):
        objection = _sampling_objection(sample, supervisor)
        objections.accept_objection(db.session, supervisor, objection, decided_on=TODAY)
        db.session.commit()
        with pytest.raises(ServiceError) as refused:
            _ask(sample, supervisor, EARLIER)
    db.session.rollback()
    assert refused.value.field == "sampling_date"
    message = refused.value.message
    assert "2026-01-20" in message and "2026-01-26" in message and "2026-01-23" in message
    assert db.session.scalar(select(Correction.id)) is None  # nothing asked
    assert db.session.get(Objection, objection.id).window_end == END[SAMPLED]


def test_decided_after_the_request_the_approval_is_refused(sample, supervisor, approver):
    """Asked while the objection was undecided, approved after it was accepted: the check
    runs again, nothing is applied, the request stays pending."""
    with clock.frozen(TODAY):
        objection = _sampling_objection(sample, supervisor)
        request = _ask(sample, supervisor, EARLIER)
        objections.accept_objection(db.session, supervisor, objection, decided_on=TODAY)
        db.session.commit()
        with pytest.raises(ServiceError) as refused:
            _approve(request, approver)
    db.session.rollback()
    assert refused.value.field == "sampling_date"
    db.session.expire_all()
    assert db.session.get(Correction, request.id).status == CorrectionStatus.PENDING
    assert db.session.get(SamplingVisit, sample.visit_id).sampling_date == SAMPLED
    assert db.session.get(Objection, objection.id).window_end == END[SAMPLED]


@pytest.mark.parametrize("day", [date(2026, 1, 21), date(2026, 2, 2)])
def test_a_sampling_date_after_an_objections_filing_is_refused(sample, supervisor, day):
    """Filed on the 20th: the sampling cannot be dated the 21st (the day after is the
    boundary; the 20th itself is allowed, below)."""
    with clock.frozen(TODAY):
        _sampling_objection(sample, supervisor)
        with pytest.raises(ServiceError) as refused:
            _ask(sample, supervisor, day)
    assert refused.value.field == "sampling_date"
    assert "2026-01-20" in refused.value.message and day.isoformat() in refused.value.message


def test_the_filing_day_itself_is_a_possible_sampling_date(sample, supervisor, approver):
    with clock.frozen(TODAY):
        objection = _sampling_objection(sample, supervisor)
        _approve(_ask(sample, supervisor, date(2026, 1, 20)), approver)
    db.session.expire_all()
    moved = db.session.get(Objection, objection.id)
    assert moved.window_end == objections._last_day(db.session, date(2026, 1, 20))
    assert objections._late(moved) is None


def test_an_objection_to_the_result_keeps_its_window(sample, supervisor, approver):
    with clock.frozen(TODAY):
        record = followup.open_followup(db.session, sample, supervisor)
        followup.record_notification(db.session, supervisor, record, date(2026, 3, 2))
        result = _file(sample, supervisor, ObjectionKind.TEST_METHOD, filed_on=date(2026, 3, 4))
        db.session.commit()
        window = result.window_end
        _approve(_ask(sample, supervisor, EARLIER), approver)
    assert db.session.get(Objection, result.id).window_end == window


def test_the_approval_page_shows_the_refusal(sample, supervisor, approver, login, client, post):
    with clock.frozen(TODAY):
        objection = _sampling_objection(sample, supervisor)
        request = _ask(sample, supervisor, EARLIER)
        objections.accept_objection(db.session, supervisor, objection, decided_on=TODAY)
        db.session.commit()
        login(approver)
        page = f"/corrections/{request.id}"
        html = post(
            f"{page}/approve",
            {"version": request.version_id},
            token_from=page,
            follow_redirects=True,
        ).get_data(as_text=True)
    assert "抽样日期不能更正为 2026-01-14" in html and "截至 2026-01-26" in html
    db.session.expire_all()
    assert db.session.get(Correction, request.id).status == CorrectionStatus.PENDING
