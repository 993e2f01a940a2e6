"""The API pages in a real browser: a token is shown once and revoked; an administrator
adds a webhook receiver, sees its secret once, pauses it, and reads the delivery log."""

from __future__ import annotations

import pytest

from labsys.extensions import db
from labsys.models import ApiToken, OutboxEvent, Role, WebhookSubscription
from labsys.services import webhooks

pytestmark = pytest.mark.browser


def test_a_new_token_is_shown_once_works_and_is_revoked(
    app, browser_page, browser_login, make_user
):
    ann = make_user("ann", Role.SAMPLER, full_name="安抽样")
    page = browser_login(ann)
    page.goto("/profile/tokens")
    page.fill("input[name=name]", "平板电脑")
    page.select_option("select[name=scope]", "read")
    # A click waits for the navigation to commit, not for the page to load: wait for the
    # answer's load before reading its list (the rows may not be parsed yet).
    with page.expect_navigation():
        page.click("form >> text=生成令牌")
    secret = page.locator("[data-testid=new-token]").inner_text().strip()
    assert secret.startswith("lsk_")
    row = page.locator("tbody tr", has_text="平板电脑")
    assert row.count() == 1 and "只读" in row.inner_text()
    assert secret not in row.inner_text()  # the list shows its prefix only
    # The secret opens the API as ann.
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=headers).get_json()["username"] == "ann"
    # Shown once: the page read again does not show it.
    page.goto("/profile/tokens")
    assert page.locator("[data-testid=new-token]").count() == 0
    assert secret not in page.content()
    # Revoked: the button goes, the API refuses it.
    # The answer redirects to this same address: wait for that navigation itself (a
    # wait_for_url would match the page before the click as well).
    with page.expect_navigation(url="**/profile/tokens"):
        page.locator("tbody tr", has_text="平板电脑").locator("button", has_text="撤销").click()
    assert "已撤销" in page.locator("tbody tr", has_text="平板电脑").inner_text()
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    db.session.expire_all()
    assert db.session.query(ApiToken).one().revoked_at is not None


def test_an_administrator_adds_a_receiver_pauses_it_and_reads_the_delivery_log(
    browser_page, browser_login, make_user
):
    page = browser_login(make_user("adm", Role.ADMIN, full_name="管理员"))
    page.goto("/admin/webhooks")
    assert "尚无接收方" in page.content() and "尚无投递记录" in page.content()
    page.fill("input[name=url]", "http://127.0.0.1:9/hook")
    page.check("input[name=events][value='report.issued']")
    with page.expect_navigation():
        page.click("form >> text=添加接收方")
    secret = page.locator("[data-testid=webhook-secret]").inner_text().strip()
    assert secret
    row = page.locator("tbody tr", has_text="http://127.0.0.1:9/hook")
    assert "report.issued" in row.inner_text()
    # Shown once.
    page.goto("/admin/webhooks")
    assert page.locator("[data-testid=webhook-secret]").count() == 0
    assert secret not in page.content()

    # Two events in the outbox; the receiver takes the first, is down for the second.
    db.session.rollback()  # a fresh transaction: the server wrote since this one began
    db.session.add_all(
        [
            OutboxEvent(event="report.issued", entity_id="1", payload='{"report_no":"R1"}'),
            OutboxEvent(event="report.issued", entity_id="2", payload='{"report_no":"R2"}'),
        ]
    )
    db.session.commit()
    answers = iter([webhooks.Answer(204), webhooks.Answer(None, "Connection refused")])
    run = webhooks.deliver(db.session, post=lambda *_args: next(answers))
    assert (run.delivered, run.failed) == (1, 1)
    page.goto("/admin/webhooks")
    log = page.locator("[data-testid=delivery-log] tbody tr")
    assert log.count() == 2
    texts = sorted(log.all_inner_texts())
    assert any("#1 report.issued" in t and "已送达 (204)" in t for t in texts), texts
    assert any("#2 report.issued" in t and "Connection refused" in t for t in texts), texts
    row = page.locator("tbody tr", has_text="http://127.0.0.1:9/hook").first
    assert "1" in row.inner_text()  # failures in a row

    # Paused: the button says resume, and nothing is delivered meanwhile.
    with page.expect_navigation(url="**/admin/webhooks"):
        row.locator("button", has_text="暂停").click()
    assert page.locator("button", has_text="恢复").count() == 1
    db.session.expire_all()
    assert db.session.query(WebhookSubscription).one().active is False
