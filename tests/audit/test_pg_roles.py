"""The README's GRANT/REVOKE statements give the application a role that can do its work
but cannot change or empty the audit trail (PostgreSQL only)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from labsys import create_app
from labsys.extensions import db as _db
from labsys.models import AuditEntry, Role
from labsys.services import anchor, users
from labsys.services.access import SYSTEM

from support import TEST_SECRET

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_statements(role: str, database: str) -> list[str]:
    section = README.read_text(encoding="utf-8").split("### The audit trail", 1)[1]
    block = re.search(r"```sql\n(.*?)```", section, re.S).group(1)
    # The test database's name is quoted: a base name such as labsys_risk-grades is valid
    # only as a quoted identifier.
    quoted = '"' + database.replace('"', '""') + '"'
    block = block.replace("labsys_app", role).replace("DATABASE labsys ", f"DATABASE {quoted} ")
    return [s.strip() for s in block.split(";") if s.strip()]


@pytest.fixture
def app_role(app, database_url):
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip("roles and rights are PostgreSQL's")
    role = f"labsys_app_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for statement in _readme_statements(role, url.database):
            connection.execute(text(statement))
    yield url.set(username=role, password="change-me").render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f"DROP OWNED BY {role}"))
        connection.execute(text(f"DROP ROLE {role}"))
    admin.dispose()


def test_the_application_role_works_but_cannot_touch_the_trail(app, db, app_role, tmp_path):
    as_app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": TEST_SECRET,
            "DATABASE_URL": app_role,
            "INSTANCE_PATH": str(tmp_path),
            "AUDIT_KEY": anchor.current_key().secret.decode(),
            "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        }
    )
    with as_app.app_context():
        users.create_user(
            _db.session, SYSTEM, username="ann", password="pass-word-9", roles=[Role.SAMPLER]
        )
        _db.session.commit()  # its work, audited, through the restricted role
        for statement in ("UPDATE audit_log SET reason = 'x'", "DELETE FROM audit_log"):
            with pytest.raises(ProgrammingError, match="permission denied"):
                _db.session.execute(text(statement))
            _db.session.rollback()
        with pytest.raises(ProgrammingError, match="permission denied|must be owner"):
            _db.session.execute(text("TRUNCATE audit_log CASCADE"))
        _db.session.rollback()
        _db.session.remove()
        _db.engine.dispose()
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 1
