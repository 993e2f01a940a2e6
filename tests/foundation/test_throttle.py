"""Issue 18 §5: login throttling per account and per address, counted in the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from labsys.extensions import db
from labsys.models import AuditEntry, LoginThrottle, Role

from support import PASSWORD, csrf_token

LOCKED = "登录失败次数过多"
T0 = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def _login(client, username, password, address="10.0.0.1"):
    data = {"username": username, "password": password, "csrf_token": csrf_token(client)}
    return client.post("/login", data=data, environ_base={"REMOTE_ADDR": address})


@pytest.fixture
def now(freeze_clock):
    freeze_clock(T0)
    return lambda minutes: freeze_clock(T0 + timedelta(minutes=minutes))


def test_five_failures_lock_the_account_for_fifteen_minutes(client, make_user, now):
    make_user("ann", Role.SAMPLER)
    for attempt in range(4):
        html = _login(client, "ann", f"wrong-{attempt}").get_data(as_text=True)
        assert "用户名或密码错误" in html
    assert LOCKED in _login(client, "ann", "wrong-4").get_data(as_text=True)  # the fifth
    # Locked: even the right password is refused, unchecked, from any address.
    response = _login(client, "ANN", PASSWORD, address="10.0.0.99")
    assert response.status_code == 200 and LOCKED in response.get_data(as_text=True)
    assert "15 分钟" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not logged in
    throttled = db.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "login").order_by(AuditEntry.id.desc())
    ).first()
    assert '"throttled":true' in throttled.new_values and PASSWORD not in throttled.new_values
    now(14)
    assert LOCKED in _login(client, "ann", PASSWORD).get_data(as_text=True)
    now(16)
    assert _login(client, "ann", PASSWORD).status_code == 302


def test_an_unknown_account_is_locked_alike(client, now):
    """The answer never tells whether an account exists."""
    for attempt in range(5):
        _login(client, "nobody", f"guess-{attempt}")
    assert LOCKED in _login(client, "nobody", "guess-5").get_data(as_text=True)


def test_a_successful_login_starts_the_count_again(client, make_user, now):
    make_user("ann", Role.SAMPLER)
    for attempt in range(4):
        _login(client, "ann", f"wrong-{attempt}")
    assert _login(client, "ann", PASSWORD).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    for attempt in range(4):
        assert LOCKED not in _login(client, "ann", f"again-{attempt}").get_data(as_text=True)
    assert _login(client, "ann", PASSWORD).status_code == 302


def test_failures_spread_over_a_window_do_not_add_up(client, make_user, now):
    make_user("ann", Role.SAMPLER)
    for attempt in range(4):
        _login(client, "ann", f"wrong-{attempt}")
    now(16)  # the window of the first four has passed
    for attempt in range(4):
        _login(client, "ann", f"later-{attempt}")
    assert _login(client, "ann", PASSWORD).status_code == 302


def test_many_accounts_guessed_from_one_address_lock_that_address(client, make_user, now):
    make_user("ann", Role.SAMPLER)
    for n in range(20):  # password spraying: one guess at each of many accounts
        _login(client, f"user{n}", "Spring2026!", address="10.6.6.6")
    html = _login(client, "ann", PASSWORD, address="10.6.6.6").get_data(as_text=True)
    assert LOCKED in html
    # The account itself is not locked: from another computer its owner logs in.
    assert _login(client, "ann", PASSWORD, address="10.0.0.7").status_code == 302


def test_the_count_lives_in_the_database_for_every_process(client, make_user, app, now):
    """Every server process and thread reads the same counters: a worker that never saw
    the failures (here: rows written directly, as another process would) refuses too."""
    make_user("ann", Role.SAMPLER)
    db.session.add(
        LoginThrottle(
            kind="user",
            key="ann",
            failures=5,
            window_start=T0,
            locked_until=T0 + timedelta(minutes=15),
        )
    )
    db.session.commit()
    assert LOCKED in _login(client, "ann", PASSWORD).get_data(as_text=True)


def test_limits_are_settings_and_zero_turns_one_off(client, make_user, app, monkeypatch, now):
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES", 2)
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_ADDRESS", 0)
    make_user("ann", Role.SAMPLER)
    _login(client, "ann", "wrong-1")
    assert LOCKED in _login(client, "ann", "wrong-2").get_data(as_text=True)
    counters = db.session.scalars(select(LoginThrottle)).all()
    assert [(c.kind, c.key) for c in counters] == [("user", "ann")]


def test_wrong_signing_passwords_lock_the_account_like_failed_logins(
    client, login, post, make_user, now
):
    """21 CFR Part 11 §11.300(d): guessing the password through a signing form is stopped
    as at the login page: the failures count against the account, which then can neither
    sign nor log in until the lock expires."""
    from labsys.models import Report

    boss = make_user("boss", Role.SUPERVISOR)
    login(boss)
    for attempt in range(5):
        html = post(
            "/reports/bulk-issue",
            {"sample_ids": [1], "password": f"guess-{attempt}"},
            token_from="/reports/queue",
            follow_redirects=True,
        ).get_data(as_text=True)
    assert "签名被拒绝" in html
    html = post(
        "/reports/bulk-issue",
        {"sample_ids": [1], "password": PASSWORD},
        token_from="/reports/queue",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "签名已锁定" in html  # the right password no longer signs
    assert db.session.scalar(select(Report)) is None
    counter = db.session.scalar(select(LoginThrottle).where(LoginThrottle.key == "boss"))
    assert counter.failures >= 5 and counter.locked_until is not None
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert LOCKED in _login(client, "boss", PASSWORD).get_data(as_text=True)
    now(16)
    assert _login(client, "boss", PASSWORD).status_code == 302


def test_an_administrator_unlocks_a_locked_account_early(app, make_user, login, now):
    """The locked colleague logs in right after an administrator unlocks the account
    (audited; a POST with CSRF; administrators only)."""
    ann = make_user("ann", Role.SAMPLER)
    admin = make_user("root", Role.ADMIN)
    make_user("boss", *(r for r in Role if r != Role.ADMIN))
    own = app.test_client()
    for attempt in range(5):
        _login(own, "ann", f"wrong-{attempt}")
    assert LOCKED in _login(own, "ann", PASSWORD).get_data(as_text=True)

    # Not an administrator: refused, the lock stays.
    other = app.test_client()
    _login(other, "boss", PASSWORD, address="10.0.0.2")
    refused = other.post(
        f"/admin/users/{ann.id}/unlock", data={"csrf_token": csrf_token(other, "/")}
    )
    assert refused.status_code == 403
    admin_client = app.test_client()
    _login(admin_client, "root", PASSWORD, address="10.0.0.3")
    page = admin_client.get(f"/admin/users/{ann.id}").get_data(as_text=True)
    assert 'data-testid="login-lock"' in page and "立即解锁" in page
    # Without the CSRF token: nothing happens.
    admin_client.post(f"/admin/users/{ann.id}/unlock", data={})
    assert LOCKED in _login(own, "ann", PASSWORD).get_data(as_text=True)

    token = csrf_token(admin_client, f"/admin/users/{ann.id}")
    done = admin_client.post(
        f"/admin/users/{ann.id}/unlock", data={"csrf_token": token}, follow_redirects=True
    )
    assert "现在可以重新登录" in done.get_data(as_text=True)
    assert 'data-testid="login-lock"' not in done.get_data(as_text=True)
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.entity == "user", AuditEntry.action == "unlock")
    )
    assert entry is not None and entry.user_id == admin.id and entry.entity_id == str(ann.id)
    assert '"failures":' in entry.old_values
    # Right after: the right password works (from the same computer).
    assert _login(own, "ann", PASSWORD).status_code == 302


def _admin_page(app, make_user, user_id):
    make_user("root", Role.ADMIN)
    admin = app.test_client()
    _login(admin, "root", PASSWORD, address="10.0.0.3")
    return admin, admin.get(f"/admin/users/{user_id}").get_data(as_text=True)


def _unlock(admin, user_id, addresses):
    return admin.post(
        f"/admin/users/{user_id}/unlock",
        data={"csrf_token": csrf_token(admin, f"/admin/users/{user_id}"), "addresses": addresses},
        follow_redirects=True,
    ).get_data(as_text=True)


def test_unlocking_an_account_offers_and_lifts_the_lock_of_the_address_it_failed_from(
    app, client, make_user, monkeypatch, now
):
    """The colleague locked their account and their computer's address (its limit reached
    too): the administrator's unlock lifts both, so they log in from that computer at once;
    an address locked by guesses at other accounts only stays locked."""
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_ADDRESS", 5)
    ann = make_user("ann", Role.SAMPLER)
    make_user("boss", Role.SUPERVISOR)
    for attempt in range(5):
        _login(client, "ann", f"wrong-{attempt}", address="10.0.0.1")
    for n in range(5):  # someone else's guesses from another computer
        _login(client, f"user{n}", "Spring2026!", address="10.6.6.6")
    assert LOCKED in _login(client, "ann", PASSWORD, address="10.0.0.1").get_data(as_text=True)

    admin, page = _admin_page(app, make_user, ann.id)
    assert 'data-testid="login-lock"' in page
    # Offered, not ticked: the administrator ticks the colleague's own computer.
    assert 'value="10.0.0.1">' in page and "10.6.6.6" not in page

    # A crafted request naming an address the account never failed from unlocks nothing.
    refused = _unlock(admin, ann.id, ["10.6.6.6"])
    assert "10.6.6.6" in refused and 'data-testid="login-lock"' in refused
    assert LOCKED in _login(client, "ann", PASSWORD, address="10.0.0.1").get_data(as_text=True)

    done = _unlock(admin, ann.id, ["10.0.0.1"])
    assert "现在可以重新登录" in done and 'data-testid="login-lock"' not in done
    entry = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity == "user", AuditEntry.action == "unlock")
        .order_by(AuditEntry.id.desc())
    ).first()
    assert "10.0.0.1" in entry.old_values and "10.6.6.6" not in entry.old_values
    # From the formerly locked address, at once:
    assert _login(client, "ann", PASSWORD, address="10.0.0.1").status_code == 302
    # The other address is still locked, for everyone.
    assert LOCKED in _login(app.test_client(), "boss", PASSWORD, address="10.6.6.6").get_data(
        as_text=True
    )


def test_an_address_lock_alone_is_shown_and_lifted_on_the_account_it_locks_out(
    app, client, make_user, monkeypatch, now
):
    """The colleague's computer locked by the colleague's failures alone, the account itself
    not: the account's page shows the address and unlocks it."""
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_ADDRESS", 3)
    ann = make_user("ann", Role.SAMPLER)
    for attempt in range(3):
        _login(client, "ann", f"wrong-{attempt}", address="10.0.0.5")
    assert LOCKED in _login(client, "ann", PASSWORD, address="10.0.0.5").get_data(as_text=True)
    admin, page = _admin_page(app, make_user, ann.id)
    assert 'value="10.0.0.5">' in page
    assert "现在可以重新登录" in _unlock(admin, ann.id, ["10.0.0.5"])
    assert _login(client, "ann", PASSWORD, address="10.0.0.5").status_code == 302


def test_an_address_that_also_tried_other_accounts_is_not_unlocked_from_one_of_them(
    app, client, make_user, monkeypatch, now
):
    """A spray: one guess at the colleague's account, then at others, from one address.
    Unlocking the colleague (locked from their own computer) neither offers nor lifts that
    address's lock, even by a crafted request: it ends at its time."""
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_ADDRESS", 5)
    ann = make_user("ann", Role.SAMPLER)
    for attempt in range(5):
        _login(client, "ann", f"wrong-{attempt}", address="10.0.0.1")
    _login(client, "ann", "Spring2026!", address="10.6.6.6")
    for n in range(4):
        _login(client, f"user{n}", "x", address="10.6.6.6")
    admin, page = _admin_page(app, make_user, ann.id)
    assert 'value="10.0.0.1">' in page and "10.6.6.6" not in page
    refused = _unlock(admin, ann.id, ["10.0.0.1", "10.6.6.6"])
    assert "10.6.6.6" in refused and 'data-testid="login-lock"' in refused
    assert LOCKED in _login(app.test_client(), "ann", PASSWORD, address="10.6.6.6").get_data(
        as_text=True
    )
    assert "现在可以重新登录" in _unlock(admin, ann.id, ["10.0.0.1"])
    assert _login(client, "ann", PASSWORD, address="10.0.0.1").status_code == 302
    assert LOCKED in _login(app.test_client(), "bob", "x", address="10.6.6.6").get_data(
        as_text=True
    )


def test_only_an_administrator_unlocks_an_address(app, client, make_user, monkeypatch, now):
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_PER_ADDRESS", 5)
    ann = make_user("ann", Role.SAMPLER)
    make_user("boss", *(r for r in Role if r != Role.ADMIN))
    for attempt in range(5):
        _login(client, "ann", f"wrong-{attempt}", address="10.0.0.1")
    other = app.test_client()
    _login(other, "boss", PASSWORD, address="10.0.0.2")
    refused = other.post(
        f"/admin/users/{ann.id}/unlock",
        data={"csrf_token": csrf_token(other, "/"), "addresses": ["10.0.0.1"]},
    )
    assert refused.status_code == 403
    assert LOCKED in _login(client, "ann", PASSWORD, address="10.0.0.1").get_data(as_text=True)
