"""Issue 18 §1: the administrator administers.  The quick start's first admin holds only the
admin role, and an admin-only account reaches neither the pass rates nor the follow-up of
unqualified samples (pages, API or services) unless it also holds the supervisor role."""

from __future__ import annotations

import re
from datetime import date

import pytest

from labsys.extensions import db
from labsys.models import Role
from labsys.services import PermissionDenied, followup, users

from stats_support import *  # noqa: F403 - the shared fixtures


def test_the_first_admin_holds_only_the_admin_role(app):
    result = app.test_cli_runner().invoke(args=["quickstart", "--no-demo"])
    assert result.exit_code == 0, result.output
    assert re.search(r"first login: user admin, password \S+", result.output)
    admin = users.get_by_username(db.session, users.INITIAL_ADMIN)
    assert admin.roles == {Role.ADMIN}


def test_an_admin_only_account_reaches_no_supervisor_function(
    dataset, make_user, login, client, supervisor
):
    admin = make_user("root", Role.ADMIN)
    login(admin)
    for path in ("/stats/", "/api/stats", "/followup/", "/followup/board", "/reports/queue"):
        assert client.get(path).status_code == 403, path
    assert client.get("/admin/users").status_code == 200
    home = client.get("/").get_data(as_text=True)
    assert 'href="/stats/"' not in home and 'href="/followup/board"' not in home

    unqualified = dataset.samples[3]
    file = followup.open_followup(db.session, unqualified, supervisor)
    db.session.commit()
    with pytest.raises(PermissionDenied):
        followup.record_notification(db.session, admin, file, date(2026, 3, 5))
    db.session.rollback()

    both = make_user("rootsup", Role.ADMIN, Role.SUPERVISOR)
    login(both)
    assert client.get("/stats/").status_code == 200
    assert client.get("/followup/board").status_code == 200
