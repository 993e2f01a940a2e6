"""labsys: a laboratory information system for food-safety sampling inspection.

The package import is kept free of Flask so that ``labsys.core`` (the domain rules) can be
used with nothing else installed; ``create_app`` imports the web stack when called.
"""

from __future__ import annotations

import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# The checkout's root in development.  An installed package has no project root: use
# ``resource_dir`` and ``default_instance_path``, which know both cases.
PROJECT_ROOT = PACKAGE_DIR.parent


def resource_dir(name: str) -> Path:
    """``templates`` or ``migrations``: inside the package when installed from a wheel (the
    build maps them there, see setup.py), else at the top of the checkout."""
    packaged = PACKAGE_DIR / name
    return packaged if packaged.is_dir() else PROJECT_ROOT / name


def is_installed() -> bool:
    """True when running from a built wheel rather than from the checkout."""
    return (PACKAGE_DIR / "templates").is_dir()


def default_instance_path() -> Path:
    """Where settings, the secret key and the embedded database live unless
    ``LABSYS_INSTANCE_PATH`` says otherwise: ``instance/`` in the checkout; for an installed
    package, Flask's convention for installed apps, ``<prefix>/var/labsys-instance``."""
    if is_installed():
        return Path(sys.prefix) / "var" / "labsys-instance"
    return PROJECT_ROOT / "instance"


def create_app(config: dict | None = None):
    """Build the Flask app (see ``labsys.app.create_app``)."""
    from labsys.app import create_app as _create_app

    return _create_app(config)
