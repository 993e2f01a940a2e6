"""Enterprise risk grades (风险分级, issue 17 §2): A (low) … D (high), from the sampling history.

A grade is a score turned into a letter by three thresholds.  The score adds

- ``batch_points`` for every unqualified batch (不合格批次) in the last ``window_months``;
- for every failed test item of those batches, the weight of the item's hazard class
  (``labsys.core.hazards``: an illegal additive weighs more than an acid value);
- points for the time since the enterprise was last sampled (``stale_points``: the longest
  period reached counts), and ``never_points`` when it never was;
- the points of its licence category (``licence_points``, from the licence number:
  special foods, food production, additives, catering, canteens, sales).

A failure whose hazard weight reaches ``severe_weight`` holds the grade at ``severe_floor`` at
least (an illegal additive is never a low-risk enterprise, however clean the rest).

Every number is a setting (:class:`GradeRules`, edited by an administrator); the defaults are
local practice, not a standard.  Grading enterprises by risk is required by CFDA's
《食品生产经营风险分级管理办法》, issued September 2016 and applied from December 2016 (reported
at health.hxnews.com/health/jkzx/201609/12/1005037.shtml and dzb.xfrb.com.cn/Html/2016-10-17/
36532.html; the suffix （试行） and 食药监食监一〔2016〕115号 are from memory *(verify)*).  Those
reports give: A 低 … D 高风险, and at least 1, 1–2, 2–3 and 3–4 inspections a year for A–D.
Static factors (food category, scale, consumers) and dynamic ones (conditions, process
control, management) make the grade; inspections, 监督抽检 results, complaints, cases and
recalls adjust it (Henan's 2016 rules after it: m.jjzqelm.cn/n1/2016/0926/
c398004-28741184.html).  Scoring is out of 100: a static-factor table totalling 40 points
(表1-2, health-food producers, in a copy at m.boteman.cn/paper/249786832.html) and Hainan's
2018 rules (static 25–40, dynamic 0–60: diaochadi.com/html/shipin/shipinzixun/20180712/
841061.htm); the measure's score bands for A–D (30/45/60?) were not found *(verify)*.
SAMR's 2022 draft 《食品生产企业风险分级管理办法（征求意见稿）》 (producers only): static 40 +
dynamic 40 + credit 20 points; inspections A once in two years, B 1, C 2, D 3 a year
(lxmylh.com/keji/20220222/25615.html); whether it was made final was not found *(verify)*.
Those grades rest on inspections this lab never sees: the grade here, from the sampling
history alone, is an aid to planning samplings, not the regulator's grade.  The rules are
monotone: more failures, a more hazardous failure, a longer time since the last sampling
never give a better grade (``tests/core/test_grades.py``).

Pure Python: ``Decimal`` and ``date`` only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

GRADES = ("A", "B", "C", "D")

# Licence categories, from the licence number (许可证编号).
# 《食品生产许可管理办法》: SC + 3-digit food category code (first digit 1 food, 2 additive;
# food categories 27–30 are 保健食品, 特殊医学用途配方食品, 婴幼儿配方食品, 特殊膳食食品).
# 《食品经营许可管理办法》: JY + first digit 主体业态 (1 食品销售, 2 餐饮服务, 3 单位食堂).
# Checked against secondary explanations only: the structures — SC + 3-digit category code
# + 2+2+2 region digits + 4-digit sequence + check digit; JY + 1-digit 主体业态 code + 2+2+2
# region digits + 6-digit sequence + check digit (2015 办法 第二十四条) — and the three 业态
# (食品销售经营者, 餐饮服务经营者, 单位食堂) agree with a Beijing 《食品经营许可证》证面内容说明
# (englishabc.net/post/734.html).  SAMR's 2023 《食品经营许可和备案管理办法》 第二十七条 keeps the
# JY structure (quoted at sulu.net/xw/2059.html).  Neither says which digit stands for which
# 业态: 1/2/3 in that order is from memory *(verify against a province's 编号规则)*.
SPECIAL_FOOD = "special_food"
FOOD_PRODUCTION = "food_production"
ADDITIVE_PRODUCTION = "additive_production"
CATERING = "catering"
CANTEEN = "canteen"
FOOD_SALES = "food_sales"
OTHER_LICENCE = "other"
NO_LICENCE = "none"
LICENCE_CATEGORIES = (
    SPECIAL_FOOD,
    FOOD_PRODUCTION,
    ADDITIVE_PRODUCTION,
    CATERING,
    CANTEEN,
    FOOD_SALES,
    OTHER_LICENCE,
    NO_LICENCE,
)
SPECIAL_FOOD_CODES = ("27", "28", "29", "30")


def licence_category(licence_no: str | None) -> str:
    """The licence category a licence number shows (``NO_LICENCE`` when there is none)."""
    text = (licence_no or "").strip().upper()
    if not text:
        return NO_LICENCE
    digits = text[2:]
    if text.startswith("SC") and len(digits) >= 3 and digits[:3].isdigit():
        if digits[0] == "2":
            return ADDITIVE_PRODUCTION
        if digits[0] == "1":
            return SPECIAL_FOOD if digits[1:3] in SPECIAL_FOOD_CODES else FOOD_PRODUCTION
    if text.startswith("JY") and digits[:1].isdigit():
        return {"1": FOOD_SALES, "2": CATERING, "3": CANTEEN}.get(digits[0], OTHER_LICENCE)
    return OTHER_LICENCE


def months_between(earlier: date, later: date) -> int:
    """Whole months from ``earlier`` to ``later`` (0 when ``later`` is not after it)."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    if later.day < earlier.day:
        months -= 1
    return max(months, 0)


def months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


class RulesError(ValueError):
    """Settings that cannot grade: ``field`` names the setting."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class GradeRules:
    """The grading settings (every value a setting; see the module notes)."""

    hazard_weights: Mapping[str, Decimal]
    window_months: int = 12
    batch_points: Decimal = Decimal("2")
    # (months since the last sampling, points): the longest period reached counts.
    stale_points: tuple[tuple[int, Decimal], ...] = ((12, Decimal("1")), (24, Decimal("2")))
    never_points: Decimal = Decimal("2")
    licence_points: Mapping[str, Decimal] = field(
        default_factory=lambda: {
            SPECIAL_FOOD: Decimal("3"),
            FOOD_PRODUCTION: Decimal("2"),
            ADDITIVE_PRODUCTION: Decimal("1"),
            CATERING: Decimal("2"),
            CANTEEN: Decimal("2"),
            FOOD_SALES: Decimal("1"),
            OTHER_LICENCE: Decimal("1"),
            NO_LICENCE: Decimal("2"),
        }
    )
    # Scores at which grades B, C and D start.
    thresholds: tuple[Decimal, Decimal, Decimal] = (Decimal("3"), Decimal("7"), Decimal("12"))
    severe_weight: Decimal = Decimal("5")
    severe_floor: str = "C"

    def hazard_weight(self, hazard: str) -> Decimal:
        return self.hazard_weights.get(hazard, Decimal(0))

    def stale(self, months: int | None) -> Decimal:
        if months is None:
            return self.never_points
        points = [p for m, p in self.stale_points if months >= m]
        return max(points, default=Decimal(0))


def decimal(value: object, name: str) -> Decimal:
    """A setting's number (text or number), finite and not negative."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise RulesError(f"{name} is not a number", name) from None
    if not number.is_finite() or number < 0:
        raise RulesError(f"{name} must be a number, zero or more", name)
    return number


def validate(rules: GradeRules) -> GradeRules:
    """The rules, or :class:`RulesError` naming the first setting that cannot grade."""
    if not 1 <= rules.window_months <= 120:
        raise RulesError("window_months must be 1 to 120", "window_months")
    for name in ("batch_points", "never_points", "severe_weight"):
        decimal(getattr(rules, name), name)
    for hazard, weight in rules.hazard_weights.items():
        decimal(weight, f"hazard_weights.{hazard}")
    for category in LICENCE_CATEGORIES:
        if category not in rules.licence_points:
            raise RulesError(f"licence_points lacks {category}", f"licence_points.{category}")
        decimal(rules.licence_points[category], f"licence_points.{category}")
    months = [m for m, _ in rules.stale_points]
    if any(m <= 0 for m in months) or months != sorted(set(months)):
        raise RulesError("stale periods must be increasing whole months", "stale_points")
    points = [decimal(p, "stale_points") for _, p in rules.stale_points]
    if points != sorted(points):
        raise RulesError("a longer stale period never gives fewer points", "stale_points")
    if points and rules.never_points < points[-1]:
        raise RulesError("never sampled gives at least the longest period's points", "never_points")
    low, mid, high = (decimal(t, "thresholds") for t in rules.thresholds)
    if not Decimal(0) < low < mid < high:
        raise RulesError("the thresholds of B, C and D must increase", "thresholds")
    if rules.severe_floor not in GRADES:
        raise RulesError("the floor is a grade A to D", "severe_floor")
    return rules


@dataclass(frozen=True)
class History:
    """What the grade is computed from, for one enterprise."""

    unqualified_batches: int  # in the rules' window
    failed_hazards: tuple[str, ...] = ()  # hazard class of each failed item of those batches
    months_since_sampled: int | None = None  # None: never sampled
    licence: str = NO_LICENCE  # a licence category


@dataclass(frozen=True)
class Reason:
    """One line of a grade's explanation: ``kind`` with its numbers (formatted by the caller)."""

    kind: str  # "unqualified", "hazard", "stale", "never", "licence", "floor"
    count: int = 0
    key: str = ""  # the hazard class, the licence category or the floor's grade
    points: Decimal = Decimal(0)


@dataclass(frozen=True)
class Grading:
    grade: str
    score: Decimal
    reasons: tuple[Reason, ...]


def grade_of(score: Decimal, rules: GradeRules) -> str:
    low, mid, high = rules.thresholds
    if score >= high:
        return "D"
    if score >= mid:
        return "C"
    if score >= low:
        return "B"
    return "A"


def worse(a: str, b: str) -> str:
    """The higher-risk of two grades."""
    return max(a, b, key=GRADES.index)


def grade(history: History, rules: GradeRules) -> Grading:
    """The enterprise's grade, its score and the reasons behind it."""
    if history.unqualified_batches < 0:
        raise ValueError("a count of batches is never negative")
    reasons: list[Reason] = []
    score = Decimal(0)
    if history.unqualified_batches:
        points = rules.batch_points * history.unqualified_batches
        score += points
        reasons.append(Reason("unqualified", history.unqualified_batches, "", points))
    counts = Counter(history.failed_hazards)
    ordered = sorted(counts, key=lambda h: (-rules.hazard_weight(h), h))
    for hazard in ordered:
        points = rules.hazard_weight(hazard) * counts[hazard]
        score += points
        reasons.append(Reason("hazard", counts[hazard], hazard, points))
    stale = rules.stale(history.months_since_sampled)
    score += stale
    if history.months_since_sampled is None:
        reasons.append(Reason("never", 0, "", stale))
    else:
        reasons.append(Reason("stale", history.months_since_sampled, "", stale))
    licence = rules.licence_points.get(history.licence, Decimal(0))
    score += licence
    reasons.append(Reason("licence", 0, history.licence, licence))
    letter = grade_of(score, rules)
    severe = any(rules.hazard_weight(h) >= rules.severe_weight for h in counts)
    if severe and worse(letter, rules.severe_floor) != letter:
        letter = rules.severe_floor
        reasons.append(Reason("floor", 0, rules.severe_floor))
    return Grading(letter, score, tuple(reasons))


def order_key(grade_letter: str | None) -> int:
    """Sorts the highest risk first (D, C, B, A, then ungraded)."""
    return GRADES.index(grade_letter) * -1 if grade_letter in GRADES else 1
