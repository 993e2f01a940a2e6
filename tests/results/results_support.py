"""Helpers of the results tests (imported by name; see tests/support.py for why)."""


def by_name(sample, name_start: str):
    """The sample's result row whose item name starts with ``name_start``."""
    return next(r for r in sample.results if r.item_name.startswith(name_start))
