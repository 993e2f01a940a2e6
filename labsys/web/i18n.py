"""Locale choice and the language switch."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from flask import current_app, has_request_context, request, session

SESSION_KEY = "locale"


def select_locale() -> str:
    if not has_request_context():  # CLI commands: messages in the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get(SESSION_KEY)
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def html_lang() -> str:
    """The value of <html lang>: zh-CN or en."""
    return "en" if select_locale() == "en" else "zh-CN"


def set_locale(code: str) -> bool:
    if code not in current_app.config["LANGUAGES"]:
        return False
    session[SESSION_KEY] = code
    return True


def safe_next(default: str) -> str:
    """A same-site path from ?next=, never an absolute URL (no open redirect)."""
    target = request.args.get("next") or request.form.get("next") or ""
    return target if is_local_path(target) else default


def is_local_path(target: str) -> bool:
    """Whether ``target`` is a path on this site: it starts with one "/", has no scheme, no
    host, no backslash and no control character (browsers drop tabs and newlines and read
    "\\" as "/", so "/%09/evil.example" and "/\\evil" become "//evil..."), also once
    percent-decoded."""
    for text in (target, unquote(target)):
        if not text.startswith("/") or text.startswith("//") or "\\" in text:
            return False
        if any(ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F for char in text):
            return False
        parts = urlsplit(text)
        if parts.scheme or parts.netloc:
            return False
    return True
