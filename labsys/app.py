"""The application factory."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from labsys import config as settings_module
from labsys import default_instance_path, resource_dir
from labsys.database import REPLICA, close_read_session, configure_engine, replica_binds


def create_app(config: dict | None = None, *, web: bool = True) -> Flask:
    """Build the Flask app.  Never touches the database: the schema is ``labsys init``'s job.

    ``web=False`` builds the command line's app: the same settings, database and commands,
    without the pages (blueprints, login, CSRF) and with the migrations set up on first use.
    Registering every blueprint costs most of a command's start-up; ``labsys serve`` builds
    the full app itself."""
    instance_path = (
        (config or {}).get("INSTANCE_PATH")
        or os.environ.get("LABSYS_INSTANCE_PATH")
        or str(default_instance_path())
    )
    app = Flask(
        __name__,
        instance_path=str(Path(instance_path).resolve()),
        template_folder=str(resource_dir("templates")),
    )
    settings = settings_module.load_settings(app.instance_path, config)
    settings_module.check_secret_key(settings)
    app.config.update(settings)
    app.config["SQLALCHEMY_DATABASE_URI"] = settings_module.database_url(
        settings, app.instance_path
    )
    app.config["SQLALCHEMY_BINDS"] = {
        **(settings.get("SQLALCHEMY_BINDS") or {}),
        **replica_binds(settings),
    }
    app.config["LABSYS_WEB"] = web
    _init_extensions(app, web=web)
    _register_features(app, web=web)
    return app


def _init_extensions(app: Flask, *, web: bool) -> None:
    from labsys.extensions import babel, db

    if not web:
        # Registered before Flask-SQLAlchemy's own teardown, so it runs after the session is
        # removed (teardowns run in reverse): a command ends with its connections closed
        # rather than left to the garbage collector (an abrupt end for the server).
        app.teardown_appcontext(_close_engines)
    db.init_app(app)
    with app.app_context():
        # Creating the engine opens no connection; the listeners act on first connect.
        configure_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
        if REPLICA in db.engines:
            configure_engine(db.engines[REPLICA], app.config["SQLITE_BUSY_TIMEOUT_MS"])
    app.teardown_appcontext(close_read_session)
    translations = str(Path(__file__).parent / "translations")
    if not web:
        babel.init_app(app, default_translation_directories=translations)
        return
    from labsys.extensions import csrf, login_manager
    from labsys.web.i18n import select_locale

    init_migrations(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=translations)
    login_manager.init_app(app)


def _close_engines(_error: BaseException | None = None) -> None:
    from labsys.extensions import db

    for engine in db.engines.values():
        engine.dispose()


def init_migrations(app: Flask):
    """Flask-Migrate's settings for ``app`` (``app.extensions["migrate"]``), set up on first
    use in the command line's app; it also adds the ``db`` command group."""
    if "migrate" not in app.extensions:
        from labsys.extensions import db, migrate

        migrate.init_app(
            app,
            db,
            directory=str(resource_dir("migrations")),
            render_as_batch=True,
            compare_type=True,
        )
    return app.extensions["migrate"]


def _register_features(app: Flask, *, web: bool) -> None:
    from labsys.cli import register_commands

    if web:
        from labsys.models import load_all
        from labsys.web import inputs, register_web

        load_all()  # any page may query any model (the command line loads per command)

        inputs.install(app)  # before any route: the bounded <int:> converter
        register_web(app)
    register_commands(app)
