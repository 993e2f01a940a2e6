"""The application factory."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from labsys import config as settings_module
from labsys import default_instance_path, resource_dir
from labsys.database import REPLICA, close_read_session, configure_engine, replica_binds


def create_app(config: dict | None = None) -> Flask:
    """Build the Flask app.  Never touches the database: the schema is ``labsys init``'s job."""
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
    _init_extensions(app)
    _register_features(app)
    return app


def _init_extensions(app: Flask) -> None:
    from labsys.extensions import babel, csrf, db, login_manager, migrate
    from labsys.web.i18n import select_locale

    db.init_app(app)
    with app.app_context():
        # Creating the engine opens no connection; the listeners act on first connect.
        configure_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
        if REPLICA in db.engines:
            configure_engine(db.engines[REPLICA], app.config["SQLITE_BUSY_TIMEOUT_MS"])
    app.teardown_appcontext(close_read_session)
    migrate.init_app(
        app, db, directory=str(resource_dir("migrations")), render_as_batch=True, compare_type=True
    )
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    login_manager.init_app(app)


def _register_features(app: Flask) -> None:
    from labsys.cli import register_commands
    from labsys.web import inputs, register_web

    inputs.install(app)  # before any route: the bounded <int:> converter
    register_web(app)
    register_commands(app)
