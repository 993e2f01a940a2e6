"""Work queues at a busy lab, in a real browser: a thousand samples awaiting review are
paged, searched, filtered and sorted by due date; an accept keeps the reviewer's place
(the next sample, highlighted and focused) and J / K / A work the queue by keyboard;
overdue and due-soon rows show their colour through Bootstrap's table cells."""

from __future__ import annotations

import re

import pytest
from queue_data import OVERDUE, SOON, TODAY, bulk_results, bulk_samples, due_kind, go
from sqlalchemy import func, select

from labsys.extensions import db
from labsys.models import ResultStatus, Role, SampleResult, SampleStatus

from support import PASSWORD, page_until

pytestmark = pytest.mark.browser

PENDING = 1000
OVERDUE_RGB = "rgb(248, 215, 218)"
DUE_SOON_RGB = "rgb(255, 243, 205)"


@pytest.fixture
def busy_lab(make_user, make_category, make_item, make_enterprise, freeze_clock):
    """A thousand samples with a result awaiting review (entered by ``tech``)."""
    freeze_clock(TODAY)
    tech = make_user("tech", Role.TECHNICIAN, full_name="检验员甲")
    reviewer = make_user("rev", Role.REVIEWER, full_name="审核员乙")
    sampler = make_user("sam", Role.SAMPLER)
    flour = make_category("粮食加工品", "小麦粉", "小麦粉", "通用小麦粉")
    lead = make_item("铅(以Pb计)", "mg/kg")
    unit = make_enterprise()
    ids = bulk_samples(
        PENDING,
        category=flour,
        sampler=sampler,
        unit=unit,
        status=SampleStatus.RECEIVED,
        food=lambda i: "挂面" if i == 777 else f"小麦粉{i}",
    )
    bulk_results(ids, item=lead, status=ResultStatus.SUBMITTED, entered_by=tech)
    db.session.commit()
    return {"tech": tech, "reviewer": reviewer, "ids": ids}


def _cards(page) -> list[int]:
    return [
        int(x)
        for x in page.eval_on_selector_all(".queue-card", "els => els.map(e => e.dataset.sampleId)")
    ]


def test_a_thousand_samples_awaiting_review_are_paged_searched_and_filtered(
    browser_page, browser_login, busy_lab, tmp_path
):
    ids = busy_lab["ids"]
    page = browser_login(busy_lab["reviewer"])
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/lab/review")
    shown = _cards(page)
    assert shown == ids[:20]  # a page, not a thousand cards
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 20 * 400, height
    page.screenshot(path=str(tmp_path / "review.png"))

    go(page, "a[rel=next]")
    page.wait_for_url(re.compile(r"after="))
    assert _cards(page) == ids[20:40]

    # Search by sample number, then by food name.
    page.goto("/lab/review")
    page.fill("#f-q", "QA000123")
    go(page, "#filter-submit")
    assert _cards(page) == [ids[123]]
    page.fill("#f-q", "挂面")
    go(page, "#filter-submit")
    assert _cards(page) == [ids[777]]

    # Overdue only, most urgent first: every card is overdue and flagged so.
    page.goto("/lab/review")
    page.select_option("#f-due", "overdue")
    page.select_option("#f-sort", "due")
    go(page, "#filter-submit")
    shown = _cards(page)
    assert len(shown) == 20
    assert all(due_kind(ids.index(i)) == OVERDUE for i in shown)
    heads = page.eval_on_selector_all(
        ".queue-card .card-header", "els => els.map(e => getComputedStyle(e).backgroundColor)"
    )
    assert set(heads) == {OVERDUE_RGB}
    # The next page carries the filters and the order on.
    go(page, "a[rel=next]")
    more = _cards(page)
    assert more and not set(more) & set(shown)
    assert all(due_kind(ids.index(i)) == OVERDUE for i in more)

    # Technician filter: everything was entered by 检验员甲; another technician has none.
    page.goto(f"/lab/review?technician={busy_lab['tech'].id}")
    assert len(_cards(page)) == 20
    page.goto(f"/lab/review?technician={busy_lab['reviewer'].id}")
    assert _cards(page) == []
    assert "没有等待您审核的结果" in page.content() or page.locator(".queue-card").count() == 0


def test_accept_keeps_the_place_and_the_keyboard_works_the_queue(
    browser_page, browser_login, busy_lab
):
    ids = busy_lab["ids"]
    page = browser_login(busy_lab["reviewer"])
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/lab/review?due=soon")
    soon = [i for i in ids if due_kind(ids.index(i)) == SOON]
    assert _cards(page) == soon[:20]

    # A wrong signature: nothing accepted, the page stays at that sample.
    page.fill(f"#sample-{soon[4]} input[name=password]", "wrong-password-1")
    page.click(f"#sample-{soon[4]} .accept-all")
    page.wait_for_selector(".alert-danger")
    assert page.url.endswith(f"#sample-{soon[4]}") and "due=soon" in page.url
    # Signed, the fifth sample with the mouse: back on the same filtered page, at the sixth.
    page.fill(f"#sample-{soon[4]} input[name=password]", PASSWORD)
    page.click(f"#sample-{soon[4]} .accept-all")
    page.wait_for_selector(".alert-success")
    assert "due=soon" in page.url and page.url.endswith(f"#sample-{soon[5]}")
    # The alert can be in the DOM before the page's script has run: wait for the script to
    # have placed the reviewer on the sixth sample, then check the scroll it produced.
    page.wait_for_load_state("load")
    page_until(page, f"document.activeElement.id === 'sample-{soon[5]}'")
    page_until(page, "window.scrollY > 0")  # not thrown back to the top
    assert page.evaluate("document.activeElement.id") == f"sample-{soon[5]}"
    assert "current" in page.get_attribute(f"#sample-{soon[5]}", "class")
    assert soon[4] not in _cards(page)

    # Keyboard: J moves on, A goes to the highlighted sample's signature, Enter signs and
    # accepts, and the page lands on the next one.
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.closest('.queue-card').id") == f"sample-{soon[6]}"
    page.keyboard.press("k")
    page.keyboard.press("j")
    page.keyboard.press("a")
    assert page.evaluate("document.activeElement.name") == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"#sample-{soon[7]}$"))
    assert page.evaluate("document.activeElement.closest('.queue-card').id") == f"sample-{soon[7]}"

    db.session.rollback()
    accepted = db.session.scalar(
        select(func.count()).where(SampleResult.status == ResultStatus.ACCEPTED)
    )
    assert accepted == 2


def test_a_forged_back_link_stays_in_the_queue(client, login, busy_lab, post):
    """The "back" field only carries the queue's own arguments: no redirect elsewhere."""
    login(busy_lab["reviewer"])
    sample_id = busy_lab["ids"][0]
    response = post(
        f"/lab/review/{sample_id}/accept",
        {"back": "q=&next=//evil.example/&sort=due&due=overdue"},
        token_from="/lab/review",
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/lab/review?")
    assert "evil" not in location and "next=" not in location
    assert "sort=due" in location and "due=overdue" in location


def test_overdue_and_due_soon_rows_are_coloured_in_the_lists(
    browser_page,
    browser_login,
    make_user,
    make_category,
    make_item,
    make_enterprise,
    tmp_path,
    freeze_clock,
):
    freeze_clock(TODAY)
    tech = make_user("tech", Role.TECHNICIAN)
    sampler = make_user("sam", Role.SAMPLER)
    flour = make_category("粮食加工品", "小麦粉", "小麦粉", "通用小麦粉")
    lead = make_item("铅(以Pb计)", "mg/kg")
    unit = make_enterprise()
    testing = bulk_samples(
        6, category=flour, sampler=sampler, unit=unit, status=SampleStatus.RECEIVED
    )
    bulk_results(testing, item=lead, status=ResultStatus.PENDING)
    bulk_samples(
        6, category=flour, sampler=sampler, unit=unit, status=SampleStatus.REGISTERED, prefix="QR"
    )
    db.session.commit()
    page = browser_login(tech)
    page.set_viewport_size({"width": 1366, "height": 900})
    for path in ("/lab/work", "/lab/receipt/"):
        page.goto(path)
        page.screenshot(path=str(tmp_path / f"{path.strip('/').replace('/', '-')}.png"))
        overdue = page.eval_on_selector_all(
            "tr.overdue > td", "els => els.map(e => getComputedStyle(e).backgroundColor)"
        )
        soon = page.eval_on_selector_all(
            "tr.due-soon > td", "els => els.map(e => getComputedStyle(e).backgroundColor)"
        )
        assert overdue and set(overdue) == {OVERDUE_RGB}, path
        assert soon and set(soon) == {DUE_SOON_RGB}, path
