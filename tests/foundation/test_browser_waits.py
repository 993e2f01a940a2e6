"""Browser tests wait from Python (``support.page_until``, locators), never with
``page.wait_for_function``: it polls inside the page with ``new Function``, which the app's
Content-Security-Policy refuses whenever the condition is not true at the first try, so such
a test passes or fails by timing (it failed CI once)."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_no_browser_test_waits_inside_the_page():
    offenders = [
        f"{path.relative_to(TESTS)}:{number}"
        for path in TESTS.rglob("*.py")
        if path.name not in ("conftest.py", "support.py", Path(__file__).name)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if "wait_for_function(" in line
    ]
    assert offenders == []
