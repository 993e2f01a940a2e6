"""In a real browser: a worksheet typed by keyboard, a review, the conclusion."""

from __future__ import annotations

import re

import pytest

from labsys.models import Conclusion, ResultStatus

from support import PASSWORD

pytestmark = pytest.mark.browser


def test_worksheet_review_and_conclusion(
    browser_page, browser_login, db, tech, reviewer, make_sample, flour, items
):
    lead = items["lead"]
    spec = {"test_item": lead, "limit_text": "≤0.2", "lod": "0.005", "interval": "0.01"}
    a, b, c = (make_sample(flour, [spec]) for _ in range(3))
    ids = {name: s.results[0].id for name, s in zip("abc", (a, b, c), strict=True)}
    sample_ids = {name: s.id for name, s in zip("abc", (a, b, c), strict=True)}
    db.session.rollback()  # the server writes; the test holds no transaction meanwhile
    page = browser_login(tech)

    # The technician works the lead worksheet by keyboard alone; Enter on the last value saves.
    page.goto("/lab/work")
    page.click(f"a[href='/lab/worksheet/{lead.id}']")
    # A locator, not a JavaScript expression: the Content-Security-Policy refuses eval.
    page.locator(".result-input:focus").wait_for()
    page.keyboard.type("0.1")
    page.keyboard.press("Enter")
    page.keyboard.type("0.35")
    page.keyboard.press("Enter")
    page.keyboard.type("oops")
    # Enter on the last value submits the page: wait for the answer to load (its rows all
    # parsed, results.js's keys bound) before reading or typing into it.
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # Not a result: a message beside that field, and the other values are still there.
    page.wait_for_selector(".invalid-feedback")
    assert "无法识别的检验结果" in page.inner_text(f"#result-{ids['c']}")
    assert page.input_value(f"#result-{ids['a']} input.result-input") == "0.1"
    assert page.input_value(f"#result-{ids['b']} input.result-input") == "0.35"
    page.fill(f"#result-{ids['c']} input.result-input", "未检出")
    with page.expect_navigation():
        page.press(f"#result-{ids['c']} input.result-input", "Enter")
    page.wait_for_selector("[data-verdict='fail']")
    assert page.locator("[data-verdict='fail']").count() == 1
    assert page.locator("[data-verdict='pass']").count() == 2
    assert "未检出(检出限: 0.005 mg/kg)" in page.content()
    page.click("#submit-results")
    page.wait_for_selector(".alert-success")

    # The reviewer returns A's result with a reason and accepts B and C.
    page.goto("about:blank")  # nothing of the last page is still loading, with either cookie
    page.context.clear_cookies()
    browser_login(reviewer)
    page.goto("/lab/review")
    page.fill(f"#result-{ids['a']} input[name=reason]", "峰形异常，请重新进样")
    page.click(f"#result-{ids['a']} button[type=submit]")
    page.wait_for_selector(".alert-success")
    # Accepting signs: the reviewer's password, typed beside "Accept all".
    page.fill(f"#sample-{sample_ids['b']} input[name=password]", "wrong-password-1")
    page.click(f"#sample-{sample_ids['b']} .accept-all")
    page.wait_for_selector(".alert-danger")
    assert "密码错误" in page.inner_text(".alert-danger")
    page.fill(f"#sample-{sample_ids['b']} input[name=password]", PASSWORD)
    page.click(f"#sample-{sample_ids['b']} .accept-all")
    page.wait_for_selector(".alert-danger")
    assert re.search(r"不合格", page.inner_text(".alert-danger"))
    page.fill(f"#sample-{sample_ids['c']} input[name=password]", PASSWORD)
    page.click(f"#sample-{sample_ids['c']} .accept-all")
    page.wait_for_selector(".alert-info")

    # The unqualified conclusion and its deadline show on the sample's page.
    page.goto(f"/lab/samples/{sample_ids['b']}")
    assert "不合格" in page.inner_text("#conclusion")
    assert "2 个工作日" in page.inner_text("#conclusion")
    db.session.rollback()  # end the test's own read snapshot
    assert a.results[0].status == ResultStatus.RETURNED
    assert (b.conclusion, c.conclusion) == (Conclusion.UNQUALIFIED, Conclusion.QUALIFIED)
