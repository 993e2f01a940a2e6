"""The main menu fits many roles: grouped menus on one line at 1,366 px, no button or menu
entry wrapped one character per line."""

from __future__ import annotations

import pytest

from labsys.models import Role

pytestmark = pytest.mark.browser


def test_a_user_with_every_role_gets_grouped_menus_on_one_line(
    browser_page, browser_login, make_user, tmp_path
):
    boss = make_user("boss", *Role, full_name="全能管理员")
    page = browser_login(boss)
    page.set_viewport_size({"width": 1366, "height": 800})
    page.goto("/")
    top = page.locator("#mainnav > ul.me-auto > li")
    assert top.count() <= 7
    assert page.locator("#mainnav > ul.me-auto .dropdown-toggle").count() >= 4
    # One line: the bar is as tall as a single entry.
    height = page.evaluate("document.getElementById('topnav').getBoundingClientRect().height")
    assert height < 70, height
    page.screenshot(path=str(tmp_path / "nav.png"))
    # Every menu entry is reachable: open the lab menu and follow "审核结果".
    page.click("#nav-lab")
    page.click("#mainnav .dropdown-menu.show >> text=审核结果")
    page.wait_for_url("**/lab/review")
    assert page.locator("#nav-lab.active").count() == 1
    # No button on the page is taller than two lines of text (no one-character columns).
    tall = page.evaluate(
        "[...document.querySelectorAll('.btn, .nav-link')].filter(b => b.offsetParent &&"
        " b.getBoundingClientRect().height > 48).map(b => b.textContent.trim())"
    )
    assert tall == []


def test_a_user_with_few_entries_sees_them_all_in_the_bar(browser_page, browser_login, make_user):
    page = browser_login(make_user("tech", Role.TECHNICIAN))
    assert page.locator("#mainnav > ul.me-auto .dropdown-toggle").count() == 0
    assert page.locator("#mainnav a.nav-link", has_text="我的检验任务").count() == 1
