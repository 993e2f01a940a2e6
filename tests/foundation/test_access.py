"""Every route, present and future: anonymous users go to login, missing roles get 403,
and every data-changing request without a CSRF token is refused.

The routes are read from the app's URL map, so a new feature is covered the day it lands.
"""

import re

import pytest

from labsys.models import Role
from labsys.web.access import ANY_USER, PUBLIC, TokenAccess

from support import csrf_token

CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        path = re.sub(r"<any\(([^,)\s]+)[^>]*>", r"\1", rule.rule)  # its first choice
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", "1", path)
        yield rule, path, getattr(view, "_access", None)


def test_every_route_declares_who_may_open_it(app):
    undeclared = [rule.endpoint for rule, _, access in _routes(app) if access is None]
    assert undeclared == []


def test_anonymous_visitors_are_sent_to_login(app, client):
    checked = 0
    for rule, path, access in _routes(app):
        if access == PUBLIC or "GET" not in rule.methods or isinstance(access, TokenAccess):
            continue
        response = client.get(path)
        assert response.status_code == 302, rule.endpoint
        assert response.headers["Location"].startswith("/login"), rule.endpoint
        checked += 1
    assert checked > 0


def test_users_without_the_role_get_403(app, client, make_user, login):
    for role in Role:
        user = make_user(f"only-{role.value}", role)
        login(user)
        token = csrf_token(client, "/")
        for rule, path, access in _routes(app):
            if access in (PUBLIC, ANY_USER) or isinstance(access, TokenAccess) or role in access:
                continue
            for method in sorted(rule.methods & ({"GET"} | CHANGING)):
                response = client.open(path, method=method, data={"csrf_token": token})
                assert response.status_code == 403, (role, method, rule.endpoint)


@pytest.mark.parametrize("logged_in", [False, True])
def test_changing_requests_without_csrf_token_are_refused(app, client, make_user, login, logged_in):
    if logged_in:
        login(make_user("boss", *Role))
    changing = [
        (rule, path)
        for rule, path, access in _routes(app)
        if rule.methods & CHANGING and not isinstance(access, TokenAccess)
    ]
    assert changing, "no data-changing route found"
    for rule, path in changing:
        for method in sorted(rule.methods & CHANGING):
            response = client.open(path, method=method, data={"anything": "1"})
            assert response.status_code == 400, (method, rule.endpoint)
            assert "安全令牌" in response.get_data(as_text=True)


# --- the API: a bearer token, never the login cookie ---------------------------------------------


def _api_routes(app):
    return [(r, p, a) for r, p, a in _routes(app) if isinstance(a, TokenAccess)]


def test_every_api_route_needs_a_token_and_ignores_the_login_cookie(app, client, make_user, login):
    """Anonymous, or logged in on the pages with every role: 401 problem+json, never data,
    never a redirect, and no CSRF token asked for (there is no cookie to forge)."""
    routes = _api_routes(app)
    assert len(routes) >= 20
    for logged_in in (False, True):
        if logged_in:
            login(make_user("boss", *Role))
        for rule, path, _access in routes:
            for method in sorted(rule.methods & ({"GET"} | CHANGING)):
                response = client.open(path, method=method, json={})
                assert response.status_code == 401, (logged_in, method, rule.endpoint)
                assert response.mimetype == "application/problem+json", rule.endpoint
                assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_api_tokens_carry_their_users_roles_and_scope(app, client, make_user):
    """Each role's token gets 403 on every API route outside its roles, and a read token
    403 on every changing route: refused before the view (no body needed to be valid)."""
    from labsys.extensions import db
    from labsys.services import api_tokens
    from labsys.services.access import SYSTEM

    def token(user, scope):
        secret = api_tokens.create_token(db.session, SYSTEM, user, scope=scope).secret
        db.session.commit()
        return {"Authorization": f"Bearer {secret}"}

    routes = _api_routes(app)
    for role in Role:
        headers = token(make_user(f"only-{role.value}", role), "write")
        for rule, path, access in routes:
            if access.roles is None or role in access.roles:
                continue
            for method in sorted(rule.methods & ({"GET"} | CHANGING)):
                response = client.open(path, method=method, json={}, headers=headers)
                assert response.status_code == 403, (role, method, rule.endpoint)
    reader = token(make_user("reader", *Role), "read")
    changing = [(r, p) for r, p, _ in routes if r.methods & CHANGING]
    assert changing
    for rule, path in changing:
        for method in sorted(rule.methods & CHANGING):
            response = client.open(path, method=method, json={}, headers=reader)
            assert response.status_code == 403, (method, rule.endpoint)
            assert "read" in response.get_json()["detail"]  # "scope read" (只读)


def test_an_unexpected_error_shows_the_labs_error_page_and_keeps_nothing(
    app, make_user, database_url, tmp_path
):
    """A view that fails half-way: the user sees the lab's error page, nothing is saved."""
    from labsys import create_app
    from labsys.extensions import db
    from labsys.models import User
    from labsys.services.users import get_by_username
    from labsys.web.access import login_required

    from support import PASSWORD, TEST_SECRET, IsolatedClient

    failing = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": TEST_SECRET,
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(tmp_path),
            "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        }
    )
    failing.config["PROPAGATE_EXCEPTIONS"] = False

    @login_required
    def explode():
        db.session.add(User(username="ghost", password_hash="x"))
        db.session.flush()
        raise RuntimeError("boom")

    failing.add_url_rule("/explode", "explode", explode)
    failing.test_client_class = IsolatedClient
    make_user("ann", Role.SAMPLER)
    client = failing.test_client()
    client.post(
        "/login", data={"username": "ann", "password": PASSWORD, "csrf_token": csrf_token(client)}
    )
    response = client.get("/explode")
    assert response.status_code == 500
    assert "出现错误" in response.get_data(as_text=True)
    assert get_by_username(db.session, "ghost") is None
    with failing.app_context():
        db.engine.dispose()
