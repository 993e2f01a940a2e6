"""A user's first minutes: log in, read the Chinese UI, switch to English, log out."""

import pytest
from playwright.sync_api import expect

from labsys.models import Role

pytestmark = pytest.mark.browser


def test_login_chinese_ui_english_switch_and_logout(
    browser_page, browser_login, make_user, tmp_path
):
    make_user("wang", Role.TECHNICIAN, Role.REVIEWER, full_name="王检验")
    page = browser_login(_user("wang"))
    assert page.locator("h1").inner_text() == "欢迎，王检验"
    assert "检验人员" in page.content()
    page.screenshot(path=str(tmp_path / "zh.png"))
    # The CJK text is rendered with a real font: its glyphs have width (not tofu boxes).
    width = page.evaluate("() => document.querySelector('h1').getBoundingClientRect().width")
    assert width > 50

    # The switch redirects back to this page: wait for the English one to load (a click
    # waits for the navigation to commit only: its h1 can be there before the Bootstrap
    # script at the end of the body has run, and the user menu below would not open).
    with page.expect_navigation():
        page.click("#lang-switch")
    expect(page.locator("h1")).to_have_text("Welcome, 王检验")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.click("#usermenu")
    page.click("#logout")
    page.wait_for_url("**/login")
    assert "You have logged out." in page.content()


def _user(username):
    from labsys.extensions import db
    from labsys.services.users import get_by_username

    return get_by_username(db.session, username)
