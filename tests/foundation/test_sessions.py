"""Sessions and passwords (issue 18 §5): server-side logout, idle timeout, remember-me,
common passwords, Secure cookies over HTTPS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from labsys.app import create_app
from labsys.core import clock
from labsys.models import Role
from labsys.services import ServiceError, users

from support import PASSWORD, csrf_token

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def test_logout_ends_the_session_on_the_server(client, login, make_user):
    """A copy of the session cookie (a shared computer, a stolen cookie) no longer works."""
    login(make_user("ann", Role.SAMPLER))
    copied = client.get_cookie("session").value
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    client.set_cookie("session", copied)
    assert client.get("/").status_code == 302


def test_a_password_change_ends_other_sessions(client, login, make_user, db):
    ann = make_user("ann", Role.SAMPLER)
    login(ann)
    users.change_password(
        db.session, ann, ann, new_password="new-Pa55word", current_password=PASSWORD
    )
    db.session.commit()
    assert client.get("/").status_code == 302


def test_an_idle_session_ends(client, login, make_user):
    with clock.frozen(T0):
        login(make_user("ann", Role.SAMPLER))
        assert client.get("/").status_code == 200
    with clock.frozen(T0 + timedelta(minutes=29)):
        assert client.get("/").status_code == 200  # activity keeps it alive
    with clock.frozen(T0 + timedelta(minutes=29 + 31)):
        response = client.get("/")
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_remember_me_is_short(app):
    assert app.config["REMEMBER_COOKIE_DURATION"] <= timedelta(hours=12)


@pytest.mark.parametrize("common", ["password1", "P@ssw0rd", "Abcd1234", "woaini1314"])
def test_common_passwords_are_refused(common, make_user, db):
    assert "最常见" in users.password_problem(common)
    admin = make_user("root", Role.ADMIN)
    with pytest.raises(ServiceError):
        users.create_user(
            db.session, admin, username="bob", password=common, roles=[Role.SAMPLER.value]
        )


@pytest.mark.parametrize("short", ["", "a1", "ab1!xyz"])
def test_short_passwords_are_refused(short):
    assert users.password_problem(short)


def test_secure_cookies_when_served_over_https(tmp_path):
    app = create_app({"SECRET_KEY": "x" * 40, "INSTANCE_PATH": str(tmp_path), "HTTPS": True})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    plain = create_app({"SECRET_KEY": "x" * 40, "INSTANCE_PATH": str(tmp_path)})
    assert not plain.config["SESSION_COOKIE_SECURE"]


def test_after_an_admin_reset_the_user_must_choose_a_new_password(client, login, make_user, db):
    admin, ann = make_user("root", Role.ADMIN), make_user("ann", Role.SAMPLER)
    users.change_password(db.session, admin, ann, new_password="reset-by-admin-7")
    db.session.commit()
    login(ann, "reset-by-admin-7")
    response = client.get("/")
    assert response.status_code == 302 and "/account/password" in response.headers["Location"]
    assert client.get("/account/password").status_code == 200
    data = {
        "current_password": "reset-by-admin-7",
        "new_password": "my-own-Secret-9",
        "confirm": "my-own-Secret-9",
        "csrf_token": csrf_token(client, "/account/password"),
    }
    assert client.post("/account/password", data=data).status_code == 302
    assert client.get("/").status_code == 200
