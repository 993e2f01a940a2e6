"""In a real browser: bulk issue from the queue with its progress bar, then the ZIP."""

from __future__ import annotations

import io
import zipfile

import pytest

from support import PASSWORD

pytestmark = pytest.mark.browser


def test_bulk_issue_shows_progress_and_offers_the_zip(
    browser_page, browser_login, db, concluded_sample, boss
):
    ready = [concluded_sample() for _ in range(3)]
    own = concluded_sample(author=boss)  # the boss entered it: another supervisor must sign
    numbers = [s.sample_no for s in ready]
    own_no = own.sample_no
    db.session.rollback()  # the server writes; the test holds no transaction meanwhile
    page = browser_login(boss)

    page.goto("/reports/queue")
    page.check("#select-all")
    page.fill("#sign-password", PASSWORD)  # issuing signs: the password, once for all
    page.click("#bulk-issue")
    page.wait_for_selector("#bulk-zip:not([hidden])")
    assert page.inner_text("#bulk-progress .progress-bar") == "100%"
    assert "已签发 3 份报告，1 份未能签发" in page.inner_text("#bulk-status")
    failures = page.inner_text("#bulk-failures")
    assert own_no in failures and "另一位主管" in failures
    for number in numbers:
        assert page.locator(f"tr.table-success:has-text('{number}')").count() == 1

    archive = page.request.get(page.get_attribute("#bulk-zip", "href"))
    assert archive.ok
    with zipfile.ZipFile(io.BytesIO(archive.body())) as z:
        assert len(z.namelist()) == 3
        assert all(z.read(name).startswith(b"%PDF") for name in z.namelist())
