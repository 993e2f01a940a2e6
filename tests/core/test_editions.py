"""labsys.core.editions: which rows judge a sample (category depth, dates, editions)."""

from dataclasses import dataclass
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labsys.core.editions import choose, choose_for_sample, judging_date, shelf_life_end


@dataclass(frozen=True, eq=False)
class Row:
    category_id: int
    test_item_id: int
    effective_from: date
    transition_end: date | None = None
    excluded: bool = False
    basis: str = ""


OLD, NEW = date(2015, 5, 24), date(2025, 2, 8)  # GB 2760-2014 and GB 2760-2024 take effect
DEPTH = {1: 0, 2: 1, 3: 2}


def _bases(chosen):
    return {row.basis for rows in chosen.values() for row in rows}


def test_the_deepest_category_then_the_newest_row_wins():
    root = Row(1, 10, OLD, basis="root")
    leaf_old = Row(3, 10, OLD, basis="leaf 2014")
    leaf_new = Row(3, 10, NEW, basis="leaf 2024")
    assert choose([root, leaf_old, leaf_new], DEPTH, date(2025, 2, 7)) == {10: [leaf_old]}
    assert choose([root, leaf_old, leaf_new], DEPTH, NEW) == {10: [leaf_new]}
    assert choose([root, leaf_old], DEPTH, date(2015, 5, 23)) == {}  # nothing in force yet


def test_oil_process_variants_of_one_item_are_chosen_together():
    pressed, solvent = Row(2, 7, OLD, basis="pressed"), Row(2, 7, OLD, basis="solvent")
    assert choose([pressed, solvent], DEPTH, NEW)[7] == [pressed, solvent]


def test_without_a_production_date_the_sampling_date_decides():
    rows = [Row(1, 1, OLD, basis="2014"), Row(1, 1, NEW, basis="2024")]
    chosen = choose_for_sample(rows, DEPTH, sampling_date=date(2025, 3, 1))
    assert _bases(chosen) == {"2024"}


def test_food_made_before_the_new_edition_is_judged_by_the_old_one_within_its_shelf_life():
    # Made 2025-01-10 with a 180-day shelf life, sampled 2025-03-01: GB 2760-2014 applies.
    rows = [Row(1, 1, OLD, basis="2014"), Row(1, 1, NEW, basis="2024")]
    kept = choose_for_sample(
        rows,
        DEPTH,
        sampling_date=date(2025, 3, 1),
        production_date=date(2025, 1, 10),
        shelf_life_days=180,
    )
    assert _bases(kept) == {"2014"}
    # Sampled after the shelf life ended (day 180 is 2025-07-08): the new edition applies.
    expired = choose_for_sample(
        rows,
        DEPTH,
        sampling_date=date(2025, 7, 9),
        production_date=date(2025, 1, 10),
        shelf_life_days=180,
    )
    assert _bases(expired) == {"2024"}


def test_a_transition_end_closes_the_old_edition_even_within_the_shelf_life():
    rows = [
        Row(1, 1, OLD, transition_end=date(2025, 2, 28), basis="2014"),
        Row(1, 1, NEW, basis="2024"),
    ]
    chosen = choose_for_sample(
        rows,
        DEPTH,
        sampling_date=date(2025, 3, 1),
        production_date=date(2025, 1, 10),
        shelf_life_days=365,
    )
    assert _bases(chosen) == {"2024"}


def test_a_production_date_after_the_sampling_date_is_not_used():
    assert judging_date(date(2025, 3, 1), date(2025, 3, 5)) == date(2025, 3, 1)
    assert judging_date(date(2025, 3, 1), None) == date(2025, 3, 1)
    assert shelf_life_end(date(2025, 1, 1), 1) == date(2025, 1, 1)
    assert shelf_life_end(None, 30) is None


# --- properties ------------------------------------------------------------------------------

dates = st.dates(min_value=date(2014, 1, 1), max_value=date(2027, 12, 31))
# Eight helpers share two cores: a slow draw is the machine, not the strategy.
relaxed = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def two_editions(draw):
    """One standard in two editions: every old row (category, item) has a new row on the same
    category and item (as the catalog check demands); all old rows share one transition end."""
    old_from = draw(dates)
    new_from = old_from + timedelta(days=draw(st.integers(1, 3000)))
    end = draw(st.none() | st.dates(min_value=new_from, max_value=new_from + timedelta(days=900)))
    keys = draw(
        st.lists(
            st.tuples(st.sampled_from([1, 2, 3]), st.integers(1, 5)),
            min_size=1,
            max_size=8,
            unique=True,
        )
    )
    rows = []
    for category, item in keys:
        rows.append(Row(category, item, old_from, transition_end=end, basis="old"))
        rows.append(Row(category, item, new_from, basis="new"))
    return rows


@relaxed
@given(two_editions(), dates, st.none() | dates, st.none() | st.integers(1, 1000))
def test_a_sample_never_mixes_two_editions_of_one_standard(rows, sampled, made, shelf_days):
    chosen = choose_for_sample(
        rows, DEPTH, sampling_date=sampled, production_date=made, shelf_life_days=shelf_days
    )
    assert len(_bases(chosen)) <= 1


@relaxed
@given(two_editions(), dates, st.none() | dates, st.none() | st.integers(1, 1000))
def test_no_row_from_after_the_sampling_date_and_none_newer_than_needed(
    rows, sampled, made, shelf_days
):
    chosen = choose_for_sample(
        rows, DEPTH, sampling_date=sampled, production_date=made, shelf_life_days=shelf_days
    )
    for winners in chosen.values():
        for row in winners:
            assert row.effective_from <= sampled
            old_in_force_when_made = made is not None and rows[0].effective_from <= made
            if old_in_force_when_made and made < sampled and row.effective_from > made:
                # A newer edition than the food's only when the old one can no longer apply.
                end = shelf_life_end(made, shelf_days)
                old_end = min(
                    [d for d in (end, rows[0].transition_end) if d is not None], default=None
                )
                assert old_end is not None and sampled > old_end


@relaxed
@given(two_editions(), dates)
def test_without_a_production_date_the_rule_is_the_plain_choice_on_the_sampling_date(rows, sampled):
    assert choose_for_sample(rows, DEPTH, sampling_date=sampled) == choose(rows, DEPTH, sampled)
    same_day = choose_for_sample(rows, DEPTH, sampling_date=sampled, production_date=sampled)
    assert same_day == choose(rows, DEPTH, sampled)
