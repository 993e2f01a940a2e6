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


# Every route an admin-only account may open: administration (users, signatories, calendar,
# catalogue, webhooks, grading rules, the retest-lab list, instruments and methods), the
# enterprise register it keeps with the samplers, and reading a sample's results.  Anything
# else (pass rates, risk notices, risk grades and their briefing, the backup register,
# follow-up, the supervision API) is a supervisor's, refused unless the account also holds
# that role (issue 18 §1).
ADMINISTRATION = {
    "admin.calendar_page",
    "admin.calendar_remove",
    "admin.signatory_list",
    "admin.signatory_edit",
    "admin.signatory_revoke",
    "admin.signatory_create",
    "admin.user_list",
    "admin.user_edit",
    "admin.user_set_active",
    "admin.user_reset_password",
    "admin.user_unlock",
    "admin.user_create",
    "webhooks.index",
    "webhooks.toggle",
    "catalog.category_edit",
    "catalog.category_key_food",
    "catalog.specification_create",
    "catalog.item_edit",
    "catalog.item_create",
    "catalog.specification_edit",
    "followup.retest_labs",
    "grading.rules_page",
    "bench.instrument_list",
    "bench.instrument_edit",
    "bench.item_methods",
    "bench.method_remove",
    "enterprises.enterprise_edit",
    "enterprises.lookup",
    "enterprises.enterprise_create",
    "enterprises.quick_create",
    "api_enterprises.enterprise_create",
    "results.sample_results",
    "results.sample_history",
}
SUPERVISOR_ONLY = [
    ("GET", "/stats/risk-notices"),
    ("GET", "/risk/grades"),
    ("POST", "/risk/grades/recompute"),
    ("GET", "/risk/briefing.pdf"),
    ("GET", "/risk/briefing.xlsx"),
    ("GET", "/backups/"),
    ("GET", "/backups/register"),
    ("GET", "/backups/1"),
    ("POST", "/backups/1/store"),
    ("POST", "/backups/1/hand-over"),
    ("POST", "/backups/1/dispose"),
]


def test_the_admin_role_opens_administration_only(app):
    """Walk every route of the app: the admin role is named only on administration."""
    from labsys.web.access import ANY_USER, PUBLIC, TokenAccess

    reached = set()
    for rule in app.url_map.iter_rules():
        access = getattr(app.view_functions[rule.endpoint], "_access", None)
        if access in (PUBLIC, ANY_USER) or access is None:
            continue
        roles = access.roles if isinstance(access, TokenAccess) else access
        if roles and Role.ADMIN in roles:
            reached.add(rule.endpoint)
    assert reached - ADMINISTRATION == set()
    assert "stats.risk_notices" not in reached and "grading.grade_list" not in reached


def test_an_admin_only_account_reaches_no_risk_or_backup_function(
    dataset, make_user, login, client
):
    from labsys.models import BackupSample
    from labsys.services import api_tokens, backups, grading, risk, sampling
    from labsys.services.access import SYSTEM

    from support import csrf_token

    admin = make_user("root", Role.ADMIN)
    login(admin)
    token = csrf_token(client, "/")
    for method, path in SUPERVISOR_ONLY:
        response = client.open(path, method=method, data={"csrf_token": token})
        assert response.status_code == 403, (method, path)
    secret = api_tokens.create_token(db.session, SYSTEM, admin, scope="read").secret
    db.session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    for path in (
        "/api/v1/stats",
        "/api/v1/followups",
        "/api/v1/deadlines",
        "/api/v1/exports/samples.csv",
        "/api/v1/exports/announcement.csv",
        "/api/v1/risk/grades",
        "/api/v1/risk/signals",
    ):
        assert client.get(path, headers=headers).status_code == 403, path

    # the services refuse it too, not only the pages
    sample = dataset.samples[0]
    backup = BackupSample(sample_id=sample.id, status="held")
    db.session.add(backup)
    db.session.commit()
    calls = [
        lambda: backups.store(
            db.session, admin, backup, location="柜 A", stored_on=date(2026, 3, 1)
        ),
        lambda: backups.dispose(
            db.session, admin, backup, disposed_on=date(2026, 3, 1), method="销毁"
        ),
        lambda: backups.hand_over(
            db.session,
            admin,
            sample,
            lab_id=sample.lab_id,
            handed_over_on=date(2026, 3, 1),
            seal_intact=True,
        ),
        lambda: grading.recompute(db.session, admin, date(2026, 3, 1)),
        lambda: risk.refresh_signal_count(db.session, admin),
        lambda: risk.store_signal_count(db.session, admin, [], date(2026, 3, 1)),
        lambda: sampling.extend_delivery(
            db.session, admin, sample, workdays=2, reason="冷链车辆故障，经批准"
        ),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
        db.session.rollback()

    both = make_user("rootsup", Role.ADMIN, Role.SUPERVISOR)
    login(both)
    assert client.get("/stats/risk-notices").status_code == 200
    assert client.get("/risk/grades").status_code == 200
    assert client.get("/backups/").status_code == 200
