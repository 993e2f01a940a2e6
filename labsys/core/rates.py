"""Pass rates (合格率) and unqualified rates in percent, with GB/T 8170 rounding.

A pass rate is qualified batches ÷ batches with a final conclusion. Counts
are kept exact; the percentage is computed in Decimal and rounded once, at
presentation, by GB/T 8170 (exact halves go to the even neighbour).

``interval`` is the rounding interval as a string or Decimal ("0.01" by
default, also e.g. "0.1", "1", "0.5", "0.2"): 1, 2 or 5 times a power of
ten. ``interval=None`` returns the unrounded value (for further arithmetic).

Invalid counts (not integers, bools, negative, part > total, total 0)
raise ``ValueError``: there is no rate for an empty slice, and callers
decide how to display that (e.g. "—").
"""

from __future__ import annotations

import numbers
from decimal import Decimal, InvalidOperation, localcontext

from labsys.core.judgement import gbt8170_round

# z for a two-sided 95 % interval (the 97.5 % normal quantile).
Z_95 = Decimal("1.959963984540054")
_HUNDRED = Decimal(100)
_ZERO = Decimal(0)
# Working precision of the Wilson interval: far more than any display needs.
_WILSON_PRECISION = 50
# Allowed significant digits of an interval: 1, 2 or 5 times a power of ten.
_STEPS = ((1,), (2,), (5,))

Interval = str | Decimal | int | None


def pass_rate(qualified: int, total: int, interval: Interval = "0.01") -> Decimal:
    """Qualified ÷ total in percent, rounded to ``interval`` by GB/T 8170.

    Example: 9,660 of 9,750 → 99.08 (99.1 at interval "0.1").
    """
    return _percent(qualified, total, interval)


def unqualified_rate(unqualified: int, total: int, interval: Interval = "0.01") -> Decimal:
    """Unqualified ÷ total in percent, rounded to ``interval`` by GB/T 8170.

    Example: 81,935 of 3,673,579 → 2.2 at interval "0.1".
    """
    return _percent(unqualified, total, interval)


def wilson_interval(
    qualified: int, total: int, interval: Interval = "0.01"
) -> tuple[Decimal, Decimal]:
    """The 95 % Wilson score interval for the pass rate, in percent: ``(low, high)``.

    Computed in Decimal at 50 significant digits with ``Z_95``, then each bound
    rounded to ``interval`` by GB/T 8170 (``None``: unrounded). The bounds are
    clamped to 0–100, and are exactly 0 when nothing passed and exactly 100
    when everything passed, as the formula gives mathematically.
    Example: 90 of 100 → (82.56, 94.48).
    """
    q, n = _counts(qualified, total)
    step = _interval(interval)
    with localcontext() as ctx:
        ctx.prec = _WILSON_PRECISION
        size = Decimal(n)
        p = Decimal(q) / size
        z2 = Z_95 * Z_95
        denominator = 1 + z2 / size
        centre = (p + z2 / (2 * size)) / denominator
        half_width = Z_95 * (p * (1 - p) / size + z2 / (4 * size * size)).sqrt() / denominator
        # Set the exact edges directly: computed, they could miss 0 or 100 by
        # a rounding error and then a bound would not contain the rate itself.
        low = _ZERO if q == 0 else max(_ZERO, (centre - half_width) * _HUNDRED)
        high = _HUNDRED if q == n else min(_HUNDRED, (centre + half_width) * _HUNDRED)
        if step is None:
            return +low, +high
        return _round(low, step), _round(high, step)


def _percent(part: int, total: int, interval: Interval) -> Decimal:
    """``part`` ÷ ``total`` × 100, rounded once to ``interval`` (or not, if None)."""
    part, total = _counts(part, total)
    step = _interval(interval)
    with localcontext() as ctx:
        # Enough digits that rounding the quotient cannot move it across a
        # half-way point of the interval grid: a non-terminating quotient
        # differs from any such point by at least 1 / (total × 10**places),
        # and a terminating one is represented exactly.
        places = 0 if step is None else max(0, -_exponent(step))
        ctx.prec = max(28, len(str(total)) + places + 10)
        value = Decimal(part * 100) / Decimal(total)
        return value if step is None else _round(value, step)


def _round(value: Decimal, interval: Decimal) -> Decimal:
    """GB/T 8170 rounding, shared with result reporting (exact halves to even)."""
    return gbt8170_round(value, interval)


def _exponent(number: Decimal) -> int:
    """The exponent of a finite Decimal (``as_tuple`` gives a letter for NaN and infinity)."""
    exponent = number.as_tuple().exponent
    if not isinstance(exponent, int):
        raise ValueError(f"not a finite number: {number}")
    return exponent


def _counts(part: object, total: object) -> tuple[int, int]:
    """Validated counts as ints; ValueError for anything that is not a possible count."""
    count, whole = _integer("count", part), _integer("total", total)
    if whole <= 0:
        raise ValueError(f"total must be positive, got {whole}")
    if not 0 <= count <= whole:
        raise ValueError(f"count must be between 0 and total ({whole}), got {count}")
    return count, whole


def _integer(name: str, value: object) -> int:
    # bool is an int subclass, but True/False are not counts.
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    return int(value)


def _interval(interval: Interval) -> Decimal | None:
    """The rounding interval as a Decimal: 1, 2 or 5 × 10**k; None stays None."""
    if interval is None:
        return None
    if isinstance(interval, bool) or not isinstance(interval, str | Decimal | int):
        # A float such as 0.1 is not 0.1 in binary: ask for "0.1".
        raise TypeError(f"interval must be a str, Decimal or int, got {interval!r}")
    try:
        step = Decimal(interval)
    except InvalidOperation:
        raise ValueError(f"interval is not a number: {interval!r}") from None
    if not step.is_finite() or step <= 0 or step.normalize().as_tuple().digits not in _STEPS:
        raise ValueError(f"interval must be 1, 2 or 5 times a power of ten, got {interval!r}")
    return step
