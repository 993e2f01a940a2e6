"""The main menu as the current user sees it: flat for a few entries, grouped for many."""

from __future__ import annotations

from dataclasses import dataclass, field

from labsys.features import NAV, NAV_FLAT_MAX, NAV_GROUPS, NavItem
from labsys.web import access


@dataclass
class NavEntry:
    """One place in the bar: a single link (``item``) or a menu of ``items``."""

    label: object
    item: NavItem | None = None
    items: list[NavItem] = field(default_factory=list)
    key: str = ""

    @property
    def endpoints(self) -> set[str]:
        return {i.endpoint for i in self.items} if self.item is None else {self.item.endpoint}


def nav_items() -> list[NavItem]:
    """The entries the current user's roles may open, in menu order."""
    return [item for item in NAV if access.can_open(item.endpoint)]


def nav_menu() -> list[NavEntry]:
    """The bar: every entry when there are at most NAV_FLAT_MAX, else one menu per group
    (a group holding a single entry stays a plain link), in the order of first appearance."""
    items = nav_items()
    if len(items) <= NAV_FLAT_MAX:
        return [NavEntry(item.label, item=item) for item in items]
    entries: list[NavEntry] = []
    groups: dict[str, NavEntry] = {}
    for item in items:
        if not item.group or item.group not in NAV_GROUPS:
            entries.append(NavEntry(item.label, item=item))
        elif item.group in groups:
            groups[item.group].items.append(item)
        else:
            groups[item.group] = NavEntry(NAV_GROUPS[item.group], items=[item], key=item.group)
            entries.append(groups[item.group])
    return [
        NavEntry(entry.items[0].label, item=entry.items[0])
        if entry.item is None and len(entry.items) == 1
        else entry
        for entry in entries
    ]
