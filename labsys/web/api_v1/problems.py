"""JSON errors only: RFC 9457 problem details (``application/problem+json``), with the
fields a refusal names listed in ``errors`` ([{"name": ..., "message": ...}])."""

from __future__ import annotations

import json
from http import HTTPStatus

from flask import Response, current_app
from werkzeug.exceptions import HTTPException

from labsys.extensions import db
from labsys.services.errors import ConflictError, NotFound, PermissionDenied, ServiceError

PROBLEM_TYPE = "about:blank"
MEDIA_TYPE = "application/problem+json"


def problem(
    status: int,
    detail: str | None = None,
    *,
    errors: list[dict] | None = None,
    headers: dict | None = None,
    **extra,
) -> Response:
    body: dict = {"type": PROBLEM_TYPE, "title": HTTPStatus(status).phrase, "status": status}
    if detail:
        body["detail"] = str(detail)
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _flatten(messages, prefix: str = "") -> list[dict]:
    """webargs/marshmallow messages ({"location": {"field": ["msg"]}}) as named errors."""
    found: list[dict] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            found.extend(_flatten(value, name))
    elif isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            found.extend({"name": prefix, "message": m} for m in messages)
        else:
            for value in messages:
                found.extend(_flatten(value, prefix))
    else:
        found.append({"name": prefix, "message": str(messages)})
    return found


_LOCATIONS = ("json", "query", "form", "files", "headers", "view_args", "json_or_form")


def _field_errors(messages) -> list[dict]:
    if isinstance(messages, dict) and set(messages) <= set(_LOCATIONS):
        return [e for value in messages.values() for e in _flatten(value)]
    return _flatten(messages)


def http_problem(error: HTTPException):
    db.session.rollback()
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = _field_errors(data["messages"]) if "messages" in data else None
    headers = dict(data.get("headers") or {})
    if status == 405 and error.valid_methods:  # type: ignore[attr-defined]
        headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
    detail = data.get("message") or error.description
    if errors:
        detail = "The request has invalid fields."
    return problem(status, detail, errors=errors, headers=headers)


def service_problem(error: ServiceError):
    """A refusal by a service: its message, on the field it names."""
    if isinstance(error, PermissionDenied):
        status = 403
    elif isinstance(error, NotFound):
        status = 404
    elif isinstance(error, ConflictError):
        status = 409
    else:
        status = 422
    errors = [{"name": name or "", "message": str(message)} for name, message in _pairs(error)]
    extra = {}
    if isinstance(error, ConflictError) and isinstance(error.current, dict):
        extra["current"] = error.current
    return problem(status, error.message, errors=errors or None, **extra)


def _pairs(error: ServiceError) -> list[tuple]:
    listed = getattr(error, "errors", None)
    if isinstance(listed, list) and listed and isinstance(listed[0], tuple):
        return listed  # sampling.ValidationErrors: (field, message)
    if isinstance(listed, dict):  # results.EntryErrors: result id → message
        return [(f"results.{key}", message) for key, message in listed.items()]
    if isinstance(listed, list) and listed and hasattr(listed[0], "row"):  # import RowErrors
        return [(f"row {e.row}.{e.column}", e.message) for e in listed]
    return [(error.field, error.message)] if error.field else []


def unexpected_problem(error: Exception):
    db.session.rollback()
    current_app.logger.exception("API request failed")
    return problem(500, "The request failed and nothing was saved.")


def register_problem_handlers(blueprint) -> None:
    blueprint.register_error_handler(HTTPException, http_problem)
    blueprint.register_error_handler(ServiceError, service_problem)
    blueprint.register_error_handler(Exception, unexpected_problem)
