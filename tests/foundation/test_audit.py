"""The audit trail records every account change and detects tampering."""

import json

from click.testing import CliRunner
from sqlalchemy import select, text

from labsys.cli import main
from labsys.models import AuditEntry, Role
from labsys.services import audit, users


def _as_superuser(db):
    """PostgreSQL refuses changes to the audit table by trigger; a superuser can skip
    triggers for the transaction: the tamperer in these tests is one."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL session_replication_role = replica"))


def _run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def test_account_changes_are_audited_with_old_and_new_values(db, make_user):
    admin = make_user("root", Role.ADMIN)
    ann = make_user("ann", Role.SAMPLER)
    users.set_roles(db.session, admin, ann, [Role.SAMPLER, Role.TECHNICIAN])
    users.set_active(db.session, admin, ann, False)
    users.change_password(db.session, admin, ann, new_password="another-pass-9")
    db.session.commit()
    entries = audit.history(db.session, "user", ann.id)
    assert [e.action for e in entries] == ["create", "roles", "deactivate", "password"]
    roles = entries[1]
    assert json.loads(roles.old_values) == {"roles": ["sampler"]}
    assert json.loads(roles.new_values) == {"roles": ["sampler", "technician"]}
    assert roles.user_id == admin.id
    assert all("scrypt" not in (e.new_values or "") for e in entries)


def test_chain_verifies_and_names_the_first_edited_row(app, db, make_user):
    for name in ("a1", "a2", "a3"):
        make_user(name, Role.SAMPLER)
    result = _run(app, "audit", "verify")
    assert result.exit_code == 0 and "3 entries" in result.output
    second = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()[1]
    _as_superuser(db)
    db.session.execute(
        text("UPDATE audit_log SET reason = 'forged' WHERE id = :id"), {"id": second.id}
    )
    db.session.commit()
    result = _run(app, "audit", "verify")
    assert result.exit_code == 1
    assert f"entry {second.id}" in result.output


def test_deleting_a_row_breaks_the_chain(app, db, make_user):
    for name in ("a1", "a2", "a3"):
        make_user(name, Role.SAMPLER)
    ids = db.session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)).all()
    _as_superuser(db)
    db.session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": ids[1]})
    db.session.commit()
    checked, broken = audit.verify_chain(db.session)
    assert (checked, broken.entry_id) == (1, ids[2])


def test_labsys_help_lists_every_command():
    result = CliRunner().invoke(main, ["--help"], env={"LABSYS_SECRET_KEY": "k" * 40})
    for command in ("init", "create-user", "audit", "serve", "quickstart", "db"):
        assert command in result.output
