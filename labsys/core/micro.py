"""Colony counts (plate counts): how GB 4789.2-2022 (菌落总数) reports them, what a technician
may type, and how a limit or a sampling plan judges them.

The same counting and reporting rules apply to the other plate counts that refer to GB 4789.2
(大肠菌群 plate count GB 4789.3 second method, 霉菌和酵母 GB 4789.15, 乳酸菌 GB 4789.35, …)
*(verify per method)*. Clauses below are those of GB 4789.2 as we know them; the 2016 and 2022
editions word them alike *(verify the 2022 numbering)*:

* §7.2.1 *(verify)*: below 100 CFU, round half up (四舍五入) and report an integer;
* §7.2.2 *(verify)*: from 100 CFU, round the third digit half up and keep two significant
  figures, written with zeros or as a power of ten; we always print the power of ten
  ("9.4×10⁴", "1.0×10²"): a trailing "00" would claim figures that were never counted;
* §7.1.5 *(verify)*: no growth on any plate (liquid samples: including the undiluted one) is
  reported as "<1 × the lowest dilution factor", e.g. "<10" (never 未检出: the count has a
  detection limit that the reader must see);
* §7.1.3 *(verify)*: a plate with more than 300 colonies is recorded as 多不可计.

Rounding here is **half up**, as GB 4789.2 prescribes, not GB/T 8170's half to even: 2450 is
reported 2.5×10³. Choices beyond the standard's text:

* **多不可计 as a result.** GB 4789.2 computes a number from the highest dilution when every
  plate is too numerous; a lab may still have to report 多不可计 (for example when the highest
  dilution plated was too low). We accept it and treat it as exceeding every upper limit and
  m and M (it exceeds the countable range of every plate); against a minimum it cannot be
  judged and is refused *(verify with the lab's procedure)*.
* **"<x"** lies within every upper limit, m and M (as not detected), and fails a minimum.
* **Judged as reported.** A count is judged on its reported (rounded) value: GB 4789.2 reports
  two figures, and GB 4789.1 judges the reported unit values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from labsys.core.judgement import (
    _EXACT,
    MicroPlan,
    Spec,
    SpecKind,
    Verdict,
    _fmt,
    _normalise,
    _parse_number,
    _to_decimal,
    judge,
    times_ten_text,
)

__all__ = [
    "TOO_NUMEROUS",
    "ColonyCount",
    "ColonyKind",
    "colony_count_text",
    "judge_colony_count",
    "judge_colony_plan",
    "parse_colony_count",
]

TOO_NUMEROUS = "多不可计"
_TOO_NUMEROUS_WORDS = {TOO_NUMEROUS, "tntc", "too numerous to count"}
_HUNDRED = Decimal(100)
# A unit typed after the count ("3 CFU/g", "9.4×10⁴CFU/mL"): the unit has its own column.
_UNIT_SUFFIX_RE = re.compile(r"\s*cfu\s*/\s*\d*\s*(?:g|ml)\s*$", re.IGNORECASE)


_ONE_TIMES_RE = re.compile(r"1\s*[×xX*]\s*(\d+)", re.ASCII)


class ColonyKind(StrEnum):
    """What a colony-count entry says."""

    COUNTED = "counted"
    NO_GROWTH = "no_growth"  # "<10": nothing grew at the lowest dilution
    TOO_NUMEROUS = "too_numerous"  # 多不可计


@dataclass(frozen=True, slots=True)
class ColonyCount:
    """A colony count as reported: ``text`` ("9.4×10⁴", "<10", "多不可计") and, for COUNTED,
    ``value`` the reported number (94000) that is judged; for NO_GROWTH, ``value`` is the x of
    "<x"."""

    kind: ColonyKind
    value: Decimal | None
    text: str


def _count(count: object, what: str = "count") -> Decimal:
    """``count`` (int, Decimal or numeric text, not float) as a Decimal ≥ 0, else ValueError."""
    if isinstance(count, bool):
        raise ValueError(f"菌落数不是数值：{count!r} (the {what} is not a number: {count!r})")
    number = _to_decimal(count, what)
    if number < 0:
        raise ValueError(f"菌落数不能为负数：{count!r} (the {what} must not be negative)")
    return number


def _dilution_text(lowest_dilution: object) -> str:
    """ "10" for the lowest dilution factor 10 (1:10): the x of "<x"."""
    factor = _count(lowest_dilution, "lowest dilution")
    if factor.is_zero():
        raise ValueError("最低稀释倍数必须为正数 (the lowest dilution must be positive)")
    return _fmt(factor.normalize(_EXACT)) if factor == factor.to_integral_value() else _fmt(factor)


def colony_count_text(count: str | int | Decimal, *, lowest_dilution: object = 10) -> str:
    """The reported text of a colony count in CFU (per g or mL), by GB 4789.2 §7.2 *(verify)*.

    Below 100 an integer rounded half up ("23.5" → "24"); from 100 two significant figures
    rounded half up, as a power of ten ("93672" → "9.4×10⁴", "100" → "1.0×10²", "99.5" →
    "1.0×10²", "9950" → "1.0×10⁴"); a count that rounds to 0 is no growth, "<1 × the lowest
    dilution" ("<10"). ValueError for a negative or non-numeric count (floats included).
    """
    number = _count(count)
    if number < _HUNDRED:
        whole = number.to_integral_value(ROUND_HALF_UP, _EXACT)
        if whole.is_zero():
            return f"<{_dilution_text(lowest_dilution)}"
        if whole < _HUNDRED:
            return _fmt(whole)
    return times_ten_text(_two_figures(number), 2)


def _two_figures(number: Decimal) -> Decimal:
    """``number`` (≥ 99.5) rounded half up to two significant figures."""
    step = number.adjusted() - 1
    rounded = number.scaleb(-step, _EXACT).to_integral_value(ROUND_HALF_UP, _EXACT)
    return rounded.scaleb(step, _EXACT)  # 100 × 10^step when it carried: still two figures


def parse_colony_count(text: object, *, lowest_dilution: object = None) -> ColonyCount:
    """What a technician types for a colony count, as reported: "93672", "9.4×10^4",
    "9.4x10⁴", "9.4E4", "<10", "<1×10", "0" (no growth: "<lowest dilution", default 10) or
    多不可计; a trailing "CFU/g" is ignored. ValueError (Chinese and English) otherwise."""
    if isinstance(text, int | Decimal) and not isinstance(text, bool):
        return _counted(text, lowest_dilution)
    if not isinstance(text, str):
        raise _not_a_count(text)
    clean = _UNIT_SUFFIX_RE.sub("", _normalise(text))
    if clean.casefold() in _TOO_NUMEROUS_WORDS:
        return ColonyCount(ColonyKind.TOO_NUMEROUS, None, TOO_NUMEROUS)
    if clean.startswith("<"):
        bound_text = clean[1:].strip()
        if match := _ONE_TIMES_RE.fullmatch(bound_text):  # "<1×10": 1 × the lowest dilution
            bound_text = match[1]
        bound = _parse_number(bound_text)
        if bound is None or bound <= 0:
            raise _not_a_count(text)
        return _no_growth(bound)
    number = _parse_number(clean)
    if number is None:
        raise _not_a_count(text)
    return _counted(number, lowest_dilution)


def _counted(count: int | Decimal, lowest_dilution: object) -> ColonyCount:
    reported = colony_count_text(count, lowest_dilution=lowest_dilution or 10)
    if reported.startswith("<"):
        return _no_growth(Decimal(reported[1:]))
    return ColonyCount(ColonyKind.COUNTED, _parse_number(reported), reported)


def _no_growth(bound: Decimal) -> ColonyCount:
    return ColonyCount(ColonyKind.NO_GROWTH, bound, f"<{_dilution_text(bound)}")


def _not_a_count(text: object) -> ValueError:
    return ValueError(
        f"无法识别的菌落数 {text!r}：请输入菌落数（如 93672、9.4×10^4、<10）或 多不可计 "
        f"(not a colony count: {text!r}; enter a count such as 93672, 9.4×10^4 or <10, "
        f"or 多不可计)"
    )


def judge_colony_count(count: ColonyCount | str, spec: str | Spec) -> Verdict:
    """A colony count judged on its reported value against a plain limit ("≤20")."""
    reading = count if isinstance(count, ColonyCount) else parse_colony_count(count)
    spec = Spec.parse(spec)
    if reading.kind is ColonyKind.TOO_NUMEROUS:
        if spec.kind is SpecKind.NONE:
            return Verdict.NOT_JUDGED
        if spec.kind in (SpecKind.UPPER, SpecKind.NOT_DETECTED):
            return Verdict.FAIL
        raise ValueError(
            f"多不可计 不能与 '{spec.text}' 比较：请按最高稀释度计算菌落数 "
            f"(多不可计 cannot be judged against '{spec.text}': compute the count from the "
            f"highest dilution)"
        )
    if reading.kind is ColonyKind.NO_GROWTH or reading.value is None:
        return judge(reading.text, spec)  # no growth ("<10"): its text is what is judged
    return judge(reading.value, spec)


def _plan_level(plan: MicroPlan, reading: ColonyCount) -> int:
    """0 within m, 1 above m (up to M), 2 above M (GB 4789.1: a value equal to m or M is within)."""
    if reading.kind is ColonyKind.NO_GROWTH:
        return 0
    value = reading.value  # None: too numerous, above any bound
    if plan.M_value is not None and (value is None or value > plan.M_value):
        return 2
    return 1 if value is None or value > plan.m_value else 0


def judge_colony_plan(plan: MicroPlan | str, units: Iterable[ColonyCount | str]) -> Verdict:
    """The n unit counts of a batch judged on their reported values under ``plan`` (GB 4789.1):
    FAIL if any unit exceeds M or more than c exceed m."""
    plan = plan if isinstance(plan, MicroPlan) else MicroPlan.parse(plan)
    readings = []
    for index, unit in enumerate(units, start=1):
        try:
            readings.append(unit if isinstance(unit, ColonyCount) else parse_colony_count(unit))
        except ValueError as error:
            raise ValueError(f"第{index}个样品单元 (unit {index}): {error}") from None
    if len(readings) != plan.n:
        raise ValueError(
            f"方案 {plan.text} 需要 {plan.n} 个样品单元的结果，实际为 {len(readings)} 个 "
            f"(the plan needs {plan.n} unit results, got {len(readings)})"
        )
    levels = [_plan_level(plan, reading) for reading in readings]
    if 2 in levels or levels.count(1) > plan.c:
        return Verdict.FAIL
    return Verdict.PASS
