"""Feature blueprints and the main menu, in menu order.

Kept apart from ``labsys.web`` so that each feature adds its lines here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy translated string


def BLUEPRINTS():  # noqa: N802 - reads as a constant at the call site
    """Imported lazily so a feature's import errors surface when the app is created."""
    return []


NAV = [
    NavItem("home.index", _l("Home")),
    NavItem("admin.user_list", _l("Users")),
]


def CLI_COMMANDS():  # noqa: N802
    """Feature commands for the ``labsys`` group."""
    return []


def DEMO_LOADER():  # noqa: N802
    """The callable(session) that loads demo data into an empty database, once it exists."""
    return None
