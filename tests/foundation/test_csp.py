"""Issue 18 §5: a Content-Security-Policy on every page (the browser tests check that it
blocks nothing the pages need: tests/conftest.py ``browser_page``)."""

from __future__ import annotations

import pytest

from labsys.models import Role


def _directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {
        part.split()[0]: " ".join(part.split()[1:])
        for part in (p.strip() for p in policy.split(";"))
        if part
    }


def _assert_strict(response) -> None:
    directives = _directives(response)
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"  # no inline script, no eval
    assert directives["style-src"] == "'self'"  # no <style> element
    assert directives["object-src"] == "'none'" and directives["base-uri"] == "'self'"
    assert directives["frame-ancestors"] == "'self'" and directives["form-action"] == "'self'"
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/login", "/verify/no-such-token", "/no-such-page"])
def test_anonymous_pages_and_errors_carry_the_policy(client, path):
    _assert_strict(client.get(path))


def test_logged_in_pages_downloads_and_refusals_carry_the_policy(client, login, make_user):
    login(make_user("ann", Role.SAMPLER))
    for path in ("/", "/sampling/visits/new", "/admin/users"):
        _assert_strict(client.get(path))
    with client.get("/static/labsys.css") as response:
        _assert_strict(response)


def test_no_template_has_an_inline_script_or_style_element():
    """What the policy would block: a <script> without src, an event-handler attribute, a
    javascript: URL, a <style> element."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    offending = []
    for template in root.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"<style\b", text):
            offending.append(template.name)
        if re.search(r"\son[a-z]+\s*=\s*[\"']", text) or "javascript:" in text:
            offending.append(template.name)
    assert offending == []
