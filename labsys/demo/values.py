"""Plausible result values for a frozen specification: passing ones, and failing ones where
a sample is meant to be unqualified.  Every value is checked by the real judgement engine
afterwards, so a generated value can never carry a verdict the engine would not give."""

from __future__ import annotations

import random
from decimal import Decimal

from labsys.core.judgement import MicroPlan, Spec, SpecKind
from labsys.core.micro import colony_count_text

# Items that realistically fail in surveillance, by keyword in the item name, with weights:
# pesticides on vegetables, veterinary drugs on meat and eggs, additives on sauces and
# cakes, microbes on cooked and ready-to-eat foods, quality indicators of oils.
FAILURE_KEYWORDS = [
    ("腐霉利", 9),
    ("氧乐果", 8),
    ("甲拌磷", 8),
    ("毒死蜱", 7),
    ("克百威", 6),
    ("啶虫脒", 6),
    ("恩诺沙星", 8),
    ("氯霉素", 3),
    ("氟苯尼考", 5),
    ("磺胺", 4),
    ("呋喃", 3),
    ("苯甲酸", 7),
    ("山梨酸", 6),
    ("甜蜜素", 6),
    ("糖精", 5),
    ("脱氢乙酸", 5),
    ("二氧化硫", 5),
    ("菌落总数", 8),
    ("大肠菌群", 8),
    ("霉菌", 5),
    ("沙门氏菌", 1),
    ("金黄色葡萄球菌", 2),
    ("酸价", 5),
    ("过氧化值", 5),
    ("铅", 2),
    ("镉", 3),
    ("铝", 4),
    ("黄曲霉", 2),
]


def failure_weight(item_name: str) -> int:
    return sum(weight for keyword, weight in FAILURE_KEYWORDS if keyword in item_name)


def _places(*numbers: Decimal | None) -> int:
    exponents = [n.as_tuple().exponent for n in numbers if n is not None]
    return max(0, -min(exponents)) if exponents else 2


def _text(value: Decimal, places: int) -> str:
    return f"{value.quantize(Decimal(1).scaleb(-places)):f}"


def _between(rng: random.Random, low: Decimal, high: Decimal, places: int) -> str:
    scale = 10**places
    lo, hi = int(low * scale), int(high * scale)
    return _text(Decimal(rng.randint(min(lo, hi), max(lo, hi))) / scale, places)


def numeric_value(
    rng: random.Random, limit_text: str, lod: str | None, *, fail: bool, colony: bool = False
) -> str:
    """A result as a technician types it for this limit, meant to pass or fail; for a colony
    count (``colony``) as GB 4789.2 reports it ("9.4×10⁴", "<10")."""
    value = _numeric_value(rng, limit_text, lod, fail=fail)
    if not colony:
        return value
    lowest = int(Decimal(lod)) if lod else 10
    if value == "未检出":
        return colony_count_text(0, lowest_dilution=lowest)
    return colony_count_text(_plated(int(Decimal(value)), lowest), lowest_dilution=lowest)


def _plated(count: int, lowest: int) -> Decimal:
    """``count`` as a plate count can come out: the mean of two plates times the dilution
    factor, so below 30 colonies at the lowest dilution only multiples of half that factor
    (5, 10, 15 … CFU/g at 1:10; GB 4789.2 counts two plates per dilution *(verify)*)."""
    half = Decimal(lowest) / 2
    return (Decimal(count) / half).to_integral_value() * half if count < 30 * lowest else count


def _numeric_value(rng: random.Random, limit_text: str, lod: str | None, *, fail: bool) -> str:
    spec = Spec.parse(limit_text or "")
    lod_value = Decimal(lod) if lod else None
    places = _places(spec.low, spec.high, lod_value) + 1
    if spec.kind is SpecKind.NOT_DETECTED:
        if not fail:
            return "未检出"
        if lod_value is None:  # a counted item without an LOD (螨 per 250 g): whole counts
            return str(rng.randint(1, 20))
        return _between(rng, lod_value * 2, lod_value * 20, places)
    if spec.kind is SpecKind.UPPER:
        high = spec.high
        if fail:
            return _between(rng, high * Decimal("1.15"), high * 3, places)
        if lod_value is not None and rng.random() < 0.55:
            return "未检出"
        floor = lod_value or high * Decimal("0.05")
        return _between(rng, floor, high * Decimal("0.7"), places)
    if spec.kind is SpecKind.LOWER:
        low = spec.low
        if fail:
            return _between(rng, low * Decimal("0.6"), low * Decimal("0.9"), places)
        return _between(rng, low * Decimal("1.05"), low * Decimal("1.4"), places)
    if spec.kind is SpecKind.RANGE:
        low, high = spec.low, spec.high
        width = high - low
        if fail:
            return _between(
                rng, high + width * Decimal("0.1"), high + width * Decimal("0.5"), places
            )
        return _between(rng, low + width * Decimal("0.15"), high - width * Decimal("0.15"), places)
    return _between(rng, Decimal("0.1"), Decimal("50"), 1)  # not judged: any reading


def unit_values(rng: random.Random, plan: MicroPlan, *, fail: bool) -> list[str]:
    """The n unit results of a microbiological plan, meant to pass or fail."""
    m, big_m = plan.m_value, plan.M_value
    if m == 0:  # a pathogen: any detection fails
        units = ["未检出"] * plan.n
        if fail:
            units[rng.randrange(plan.n)] = "检出"
        return units
    # Colony counts, as GB 4789.2 reports them: no growth on some units ("<10", or "<1" where
    # m is below 10, which takes plating the undiluted liquid), up to m on others.
    lowest = 1 if m < 10 else 10
    counts = [rng.choice([0, rng.randint(1, int(m))]) for _ in range(plan.n)]
    if fail:
        ceiling = big_m if big_m is not None else m
        counts[rng.randrange(plan.n)] = int(ceiling * rng.randint(2, 6))
    elif big_m is not None and plan.c > 0 and rng.random() < 0.3:
        counts[0] = rng.randint(int(m) + 1, int(big_m))  # within the c allowance
    return [colony_count_text(_plated(c, lowest), lowest_dilution=lowest) for c in counts]
