"""Errors a service raises; their message is shown to the user as it is."""

from __future__ import annotations

import re
from contextvars import ContextVar

# While set (the web layer sets it per request), every PermissionDenied raised is noted
# here, caught or not, so that the refusal reaches the audit trail after the request.
noted_refusals: ContextVar[list[str] | None] = ContextVar("labsys_refusals", default=None)


class ServiceError(Exception):
    """The operation was refused; nothing it did is kept (the caller rolls back)."""

    def __init__(self, message, *, field: str | None = None):
        super().__init__(str(message))
        self.message = str(message)
        self.field = field


class PermissionDenied(ServiceError):
    """The acting user may not do this (e.g. review their own result)."""

    def __init__(self, message, *, field: str | None = None):
        super().__init__(message, field=field)
        noted = noted_refusals.get()
        if noted is not None:
            noted.append(self.message)


class NotFound(ServiceError):
    """The thing named does not exist."""


class ConflictError(ServiceError):
    """Someone else changed the record since it was read (optimistic locking)."""

    def __init__(self, message, *, current=None, field: str | None = None):
        super().__init__(message, field=field)
        self.current = current


_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
# A parenthesised English gloss after a space: " (not a result: 'x'; enter 未检出/ND ...)"
# (it starts with a Latin letter; one level of parentheses inside).
_GLOSS = re.compile(r"\s+\(([A-Za-z](?:[^()]|\([^()]*\))*)\)")


def one_language(message: str, english: bool | None = None) -> str:
    """A rule's bilingual message ("无法识别的检验结果：'x' (not a result: 'x')", as the pure
    core writes them) in the interface language only: the Chinese without its English
    glosses, or in English the glosses.  Messages in one language pass unchanged."""
    text = str(message)
    if not _CJK.search(text) or not _GLOSS.search(text):
        return text
    if english is None:
        english = _interface_is_english()
    if not english:
        return _GLOSS.sub("", text).strip()
    glosses = [m.group(1) for m in _GLOSS.finditer(text)]
    tail = text[text.rfind(")") + 1 :].strip()
    if tail and not _CJK.search(tail):
        glosses.append(tail.lstrip(":： ").strip())
    return ": ".join(g for g in glosses if g)


def _interface_is_english() -> bool:
    try:
        from flask_babel import get_locale

        locale = get_locale()
    except (RuntimeError, ImportError):  # outside a request: the default (Chinese)
        return False
    return locale is not None and locale.language == "en"
