"""Logging in and out, as a user meets it."""

import pytest

from labsys.models import Role
from labsys.services import users

from support import PASSWORD, csrf_token


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/admin/users")


def test_login_form_has_the_named_fields(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'name="username"' in html and 'name="password"' in html
    assert "登录" in html  # Chinese by default


def test_login_then_logout(client, make_user):
    make_user("ann", Role.SAMPLER)
    response = client.post(
        "/login", data={"username": "ann", "password": PASSWORD, "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert client.get("/").status_code == 302


def test_login_redirects_to_next_but_never_off_site(client, make_user):
    make_user("ann", Role.ADMIN)
    data = {"username": "ann", "password": PASSWORD, "csrf_token": csrf_token(client)}
    response = client.post("/login?next=//evil.example/x", data=data)
    assert response.headers["Location"] == "/"


def _login_message(client, username, password):
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_wrong_password_and_unknown_user_get_the_same_message(client, make_user):
    make_user("ann", Role.SAMPLER)
    wrong = _login_message(client, "ann", "not-the-password")
    unknown = _login_message(client, "nobody", "not-the-password")
    assert "用户名或密码错误" in wrong and "用户名或密码错误" in unknown


def test_deactivated_user_cannot_log_in(client, make_user, db):
    admin = make_user("root", Role.ADMIN)
    ann = make_user("ann", Role.SAMPLER)
    users.set_active(db.session, admin, ann, False)
    db.session.commit()
    assert "用户名或密码错误" in _login_message(client, "ann", PASSWORD)


def test_deactivation_ends_an_open_session(client, make_user, login, db):
    admin = make_user("root", Role.ADMIN)
    ann = make_user("ann", Role.SAMPLER)
    login(ann)
    users.set_active(db.session, admin, ann, False)
    db.session.commit()
    assert client.get("/").status_code == 302


def test_password_change_needs_current_password_and_ends_other_sessions(
    app, client, make_user, login, db
):
    ann = make_user("ann", Role.SAMPLER)
    login(ann)
    other = app.test_client()
    other.post(
        "/login", data={"username": "ann", "password": PASSWORD, "csrf_token": csrf_token(other)}
    )
    token = csrf_token(client, "/account/password")
    bad = client.post(
        "/account/password",
        data={
            "current_password": "wrong",
            "new_password": "new-pass-123",
            "confirm": "new-pass-123",
            "csrf_token": token,
        },
    )
    assert "当前密码不正确" in bad.get_data(as_text=True)
    good = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "new-pass-123",
            "confirm": "new-pass-123",
            "csrf_token": token,
        },
    )
    assert good.status_code == 302
    assert client.get("/").status_code == 200  # this session stays
    assert other.get("/").status_code == 302  # the other one is over
    assert users.authenticate(db.session, "ann", "new-pass-123") is not None


def test_language_switch_to_english_and_back(client, make_user, login):
    login(make_user("ann", Role.SAMPLER))
    assert "退出登录" in client.get("/").get_data(as_text=True)
    client.get("/language/en?next=/")
    html = client.get("/").get_data(as_text=True)
    assert "Log out" in html and 'lang="en"' in html
    client.get("/language/zh_Hans_CN?next=/")
    assert "退出登录" in client.get("/").get_data(as_text=True)


def test_passwords_are_stored_hashed_with_scrypt(make_user):
    user = make_user("ann", Role.SAMPLER)
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash


# Each of these would send the browser to another site (browsers drop tabs/newlines and read
# "\" as "/"); the query strings are sent as typed, so %09 arrives as a tab.
OFF_SITE = [
    "/%09/evil.example",
    "/%0a/evil.example",
    "//evil",
    "%2F%2Fevil",
    "/%2F/evil",
    "%5C%5Cevil",
    "/%5Cevil",
    "https:evil",
    "https://evil.example/",
    "javascript:alert(1)",
    "evil.example",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_never_redirects_off_site(client, make_user, target):
    make_user("ann", Role.ADMIN)
    data = {"username": "ann", "password": PASSWORD, "csrf_token": csrf_token(client)}
    response = client.post(f"/login?next={target}", data=data)
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", OFF_SITE)
def test_the_language_switch_never_redirects_off_site(client, target):
    assert client.get(f"/language/en?next={target}").headers["Location"] == "/"


def test_a_local_path_with_a_query_is_kept(client, make_user):
    make_user("ann", Role.ADMIN)
    data = {"username": "ann", "password": PASSWORD, "csrf_token": csrf_token(client)}
    response = client.post("/login?next=/samples/%3Fq%3D1", data=data)
    assert response.headers["Location"] == "/samples/?q=1"
