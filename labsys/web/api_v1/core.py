"""The API's frame: the flask-smorest ``Api`` (OpenAPI 3.1 at /api/v1/openapi.json, the
reference page at /api/v1/docs with Swagger UI served from this app), blueprints with
problem+json errors and no CSRF, ETag/If-Match, Idempotency-Key and keyset pages."""

from __future__ import annotations

import functools
import hashlib
import json
import re
from importlib import resources

from flask import Blueprint as FlaskBlueprint
from flask import Response, abort, current_app, g, request, send_from_directory
from flask_smorest import Api
from flask_smorest import Blueprint as SmorestBlueprint
from marshmallow import Schema, fields

from labsys.extensions import csrf, db
from labsys.services import api_tokens
from labsys.web.access import public
from labsys.web.api_v1 import auth
from labsys.web.api_v1.problems import MEDIA_TYPE, problem, register_problem_handlers

PREFIX = "/api/v1"
ASSETS = f"{PREFIX}/docs/assets/"


class FieldErrorSchema(Schema):
    name = fields.String(required=True, metadata={"description": "the field refused"})
    message = fields.String(required=True)


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    errors = fields.List(fields.Nested(FieldErrorSchema))
    current = fields.Dict()


class LabsysApi(Api):
    ERROR_SCHEMA = ProblemSchema
    DEFAULT_RESPONSE_CONTENT_TYPE = "application/json"

    def _register_error_handlers(self):
        """The app's HTML error pages stay; API blueprints answer problem+json themselves."""

    def _register_responses(self):
        super()._register_responses()


api = LabsysApi()

API_CONFIG = {
    "API_TITLE": "labsys API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": PREFIX,
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    "OPENAPI_SWAGGER_UI_URL": ASSETS,
    "API_SPEC_OPTIONS": {
        "info": {
            "description": (
                "The labsys REST API: every call goes through the same services (and "
                "rules) as the pages. Authenticate with a personal API token: "
                "`Authorization: Bearer lsk_...`. Errors are RFC 9457 problem details."
            )
        },
        "servers": [{"url": "/"}],
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearerAuth": []}],
    },
}


def blueprint(name: str, url_prefix: str, description: str) -> SmorestBlueprint:
    """An API blueprint: JSON errors, exempt from CSRF (no cookie is read on it)."""
    bp = SmorestBlueprint(
        name, __name__, url_prefix=f"{PREFIX}{url_prefix}", description=description
    )
    register_problem_handlers(bp)
    csrf.exempt(bp)
    bp.after_request(auth.add_rate_headers)
    return bp


def swagger_assets_dir() -> str:
    return str(resources.files("flask_swagger_ui") / "dist")


assets_bp = FlaskBlueprint("api_docs_assets", __name__)


@assets_bp.route(f"{ASSETS}<path:filename>")
@public
def docs_asset(filename: str):
    """Swagger UI's files, shipped by the flask-swagger-ui package (no CDN)."""
    return send_from_directory(swagger_assets_dir(), filename, max_age=3600)


def init_api(app) -> None:
    from labsys.web.api_v1 import views

    for key, value in API_CONFIG.items():
        app.config.setdefault(key, value)
    api.init_app(app)
    for bp in views.BLUEPRINTS:
        api.register_blueprint(bp)
    app.register_blueprint(assets_bp)
    for endpoint in ("api-docs.openapi_json", "api-docs.openapi_swagger_ui"):
        app.view_functions[endpoint] = _public_view(app.view_functions[endpoint])
    app.teardown_request(auth.reset_channel)


def _public_view(view):
    """flask-smorest's document views (bound methods) declared open to anyone: the
    reference describes the API and holds no data."""

    def document(*args, **kwargs):
        return view(*args, **kwargs)

    document.__name__ = view.__name__
    return public(document)


# --- ETag / If-Match ---------------------------------------------------------------------------

_ETAG_RE = re.compile(r'^\s*(?:W/)?"v(\d{1,9})"\s*$')


def etag(version: int) -> str:
    return f'"v{version}"'


def with_etag(response: Response, version: int) -> Response:
    response.headers["ETag"] = etag(version)
    return response


def if_match_version() -> int:
    """The version named by the If-Match header; 428 without it, 412 when unreadable."""
    header = request.headers.get("If-Match")
    if not header:
        abort(428, description="Send If-Match with the ETag you read (optimistic locking).")
    found = _ETAG_RE.match(header)
    if found is None:
        abort(412, description="If-Match does not name a version of this record.")
    return int(found.group(1))


def check_version(current: int) -> int:
    """412 when the record changed since the client read it; the version otherwise."""
    expected = if_match_version()
    if expected != current:
        abort(412, description="The record was changed since you read it: read it again.")
    return expected


# --- Idempotency-Key ---------------------------------------------------------------------------

IDEMPOTENCY_KEY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "maxLength": 200},
    "description": "Repeat a create safely: the same key and body return the first answer.",
}


def idempotent(view):
    """A create that may be retried: with an ``Idempotency-Key`` header, the first answer
    is stored (in the same transaction as the create) and given again to a retry with
    the same key and body; the same key with another body is refused (422)."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if not key:
            return view(*args, **kwargs)
        if len(key) > 200:
            return problem(400, "Idempotency-Key is longer than 200 characters.")
        user = g.api_token.user
        digest = hashlib.sha256(
            request.method.encode() + b" " + request.path.encode() + b"\n" + request.get_data()
        ).hexdigest()
        stored = api_tokens.stored_answer(db.session, user.id, key)
        if stored is not None:
            if stored.request_hash != digest:
                return problem(
                    422,
                    "This Idempotency-Key was used for another request.",
                    errors=[{"name": "Idempotency-Key", "message": "already used"}],
                )
            replay = Response(
                stored.response_body, status=stored.status_code, mimetype="application/json"
            )
            replay.headers["Idempotent-Replayed"] = "true"
            if stored.location:
                replay.headers["Location"] = stored.location
            return replay
        response = current_app.make_response(view(*args, **kwargs))
        if response.status_code < 400:
            api_tokens.store_answer(
                db.session,
                user_id=user.id,
                key=key,
                method=request.method,
                path=request.path[:300],
                request_hash=digest,
                status_code=response.status_code,
                body=response.get_data(as_text=True),
                location=response.headers.get("Location"),
            )
        return response

    return wrapper


def json_response(data, status: int = 200, headers: dict | None = None) -> Response:
    response = Response(
        json.dumps(data, ensure_ascii=False, default=str),
        status=status,
        mimetype="application/json",
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


__all__ = ["MEDIA_TYPE", "api", "blueprint", "idempotent", "init_api"]
