"""The food catalog: the shipped reference catalog, specification lookup, and its edits.

Categories form a four-level tree (大类 / 亚类 / 次亚类 / 细类); ``FoodCategory.path`` holds
the ids from the root down ("/3/41/97/"), so ancestors are read off the path and a subtree is
one LIKE prefix query.  A specification on a category applies to the category and all its
descendants; a row on a lower category overrides it for the same test item, and an
``excluded`` row there removes it.

The function colleagues call is :func:`applicable_specifications`: what a sample of a
category is tested for on a given date.  Its result (a *resolved specification*) is simply
the list of winning :class:`~labsys.models.Specification` rows, with ``test_item`` and
``category`` loaded; ``spec.category_id`` tells where each row comes from (the category
itself or an ancestor).  Read the limit with ``spec.spec`` (a parsed ``Spec``) and a
microbiological plan with ``spec.plan`` (a ``MicroPlan`` or None); a row with a plan
judges by the plan, its ``limit_text`` is then "" (or "/").
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, joinedload

from labsys.core import clock, hazards
from labsys.core.editions import choose, choose_for_sample
from labsys.core.judgement import MicroPlan, Spec, gbt8170_round
from labsys.models import (
    CatalogVersion,
    ComparisonMethod,
    DecisionRule,
    FoodCategory,
    HazardClass,
    Role,
    Specification,
    TestItem,
    User,
)
from labsys.services import NotFound, ServiceError, audit
from labsys.services.access import writes
from labsys.services.catalog_check import OIL_PROCESSES, check_catalog, read_standards

REFERENCE_NAME = "reference"
REFERENCE_FILE = "reference_catalog.json"
DEFAULT_EFFECTIVE = date(2000, 1, 1)
PATH_SEPARATOR = " > "

# Specification columns an edit may set, and the ones the audit trail records.
SPEC_FIELDS = (
    "limit_text",
    "unit",
    "method_standard",
    "judgement_basis",
    "lod",
    "loq",
    "interval",
    "significant_digits",
    "comparison_method",
    "decision_rule",
    "uncertainty",
    "micro_n",
    "micro_c",
    "micro_m",
    "micro_big_m",
    "effective_from",
    "transition_end",
    "oil_process",
    "excluded",
    "sort_order",
    "note",
)
# The specification columns receipt copies onto each result row (SampleResult has the same
# names): all but the row's validity, selection and bookkeeping.
FROZEN_COLUMNS = tuple(
    name
    for name in SPEC_FIELDS
    if name
    not in ("effective_from", "transition_end", "oil_process", "excluded", "sort_order", "note")
)
ITEM_FIELDS = (
    "code",
    "name_zh",
    "name_en",
    "unit",
    "method_standard",
    "is_microbiological",
    "is_colony_count",
    "hazard_class",
)
CATEGORY_FIELDS = ("name_zh", "name_en", "is_key_food", "sort_order")


# --- reading the tree ------------------------------------------------------------------------


@dataclass
class CategoryNode:
    """A category in :func:`category_tree`, with its children in display order."""

    category: FoodCategory
    children: list[CategoryNode] = field(default_factory=list)


@dataclass(frozen=True)
class LeafCategory:
    """A pickable category: ``path_name`` is "粮食加工品 > 小麦粉 > 小麦粉 > 通用小麦粉"."""

    id: int
    code: str
    name_zh: str
    level: int
    path_name: str
    is_key_food: bool  # this category or one of its ancestors is a key food
    is_farm_produce: bool = False  # under the 大类 食用农产品 (is_farm_produce)


def _ordered(query):
    return query.order_by(FoodCategory.sort_order, FoodCategory.code)


def get_category(session: Session, category_id: int) -> FoodCategory:
    category = session.get(FoodCategory, category_id)
    if category is None:
        raise NotFound(_("There is no food category %(id)s.", id=category_id))
    return category


def ancestors(session: Session, category: FoodCategory) -> list[FoodCategory]:
    """The category's ancestors and itself, root first."""
    ids = category.ancestor_ids or [category.id]
    rows = {c.id: c for c in session.scalars(select(FoodCategory).where(FoodCategory.id.in_(ids)))}
    return [rows[i] for i in ids if i in rows]


def path_name(session: Session, category: FoodCategory) -> str:
    return PATH_SEPARATOR.join(c.name_zh for c in ancestors(session, category))


def path_names(session: Session, categories: list[FoodCategory]) -> dict[int, str]:
    """The full path name of each category (one query for all their ancestors)."""
    ids = {i for c in categories for i in (c.ancestor_ids or [c.id])}
    names = (
        dict(
            session.execute(
                select(FoodCategory.id, FoodCategory.name_zh).where(FoodCategory.id.in_(ids))
            ).all()
        )
        if ids
        else {}
    )
    return {
        c.id: PATH_SEPARATOR.join(names.get(i, "?") for i in (c.ancestor_ids or [c.id]))
        for c in categories
    }


def children(session: Session, category_id: int | None) -> list[FoodCategory]:
    """The categories directly below ``category_id`` (the 大类 for None)."""
    query = select(FoodCategory).where(
        FoodCategory.parent_id.is_(None)
        if category_id is None
        else FoodCategory.parent_id == category_id
    )
    return list(session.scalars(_ordered(query)))


def child_counts(session: Session, category_ids: list[int]) -> dict[int, int]:
    """How many children each of ``category_ids`` has (one GROUP BY)."""
    if not category_ids:
        return {}
    rows = session.execute(
        select(FoodCategory.parent_id, func.count())
        .where(FoodCategory.parent_id.in_(category_ids))
        .group_by(FoodCategory.parent_id)
    )
    return {parent: count for parent, count in rows if parent is not None}


def is_leaf(session: Session, category_id: int) -> bool:
    """True when the category exists and has no children (a 细类, or a childless category)."""
    if session.get(FoodCategory, category_id) is None:
        return False
    return not session.scalar(select(exists().where(FoodCategory.parent_id == category_id)))


def _all_categories(session: Session) -> dict[int, FoodCategory]:
    return {c.id: c for c in session.scalars(_ordered(select(FoodCategory)))}


def category_tree(session: Session) -> list[CategoryNode]:
    """The whole tree (one query), as nodes under the 大类 in display order."""
    nodes = {cid: CategoryNode(c) for cid, c in _all_categories(session).items()}
    roots: list[CategoryNode] = []
    for node in nodes.values():
        parent = nodes.get(node.category.parent_id) if node.category.parent_id else None
        (parent.children if parent else roots).append(node)
    return roots


def leaf_categories(session: Session, search: str | None = None) -> list[LeafCategory]:
    """Categories without children, for pickers, ordered by code; ``search`` matches the
    code or any part of the full path name (case-insensitive)."""
    categories = _all_categories(session)
    parents = {c.parent_id for c in categories.values() if c.parent_id}
    needle = (search or "").strip().casefold()
    leaves = []
    for category in sorted(categories.values(), key=lambda c: c.code):
        if category.id in parents:
            continue
        chain = [categories[i] for i in category.ancestor_ids if i in categories] or [category]
        name = PATH_SEPARATOR.join(c.name_zh for c in chain)
        if needle and needle not in name.casefold() and needle not in category.code.casefold():
            continue
        leaves.append(
            LeafCategory(
                category.id,
                category.code,
                category.name_zh,
                category.level,
                name,
                any(c.is_key_food for c in chain),
                chain[0].name_zh == FARM_PRODUCE,
            )
        )
    return leaves


def search_categories(session: Session, text: str, limit: int = 100) -> list[FoodCategory]:
    """Categories at any level whose code, Chinese or English name contains ``text``."""
    like = f"%{text.strip()}%"
    query = select(FoodCategory).where(
        or_(
            FoodCategory.code.ilike(like),
            FoodCategory.name_zh.ilike(like),
            FoodCategory.name_en.ilike(like),
        )
    )
    return list(session.scalars(query.order_by(FoodCategory.code).limit(limit)))


def key_food_categories(session: Session) -> list[FoodCategory]:
    """The categories flagged as key foods (重点食品), each counting with its subtree."""
    return list(
        session.scalars(
            select(FoodCategory).where(FoodCategory.is_key_food).order_by(FoodCategory.code)
        )
    )


# --- specifications --------------------------------------------------------------------------


def applicable_specifications(
    session: Session,
    category_id: int,
    on_date: date | None = None,
    oil_process: str | None = None,
) -> list[Specification]:
    """What a sample of ``category_id`` is tested for on ``on_date`` (default: today).

    For each test item, the row of the deepest category on the category's path (itself
    included) that has a row in effect on ``on_date``; among that category's rows the newest
    ``effective_from`` not after ``on_date``.  Excluded rows remove the item.  Rows for one oil
    process (压榨/浸出) are kept only for that ``oil_process``; without one, both are listed.
    Ordered by ``sort_order``, then the item's code.  The rows come with ``test_item`` and
    ``category`` loaded; an empty list means the category has no specification (or does not
    exist).
    """
    category = session.get(FoodCategory, category_id)
    if category is None:
        return []
    on_date = on_date or clock.today()
    rows, depth = _path_rows(session, category, until=on_date)
    return _effective(choose(rows, depth, on_date), oil_process)


def specifications_for_sample(session: Session, sample) -> list[Specification]:
    """The rows that judge ``sample``, as receipt freezes them: chosen on its production date
    when known (an older edition then applies while its shelf life and the row's transition
    period last), else on its sampling date (``labsys.core.editions``), and for its oil
    process."""
    category = session.get(FoodCategory, sample.category_id)
    if category is None:
        return []
    rows, depth = _path_rows(session, category, until=sample.sampling_date)
    chosen = choose_for_sample(
        rows,
        depth,
        sampling_date=sample.sampling_date,
        production_date=sample.production_date,
        shelf_life_days=sample.shelf_life_days,
    )
    process = sample.oil_process.value if sample.oil_process else None
    return _effective(chosen, process)


# The 大类 of edible agricultural products (DOMAIN.md, Food categories: 食用农产品 > 蔬菜 >
# 叶菜类蔬菜 > 韭菜; code 33 in the shipped catalog).  Found by its name, as a lab's own
# catalog may number it otherwise.
FARM_PRODUCE = "食用农产品"


def is_farm_produce(session: Session, category: FoodCategory | None) -> bool:
    """Whether ``category`` is 食用农产品 or below it (its top-level category's name)."""
    if category is None:
        return False
    top_id = (category.ancestor_ids or [category.id])[0]
    top = category if top_id == category.id else session.get(FoodCategory, top_id)
    return top is not None and top.name_zh == FARM_PRODUCE


def needs_oil_process(specs: list[Specification]) -> bool:
    """Whether some of these rows apply to one oil process only (压榨/浸出)."""
    return any(s.oil_process for s in specs)


def _path_rows(
    session: Session, category: FoodCategory, *, until: date | None
) -> tuple[list[Specification], dict[int, int]]:
    path = category.ancestor_ids or [category.id]
    query = (
        select(Specification)
        .where(Specification.category_id.in_(path))
        .options(joinedload(Specification.test_item), joinedload(Specification.category))
    )
    if until is not None:
        query = query.where(Specification.effective_from <= until)
    return list(session.scalars(query)), {cid: i for i, cid in enumerate(path)}


def _effective(chosen: dict, oil_process: str | None) -> list[Specification]:
    specs = [
        s
        for winners in chosen.values()
        for s in winners
        if not s.excluded and (not oil_process or s.oil_process in ("", oil_process))
    ]
    specs.sort(key=lambda s: (s.sort_order, s.test_item.code, s.oil_process, s.id))
    return specs


def _resolve(
    session: Session, category: FoodCategory, on_date: date, *, include_future: bool
) -> tuple[list[Specification], list[Specification]]:
    """(effective rows, rows on this category taking effect after ``on_date``)."""
    rows, depth = _path_rows(session, category, until=None if include_future else on_date)
    future = [s for s in rows if s.effective_from > on_date and s.category_id == category.id]
    future.sort(key=lambda s: (s.effective_from, s.sort_order, s.test_item.code))
    return _effective(choose(rows, depth, on_date), None), future


def category_specifications(
    session: Session, category: FoodCategory, on_date: date | None = None
) -> tuple[list[Specification], list[Specification], list[Specification]]:
    """For the category page: (in effect on ``on_date`` including inherited ones, the
    category's own rows excluded here in effect, the category's own future rows)."""
    on_date = on_date or clock.today()
    effective, future = _resolve(session, category, on_date, include_future=True)
    effective_items = {s.test_item_id for s in effective}
    own = session.scalars(
        select(Specification)
        .where(
            Specification.category_id == category.id,
            Specification.excluded,
            Specification.effective_from <= on_date,
        )
        .options(joinedload(Specification.test_item))
        .order_by(Specification.effective_from.desc())
    )
    exclusions, seen = [], set()
    for spec in own:
        if spec.test_item_id not in effective_items and spec.test_item_id not in seen:
            seen.add(spec.test_item_id)
            exclusions.append(spec)
    return effective, exclusions, future


def specification_history(session: Session, category: FoodCategory) -> list[Specification]:
    """Every row on this category (all dates), for the editor."""
    return list(
        session.scalars(
            select(Specification)
            .where(Specification.category_id == category.id)
            .options(joinedload(Specification.test_item))
            .order_by(
                Specification.sort_order, Specification.test_item_id, Specification.effective_from
            )
        )
    )


def test_items(session: Session, search: str | None = None) -> list[TestItem]:
    query = select(TestItem)
    if search and search.strip():
        like = f"%{search.strip()}%"
        query = query.where(
            or_(
                TestItem.code.ilike(like),
                TestItem.name_zh.ilike(like),
                TestItem.name_en.ilike(like),
            )
        )
    return list(session.scalars(query.order_by(TestItem.code)))


# --- validation ------------------------------------------------------------------------------


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ("" if value is None else str(value))


def _optional_decimal(value, field_name: str, label: str, *, positive: bool = True) -> str | None:
    text = _text(value)
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or (positive and number <= 0):
        raise ServiceError(
            _(
                "%(label)s must be a positive decimal number such as 0.01, not %(value)s.",
                label=label,
                value=text,
            ),
            field=field_name,
        )
    return text


def _sort_order(value) -> int:
    text = _text(value)
    if not text:
        return 0
    if not text.lstrip("-").isdigit():
        raise ServiceError(
            _("The sort order must be a whole number, not %(value)s.", value=text),
            field="sort_order",
        )
    return int(text)


def _check_limit(limit_text) -> str:
    text = _text(limit_text)
    try:
        Spec.parse(text)
    except ValueError:
        raise ServiceError(
            _(
                "The limit %(text)s is not understood: write ≤0.2, <0.2, ≥2.9, "
                ">2.9, a range 12～18, 不得检出, 不得使用, or / for none.",
                text=text,
            ),
            field="limit_text",
        ) from None
    return text


def _check_interval(value) -> str | None:
    text = _optional_decimal(value, "interval", _("The reporting interval"))
    if text is None:
        return None
    try:
        gbt8170_round("0", text)
    except ValueError:
        raise ServiceError(
            _(
                "The reporting interval must be 1, 2 or 5 times a power of ten "
                "(such as 0.01, 0.2 or 5), not %(value)s.",
                value=text,
            ),
            field="interval",
        ) from None
    return text


def _check_significant(value) -> int | None:
    """The number of significant figures a result is reported to (1 to 10), or None."""
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= 10:
        raise ServiceError(
            _("Significant figures: a whole number from 1 to 10, not %(value)s.", value=text),
            field="significant_digits",
        )
    return int(text)


def _check_plan(n, c, m, big_m) -> tuple[int | None, int | None, str | None, str | None]:
    m, big_m = _text(m) or None, _text(big_m) or None
    if n in (None, "") and c in (None, "") and m is None and big_m is None:
        return None, None, None, None
    try:
        plan = MicroPlan(int(n), int(c), m, big_m) if m is not None else None
    except (TypeError, ValueError) as error:
        raise ServiceError(
            _(
                "The sampling plan is not valid (%(problem)s): give n ≥ 1, "
                "0 ≤ c ≤ n, m, and M ≥ m for a three-class plan.",
                problem=str(error),
            ),
            field="micro_n",
        ) from None
    if plan is None:
        raise ServiceError(_("A sampling plan needs n, c and m."), field="micro_m")
    return plan.n, plan.c, plan.m, plan.M


def _clean_spec_fields(fields: dict) -> dict:
    """Validated, normalised specification fields (only those given)."""
    clean: dict[str, object] = {}
    for name in ("unit", "method_standard", "judgement_basis", "note"):
        if name in fields:
            clean[name] = _text(fields[name]) or (None if name == "note" else "")
    if "limit_text" in fields:
        clean["limit_text"] = _check_limit(fields["limit_text"])
    if "lod" in fields:
        clean["lod"] = _optional_decimal(fields["lod"], "lod", _("The LOD"))
    if "loq" in fields:
        clean["loq"] = _optional_decimal(fields["loq"], "loq", _("The LOQ"))
    if "uncertainty" in fields:
        clean["uncertainty"] = _optional_decimal(
            fields["uncertainty"], "uncertainty", _("The uncertainty U")
        )
    if "interval" in fields:
        clean["interval"] = _check_interval(fields["interval"])
    if "significant_digits" in fields:
        clean["significant_digits"] = _check_significant(fields["significant_digits"])
    if {"micro_n", "micro_c", "micro_m", "micro_big_m"} & fields.keys():
        (clean["micro_n"], clean["micro_c"], clean["micro_m"], clean["micro_big_m"]) = _check_plan(
            fields.get("micro_n"),
            fields.get("micro_c"),
            fields.get("micro_m"),
            fields.get("micro_big_m"),
        )
    if "comparison_method" in fields:
        clean["comparison_method"] = ComparisonMethod(
            fields["comparison_method"] or ComparisonMethod.FULL
        )
    if "decision_rule" in fields:
        clean["decision_rule"] = DecisionRule(fields["decision_rule"] or DecisionRule.SIMPLE)
    if "effective_from" in fields:
        clean["effective_from"] = fields["effective_from"] or DEFAULT_EFFECTIVE
    if "transition_end" in fields:
        clean["transition_end"] = fields["transition_end"] or None
    if "oil_process" in fields:
        clean["oil_process"] = _text(fields["oil_process"])
        if clean["oil_process"] not in OIL_PROCESSES:
            raise ServiceError(
                _("The oil process must be pressed or solvent-extracted, or empty for all."),
                field="oil_process",
            )
    if "excluded" in fields:
        clean["excluded"] = bool(fields["excluded"])
    if "sort_order" in fields:
        clean["sort_order"] = _sort_order(fields["sort_order"])
    return clean


def _check_spec_consistency(spec: Specification) -> None:
    if spec.excluded:
        return
    if spec.decision_rule == DecisionRule.GUARDED and not spec.uncertainty:
        raise ServiceError(
            _("A guard-band decision rule needs the uncertainty U."), field="uncertainty"
        )
    if spec.interval and spec.significant_digits:
        raise ServiceError(
            _("Report to a rounding interval or to significant figures, not both."),
            field="significant_digits",
        )
    if spec.comparison_method == ComparisonMethod.ROUNDED and not (
        spec.interval or Spec.parse(spec.limit_text).default_interval()
    ):
        raise ServiceError(
            _("The rounded-value method needs a reporting interval."), field="interval"
        )
    if not spec.limit_text.strip() and spec.micro_n is None:
        raise ServiceError(
            _(
                "Give the limit, or a sampling plan for a microbiological item "
                "(write / for an item that is not judged)."
            ),
            field="limit_text",
        )


def _values(row, names) -> dict:
    return {name: getattr(row, name) for name in names}


def _changes(old: dict, new: dict) -> tuple[dict, dict]:
    changed = [k for k in new if old.get(k) != new[k]]
    return {k: old.get(k) for k in changed}, {k: new[k] for k in changed}


# --- edits -----------------------------------------------------------------------------------


@writes(Role.ADMIN)
def update_category(
    session: Session, actor: User | None, category: FoodCategory, **fields
) -> FoodCategory:
    """Change a category's names, key-food flag or sort order (only the fields given)."""
    clean: dict[str, object] = {}
    if "name_zh" in fields:
        clean["name_zh"] = _text(fields["name_zh"])
        if not clean["name_zh"]:
            raise ServiceError(_("Give the Chinese name."), field="name_zh")
    if "name_en" in fields:
        clean["name_en"] = _text(fields["name_en"])
    if "is_key_food" in fields:
        clean["is_key_food"] = bool(fields["is_key_food"])
    if "sort_order" in fields:
        clean["sort_order"] = _sort_order(fields["sort_order"])
    old, new = _changes(_values(category, CATEGORY_FIELDS), clean)
    if not new:
        return category
    for name, value in new.items():
        setattr(category, name, value)
    session.flush()
    audit.record(session, actor, "food_category", category.id, "update", old=old, new=new)
    return category


@writes(Role.ADMIN)
def set_key_food(
    session: Session, actor: User | None, category: FoodCategory, is_key_food: bool
) -> FoodCategory:
    return update_category(session, actor, category, is_key_food=is_key_food)


@writes(Role.ADMIN)
def create_category(
    session: Session,
    actor: User | None,
    parent: FoodCategory | None,
    *,
    code: str,
    name_zh: str,
    name_en: str = "",
    is_key_food: bool = False,
    sort_order: int = 0,
) -> FoodCategory:
    """Add a category below ``parent`` (a 大类 when None); at most four levels."""
    code, name_zh = _text(code), _text(name_zh)
    level = parent.level + 1 if parent else 1
    if level > 4:
        raise ServiceError(_("A 细类 (level 4) cannot have sub-categories."), field="name_zh")
    if not code or len(code) > 20:
        raise ServiceError(_("Give a code of 1 to 20 characters."), field="code")
    if session.scalar(select(FoodCategory.id).where(FoodCategory.code == code)):
        raise ServiceError(_("The category code %(code)s is taken.", code=code), field="code")
    if not name_zh:
        raise ServiceError(_("Give the Chinese name."), field="name_zh")
    category = FoodCategory(
        code=code,
        level=level,
        parent_id=parent.id if parent else None,
        name_zh=name_zh,
        name_en=_text(name_en),
        is_key_food=is_key_food,
        sort_order=sort_order,
    )
    session.add(category)
    session.flush()
    category.path = (parent.path if parent else "/") + f"{category.id}/"
    session.flush()
    audit.record(
        session,
        actor,
        "food_category",
        category.id,
        "create",
        new={
            "code": code,
            "level": level,
            "parent_id": category.parent_id,
            "name_zh": name_zh,
            "name_en": category.name_en,
            "is_key_food": is_key_food,
        },
    )
    return category


def _clean_item_fields(session: Session, fields: dict, item: TestItem | None) -> dict:
    texts = {
        name: _text(fields[name])
        for name in ("code", "name_zh", "name_en", "unit", "method_standard")
        if name in fields
    }
    clean: dict[str, object] = dict(texts)
    for flag in ("is_microbiological", "is_colony_count"):
        if flag in fields:
            clean[flag] = bool(fields[flag])
    if "hazard_class" in fields:
        clean["hazard_class"] = _hazard_class(fields["hazard_class"], texts.get("name_zh", ""))
    if (code := texts.get("code")) is not None:
        if not code or len(code) > 40:
            raise ServiceError(_("Give a code of 1 to 40 characters."), field="code")
        taken = session.scalar(select(TestItem.id).where(TestItem.code == code))
        if taken and (item is None or taken != item.id):
            raise ServiceError(_("The test item code %(code)s is taken.", code=code), field="code")
    if "name_zh" in texts and not texts["name_zh"]:
        raise ServiceError(_("Give the Chinese name."), field="name_zh")
    return clean


def _hazard_class(value, name_zh: str) -> HazardClass:
    """The item's hazard class; none given: the one its name suggests (core.hazards)."""
    if value in (None, ""):
        return HazardClass(hazards.classify(name_zh or ""))
    try:
        return HazardClass(value)
    except ValueError:
        raise ServiceError(_("Choose a hazard class."), field="hazard_class") from None


@writes(Role.ADMIN)
def create_test_item(
    session: Session,
    actor: User | None,
    *,
    code: str,
    name_zh: str,
    name_en: str = "",
    unit: str = "",
    method_standard: str = "",
    is_microbiological: bool = False,
    is_colony_count: bool = False,
    hazard_class: HazardClass | str | None = None,
) -> TestItem:
    clean = _clean_item_fields(
        session,
        {
            "hazard_class": hazard_class,
            "code": code,
            "name_zh": name_zh,
            "name_en": name_en,
            "unit": unit,
            "method_standard": method_standard,
            "is_microbiological": is_microbiological,
            "is_colony_count": is_colony_count,
        },
        None,
    )
    item = TestItem(**clean)
    session.add(item)
    session.flush()
    audit.record(session, actor, "test_item", item.id, "create", new=clean)
    return item


@writes(Role.ADMIN)
def update_test_item(session: Session, actor: User | None, item: TestItem, **fields) -> TestItem:
    """Change a test item (only the fields given).  Frozen sample results keep their copy."""
    old, new = _changes(_values(item, ITEM_FIELDS), _clean_item_fields(session, fields, item))
    if not new:
        return item
    for name, value in new.items():
        setattr(item, name, value)
    session.flush()
    audit.record(session, actor, "test_item", item.id, "update", old=old, new=new)
    return item


@writes(Role.ADMIN)
def create_specification(
    session: Session, actor: User | None, category: FoodCategory, item: TestItem, **fields
) -> Specification:
    """Attach ``item`` with its limit to ``category`` from ``effective_from`` (default: the
    catalog's start date).  ``excluded=True`` removes an inherited item here instead.
    Unit and method standard default to the item's."""
    clean = _clean_spec_fields(fields)
    clean.setdefault("effective_from", DEFAULT_EFFECTIVE)
    clean.setdefault("limit_text", "")
    if not clean.get("unit"):
        clean["unit"] = item.unit
    if not clean.get("method_standard"):
        clean["method_standard"] = item.method_standard
    clash = session.scalar(
        select(Specification.id).where(
            Specification.category_id == category.id,
            Specification.test_item_id == item.id,
            Specification.effective_from == clean["effective_from"],
            Specification.oil_process == clean.get("oil_process", ""),
        )
    )
    if clash:
        raise ServiceError(
            _(
                "%(item)s already has a row on %(category)s taking effect on "
                "%(day)s: edit that one.",
                item=item.name_zh,
                category=category.name_zh,
                day=clean["effective_from"].isoformat(),
            ),
            field="effective_from",
        )
    spec = Specification(category_id=category.id, test_item_id=item.id, **clean)
    spec.test_item, spec.category = item, category
    _check_spec_consistency(spec)
    session.add(spec)
    session.flush()
    audit.record(
        session,
        actor,
        "specification",
        spec.id,
        "exclude" if spec.excluded else "create",
        new={"category": category.code, "test_item": item.code, **_values(spec, SPEC_FIELDS)},
    )
    return spec


@writes(Role.ADMIN)
def update_specification(
    session: Session, actor: User | None, spec: Specification, **fields
) -> Specification:
    """Change a specification row (only the fields given); received samples keep their copy."""
    clean = _clean_spec_fields(fields)
    old, new = _changes(_values(spec, SPEC_FIELDS), clean)
    if not new:
        return spec
    if {"effective_from", "oil_process"} & new.keys() and session.scalar(
        select(Specification.id).where(
            Specification.category_id == spec.category_id,
            Specification.test_item_id == spec.test_item_id,
            Specification.effective_from == new.get("effective_from", spec.effective_from),
            Specification.oil_process == new.get("oil_process", spec.oil_process),
            Specification.id != spec.id,
        )
    ):
        raise ServiceError(
            _(
                "Another row of this item on this category takes effect on %(day)s.",
                day=new["effective_from"].isoformat(),
            ),
            field="effective_from",
        )
    for name, value in new.items():
        setattr(spec, name, value)
    _check_spec_consistency(spec)
    session.flush()
    audit.record(session, actor, "specification", spec.id, "update", old=old, new=new)
    return spec


# --- the shipped reference catalog -----------------------------------------------------------


def _version_key(version: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in str(version).replace("-", ".").split("."))


def read_reference_file(path: str | Path | None = None) -> dict:
    if path is None:
        text = (resources.files("labsys") / "data" / "catalog" / REFERENCE_FILE).read_text(
            encoding="utf-8"
        )
    else:
        text = Path(path).read_text(encoding="utf-8")
    return json.loads(text)


@dataclass
class _LoadCounts:
    added: dict = field(default_factory=lambda: {"categories": 0, "items": 0, "specs": 0})
    updated: dict = field(default_factory=lambda: {"categories": 0, "items": 0, "specs": 0})
    changes: list[audit.Change] = field(default_factory=list)  # updated rows

    def summary(self, version: str) -> str:
        def part(counts):
            return (
                f"{counts['categories']} categories, {counts['items']} test items, "
                f"{counts['specs']} specifications"
            )

        return f"version {version}: added {part(self.added)}; updated {part(self.updated)}"


def load_reference_catalog(session: Session, path: str | Path | None = None) -> str | None:
    """Load the shipped reference catalog (``labsys init`` and ``labsys catalog load``).

    Idempotent: None when the loaded version is the file's or newer.  A newer file updates
    categories, test items and specifications matched by code (specifications by category
    code, item code, effective date and oil process) and adds new ones; it never duplicates,
    never deletes, and keeps the lab's key-food flags on existing categories.  A row an older
    file loaded from the placeholder date 2000-01-01 is moved to its standard's real date (the
    file's row of the same category, item and basis).  Raises :class:`CatalogError` naming the
    rows of a file that fails :func:`check_catalog`, before changing anything.  Returns a
    summary.
    """
    data = read_reference_file(path)
    check_catalog(data)  # before anything changes: a refused file changes nothing
    name, version = data.get("name", REFERENCE_NAME), str(data["version"])
    loaded = session.scalar(select(CatalogVersion).where(CatalogVersion.name == name))
    if loaded and _version_key(loaded.version) >= _version_key(version):
        return None
    loader = _Loader(session, data)
    loader.categories(data["categories"])
    if loaded is None:
        session.add(CatalogVersion(name=name, version=version))
        old_version = None
    else:
        old_version, loaded.version, loaded.loaded_at = loaded.version, version, clock.now()
    session.flush()
    audit.record_many(
        session,
        None,
        [
            *loader.changes,
            audit.Change(
                "catalog_version",
                name,
                "load",
                old={"version": old_version} if old_version else None,
                new={"version": version, "added": loader.added, "updated": loader.updated},
            ),
        ],
    )
    return loader.summary(version)


def spec_values(row: dict, item_row: dict, default_order: int = 0) -> dict:
    """The Specification columns of a data-file spec row, the item's defaults filled in."""
    plan = row.get("plan") or {}
    value = row.get
    # The reporting rule is an interval or significant figures: a row giving either replaces
    # both of the item's defaults.
    rule_row = row if "interval" in row or "sig_figs" in row else item_row
    return {
        "limit_text": value("limit", ""),
        "unit": value("unit", item_row.get("unit", "")),
        "method_standard": value("method", item_row.get("method", "")),
        "judgement_basis": value("basis", item_row.get("basis", "")),
        "lod": value("lod", item_row.get("lod")),
        "loq": value("loq", item_row.get("loq")),
        "interval": rule_row.get("interval"),
        "significant_digits": rule_row.get("sig_figs"),
        "comparison_method": ComparisonMethod(value("comparison", "full")),
        "decision_rule": DecisionRule(value("rule", "simple")),
        "uncertainty": value("uncertainty"),
        "micro_n": plan.get("n"),
        "micro_c": plan.get("c"),
        "micro_m": None if not plan else str(plan["m"]),
        "micro_big_m": None if plan.get("M") is None else str(plan["M"]),
        "excluded": bool(value("excluded", False)),
        "oil_process": value("oil_process", ""),
        "sort_order": value("order", default_order),
        "note": value("note"),
    }


class _Loader:
    """One load of a catalog file: rows matched by code, counts and audit tuples kept."""

    KINDS = ("categories", "items", "specs")

    def __init__(self, session: Session, data: dict):
        self.session = session
        self.added = dict.fromkeys(self.KINDS, 0)
        self.updated = dict.fromkeys(self.KINDS, 0)
        self.changes: list[audit.Change] = []  # rows a newer version changed
        self.item_rows = {row["code"]: row for row in data["items"]}
        # A row without "order" takes its item's place in the file's item list: reports then
        # list quality indicators, contaminants, additives, residues and microbes in that order.
        self.item_order = {row["code"]: (i + 1) * 10 for i, row in enumerate(data["items"])}
        self.categories_by_code = {c.code: c for c in session.scalars(select(FoodCategory))}
        self.specs = {
            (s.category_id, s.test_item_id, s.effective_from, s.oil_process): s
            for s in session.scalars(select(Specification))
        }
        self.standards = read_standards(data)
        self.items = self._load_items(data["items"])

    def summary(self, version: str) -> str:
        def part(counts):
            return (
                f"{counts['categories']} categories, {counts['items']} test items, "
                f"{counts['specs']} specifications"
            )

        return f"version {version}: added {part(self.added)}; updated {part(self.updated)}"

    def _update(self, row, values: dict, entity: str, key, kind: str) -> None:
        old, new = _changes(_values(row, values.keys()), values)
        if new:
            for name, value in new.items():
                setattr(row, name, value)
            self.updated[kind] += 1
            self.changes.append(audit.Change(entity, key, "catalog_update", old=old, new=new))

    def _load_items(self, rows: list[dict]) -> dict[str, TestItem]:
        items = {i.code: i for i in self.session.scalars(select(TestItem))}
        for row in rows:
            values = {
                "name_zh": row["name_zh"],
                "name_en": row.get("name_en", ""),
                "unit": row.get("unit", ""),
                "method_standard": row.get("method", ""),
                "is_microbiological": bool(row.get("micro", False)),
                # GB 4789.2 plate counts: reported, entered and judged as colony counts.
                "is_colony_count": bool(row.get("colony", False)),
                # 危害类别 (labsys.core.hazards); a row without one: the class its name suggests.
                "hazard_class": HazardClass(row.get("hazard") or hazards.classify(row["name_zh"])),
            }
            item = items.get(row["code"])
            if item is None:
                items[row["code"]] = TestItem(code=row["code"], **values)
                self.session.add(items[row["code"]])
                self.added["items"] += 1
            else:
                self._update(item, values, "test_item", item.id, "items")
        self.session.flush()
        return items

    def categories(self, roots: list[dict]) -> None:
        """Place the tree level by level: one flush per level gives the new rows their ids."""
        level: list[tuple[dict, FoodCategory | None, int]] = [
            (node, None, order) for order, node in enumerate(roots, start=1)
        ]
        while level:
            placed = [
                (node, parent, self._place(node, parent, order)) for node, parent, order in level
            ]
            self.session.flush()
            level = []
            for node, parent, category in placed:
                category.path = (parent.path if parent else "/") + f"{category.id}/"
                for row in node.get("specs", []):
                    self.spec(category, row, self.item_order[row["item"]])
                level += [
                    (child, category, order)
                    for order, child in enumerate(node.get("children", []), start=1)
                ]
        self.session.flush()

    def _place(self, node: dict, parent: FoodCategory | None, order: int) -> FoodCategory:
        values = {
            "name_zh": node["name_zh"],
            "name_en": node.get("name_en", ""),
            "level": parent.level + 1 if parent else 1,
            "parent_id": parent.id if parent else None,
            "sort_order": order,
        }
        category = self.categories_by_code.get(node["code"])
        if category is None:
            category = FoodCategory(
                code=node["code"], is_key_food=bool(node.get("key_food")), **values
            )
            self.session.add(category)
            self.categories_by_code[category.code] = category
            self.added["categories"] += 1
        else:
            self._update(category, values, "food_category", category.id, "categories")
        return category

    def spec(self, category: FoodCategory, row: dict, order: int) -> None:
        item = self.items[row["item"]]
        values = spec_values(row, self.item_rows[row["item"]], order)
        standard = self.standards.get(values["judgement_basis"])
        if "from" in row:
            effective = date.fromisoformat(row["from"])
        elif standard is not None:
            effective = standard.effective_from
        else:  # the shipped data dates every specification, itself or through its standard
            raise ValueError(f"specification without a date: {row!r}")
        end = row.get("transition_end") or (standard.transition_end if standard else None)
        values["transition_end"] = date.fromisoformat(end) if isinstance(end, str) else end
        key = (category.id, item.id, effective, values["oil_process"])
        spec = self.specs.get(key) or self._placeholder_row(category, item, values)
        if spec is None:
            spec = Specification(
                category_id=category.id, test_item_id=item.id, effective_from=effective, **values
            )
            self.session.add(spec)
            self.added["specs"] += 1
        else:
            values["effective_from"] = effective
            self.specs.pop(
                (spec.category_id, spec.test_item_id, spec.effective_from, spec.oil_process)
            )
            self._update(spec, values, "specification", spec.id, "specs")
        self.specs[key] = spec

    def _placeholder_row(self, category, item, values) -> Specification | None:
        """A row an older file loaded from 2000-01-01 with this basis (dated now)."""
        for oil_process in (values["oil_process"], ""):
            spec = self.specs.get((category.id, item.id, DEFAULT_EFFECTIVE, oil_process))
            if spec is not None and spec.judgement_basis == values["judgement_basis"]:
                return spec
        return None
