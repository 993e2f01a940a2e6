"""labsys: a laboratory information system for food-safety sampling inspection.

The package import is kept free of Flask so that ``labsys.core`` (the domain rules) can be
used with nothing else installed; ``create_app`` imports the web stack when called.
"""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None):
    """Build the Flask app (see ``labsys.app.create_app``)."""
    from labsys.app import create_app as _create_app

    return _create_app(config)
