"""Flask extensions, created unbound and attached in ``create_app``.

``db`` and ``babel`` serve every command; the web's (``login_manager``, ``csrf``) and the
migrations' (``migrate``: alembic takes a fifth of a second to import) are created on first
use, so that a command that needs neither (``labsys stats``) does not import them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask_babel import Babel
from flask_sqlalchemy import SQLAlchemy

from labsys.models.base import Base

if TYPE_CHECKING:
    from flask_login import LoginManager
    from flask_migrate import Migrate
    from flask_wtf import CSRFProtect

    login_manager: LoginManager
    csrf: CSRFProtect
    migrate: Migrate

db = SQLAlchemy(model_class=Base)
babel = Babel()

_lazy: dict[str, Any] = {}


def _make(name: str) -> Any:
    if name == "login_manager":
        from flask_login import LoginManager

        return LoginManager()
    if name == "csrf":
        from flask_wtf import CSRFProtect

        return CSRFProtect()
    from flask_migrate import Migrate

    return Migrate()


def __getattr__(name: str) -> Any:
    """``migrate``, ``login_manager`` and ``csrf``: one instance each, made when first
    imported (PEP 562)."""
    if name not in ("migrate", "login_manager", "csrf"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if name not in _lazy:
        _lazy[name] = _make(name)
    return _lazy[name]
