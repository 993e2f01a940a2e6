"""Judging test results against limits: GB/T 8170-2008 rounding and comparison, decision rules,
microbiological sampling plans (GB 4789.1) and the sample conclusion.

Everything is :class:`~decimal.Decimal`; a ``float`` argument is refused with ``ValueError``
because binary floats get GB/T 8170 wrong (2.675 is stored as 2.67499…). Arithmetic runs in a
private, exact decimal context, so the caller's context (precision, rounding, traps) can never
change a result.

Choices this module makes, beyond the standards' text:

* **Not detected vs a minimum.** A not-detected result passes an upper limit and 不得检出, but
  *fails* a lower limit or a range: nothing was found where a minimum content is required.
* **Qualitative detection vs a number.** "检出"/"阳性" cannot be compared with a numeric limit:
  :func:`judge` raises ``ValueError`` instead of guessing.
* **不得检出 vs a number.** Any quantified value (at or above the LOD, when one is given) fails
  不得检出; a value below the LOD counts as not detected and passes.
* **The LOD.** A value strictly below ``lod`` is not detected; a value equal to it was detected.
  When both ``lod`` and a typed "<x" are given, ``lod`` (the method's, from the catalog) wins.
* **Unused options.** ``interval`` is only read by ``method="rounded"`` and ``uncertainty`` only
  by ``rule="guarded"``; the guard band never applies to not-detected or qualitative results.
* **Sampling plans.** "未检出", "阴性" and "<x" lie within m (whatever x is). "检出"/"阳性"
  exceeds m (conservatively, even a positive m) but exceeds M only when M is 0: a presence says
  nothing about how many.
* **Labels.** :attr:`Verdict.label_zh` prints 合格 / 不合格 / 不确定 / 不判定.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import (
    MAX_EMAX,
    MAX_PREC,
    MIN_EMIN,
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
)
from enum import StrEnum
from functools import lru_cache

__all__ = [
    "CONCLUSION_LABELS_ZH",
    "ComparisonMethod",
    "Conclusion",
    "DecisionRule",
    "Measured",
    "MeasuredKind",
    "MicroPlan",
    "Spec",
    "SpecKind",
    "VERDICT_LABELS_ZH",
    "Verdict",
    "conclude",
    "conclusion_sentence",
    "gbt8170_round",
    "inconclusive_sentence",
    "judge",
    "judge_plan",
    "parse_measured",
    "reported_text",
    "round_significant",
    "times_ten_text",
]

# --- text and numbers ------------------------------------------------------------------------

# Full-width ASCII (U+FF01–FF5E) to ASCII, plus look-alikes technicians type. Not NFKC: NFKC
# would also turn the superscripts of "1.2×10⁴" into plain digits ("1.2×104").
_NORMALISE: dict[int, int | str] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_NORMALISE.update(
    {
        0x3000: " ",  # ideographic space
        0x2212: "-",  # minus sign
        0x301C: "~",  # wave dash 〜
        0x2266: "≤",  # ≦
        0x2267: "≥",  # ≧
        0x2A7D: "≤",  # ⩽
        0x2A7E: "≥",  # ⩾
    }
)
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻", "0123456789+-")

_DEC = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_PLAIN_RE = re.compile(rf"{_DEC}(?:[eE][+-]?\d+)?", re.ASCII)
# "1.2×10^4", "1.2×10⁴", "10^5", "10⁵": how colony counts are written.
_TIMES_TEN_RE = re.compile(
    rf"(?:({_DEC})\s*[×xX*]\s*)?10(?:\^\s*([+-]?\d+)|([⁺⁻]?[⁰¹²³⁴⁵⁶⁷⁸⁹]+))", re.ASCII
)
# Beyond 10^±1000 nothing is a measurement; the bound also keeps exact arithmetic small.
_MAX_ADJUSTED = 1000


def _normalise(text: str) -> str:
    """``text`` stripped, with full-width forms made ASCII (fast when already ASCII)."""
    text = text.strip()
    return text if text.isascii() else text.translate(_NORMALISE).strip()


def _parse_number(text: str) -> Decimal | None:
    """The number written in (normalised) ``text``, or None if it is not one."""
    if _PLAIN_RE.fullmatch(text):
        number = Decimal(text)
    elif match := _TIMES_TEN_RE.fullmatch(text):
        exponent = match[2] or match[3].translate(_SUPERSCRIPTS)
        number = Decimal(f"{match[1] or 1}E{exponent}")
    else:
        return None
    if not -_MAX_ADJUSTED <= number.adjusted() <= _MAX_ADJUSTED:
        raise ValueError(f"数值超出范围：{text!r} (number out of range: {text!r})")
    return number


def _to_decimal(value: object, what: str) -> Decimal:
    """``value`` (str, int or Decimal; never float) as a finite Decimal, or ValueError."""
    if isinstance(value, Decimal) and value.is_finite() or type(value) is int:
        number = Decimal(value)
        text = str(value)
        if not -_MAX_ADJUSTED <= number.adjusted() <= _MAX_ADJUSTED:
            raise ValueError(f"{what} 超出范围：{text!r} ({what} out of range: {text!r})")
        return number
    if isinstance(value, str) and (parsed := _parse_number(_normalise(value))) is not None:
        return parsed
    hint = "请用文本或 Decimal，不要用浮点数" if isinstance(value, float) else "不是有效数值"
    raise ValueError(
        f"{what} {hint}：{value!r} ({what} must be a finite number as str, int or Decimal, "
        f"got {value!r})"
    )


# Every operation below is exact by construction (sums, products by 1/2/5 × 10^k, quantizing to
# a finer exponent), so the precision can be unlimited and never rounds; Inexact is trapped so a
# bug would be loud. Passed explicitly, it keeps the caller's context out of every result.
_EXACT = Context(
    prec=MAX_PREC,
    rounding=ROUND_HALF_EVEN,
    Emin=MIN_EMIN,
    Emax=MAX_EMAX,
    traps=[InvalidOperation, DivisionByZero, Overflow, Inexact],
)


def _fmt(number: Decimal) -> str:
    """A Decimal as plain digits, never exponent notation ("0.0000001", not "1E-7")."""
    return format(number, "f")


# --- GB/T 8170-2008 rounding -------------------------------------------------------------------


def _interval(interval: object) -> Decimal:
    """``interval`` checked to be 1, 2 or 5 × 10^k (GB/T 8170 §3.1 and §3.4: 0.5/0.2 unit)."""
    step = _to_decimal(interval, "interval")
    if step <= 0 or _lead_digit(step) not in (1, 2, 5):
        raise ValueError(
            f"修约间隔必须为 1、2 或 5 × 10^k 的正数：{interval!r} "
            f"(interval must be a positive 1, 2 or 5 × 10^k, got {interval!r})"
        )
    return step


def _lead_digit(step: Decimal) -> int:
    """The one significant digit of a 1/2/5 × 10^k interval, or 0 if it has more than one."""
    digits = "".join(map(str, step.as_tuple().digits)).strip("0")
    return int(digits) if len(digits) == 1 else 0


def gbt8170_round(value: str | int | Decimal, interval: str | int | Decimal) -> Decimal:
    """``value`` rounded to a multiple of ``interval`` by GB/T 8170-2008 §3.

    Rounds once (§3.3: never in steps); a discarded part of exactly half goes to the even
    neighbour (§3.2 进舍规则); negatives are rounded by their absolute value, sign restored
    (§3.2). Intervals of 0.5 or 0.2 units (§3.4) round value/interval to an integer, half to even,
    and multiply back: 60.75 to 0.5 → 121.5 → 122 → 61.0. The result carries the interval's digits
    (1.050 to 0.1 → ``Decimal("1.0")``) and never exponent notation for intervals of 10 and up.
    """
    return _round(_to_decimal(value, "value"), _interval(interval))


_RECIPROCAL_DIGITS = {1: (1, 0), 2: (5,), 5: (2,)}  # 10/lead: 1/(lead·10^k) = (10/lead)·10^(-k-1)


@lru_cache(maxsize=64)
def _grid(step: str) -> tuple[Decimal, Decimal, Decimal]:
    """(step, 1/step, quantum of the result) for a validated interval written as ``step``.

    Keyed by text, not by Decimal: Decimal("0.1") == Decimal("0.10"), but their results differ.
    """
    interval = Decimal(step)
    reciprocal = Decimal((0, _RECIPROCAL_DIGITS[_lead_digit(interval)], -interval.adjusted() - 1))
    quantum = Decimal((0, (1,), min(_exponent(interval), 0)))
    return interval, reciprocal, quantum


def _exponent(number: Decimal) -> int:
    """The exponent of a finite Decimal (``as_tuple`` gives a letter for NaN and infinity)."""
    exponent = number.as_tuple().exponent
    if not isinstance(exponent, int):
        raise ValueError(f"not a finite number: {number}")
    return exponent


def _round(number: Decimal, step: Decimal) -> Decimal:
    """``number`` rounded to the validated ``step``, exactly."""
    step, reciprocal, quantum = _grid(str(step))
    quotient = _EXACT.multiply(number, reciprocal).to_integral_value(ROUND_HALF_EVEN, _EXACT)
    result = _EXACT.multiply(quotient, step).quantize(quantum, context=_EXACT)
    return result.copy_abs() if result.is_zero() else result  # "-0.0" is not a reportable value


# --- limits ------------------------------------------------------------------------------------


class SpecKind(StrEnum):
    """The form of a limit (标准要求)."""

    UPPER = "upper"
    LOWER = "lower"
    RANGE = "range"
    NOT_DETECTED = "not_detected"
    NONE = "none"


_LIMIT_NUMBER = rf"({_DEC})"  # plain digits only, so a limit is shown as written
_BOUND_RE = re.compile(rf"(<=|>=|≤|≥|<|>)\s*{_LIMIT_NUMBER}", re.ASCII)
_RANGE_RE = re.compile(rf"{_LIMIT_NUMBER}\s*~\s*{_LIMIT_NUMBER}", re.ASCII)
_OPERATORS = {  # operator: (kind, strict)
    "≤": (SpecKind.UPPER, False),
    "<=": (SpecKind.UPPER, False),
    "<": (SpecKind.UPPER, True),
    "≥": (SpecKind.LOWER, False),
    ">=": (SpecKind.LOWER, False),
    ">": (SpecKind.LOWER, True),
}
_MUST_NOT_WORDS = ("不得检出", "不得使用")
_NO_LIMIT_WORDS = ("", "/", "-", "—")


@dataclass(frozen=True, slots=True)
class Spec:
    """A limit: ≤x, <x, ≥x, >x, a～b (inclusive), 不得检出 / 不得使用, or none ("/").

    ``low``/``high`` keep the digits as written (``Decimal("0.40")``); ``text`` is the form
    printed on reports. Build one with :meth:`parse`.
    """

    kind: SpecKind
    low: Decimal | None = None
    high: Decimal | None = None
    strict_low: bool = False
    strict_high: bool = False
    text: str = ""
    _interval: Decimal | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        kind = SpecKind(self.kind)
        object.__setattr__(self, "kind", kind)
        for name in ("low", "high"):
            if (bound := getattr(self, name)) is not None:
                object.__setattr__(self, name, _to_decimal(bound, name))
        wants = {
            SpecKind.UPPER: (False, True),
            SpecKind.LOWER: (True, False),
            SpecKind.RANGE: (True, True),
        }.get(kind, (False, False))
        low, high = self.low, self.high
        if wants != (low is not None, high is not None) or (
            low is not None and high is not None and low > high  # only a range has both
        ):
            raise ValueError(f"inconsistent {kind} limit: low={self.low!r}, high={self.high!r}")
        if not self.text:
            object.__setattr__(self, "text", self._display())
        exponents = [_exponent(b) for b in (self.low, self.high) if b is not None]
        if exponents:  # the unit of the last written digit; judge reads it for every result
            object.__setattr__(self, "_interval", Decimal((0, (1,), min(exponents))))

    def _display(self) -> str:
        """The canonical report form of this limit."""
        low, high = self.low, self.high  # __post_init__ checked which bounds each kind has
        if self.kind is SpecKind.UPPER and high is not None:
            return f"{'<' if self.strict_high else '≤'}{_fmt(high)}"
        if self.kind is SpecKind.LOWER and low is not None:
            return f"{'>' if self.strict_low else '≥'}{_fmt(low)}"
        if self.kind is SpecKind.RANGE and low is not None and high is not None:
            return f"{_fmt(low)}～{_fmt(high)}"
        return "不得检出" if self.kind is SpecKind.NOT_DETECTED else "/"

    @classmethod
    def parse(cls, text: str | Spec) -> Spec:
        """The limit written in ``text`` ("≤0.2", "<0.2", "≥2.9", ">2.9", "12～18", "不得检出",
        "不得使用", "" or "/"); full-width forms are accepted. ValueError names bad text."""
        if isinstance(text, Spec):
            return text
        if not isinstance(text, str):
            raise ValueError(f"无法识别的标准要求：{text!r} (not a limit: {text!r})")
        return _parse_spec(text)

    @property
    def judged(self) -> bool:
        """Whether results are judged against this limit at all (False for "/")."""
        return self.kind is not SpecKind.NONE

    def default_interval(self) -> Decimal | None:
        """The unit of the limit's last written digit ("≥97.0" → 0.1, "≤0.40" → 0.01, "≤5" → 1);
        the finer of the two for a range; None when there is no number."""
        return self._interval

    def admits(self, value: Decimal) -> bool:
        """Whether the numeric ``value`` meets this upper, lower or range limit."""
        low, high = self.low, self.high
        if low is None and high is None:
            raise ValueError(f"'{self.text}' has no numeric bound to compare {value!r} with")
        if low is not None and (value <= low if self.strict_low else value < low):
            return False  # inlined _below and _above: this is the hot path of judge
        return high is None or (value < high if self.strict_high else value <= high)

    def _below(self, value: Decimal) -> bool:
        """Whether ``value`` misses the lower bound."""
        low = self.low
        return low is not None and (value <= low if self.strict_low else value < low)

    def _above(self, value: Decimal) -> bool:
        """Whether ``value`` misses the upper bound."""
        high = self.high
        return high is not None and (value >= high if self.strict_high else value > high)


@lru_cache(maxsize=4096)
def _parse_spec(raw: str) -> Spec:
    """:meth:`Spec.parse` for text, cached: catalogs repeat a few hundred limits."""
    text = _normalise(raw)
    if text in _NO_LIMIT_WORDS:
        return Spec(SpecKind.NONE)
    if text in _MUST_NOT_WORDS:
        return Spec(SpecKind.NOT_DETECTED, text=text)
    if match := _BOUND_RE.fullmatch(text):
        kind, strict = _OPERATORS[match[1]]
        bound = _to_decimal(match[2], "limit")
        if kind is SpecKind.UPPER:
            return Spec(kind, high=bound, strict_high=strict)
        return Spec(kind, low=bound, strict_low=strict)
    if match := _RANGE_RE.fullmatch(text):
        low, high = _to_decimal(match[1], "limit"), _to_decimal(match[2], "limit")
        if low <= high:
            return Spec(SpecKind.RANGE, low=low, high=high)
    raise ValueError(
        f"无法识别的标准要求 {raw!r}：请写成 ≤0.2、<0.2、≥2.9、>2.9、12～18、不得检出 或 /"
        f" (not a limit: {raw!r}; write ≤x, <x, ≥x, >x, a～b with a ≤ b, 不得检出 or /)"
    )


# --- measured results ----------------------------------------------------------------------


class MeasuredKind(StrEnum):
    """What a result says: a number, nothing found, or a qualitative finding."""

    QUANTIFIED = "quantified"
    NOT_DETECTED = "not_detected"
    DETECTED = "detected"


# Enum members as module constants for the hot path of judge: reading a member off an Enum
# class costs about 150 ns on Python 3.11, several times per result.
_LIMITLESS, _MUST_NOT, _UPPER = SpecKind.NONE, SpecKind.NOT_DETECTED, SpecKind.UPPER
_QUANTIFIED, _NOT_DETECTED, _DETECTED = (
    MeasuredKind.QUANTIFIED,
    MeasuredKind.NOT_DETECTED,
    MeasuredKind.DETECTED,
)

# Casefolded words a technician may type, and what they mean.
_WORDS = {
    "未检出": MeasuredKind.NOT_DETECTED,
    "nd": MeasuredKind.NOT_DETECTED,
    "n.d.": MeasuredKind.NOT_DETECTED,
    "阴性": MeasuredKind.NOT_DETECTED,
    "检出": MeasuredKind.DETECTED,
    "阳性": MeasuredKind.DETECTED,
}
_PASS_THROUGH = ("检出", "阳性", "阴性")  # reported as typed


@dataclass(frozen=True, slots=True)
class Measured:
    """A parsed result. ``value`` is set only for QUANTIFIED; ``lod`` is the detection limit
    that applies (the method's, else the x of a typed "<x"); ``raw`` is the input as given."""

    kind: MeasuredKind
    value: Decimal | None
    lod: Decimal | None
    raw: str


def _not_a_result(text: object) -> ValueError:
    """The error a technician sees for input that is not a result."""
    return ValueError(
        f"无法识别的检验结果 {text!r}：请输入数值、未检出/ND、<检出限、检出/阳性 或 阴性 "
        f"(not a result: {text!r}; enter a number, 未检出/ND, <LOD, 检出/阳性 or 阴性)"
    )


def _classify(measured: object) -> tuple[MeasuredKind, Decimal | None, Decimal | None]:
    """(kind, value, typed LOD) of a result as entered; ValueError if it is not one."""
    if not isinstance(measured, str):
        if isinstance(measured, float | bool) or not isinstance(measured, int | Decimal):
            raise _not_a_result(measured)
        return _QUANTIFIED, _to_decimal(measured, "result"), None
    text = measured.strip()
    if (word := _WORDS.get(text) or _WORDS.get(text.casefold())) is not None:
        return word, None, None  # looked up before normalising: most words are not ASCII
    text = _normalise(text)
    if (word := _WORDS.get(text.casefold())) is not None:
        return word, None, None  # full-width "ＮＤ" reads as "ND"
    if text.startswith("<"):  # "<0.005": below that detection limit
        lod = _parse_number(text[1:].lstrip())
        if lod is None or lod <= 0:
            raise _not_a_result(measured)
        return _NOT_DETECTED, None, lod
    value = _parse_number(text)
    if value is None:
        raise _not_a_result(measured)
    return _QUANTIFIED, value, None


def _lod(lod: object) -> Decimal | None:
    """The method's detection limit, checked to be positive (None: no limit known)."""
    return None if lod is None else _positive_lod(lod)


def _positive_lod(lod: object) -> Decimal:
    limit = _to_decimal(lod, "lod")
    if limit <= 0:
        raise ValueError(f"检出限必须为正数：{lod!r} (lod must be positive, got {lod!r})")
    return limit


def parse_measured(text: str | Measured, lod: str | int | Decimal | None = None) -> Measured:
    """Parse a result as a technician types it: a number ("0.153", "1.2e-3", "1.2×10⁴",
    full-width digits), "未检出"/"ND", "<0.005", "检出"/"阳性" or "阴性".

    A number strictly below ``lod`` is not detected. ValueError (Chinese and English) otherwise.
    """
    if isinstance(text, Measured):
        return text if lod is None else Measured(*_read(text.raw, lod), text.raw)
    return Measured(*_read(text, lod), text if isinstance(text, str) else str(text))


def _read(text: object, lod: object) -> tuple[MeasuredKind, Decimal | None, Decimal | None]:
    """(kind, value, lod) of a result: :func:`parse_measured` without building a Measured."""
    if isinstance(text, Measured):
        return _read(text.raw, lod) if lod is not None else (text.kind, text.value, text.lod)
    kind, value, typed_lod = _classify(text)
    if lod is None:
        return kind, value, typed_lod
    limit = _positive_lod(lod)
    if kind is _QUANTIFIED and value is not None and value < limit:
        return _NOT_DETECTED, None, limit
    return kind, value, limit


# --- judging one result ----------------------------------------------------------------------


class Verdict(StrEnum):
    """An item verdict (单项判定)."""

    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"
    NOT_JUDGED = "not_judged"

    @property
    def label_zh(self) -> str:
        """The label printed on reports: 合格, 不合格, 不确定 or 不判定."""
        return VERDICT_LABELS_ZH[self]


VERDICT_LABELS_ZH = {
    Verdict.PASS: "合格",
    Verdict.FAIL: "不合格",
    Verdict.INCONCLUSIVE: "不确定",
    Verdict.NOT_JUDGED: "不判定",
}
_PASS, _FAIL, _INCONCLUSIVE, _NOT_JUDGED = (  # for the hot path, as _QUANTIFIED
    Verdict.PASS,
    Verdict.FAIL,
    Verdict.INCONCLUSIVE,
    Verdict.NOT_JUDGED,
)


class ComparisonMethod(StrEnum):
    """GB/T 8170-2008 §4.3: compare the full value (§4.3.1 全数值比较法) or the value rounded
    to the limit's digit (§4.3.2 修约值比较法). A StrEnum: "full"/"rounded" still work."""

    FULL = "full"
    ROUNDED = "rounded"


class DecisionRule(StrEnum):
    """ISO/IEC 17025 decision rule: simple acceptance, or a guard band w = U."""

    SIMPLE = "simple"
    GUARDED = "guarded"


_METHODS = tuple(ComparisonMethod)
_RULES = tuple(DecisionRule)
_ROUNDED, _GUARDED = ComparisonMethod.ROUNDED, DecisionRule.GUARDED


def _check_choice(value: object, allowed: tuple[str, ...], what: str) -> None:
    """ValueError unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}; got {value!r}")


def _uncertainty(uncertainty: object) -> Decimal:
    """The expanded uncertainty U for the guard band, checked to be positive."""
    if uncertainty is None:
        raise ValueError("rule='guarded' needs the expanded uncertainty (uncertainty=U)")
    u = _to_decimal(uncertainty, "uncertainty")
    if u <= 0:
        raise ValueError(f"uncertainty must be positive, got {uncertainty!r}")
    return u


def judge(
    measured: str | int | Decimal | Measured,
    spec: str | Spec,
    *,
    method: ComparisonMethod | str = ComparisonMethod.FULL,
    interval: str | int | Decimal | None = None,
    lod: str | int | Decimal | None = None,
    rule: DecisionRule | str = DecisionRule.SIMPLE,
    uncertainty: str | int | Decimal | None = None,
) -> Verdict:
    """The verdict of one result against one limit.

    ``method`` (GB/T 8170 §4.3, a :class:`ComparisonMethod` or its value): FULL (全数值比较法)
    compares the unrounded value, ROUNDED
    (修约值比较法) first rounds it to ``interval``, by default the limit's last written digit.
    ``rule`` (a :class:`DecisionRule`): SIMPLE judges the value; GUARDED widens it by U (ISO/IEC 17025
    guard band w = U): PASS only if all of [x − U, x + U] meets the limit, FAIL only if all of
    it misses, else INCONCLUSIVE.
    """
    if method not in _METHODS or rule not in _RULES:
        _check_choice(method, _METHODS, "method")
        _check_choice(rule, _RULES, "rule")
    if type(spec) is not Spec:
        spec = Spec.parse(spec)
    kind, value, _ = _read(measured, lod)
    if spec.kind is _LIMITLESS:
        return _NOT_JUDGED
    if spec.kind is _MUST_NOT:
        return _PASS if kind is _NOT_DETECTED else _FAIL
    if kind is _NOT_DETECTED:
        # Passes a maximum; fails a minimum or a range: nothing was found where content is due.
        return _PASS if spec.kind is _UPPER else _FAIL
    if kind is _DETECTED:
        raise ValueError(
            f"定性结果 {getattr(measured, 'raw', measured)!r} 不能与数值限量 '{spec.text}' 比较 "
            f"(a qualitative result cannot be judged against the numeric limit '{spec.text}')"
        )
    if value is None:  # QUANTIFIED, the only kind left, always carries its value
        raise _not_a_result(measured)
    if method == _ROUNDED:
        # A numeric limit always has a last digit, so step is None only for no limit at all.
        step = spec.default_interval() if interval is None else _interval(interval)
        if step is None:
            raise ValueError(f"no rounding interval for the limit {spec.text!r}")
        value = _round(value, step)
    if rule == _GUARDED:
        return _guarded(spec, value, _uncertainty(uncertainty))
    return _PASS if spec.admits(value) else _FAIL


def _guarded(spec: Spec, value: Decimal, u: Decimal) -> Verdict:
    """The guard-band verdict for the band [value − u, value + u].

    Every limit accepts an interval of values, so the band is wholly inside when both its ends
    are, and wholly outside when it ends below the lower bound or starts above the upper one.
    """
    low, high = _EXACT.subtract(value, u), _EXACT.add(value, u)
    if not spec._below(low) and not spec._above(high):
        return _PASS
    if spec._below(high) or spec._above(low):
        return _FAIL
    return _INCONCLUSIVE


# --- microbiological sampling plans (GB 4789.1) ----------------------------------------------

_PLAN_SPLIT_RE = re.compile(r"\s*[,;、]\s*|\s+(?=[ncmM]\s*=)")
_COUNT_RE = re.compile(r"\d+", re.ASCII)


def _plan_limit(limit: object, name: str) -> tuple[str, Decimal]:
    """(display text, number) of m or M: "50000", "5×10⁴", or "0/25g" (none in 25 g)."""
    if isinstance(limit, str):
        text = _normalise(limit)
        head, slash, mass = text.partition("/")
        number = _parse_number(head.strip())
        if number is None or slash and not mass.strip():
            raise ValueError(f"无法识别的 {name}：{limit!r} (not a plan limit {name}: {limit!r})")
        display = f"{head.strip()}/{mass.strip()}" if slash else text
    else:
        number = _to_decimal(limit, name)
        display = _fmt(number)
    if number < 0:
        raise ValueError(f"{name} 不能为负数：{limit!r} ({name} must not be negative)")
    return display, number


@dataclass(frozen=True, slots=True)
class MicroPlan:
    """A sampling plan: two-class (n, c, m) when ``M`` is None, else three-class (n, c, m, M).

    ``m`` and ``M`` keep their written form ("50000", "0/25g"); ``m_value``/``M_value`` are
    their leading numbers.
    """

    n: int
    c: int
    m: str
    M: str | None = None
    m_value: Decimal = field(init=False, repr=False, compare=False)
    M_value: Decimal | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("n", "c"):
            if type(getattr(self, name)) is not int:
                raise ValueError(f"{name} must be an int, got {getattr(self, name)!r}")
        if self.n < 1 or not 0 <= self.c <= self.n:
            raise ValueError(
                f"需要 n ≥ 1 且 0 ≤ c ≤ n (need n ≥ 1, 0 ≤ c ≤ n): n={self.n}, c={self.c}"
            )
        m_text, m_value = _plan_limit(self.m, "m")
        object.__setattr__(self, "m", m_text)
        object.__setattr__(self, "m_value", m_value)
        M_text, M_value = (None, None) if self.M is None else _plan_limit(self.M, "M")
        if M_value is not None and M_value < m_value:
            raise ValueError(f"需要 m ≤ M (need m ≤ M): m={self.m!r}, M={self.M!r}")
        object.__setattr__(self, "M", M_text)
        object.__setattr__(self, "M_value", M_value)

    @property
    def text(self) -> str:
        """The display form, e.g. "n=5,c=2,m=50000,M=100000"."""
        three = "" if self.M is None else f",M={self.M}"
        return f"n={self.n},c={self.c},m={self.m}{three}"

    @classmethod
    def parse(cls, text: str) -> MicroPlan:
        """The plan written as "n=5,c=2,m=100,M=1000" (commas, Chinese commas or spaces)."""
        fields: dict[str, str] = {}
        for part in _PLAN_SPLIT_RE.split(_normalise(text) if isinstance(text, str) else ""):
            key, equals, value = (s.strip() for s in part.partition("="))
            if not equals or key not in ("n", "c", "m", "M") or key in fields:
                raise _not_a_plan(text)
            fields[key] = value
        if not {"n", "c", "m"} <= fields.keys():
            raise _not_a_plan(text)
        for key in ("n", "c"):
            if not _COUNT_RE.fullmatch(fields[key]):
                raise _not_a_plan(text)
        try:
            return cls(int(fields["n"]), int(fields["c"]), fields["m"], fields.get("M"))
        except ValueError as error:
            raise _not_a_plan(text, f" — {error}") from None


def _not_a_plan(text: object, detail: str = "") -> ValueError:
    """The error for text that is not a sampling plan."""
    return ValueError(
        f"无法识别的采样方案 {text!r}：请写成 n=5,c=2,m=100,M=1000 "
        f"(not a sampling plan: {text!r}; write n=5,c=2,m=100,M=1000){detail}"
    )


def _unit_level(plan: MicroPlan, unit: str | Measured, index: int) -> int:
    """0 if a unit lies within m, 1 if it exceeds m (but not M), 2 if it exceeds M."""
    try:
        reading = parse_measured(unit)
    except ValueError as error:
        raise ValueError(f"第{index}个样品单元 (unit {index}): {error}") from None
    if reading.kind is MeasuredKind.NOT_DETECTED:
        return 0
    if reading.kind is MeasuredKind.DETECTED:  # a presence: more than 0, count unknown
        return 2 if plan.M_value is not None and plan.M_value.is_zero() else 1
    if (value := reading.value) is None:  # only QUANTIFIED is left: it always has a value
        raise _not_a_result(unit)
    if value < 0:
        raise ValueError(f"第{index}个样品单元为负数 (unit {index} is negative): {unit!r}")
    if plan.M_value is not None and value > plan.M_value:
        return 2
    return 1 if value > plan.m_value else 0


def judge_plan(plan: MicroPlan | str, units: Iterable[str]) -> Verdict:
    """The verdict of the n unit results of a batch under ``plan`` (GB 4789.1).

    Two-class: FAIL if more than c units exceed m. Three-class: FAIL if any unit exceeds M, or
    more than c lie in (m, M]. A value equal to m or M lies within it.
    """
    plan = plan if isinstance(plan, MicroPlan) else MicroPlan.parse(plan)
    if isinstance(units, str):
        raise ValueError(f"units must be a list of {plan.n} results, not one string {units!r}")
    units = list(units)
    if len(units) != plan.n:
        raise ValueError(
            f"方案 {plan.text} 需要 {plan.n} 个样品单元的结果，实际为 {len(units)} 个 "
            f"(the plan needs {plan.n} unit results, got {len(units)})"
        )
    levels = [_unit_level(plan, unit, i) for i, unit in enumerate(units, start=1)]
    if 2 in levels or levels.count(1) > plan.c:
        return Verdict.FAIL
    return Verdict.PASS


# --- the sample conclusion and report wording ------------------------------------------------


class Conclusion(StrEnum):
    """A sample conclusion (检验结论). A StrEnum: it equals "qualified", "unqualified", …"""

    QUALIFIED = "qualified"
    UNQUALIFIED = "unqualified"
    INCONCLUSIVE = "inconclusive"
    NOT_JUDGED = "not_judged"

    @property
    def label_zh(self) -> str:
        """合格, 不合格, 不确定 or 不判定."""
        return CONCLUSION_LABELS_ZH[self]


CONCLUSION_LABELS_ZH = {
    Conclusion.QUALIFIED: "合格",
    Conclusion.UNQUALIFIED: "不合格",
    Conclusion.INCONCLUSIVE: "不确定",
    Conclusion.NOT_JUDGED: "不判定",
}


def conclude(verdicts: Iterable[Verdict | str]) -> Conclusion:
    """The sample conclusion: UNQUALIFIED if any item fails, else INCONCLUSIVE if any is,
    else QUALIFIED if any passes, else NOT_JUDGED (NOT_JUDGED items are ignored)."""
    seen = set()
    for verdict in verdicts:
        try:
            seen.add(Verdict(verdict))
        except ValueError:
            raise ValueError(f"not a verdict: {verdict!r}") from None
    if Verdict.FAIL in seen:
        return Conclusion.UNQUALIFIED
    if Verdict.INCONCLUSIVE in seen:
        return Conclusion.INCONCLUSIVE
    return Conclusion.QUALIFIED if Verdict.PASS in seen else Conclusion.NOT_JUDGED


def reported_text(
    measured: str | Measured,
    *,
    interval: str | int | Decimal | None = None,
    lod: str | int | Decimal | None = None,
    unit: str | None = None,
    spec: str | Spec | None = None,
    method: ComparisonMethod | str = ComparisonMethod.FULL,
    significant: int | None = None,
) -> str:
    """The 检验结果 cell of a report: the value rounded to ``interval`` or to ``significant``
    figures (no exponent notation below 10), "未检出(检出限: 0.005 mg/kg)" (or "未检出" when no
    LOD is known), or 检出/阳性/阴性.

    ``unit`` only qualifies the LOD: the report prints the item's unit in its own column.

    With ``spec`` (and the ``method`` and ``interval`` the result is judged with), a rounded
    value that would by itself give another verdict than the value as measured carries the
    GB/T 8170-2008 mark (§3.3.2 a), the issue's "§3.5" *(verify the clause number)*): "(+)"
    when the printed value is below the measured one (the rest was 舍 dropped), "(-)" when above
    (进 rounded up). 0.204 against ≤0.2 with the full-value method prints "0.20(+)", so a report
    never reads "0.20 不合格" against "≤0.2". We mark rather than print unrounded: the value
    keeps the method's reporting precision and the reader learns on which side the truth lies.
    Without ``spec`` nothing is ever marked.
    """
    if method not in _METHODS:
        _check_choice(method, _METHODS, "method")
    reading = parse_measured(measured, lod)
    if reading.kind is MeasuredKind.QUANTIFIED and (value := reading.value) is not None:
        return _reported_number(value, interval, significant, spec, method)
    word = _normalise(reading.raw)
    if word in _PASS_THROUGH:
        return word
    if reading.lod is None:
        return "未检出"
    suffix = f" {unit.strip()}" if unit and unit.strip() else ""
    return f"未检出(检出限: {_fmt(reading.lod)}{suffix})"


def _reported_number(
    value: Decimal,
    interval: str | int | Decimal | None,
    significant: int | None,
    spec: str | Spec | None,
    method: ComparisonMethod | str,
) -> str:
    """A quantified value as printed: rounded, and marked when rounding turns its verdict."""
    if significant is not None:
        printed = round_significant(value, significant)
        places = printed.adjusted() - _significant_digits(significant) + 1
        text = times_ten_text(printed, significant) if places > 0 else _fmt(printed)
    elif interval is not None:
        printed = gbt8170_round(value, interval)
        text = _fmt(printed)
    else:
        return _fmt(value)
    if spec is None or printed == value:
        return text
    return text + _rounding_mark(value, printed, Spec.parse(spec), method, interval)


def _rounding_mark(
    value: Decimal,
    printed: Decimal,
    spec: Spec,
    method: ComparisonMethod | str,
    interval: str | int | Decimal | None,
) -> str:
    """ "(+)"/"(-)" when ``printed`` alone is judged otherwise than ``value``, else ""."""
    if spec.kind in (
        _LIMITLESS,
        _MUST_NOT,
    ):  # no verdict, or any number fails: rounding can't turn it
        return ""
    as_measured = judge(value, spec, method=method, interval=interval)
    if judge(printed, spec, method=method, interval=interval) == as_measured:
        return ""
    return "(+)" if printed < value else "(-)"


# --- significant figures -------------------------------------------------------------------

_SUPERSCRIPT_DIGITS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _significant_digits(digits: object) -> int:
    """``digits`` checked to be a whole number of significant figures from 1 to 10."""
    if type(digits) is not int or not 1 <= digits <= 10:
        raise ValueError(
            f"有效数字位数必须为 1～10 的整数：{digits!r} "
            f"(significant figures must be an int from 1 to 10, got {digits!r})"
        )
    return digits


def round_significant(value: str | int | Decimal, digits: int) -> Decimal:
    """``value`` rounded to ``digits`` significant figures by GB/T 8170-2008 §3.2 (half to
    even, once, negatives by their absolute value).

    The interval is 10^(k − digits + 1) for a value whose first digit is in the 10^k place
    (GB/T 8170 §3.1.1 c), "n 位有效数字" *(verify the clause)*). A carry into a new digit keeps
    ``digits`` figures: 9.996 to 3 → 10.0 (exact: 10.00 is a multiple of 0.1). Examples:
    0.0314159 → 0.031, 1268 → 1300 (``times_ten_text`` prints 1.3×10³), 0 → 0.
    """
    number, n = _to_decimal(value, "value"), _significant_digits(digits)
    if number.is_zero():
        return Decimal(0)
    rounded = _round(number, Decimal((0, (1,), number.adjusted() - n + 1)))
    if rounded.adjusted() > number.adjusted():  # 9.996 → 10.00: one figure too many
        quantum = Decimal((0, (1,), min(rounded.adjusted() - n + 1, 0)))
        rounded = rounded.quantize(quantum, context=_EXACT)
    return rounded


def times_ten_text(number: Decimal, digits: int) -> str:
    """``number`` (already rounded to ``digits`` figures) as mantissa × power of ten, the way
    reports print large values: 94000 with 2 figures → "9.4×10⁴", 100 → "1.0×10²"."""
    exponent = number.adjusted()
    quantum = Decimal((0, (1,), -(_significant_digits(digits) - 1)))
    mantissa = number.scaleb(-exponent, _EXACT).quantize(quantum, context=_EXACT)
    return f"{_fmt(mantissa)}×10{str(exponent).translate(_SUPERSCRIPT_DIGITS)}"


def _distinct(names: Iterable[str] | str) -> list[str]:
    """Non-empty names, stripped, first occurrence kept."""
    names = [names] if isinstance(names, str) else names
    return list(dict.fromkeys(n.strip() for n in names if n and n.strip()))


def conclusion_sentence(
    failed_items: Iterable[str] = (),
    bases: Iterable[str] = (),
    *,
    failures: Iterable[tuple[str, str]] | None = None,
) -> str:
    """The report's conclusion: "经抽样检验，所检项目符合{判定依据}要求。" or
    "经抽样检验，{不合格项目}项目不符合{判定依据}要求，检验结论为不合格。"

    Pass the bases of all items when none failed, of the failed items otherwise.  With
    ``failures`` (pairs of failed item and its own judgement basis) the failed items are
    grouped by basis, each group naming only the standard it fails:
    "经抽样检验，铅(以Pb计)项目不符合GB 2762-2022要求，苯甲酸项目不符合GB 2760-2024要求，
    检验结论为不合格。" -- a producer's objection (SAMR Order No. 15 Art. 37, "标准适用")
    reads which standard each item was judged by.
    """
    if failures is not None:
        grouped = _group_by_basis(failures)
        if grouped:
            return f"经抽样检验，{'，'.join(grouped)}，检验结论为不合格。"
    items, basis = _distinct(failed_items), "、".join(_distinct(bases))
    if not items:
        return f"经抽样检验，所检项目符合{basis}要求。"
    return f"经抽样检验，{'、'.join(items)}项目不符合{basis}要求，检验结论为不合格。"


# SAMR Order No. 15 (2019) Art. 35: the retest's conclusion is the final one (from memory
# of the Order, as ``services.retests`` cites it *(verify)*).
RETEST_ARTICLE = "《食品安全抽样检验管理办法》第三十五条"


def retest_sentence(
    lab: str, reported_on: str, *, upheld: bool, failures: Iterable[tuple[str, str]] = ()
) -> str:
    """The report's statement that its conclusion comes from a retest (复检): the retest
    lab, the day of its report, and whether the initial unqualified conclusion was upheld.
    ``failures``: the initial test's failed items with their judgement bases, named when
    the retest did not uphold them:
    "经复检（复检机构：乙所，复检报告日期：2026-03-20），检验结论为合格，初检镉(以Cd计)项目不符合
    GB 2762-2022要求的结论未予维持（依据…第三十五条，以复检结论为准）。"
    """
    by = f"经复检（复检机构：{lab}，复检报告日期：{reported_on}）"
    final = f"（依据{RETEST_ARTICLE}，以复检结论为准）"
    if upheld:
        return f"{by}，复检结论为不合格，维持初检结论{final}。"
    initial = "，".join(_group_by_basis(failures)) or "不合格"
    return f"{by}，检验结论为合格，初检{initial}的结论未予维持{final}。"


def _group_by_basis(failures: Iterable[tuple[str, str]]) -> list[str]:
    """ "X、Y项目不符合A要求" per basis, bases and items in first-seen order."""
    by_basis: dict[str, list[str]] = {}
    for item, basis in failures:
        if item and item.strip():
            by_basis.setdefault((basis or "").strip(), []).append(item)
    return [
        f"{'、'.join(_distinct(items))}项目不符合{basis}要求"
        if basis
        else f"{'、'.join(_distinct(items))}项目不符合要求"
        for basis, items in by_basis.items()
    ]


def inconclusive_sentence(items: Iterable[str], bases: Iterable[str]) -> str:
    """The wording for items whose guard band straddles the limit (verdict INCONCLUSIVE)."""
    names = _distinct(items)
    if not names:
        raise ValueError("inconclusive_sentence needs at least one item")
    basis = "、".join(_distinct(bases))
    return (
        f"经抽样检验，{'、'.join(names)}项目的检验结果在测量不确定度范围内，"
        f"无法判定是否符合{basis}要求。"
    )
