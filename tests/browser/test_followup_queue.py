"""The follow-up list as a work queue, in a real browser: paged, searched by sample number and
food name, filtered by category and deadline, sorted by the next deadline, worked by keyboard;
and a step's date that cannot be in the future (告知日期) refused on the form, today accepted."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from queue_data import TODAY, bulk_samples, go
from sqlalchemy import insert, select, update

from labsys.core import clock
from labsys.extensions import db
from labsys.models import (
    Applicant,
    Conclusion,
    FollowUp,
    Objection,
    ObjectionKind,
    ObjectionStatus,
    Role,
    Sample,
    SampleStatus,
)

pytestmark = pytest.mark.browser

OVERDUE_RGB = "rgb(248, 215, 218)"


def _unqualified(ids) -> None:
    db.session.execute(
        update(Sample)
        .where(Sample.id.in_(ids))
        .values(
            status=SampleStatus.CONCLUDED,
            conclusion=Conclusion.UNQUALIFIED,
            concluded_at=clock.now() - timedelta(days=5),
        )
    )


@pytest.fixture
def followups(make_user, make_category, make_enterprise, freeze_clock):
    """60 unqualified flour samples and 5 unqualified noodle samples (another category); three
    flour samples have an objection awaiting a decision (one overdue, two due later).  The
    clock stays on TODAY: the form's "today" is the test's even when a run crosses midnight."""
    freeze_clock(TODAY)
    supervisor = make_user("sup", Role.SUPERVISOR, full_name="主管丙")
    sampler = make_user("sam", Role.SAMPLER)
    unit = make_enterprise()
    flour = make_category("粮食加工品", "小麦粉", "小麦粉", "通用小麦粉")
    noodles = make_category("方便食品", "方便面", "油炸面", "油炸方便面")
    status = SampleStatus.RECEIVED
    flour_ids = bulk_samples(
        60, category=flour, sampler=sampler, unit=unit, status=status, prefix="QF"
    )
    noodle_ids = bulk_samples(
        5, category=noodles, sampler=sampler, unit=unit, status=status, prefix="QN",
        food=lambda i: f"油炸方便面{i}",
    )  # fmt: skip
    _unqualified(flour_ids + noodle_ids)
    today = clock.today()
    dues = {flour_ids[10]: today - timedelta(days=3), flour_ids[20]: today + timedelta(days=30)}
    dues[flour_ids[30]] = today + timedelta(days=40)
    db.session.execute(
        insert(Objection),
        [
            {
                "sample_id": sample_id,
                "status": ObjectionStatus.FILED,
                "kind": ObjectionKind.SAMPLING_PROCESS,
                "applicant": Applicant.SAMPLED_UNIT,
                "applicant_name": "某超市",
                "grounds": "抽样过程不规范",
                "filed_on": today - timedelta(days=8),
                "window_end": today,
                "decision_due": due,
            }
            for sample_id, due in dues.items()
        ],
    )
    db.session.commit()
    return {
        "supervisor": supervisor,
        "flour": flour_ids,
        "noodles": noodle_ids,
        "noodle_category": noodles.path.strip("/").split("/")[0],
    }


def _rows(page) -> list[int]:
    return [
        int(x)
        for x in page.eval_on_selector_all(
            "#followup-list tr.queue-row", "els => els.map(e => e.dataset.sampleId)"
        )
    ]


def test_the_followup_list_is_paged_searched_filtered_and_sorted(
    browser_page, browser_login, followups
):
    flour, noodles = followups["flour"], followups["noodles"]
    newest_first = sorted(flour + noodles, reverse=True)
    page = browser_login(followups["supervisor"])
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/followup/")
    assert _rows(page) == newest_first[:50]
    go(page, "a[rel=next]")
    page.wait_for_url(re.compile(r"after="))
    assert _rows(page) == newest_first[50:]

    # Search by sample number, then by food name.
    page.goto("/followup/")
    page.fill("#f-q", "QF000012")
    go(page, "#filter-submit")
    assert _rows(page) == [flour[12]]
    page.fill("#f-q", "油炸方便面3")
    go(page, "#filter-submit")
    assert _rows(page) == [noodles[3]]

    # The category filter (a first-level category covers its sub-categories).
    page.goto("/followup/")
    page.select_option("#f-category", followups["noodle_category"])
    go(page, "#filter-submit")
    assert _rows(page) == sorted(noodles, reverse=True)

    # By the next deadline: the three open objections first, the overdue one highlighted.
    page.goto("/followup/")
    page.select_option("#f-sort", "due")
    go(page, "#filter-submit")
    assert _rows(page)[:3] == [flour[10], flour[20], flour[30]]
    colours = page.eval_on_selector_all(
        "tr.overdue > td", "els => els.map(e => getComputedStyle(e).backgroundColor)"
    )
    assert colours and set(colours) == {OVERDUE_RGB}
    page.select_option("#f-due", "overdue")
    go(page, "#filter-submit")
    assert _rows(page) == [flour[10]]

    # Keyboard: / goes to the search, J highlights the first row, Enter opens it.
    page.goto("/followup/?q=QF00002")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "f-q"
    page.locator("h1").click()
    page.keyboard.press("j")
    first = _rows(page)[0]
    assert page.evaluate("document.activeElement.id") == f"sample-{first}"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/followup/{first}$"))


def test_a_future_notification_date_is_refused_on_the_form(browser_page, browser_login, followups):
    sample_id = followups["flour"][0]
    today = clock.today()
    page = browser_login(followups["supervisor"])
    page.goto(f"/followup/{sample_id}")
    field = "input[name='notify-notified_on']"
    assert page.get_attribute(field, "max") == today.isoformat()
    tomorrow = (today + timedelta(days=1)).isoformat()
    page.fill(field, tomorrow)
    with page.expect_navigation():
        page.click("form[action$='/notify'] button[type=submit]")
    error = page.inner_text("#notification .invalid-feedback")
    assert "日期不能晚于今天" in error and tomorrow in error
    assert page.input_value(field) == tomorrow  # what was typed stays
    assert "日期不能晚于今天" in page.inner_text(".alert-danger")
    db.session.rollback()
    assert db.session.scalar(select(FollowUp).where(FollowUp.sample_id == sample_id)) is None

    page.fill(field, today.isoformat())
    with page.expect_navigation():
        page.click("form[action$='/notify'] button[type=submit]")
    assert page.inner_text("#notified-on") == today.isoformat()
    db.session.rollback()
    record = db.session.scalar(select(FollowUp).where(FollowUp.sample_id == sample_id))
    assert record.notified_on == today
