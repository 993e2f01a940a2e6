"""OpenAPI links between the API's operations (OpenAPI 3.1 §4.8.20): which call can follow
an answer, with which values taken from it.  A client (and schemathesis's stateful run)
reads them as "after creating a visit, read it, receive its sample, enter its result…".

``links(status, name=link(...), ...)`` is the ``@bp.doc`` argument adding them to one
response; ``operation_id`` names the targets.
"""

from __future__ import annotations

# The version read with a record, as If-Match wants it ("v3"), from a body field.
ETAG_OF = '"v{{$response.body#/{pointer}}}"'
ETAG_HEADER = "$response.header.ETag"


def etag_of(pointer: str) -> str:
    return ETAG_OF.format(pointer=pointer)


def link(operation_id: str, description: str, **parameters: str) -> dict:
    """A link to ``operation_id``; parameters by name (``If_Match`` for If-Match)."""
    named = {name.replace("If_Match", "If-Match"): value for name, value in parameters.items()}
    return {"operationId": operation_id, "description": description, "parameters": named}


def links(status: int, **named: dict) -> dict:
    """``@bp.doc(**links(201, getVisit=link(...)))``: links on the ``status`` response."""
    return {"responses": {status: {"links": named}}}


def operation(operation_id: str, status: int | None = None, **named: dict) -> dict:
    """``@bp.doc(**operation("getVisit", 200, ...))``: the operation's id and its links."""
    doc: dict = {"operationId": operation_id}
    if status is not None and named:
        doc.update(links(status, **named))
    return doc
