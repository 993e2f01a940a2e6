"""Who may open which page: one place, enforced for every route.

Every view declares its access with one of the decorators below.  ``enforce_access`` runs
before every request and refuses (fail closed) any endpoint that declared nothing, so a
forgotten decorator is a test failure, never an open page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from labsys.models import Role

PUBLIC = "public"
ANY_USER = "any_user"


def public(view: Callable) -> Callable:
    """Open to anyone, logged in or not."""
    view._access = PUBLIC
    return view


def login_required(view: Callable) -> Callable:
    """Open to every logged-in user, whatever their roles."""
    view._access = ANY_USER
    return view


def roles_required(*roles: Role) -> Callable[[Callable], Callable]:
    """Open to logged-in users holding at least one of ``roles``."""
    if not roles:
        raise ValueError("roles_required needs at least one role")

    def decorate(view: Callable) -> Callable:
        view._access = frozenset(roles)
        return view

    return decorate


@dataclass(frozen=True)
class TokenAccess:
    """An API view (``/api/v1``): a bearer token, never the login cookie; ``roles`` None
    opens it to every token user; ``write`` needs a token of scope write."""

    roles: frozenset[Role] | None
    write: bool


def token_required(*roles: Role, write: bool = False) -> Callable[[Callable], Callable]:
    """An API view: open to a valid token whose user holds one of ``roles`` (any user when
    none are named); ``write=True`` also needs the token's write scope."""

    def decorate(view: Callable) -> Callable:
        view._access = TokenAccess(frozenset(roles) or None, write)
        return view

    return decorate


def is_api_request() -> bool:
    return isinstance(access_of(request.endpoint or ""), TokenAccess)


def access_of(endpoint: str):
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "_access", None)


def enforce_access():
    """before_request hook: login page for anonymous users, 403 for missing roles."""
    if request.endpoint is None:
        return None  # 404 follows
    if request.endpoint == "static":
        return None
    rule = access_of(request.endpoint)
    if rule is None:
        current_app.logger.error("endpoint %s declares no access rule", request.endpoint)
        abort(403)
    if rule == PUBLIC:
        return None
    if isinstance(rule, TokenAccess):
        from labsys.web.api_v1.auth import authenticate_request

        return authenticate_request(rule)
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if rule == ANY_USER or current_user.has_role(*rule):
        return None
    abort(403)


def can(*roles: Role) -> bool:
    """For templates: does the current user hold any of these roles?"""
    return current_user.is_authenticated and current_user.has_role(*roles)


def can_open(endpoint: str) -> bool:
    """For navigation: would the current user be let into this endpoint?"""
    rule = access_of(endpoint)
    if rule == PUBLIC:
        return True
    if rule is None or isinstance(rule, TokenAccess) or not current_user.is_authenticated:
        return False
    return rule == ANY_USER or current_user.has_role(*rule)
