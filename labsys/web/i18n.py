"""Locale choice and the language switch."""

from __future__ import annotations

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
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default
