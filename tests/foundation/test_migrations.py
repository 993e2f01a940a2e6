"""The migrations build exactly the models' schema, and go down and up again cleanly,
on a database of their own (SQLite file, or a fresh PostgreSQL database)."""

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from labsys import create_app
from labsys.extensions import db
from labsys.models import Base, search

from support import TEST_SECRET


@pytest.fixture
def scratch_app(database_url, tmp_path):
    """An app on an empty database of its own, dropped afterwards."""
    url = make_url(database_url)
    admin = None
    if url.get_backend_name() == "postgresql":
        # A schema of its own (found first on the search path) is as empty as a new
        # database, and much cheaper to create and drop.
        name = f"labsys_mig_{uuid.uuid4().hex[:10]}"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"CREATE SCHEMA {name}"))
        scratch_url = url.update_query_dict({"options": f"-csearch_path={name}"}).render_as_string(
            hide_password=False
        )
    else:
        scratch_url = f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": TEST_SECRET,
            "DATABASE_URL": scratch_url,
            "INSTANCE_PATH": str(tmp_path),
        }
    )
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    if admin is not None:
        with admin.connect() as connection:
            connection.execute(text(f"DROP SCHEMA {name} CASCADE"))
        admin.dispose()


def _differences(app):
    with db.engine.connect() as connection:
        # As migrations/env.py: FTS5's tables (SQLite) and PostgreSQL-only indexes are left out
        # where they do not belong.
        opts = {
            "compare_type": True,
            "include_name": search.include_name,
            "include_object": search.include_object_for(connection.dialect.name),
        }
        context = MigrationContext.configure(connection, opts=opts)
        return compare_metadata(context, Base.metadata)


def test_models_and_migrations_agree(scratch_app):
    upgrade(directory=scratch_app.extensions["migrate"].directory)
    assert _differences(scratch_app) == []


def test_upgrade_downgrade_upgrade(scratch_app):
    directory = scratch_app.extensions["migrate"].directory
    upgrade(directory=directory)
    tables = set(inspect(db.engine).get_table_names())
    assert {"users", "audit_log", "samples", "sample_results"} <= tables
    downgrade(directory=directory, revision="base")
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    upgrade(directory=directory)
    assert set(inspect(db.engine).get_table_names()) == tables
    assert _differences(scratch_app) == []


def test_every_constraint_is_named(scratch_app):
    upgrade(directory=scratch_app.extensions["migrate"].directory)
    inspector = inspect(db.engine)
    for table in inspector.get_table_names():
        if table == "alembic_version":
            continue
        for fk in inspector.get_foreign_keys(table):
            assert fk["name"], (table, fk)
        for unique in inspector.get_unique_constraints(table):
            assert unique["name"], (table, unique)
