"""The web interface: blueprints, request lifecycle, error pages, template helpers."""

from __future__ import annotations

from flask import Flask, current_app, g, render_template, request
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError

from labsys.core.limits import limit_with_unit
from labsys.database import write_intent
from labsys.extensions import db, login_manager
from labsys.models import OilProcess, Role, User
from labsys.services import esign, periods, security
from labsys.services.errors import noted_refusals
from labsys.services.stats import fold_pending
from labsys.web import access, i18n, navigation, sessions

READ_ONLY_METHODS = {"GET", "HEAD", "OPTIONS"}
# Everything from this site only; no inline script, no eval, no <style> element (the pages'
# scripts and styles are files in static/).  Inline style *attributes* stay allowed
# (style-src-attr, CSP Level 3: progress-bar widths, a chart's max-width); they cannot run
# code.  Bootstrap's CSS draws its icons from data: URIs.  (OWASP ASVS 4.0 V14.4.3 *(verify)*)
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "style-src-attr 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'self'"
)


def register_web(app: Flask) -> None:
    from labsys.web.admin.views import bp as admin_bp
    from labsys.web.auth.views import bp as auth_bp
    from labsys.web.home import bp as home_bp

    for blueprint in (auth_bp, home_bp, admin_bp):
        app.register_blueprint(blueprint)
    _register_feature_blueprints(app)
    from labsys.web.api_v1.core import init_api

    init_api(app)

    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "info"
    login_manager.user_loader(_load_user)

    app.before_request(_mark_write_intent)
    app.before_request(_note_refusals)
    app.before_request(sessions.enforce_idle_timeout)
    app.before_request(access.enforce_access)
    app.before_request(sessions.enforce_password_change)
    app.after_request(_commit_or_rollback)
    app.after_request(_security_headers)
    _register_error_pages(app)
    _register_template_helpers(app)


def _register_feature_blueprints(app: Flask) -> None:
    """Feature blueprints register themselves here as they are built."""
    from labsys.features import BLUEPRINTS

    for blueprint in BLUEPRINTS():
        app.register_blueprint(blueprint)


def _load_user(session_id: str) -> User | None:
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or str(user.session_version) != version:
        return None
    return user


def reads_first(view):
    """Mark a view that reads at length before it writes (the results import): its request
    starts with a plain BEGIN, and the view takes SQLite's write lock itself for the final
    write (``write_intent.set(True)`` after ending the read transaction)."""
    view.reads_first = True
    return view


def _mark_write_intent():
    view = current_app.view_functions.get(request.endpoint or "")
    writes = request.method not in READ_ONLY_METHODS and not getattr(view, "reads_first", False)
    write_intent.set(writes)


def _note_refusals():
    g.refusals = []
    noted_refusals.set(g.refusals)
    g.failed_signers = []
    esign.failed_signers.set(g.failed_signers)


def _commit_or_rollback(response):
    """One commit per request: what the services flushed is kept only on success."""
    if response.status_code < 400:
        db.session.commit()
        if write_intent.get():
            _fold_rollups()
    else:
        db.session.rollback()
    _record_refusals(response)
    return response


def _fold_rollups() -> None:
    """After a write: fold PostgreSQL's rollup deltas in, in a transaction of its own (one
    folder at a time; a busy or failed fold leaves them to the next, counted meanwhile)."""
    try:
        if fold_pending(db.session):
            db.session.commit()
        else:
            db.session.rollback()
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("folding the pass-rate rollup deltas failed (kept)")


def _record_refusals(response) -> None:
    """Refused access (a 403, or a PermissionDenied a view caught) goes to the audit trail
    in a transaction of its own: the request's own work was rolled back."""
    messages = list(g.get("refusals") or [])
    if response.status_code == 403 and not messages:
        messages.append("forbidden")
    if not messages:
        return
    write_intent.set(True)
    actor = current_user._get_current_object() if current_user.is_authenticated else None
    try:
        for message in messages:
            security.access_refused(
                db.session,
                actor,
                request.endpoint or "-",
                method=request.method,
                path=request.path,
                message=message,
                address=request.remote_addr,
            )
        for user_id in g.get("failed_signers") or []:
            signer = db.session.get(User, user_id)
            if signer is not None:
                security.signature_failed(db.session, signer)
        db.session.commit()
    except Exception:  # the refusal stands even if it could not be recorded
        db.session.rollback()
        current_app.logger.exception("could not record a refused access")


def _security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    return response


def _register_error_pages(app: Flask) -> None:
    def page(code: int, title, message):
        def handler(error):
            db.session.rollback()
            return render_template(
                "errors/error.html", code=code, title=title, message=message
            ), code

        return handler

    app.register_error_handler(
        400, page(400, _l("Bad request"), _l("The request could not be understood."))
    )
    app.register_error_handler(
        CSRFError,
        page(
            400,
            _l("Form expired"),
            _l(
                "The form's security token is missing or "
                "expired. Go back, reload the page and try "
                "again."
            ),
        ),
    )
    app.register_error_handler(413, _too_large)
    app.register_error_handler(
        403, page(403, _l("Not allowed"), _l("Your roles do not allow this page."))
    )
    app.register_error_handler(
        404, page(404, _l("Not found"), _l("There is no such page or record."))
    )
    app.register_error_handler(
        409, page(409, _l("Conflict"), _l("Someone else changed this record meanwhile."))
    )
    # Unexpected errors: nothing of the request is kept (rolled back), and the page says so
    # in the lab's language instead of the framework's English default.
    app.register_error_handler(
        500,
        page(
            500,
            _l("Something went wrong"),
            _l(
                "The request failed and nothing was saved. Try "
                "again; if it fails again, tell the "
                "administrator."
            ),
        ),
    )


def _too_large(_error):
    """413: the request body is over MAX_CONTENT_LENGTH (an upload too large)."""
    db.session.rollback()
    megabytes = (current_app.config.get("MAX_CONTENT_LENGTH") or 0) // 2**20
    message = _(
        "The upload is larger than the limit of %(mb)d MB. Split it into smaller files.",
        mb=megabytes,
    )
    return render_template(
        "errors/error.html", code=413, title=_("File too large"), message=message
    ), 413


def _register_template_helpers(app: Flask) -> None:
    app.jinja_env.globals.update(
        can=access.can,
        can_open=access.can_open,
        Role=Role,
        nav_items=navigation.nav_items,
        nav_menu=navigation.nav_menu,
        html_lang=i18n.html_lang,
        current_locale=i18n.select_locale,
        format_datetime=lambda value, fmt="yyyy-MM-dd HH:mm": (
            format_datetime(value, fmt) if value else ""
        ),
        format_date=lambda value, fmt="yyyy-MM-dd": format_date(value, fmt) if value else "",
        limit_with_unit=limit_with_unit,
        unverified=periods.unverified,
    )
    app.jinja_env.globals["current_user"] = current_user
    app.jinja_env.filters["oil_process_title"] = lambda value: OilProcess(value).title
    from labsys.web.queues.queries import capped_text

    app.jinja_env.filters["capped"] = capped_text
