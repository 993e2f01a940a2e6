"""Logins, failed logins (never the password) and refused access reach the audit trail."""

from __future__ import annotations

import json

from sqlalchemy import select

from labsys.models import AuditEntry, Role

from audit_support import run_cli
from support import PASSWORD, csrf_token


def _entries(db, entity: str, action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == entity, AuditEntry.action == action)
            .order_by(AuditEntry.id)
        )
    )


def _attempt(client, username: str, password: str):
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(client)},
    )


def test_a_login_is_recorded_with_who_and_from_where(app, db, make_user, login):
    ann = make_user("ann", Role.SAMPLER)
    login(ann)
    [entry] = _entries(db, "user", "login")
    assert (entry.user_id, entry.entity_id) == (ann.id, str(ann.id))
    assert json.loads(entry.new_values) == {"address": "127.0.0.1"}


def test_failed_logins_are_recorded_without_the_password(app, db, client, make_user):
    make_user("ann", Role.SAMPLER)
    secret = "Wrong-But-Close-9"
    assert _attempt(client, "ann", secret).status_code == 200
    assert _attempt(client, "nobody-like-this", PASSWORD).status_code == 200
    failed = _entries(db, "login", "failed")
    assert [json.loads(e.new_values)["username"] for e in failed] == ["ann", "nobody-like-this"]
    assert all(e.user_id is None for e in failed)
    everything = " ".join(
        f"{e.old_values} {e.new_values} {e.reason}" for e in db.session.scalars(select(AuditEntry))
    )
    assert secret not in everything and PASSWORD not in everything
    assert run_cli(app, "audit", "verify").exit_code == 0


def test_a_403_is_recorded_with_the_user_and_the_page(app, db, make_user, login, client):
    ann = make_user("ann", Role.SAMPLER)
    login(ann)
    assert client.get("/admin/users").status_code == 403
    [entry] = _entries(db, "access", "refused")
    assert entry.user_id == ann.id
    assert entry.entity_id == "admin.user_list"
    recorded = json.loads(entry.new_values)
    assert (recorded["method"], recorded["path"]) == ("GET", "/admin/users")


def test_a_refusal_by_a_service_is_recorded_and_nothing_else_is_kept(
    app, db, make_user, login, client
):
    """The view catches PermissionDenied and shows it; the refusal is still recorded, in a
    transaction of its own, while the refused change is rolled back."""
    root = make_user("root", Role.ADMIN)
    login(root)
    response = client.post(
        f"/admin/users/{root.id}/active",
        data={"active": "0", "csrf_token": csrf_token(client, "/admin/users")},
    )
    assert response.status_code == 302
    [entry] = _entries(db, "access", "refused")
    assert entry.user_id == root.id
    # The message as the user read it (Chinese by default).
    assert json.loads(entry.new_values)["message"] == "不能停用自己的账号。"
    assert _entries(db, "user", "deactivate") == []
    assert run_cli(app, "audit", "verify").exit_code == 0
