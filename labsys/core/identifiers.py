"""Unified social credit code (统一社会信用代码, GB 32100-2015).

Only the rules every real code obeys are checked: 18 characters, all from
the code's 31-character set, and the check character (the 18th). The
registration-authority and category codes (1st and 2nd characters) are
deliberately *not* checked: their lists have grown over time (e.g. N for
some authorities) and rejecting a real code is worse than accepting an odd one.

Input is normalised leniently before checking (see :func:`normalize_uscc`):
full-width characters become ASCII, surrounding whitespace is dropped and
ASCII letters are upper-cased. Positions in messages are 1-based and count
characters of the normalised code.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

USCC_LENGTH = 18
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Weights for positions 1..17 (3**i mod 31).
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_EXCLUDED_LETTERS = frozenset("IOZSV")
_VALUE = {char: index for index, char in enumerate(USCC_CHARSET)}


@dataclass(frozen=True)
class UsccProblem:
    """Why a code is not a valid unified social credit code, machine-readable.

    kind ``"length"``: ``length`` is the number of characters given (18 required).
    kind ``"character"``: ``position`` (1-based) and ``char`` of the first illegal character.
    kind ``"check"``: the ``expected`` and ``actual`` check characters.
    """

    kind: Literal["length", "character", "check"]
    length: int | None = None
    position: int | None = None
    char: str | None = None
    expected: str | None = None
    actual: str | None = None

    def message(self) -> str:
        """The problem as a user-facing sentence in Chinese."""
        if self.kind == "length":
            return f"统一社会信用代码应为{USCC_LENGTH}位，实际为{self.length}位"
        if self.kind == "character":
            shown = _show_char(self.char or "")
            if self.char in _EXCLUDED_LETTERS:
                why = "统一社会信用代码不使用 I、O、Z、S、V"
            else:
                why = "只能使用数字 0–9 和除 I、O、Z、S、V 以外的大写英文字母"
            return f"第{self.position}位字符“{shown}”不允许（{why}）"
        return f"校验码应为“{self.expected}”，实际为“{self.actual}”"


def _show_char(char: str) -> str:
    """A character as users can read it: invisible ones as their code point."""
    return char if char.isprintable() and not char.isspace() else f"U+{ord(char):04X}"


def normalize_uscc(code: str) -> str:
    """The code as it should be stored: NFKC (full-width → ASCII), stripped, ASCII upper-cased.

    Only ASCII letters are upper-cased: ``str.upper`` would turn e.g. "ß" into
    "SS" and change the length being reported.
    """
    if not isinstance(code, str):
        raise TypeError(f"code must be a str, got {type(code).__name__}")
    code = unicodedata.normalize("NFKC", code).strip()
    return "".join(c.upper() if c.isascii() else c for c in code)


def uscc_check_char(first17: str) -> str:
    """The check character for the first 17 characters of a code (strict: no normalising)."""
    if len(first17) != USCC_LENGTH - 1:
        raise ValueError(f"expected {USCC_LENGTH - 1} characters, got {len(first17)}")
    bad = next((c for c in first17 if c not in _VALUE), None)
    if bad is not None:
        raise ValueError(f"character {bad!r} is not in the USCC character set")
    total = sum(_VALUE[c] * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def check_uscc(code: str) -> UsccProblem | None:
    """None if ``code`` is valid, else the first problem: length, then character, then check."""
    code = normalize_uscc(code)
    if len(code) != USCC_LENGTH:
        return UsccProblem(kind="length", length=len(code))
    for position, char in enumerate(code, start=1):
        if char not in _VALUE:
            return UsccProblem(kind="character", position=position, char=char)
    expected = uscc_check_char(code[:-1])
    if code[-1] != expected:
        return UsccProblem(kind="check", expected=expected, actual=code[-1])
    return None


def uscc_problem(code: str) -> str | None:
    """None if ``code`` is valid, else a precise message in Chinese naming the problem."""
    problem = check_uscc(code)
    return None if problem is None else problem.message()


def is_valid_uscc(code: str) -> bool:
    """Whether ``code`` (after normalising) is a valid unified social credit code."""
    return check_uscc(code) is None
