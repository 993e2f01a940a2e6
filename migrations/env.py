"""Alembic environment: runs migrations on the app's own engine (``labsys init``)."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from labsys.models import load_all, search
from labsys.models.base import UTCDateTime

load_all()  # the models' metadata, every table of it (the package imports lazily)

config = context.config
if config.config_file_name:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db


def render_item(type_, obj, autogen_context):
    """Migrations use plain SQLAlchemy types, never the app's Python-side decorators."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def run_migrations_online():
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    conf_args["render_item"] = render_item

    with target_db.engine.connect() as connection:
        # FTS5's tables and the other database's indexes are not the models' business.
        conf_args.setdefault("include_name", search.include_name)
        conf_args.setdefault("include_object", search.include_object_for(connection.dialect.name))
        context.configure(connection=connection, target_metadata=target_db.metadata, **conf_args)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("labsys migrations run online only: use `labsys init`")
run_migrations_online()
