"""The report queue previews a draft inline: Preview loads the draft PDF into the panel on
the same page (the queue stays where it was), and the queue prints without its controls."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_preview_opens_the_draft_in_the_queue_page(
    browser_page, browser_login, db, concluded_sample, boss
):
    sample = concluded_sample()
    sample_id, number = sample.id, sample.sample_no
    db.session.rollback()
    page = browser_login(boss)
    page.goto("/reports/queue")
    with page.expect_response(lambda r: f"/reports/preview/{sample_id}.pdf" in r.url) as caught:
        page.click(f"tr[data-sample-id='{sample_id}'] .preview-link")
    response = caught.value
    assert response.ok and response.headers["content-type"] == "application/pdf"
    assert page.url.endswith("/reports/queue")  # still on the queue
    # Loaded into the panel's frame (headless Chromium then hands a PDF to its viewer).
    assert response.frame.name == "report-preview"
    assert number in page.inner_text("#bulk-form")

    # Printed: the table without navigation, buttons or the preview panel.
    page.emulate_media(media="print")
    assert not page.is_visible("#topnav")
    assert not page.is_visible("#preview-panel")
    assert not page.is_visible(f"tr[data-sample-id='{sample_id}'] .preview-link")
    assert page.is_visible("#bulk-form table")
