"""Which specification rows judge a sample: the category rule and the editions' dates.

A specification row applies to its category and every descendant, from its ``effective_from``;
for each test item the row of the deepest category on the sample's path wins, and among that
category's rows the newest in effect.  Rows of one item on one category that differ only by
``oil_process`` (GB 2716-2018: 压榨 / 浸出) are chosen together; the caller keeps the one that
fits the sample.

Editions: a new edition of a standard applies to food made from its effective date.  Food made
before it may still be judged by the old edition until its shelf life ends (the usual clause of
GB food-safety standards, e.g. GB 2762-2022's 实施日期 note *(verify per standard)*), and never
after the old row's ``transition_end`` when the catalog gives one.  So the rows are chosen on the
**production date** when it is known, else on the sampling date; an old row chosen on the
production date that is no longer in force on the sampling date is kept only while the food's
shelf life and the row's transition period both last, otherwise the item falls back to the row
in force on the sampling date.  Because every row of one edition shares its effective date and
its transition end, a sample's rows never mix two editions of one standard.

Pure functions over any objects with the attributes of :class:`Row`
(``labsys.models.Specification`` has them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Protocol


class Row(Protocol):
    category_id: int
    test_item_id: int
    effective_from: date
    transition_end: date | None
    excluded: bool


def choose(rows: Iterable[Row], depth: Mapping[int, int], on: date) -> dict[int, list[Row]]:
    """Per test item, the winning rows in force on ``on`` (excluded rows included).

    ``depth`` gives each category on the sample's path its depth (root 0); rows of other
    categories are ignored.  The winner is the highest (depth, effective_from) not after ``on``;
    all rows sharing it are returned (oil-process variants).
    """
    best: dict[int, tuple[tuple[int, date], list[Row]]] = {}
    for row in rows:
        if row.category_id not in depth or row.effective_from > on:
            continue
        rank = (depth[row.category_id], row.effective_from)
        current = best.get(row.test_item_id)
        if current is None or rank > current[0]:
            best[row.test_item_id] = (rank, [row])
        elif rank == current[0]:
            current[1].append(row)
    return {item: winners for item, (_rank, winners) in best.items()}


def shelf_life_end(production_date: date | None, shelf_life_days: int | None) -> date | None:
    """The last day of the shelf life (the production date is day 1), or None if unknown."""
    if production_date is None or not shelf_life_days:
        return None
    return production_date + timedelta(days=shelf_life_days - 1)


def judging_date(sampling_date: date, production_date: date | None) -> date:
    """The date the rows are first chosen on: the production date when known (and not after
    the sampling date, which the sampling form refuses anyway), else the sampling date."""
    if production_date is not None and production_date < sampling_date:
        return production_date
    return sampling_date


def _old_row_usable(
    row: Row, sampling_date: date, shelf_end: date | None, in_force_now: bool
) -> bool:
    if in_force_now:
        return True
    ends = [end for end in (row.transition_end, shelf_end) if end is not None]
    return all(sampling_date <= end for end in ends)


def choose_for_sample(
    rows: Iterable[Row],
    depth: Mapping[int, int],
    *,
    sampling_date: date,
    production_date: date | None = None,
    shelf_life_days: int | None = None,
) -> dict[int, list[Row]]:
    """Per test item, the rows that judge a sample (excluded rows included; see module doc)."""
    rows = list(rows)
    now = choose(rows, depth, sampling_date)
    made = judging_date(sampling_date, production_date)
    if made == sampling_date:
        return now
    then = choose(rows, depth, made)
    shelf_end = shelf_life_end(production_date, shelf_life_days)
    chosen: dict[int, list[Row]] = {}
    for item in now.keys() | then.keys():
        old = then.get(item)
        current = now.get(item)
        if old is not None:
            in_force_now = current is not None and {id(r) for r in old} == {id(r) for r in current}
            if _old_row_usable(old[0], sampling_date, shelf_end, in_force_now):
                chosen[item] = old
                continue
        if current is not None:
            chosen[item] = current
    return chosen
